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

// TestNewTenanted: the project is tenanted, its tenants are connected to it in
// the environment, the scripts land in the processes and a publish sets the
// runbook's published snapshot.
func TestNewTenanted(t *testing.T) {
	t.Parallel()
	srv := emulatortest.New(t)
	var space struct{ Id string }
	emulatortest.Call(t, srv, http.MethodPost, "/api/spaces", map[string]any{"Name": "M", "SpaceManagersTeams": []string{"teams-administrators"}}, &space)
	emulatortest.Call(t, srv, http.MethodPost, "/api/"+space.Id+"/environments", map[string]any{"Name": "Production"}, nil)

	p := emulatortest.NewTenanted(t, srv, space.Id, "Ops", "Say hello", "Acme", "Globex")
	p.SetDeployScript(t, "echo deploy")
	p.Release(t, "1.0.0")
	p.SetRunbookScript(t, "echo run", true)

	sp := "/api/" + space.Id
	var project, rb, tenant map[string]any
	emulatortest.Call(t, srv, http.MethodGet, sp+"/projects/"+p.ProjectID, nil, &project)
	if project["TenantedDeploymentMode"] != "Tenanted" || project["Name"] != "Ops" {
		t.Errorf("project = %v", project)
	}
	emulatortest.Call(t, srv, http.MethodGet, sp+"/tenants/"+p.Tenants["Globex"], nil, &tenant)
	envs, _ := tenant["ProjectEnvironments"].(map[string]any)[p.ProjectID].([]any)
	if len(p.Tenants) != 2 || len(envs) != 1 || envs[0] != p.EnvironmentID {
		t.Errorf("tenants %v; Globex's project environments = %v, want [%s]", p.Tenants, tenant["ProjectEnvironments"], p.EnvironmentID)
	}
	var deploy, run string
	emulatortest.Call(t, srv, http.MethodGet, sp+"/projects/"+p.ProjectID+"/deploymentprocesses", nil, &deploy)
	emulatortest.Call(t, srv, http.MethodGet, sp+"/runbooks/"+p.RunbookID, nil, &rb)
	emulatortest.Call(t, srv, http.MethodGet, sp+"/runbookProcesses/"+rb["RunbookProcessId"].(string), nil, &run)
	if !strings.Contains(deploy, "echo deploy") || !strings.Contains(run, "echo run") {
		t.Errorf("processes lack the scripts:\n%s\n%s", deploy, run)
	}
	if id, _ := rb["PublishedRunbookSnapshotId"].(string); id == "" {
		t.Errorf("runbook %v has no published snapshot", rb)
	}
	var releases struct{ Items []map[string]any }
	emulatortest.Call(t, srv, http.MethodGet, sp+"/projects/"+p.ProjectID+"/releases", nil, &releases)
	if len(releases.Items) != 1 || releases.Items[0]["Version"] != "1.0.0" {
		t.Errorf("releases = %v, want 1.0.0", releases.Items)
	}
}
