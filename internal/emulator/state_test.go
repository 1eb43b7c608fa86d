package emulator_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// startWithState starts an emulator that saves its state to a new file, for
// a test that closes it itself and then starts another from the file
// (emulatortest.New with withState).
func startWithState(t *testing.T) (*emulator.Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.json")
	s, err := emulator.New(emulator.Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

// withState makes an emulator load and save the state file at path.
func withState(path string) func(*emulator.Options) {
	return func(o *emulator.Options) { o.StatePath = path }
}

func TestStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	first, path := startWithState(t)
	sp := must(t, do(t, first, http.MethodPost, "/api/spaces", map[string]any{"Name": "Acme", "SpaceManagersTeams": []string{"teams-administrators"}}), http.StatusCreated).Body
	must(t, do(t, first, http.MethodPost, "/api/Spaces-1/feeds", map[string]any{
		"Name": "Private", "FeedType": "NuGet", "Password": map[string]any{"HasValue": true, "NewValue": "hunter2"},
	}), http.StatusCreated)
	uid, key, err := first.CreateUser("ci", "CI")
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := emulatortest.New(t, withState(path))
	got := must(t, do(t, second, http.MethodGet, "/api/spaces/"+str(sp, "Id"), nil), http.StatusOK)
	if str(got.Body, "Name") != "Acme" {
		t.Fatalf("space after restart: %s", got.Raw)
	}
	me := must(t, do(t, second, http.MethodGet, "/api/users/me", nil, key), http.StatusOK)
	if str(me.Body, "Id") != uid {
		t.Fatalf("user key after restart: %s", me.Raw)
	}
	// Counters continue: no ID is handed out twice.
	next := must(t, do(t, second, http.MethodPost, "/api/spaces", map[string]any{"Name": "Next", "SpaceManagersTeams": []string{"teams-administrators"}}), http.StatusCreated)
	if id := str(next.Body, "Id"); id == str(sp, "Id") || id == "Spaces-1" {
		t.Fatalf("reused ID %s", id)
	}
	feeds := must(t, do(t, second, http.MethodGet, "/api/Spaces-1/feeds?name=Private", nil), http.StatusOK)
	if pw := items(t, feeds)[0]["Password"].(map[string]any); pw["HasValue"] != true {
		t.Fatalf("secret lost over restart: %v", pw)
	}

	// Secrets are not in the file in the clear.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", key, second.APIKey()} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("state file contains a secret (%.8s…)", secret)
		}
	}
}

func TestKilledServerLosesNothingAnswered(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	// The first server is never closed before the second reads the file,
	// as if its process had been killed right after answering.
	first := emulatortest.New(t, withState(path))
	id := must(t, do(t, first, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Dev"}), http.StatusCreated).Body["Id"].(string)
	must(t, do(t, first, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Test"}), http.StatusCreated)
	must(t, do(t, first, http.MethodDelete, "/api/Spaces-1/environments/"+id, nil), http.StatusOK)

	second := emulatortest.New(t, withState(path))
	r := must(t, do(t, second, http.MethodGet, "/api/Spaces-1/environments", nil), http.StatusOK)
	if got := names(t, r); len(got) != 1 || got[0] != "Test" {
		t.Fatalf("after kill: %v", got)
	}
	ev := must(t, do(t, second, http.MethodGet, "/api/events?take=0", nil), http.StatusOK)
	if ev.Body["TotalResults"] != float64(3) {
		t.Errorf("events after kill: %s", ev.Raw)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestStateFromAnotherKeyIsRefused(t *testing.T) {
	t.Parallel()
	s, path := startWithState(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err := emulator.New(emulator.Options{StatePath: path, APIKey: "API-OTHERKEY0000000000000000"}); err == nil {
		s.Close()
		t.Fatal("loaded a state file sealed with another key")
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := emulator.New(emulator.Options{StatePath: path}); err == nil {
		s.Close()
		t.Fatal("loaded a corrupt state file")
	}
}
