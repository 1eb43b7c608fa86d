package emulatortest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// TestCall: Call sends the admin key and a JSON body and decodes the answer
// into a struct or, for a *string, hands over the raw body; CallAs returns
// whatever status the key earns.
func TestCall(t *testing.T) {
	t.Parallel()
	srv := emulatortest.New(t)
	var created struct{ Id, Name string }
	if code := emulatortest.Call(t, srv, http.MethodPost, "/api/spaces",
		map[string]any{"Name": "Team A", "SpaceManagersTeams": []string{"teams-administrators"}}, &created); code != http.StatusCreated {
		t.Errorf("POST /api/spaces = %d, want 201", code)
	}
	if created.Id == "" || created.Name != "Team A" {
		t.Errorf("created = %+v", created)
	}
	var raw string
	emulatortest.Call(t, srv, http.MethodGet, "/api/spaces/"+created.Id, nil, &raw)
	if !strings.Contains(raw, `"Team A"`) {
		t.Errorf("raw answer %q lacks the space's name", raw)
	}

	tests := []struct {
		name, key string
		want      int
	}{
		{"admin key", srv.APIKey(), http.StatusOK},
		{"no key", "", http.StatusUnauthorized},
		{"wrong key", "API-WRONG0000000000000000000000", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		var out map[string]any
		if got := emulatortest.CallAs(t, srv, tc.key, http.MethodGet, "/api/spaces/"+created.Id, nil, &out); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
		if (out != nil) != (tc.want < 300) {
			t.Errorf("%s: out = %v, want it filled only for a 2xx answer", tc.name, out)
		}
	}
}
