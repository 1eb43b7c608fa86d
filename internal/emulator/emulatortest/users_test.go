package emulatortest

import (
	"net/http"
	"testing"
)

func TestNewUser(t *testing.T) {
	t.Parallel()
	srv := New(t)
	var env map[string]any
	Call(t, srv, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Dev"}, &env)
	devID := env["Id"].(string)
	Call(t, srv, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Production"}, nil)

	none := NewUser(t, srv, "nobody")
	if none.APIKey == "" || none.TeamID != "" {
		t.Fatalf("user without grants %+v", none)
	}
	if status := CallAs(t, srv, none.APIKey, http.MethodGet, "/api/Spaces-1/environments", nil, nil); status != http.StatusForbidden {
		t.Errorf("no grants: %d, want 403", status)
	}

	u := NewUser(t, srv, "dev-viewer", Grant{Role: "Environment viewer", SpaceID: "Spaces-1", Environments: []string{devID}},
		Grant{Role: "userroles-usermanager"})
	var page struct{ Items []map[string]any }
	if status := CallAs(t, srv, u.APIKey, http.MethodGet, "/api/Spaces-1/environments", nil, &page); status != 200 || len(page.Items) != 1 || page.Items[0]["Id"] != devID {
		t.Errorf("restricted list: %d %v", status, page.Items)
	}
	// The system grant (User manager) lets it read other users.
	if status := CallAs(t, srv, u.APIKey, http.MethodGet, "/api/users/"+none.ID+"/permissions", nil, nil); status != 200 {
		t.Errorf("user manager reads another user's permissions: %d", status)
	}
	var team map[string]any
	Call(t, srv, http.MethodGet, "/api/teams/"+u.TeamID, nil, &team)
	if team["SpaceId"] != nil {
		t.Errorf("a team with system and space grants belongs to %v, want the system", team["SpaceId"])
	}
	one := NewUser(t, srv, "space-only", Grant{Role: "Project viewer", SpaceID: "Spaces-1"})
	Call(t, srv, http.MethodGet, "/api/teams/"+one.TeamID, nil, &team)
	if team["SpaceId"] != "Spaces-1" {
		t.Errorf("a team with one space's grants belongs to %v", team["SpaceId"])
	}
}
