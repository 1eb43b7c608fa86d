package emulator_test

import (
	"net/http"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

func TestSmoke(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	root := must(t, do(t, s, http.MethodGet, "/api/", nil), http.StatusOK)
	links := root.Body["Links"].(map[string]any)
	if got := links["Environments"]; got != "/api/Spaces-1/environments{/id}{?name,skip,ids,take,partialName}" {
		t.Errorf("Environments link = %v", got)
	}
	spaces := must(t, do(t, s, http.MethodGet, "/api/spaces", nil), http.StatusOK)
	if n := spaces.Body["TotalResults"]; n != float64(1) {
		t.Fatalf("spaces: %s", spaces.Raw)
	}
	env := must(t, do(t, s, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Dev"}), http.StatusCreated)
	if str(env.Body, "Id") != "Environments-1" || str(env.Body, "Slug") != "dev" {
		t.Fatalf("environment: %s", env.Raw)
	}
	sp := must(t, do(t, s, http.MethodPost, "/api/spaces", map[string]any{"Name": "Acme", "SpaceManagersTeams": []string{"teams-administrators"}}), http.StatusCreated)
	t.Logf("%s", sp.Raw)
	teams := must(t, do(t, s, http.MethodGet, "/api/"+str(sp.Body, "Id")+"/teams?includeSystem=false", nil), http.StatusOK)
	t.Logf("%s", teams.Raw)
	ev := must(t, do(t, s, http.MethodGet, "/api/events", nil), http.StatusOK)
	t.Logf("%s", ev.Raw)
}
