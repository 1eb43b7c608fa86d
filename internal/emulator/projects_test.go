package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// projectFixture is an emulator with the IDs a project needs.
type projectFixture struct {
	s      *emulator.Server
	lc, pg string
}

func newProjectFixture(t *testing.T) *projectFixture {
	t.Helper()
	s := emulatortest.New(t)
	lc := items(t, must(t, do(t, s, http.MethodGet, "/api/Spaces-1/lifecycles", nil), http.StatusOK))[0]
	pg := items(t, must(t, do(t, s, http.MethodGet, "/api/Spaces-1/projectgroups", nil), http.StatusOK))[0]
	return &projectFixture{s: s, lc: str(lc, "Id"), pg: str(pg, "Id")}
}

func (f *projectFixture) project(t *testing.T, name string, extra map[string]any) map[string]any {
	t.Helper()
	body := map[string]any{"Name": name, "LifecycleId": f.lc, "ProjectGroupId": f.pg}
	for k, v := range extra {
		body[k] = v
	}
	return must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/projects", body), http.StatusCreated).Body
}

func TestProjectCreateMakesOwnedDocuments(t *testing.T) {
	t.Parallel()
	f := newProjectFixture(t)
	p := f.project(t, "My Web App", map[string]any{"Invented": "dropped"})
	id := str(p, "Id")
	if id != "Projects-1" || str(p, "Slug") != "my-web-app" || str(p, "SpaceId") != "Spaces-1" {
		t.Fatalf("project: %v", p)
	}
	if _, ok := p["Invented"]; ok {
		t.Error("unknown property was stored and served")
	}
	if str(p, "DeploymentProcessId") != "deploymentprocess-Projects-1" || str(p, "VariableSetId") != "variableset-Projects-1" {
		t.Fatalf("owned IDs: %v", p)
	}
	links := p["Links"].(map[string]any)
	for name, want := range map[string]string{
		"Self":              "/api/Spaces-1/projects/Projects-1",
		"DeploymentProcess": "/api/Spaces-1/projects/Projects-1/deploymentprocesses",
		"Variables":         "/api/Spaces-1/projects/Projects-1/variables",
		"Channels":          "/api/Spaces-1/projects/Projects-1/channels{/id}{?skip,take,partialName}",
	} {
		if links[name] != want {
			t.Errorf("Links.%s = %v, want %s", name, links[name], want)
		}
	}
	for _, path := range []string{
		"/api/Spaces-1/deploymentprocesses/deploymentprocess-Projects-1",
		"/api/Spaces-1/projects/Projects-1/deploymentprocesses",
		"/api/spaces/Spaces-1/projects/my-web-app/deploymentprocesses", // by slug, other URL form
	} {
		dp := must(t, do(t, f.s, http.MethodGet, path, nil), http.StatusOK).Body
		if str(dp, "ProjectId") != id || dp["Version"] != float64(0) {
			t.Errorf("GET %s: %v", path, dp)
		}
	}
	bySlug := must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/projects/my-web-app", nil), http.StatusOK).Body
	if str(bySlug, "Id") != id {
		t.Errorf("GET by slug: %v", bySlug)
	}
	vs := must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/projects/Projects-1/variables", nil), http.StatusOK).Body
	if str(vs, "Id") != "variableset-Projects-1" || str(vs, "OwnerId") != id {
		t.Errorf("variable set: %v", vs)
	}
	chs := items(t, must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/projects/Projects-1/channels", nil), http.StatusOK))
	if len(chs) != 1 || str(chs[0], "Name") != "Default" || chs[0]["IsDefault"] != true {
		t.Errorf("channels: %v", chs)
	}
}

func TestProjectValidation(t *testing.T) {
	t.Parallel()
	f := newProjectFixture(t)
	f.project(t, "Taken", nil)
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"no name", map[string]any{"LifecycleId": f.lc, "ProjectGroupId": f.pg}, "Name"},
		{"no lifecycle", map[string]any{"Name": "A", "ProjectGroupId": f.pg}, "LifecycleId"},
		{"no project group", map[string]any{"Name": "A", "LifecycleId": f.lc}, "ProjectGroupId"},
		{"unknown lifecycle", map[string]any{"Name": "A", "LifecycleId": "Lifecycles-999", "ProjectGroupId": f.pg}, "Lifecycles-999"},
		{"bad tenanted mode", map[string]any{"Name": "A", "LifecycleId": f.lc, "ProjectGroupId": f.pg, "TenantedDeploymentMode": "Sometimes"}, "Sometimes"},
		{"duplicate name", map[string]any{"Name": "taken", "LifecycleId": f.lc, "ProjectGroupId": f.pg}, "already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/projects", tc.body), http.StatusBadRequest)
			if !strings.Contains(string(r.Raw), tc.want) {
				t.Errorf("error %s does not mention %q", r.Raw, tc.want)
			}
		})
	}
}

func TestProjectDeleteRemovesOwnedDocuments(t *testing.T) {
	t.Parallel()
	f := newProjectFixture(t)
	p := f.project(t, "Doomed", map[string]any{"TenantedDeploymentMode": "Tenanted"})
	env := must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Dev"}), http.StatusCreated).Body
	tn := must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/tenants", map[string]any{
		"Name": "Acme", "ProjectEnvironments": map[string]any{str(p, "Id"): []string{str(env, "Id")}},
	}), http.StatusCreated).Body
	must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/channels", map[string]any{"Name": "Beta", "ProjectId": str(p, "Id")}), http.StatusCreated)

	rb := must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/runbooks", map[string]any{"Name": "Ops", "ProjectId": str(p, "Id")}), http.StatusCreated).Body

	must(t, do(t, f.s, http.MethodDelete, "/api/Spaces-1/projects/"+str(p, "Id"), nil), http.StatusOK)
	must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/runbooks/"+str(rb, "Id"), nil), http.StatusNotFound)
	must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/runbookProcesses/"+str(rb, "RunbookProcessId"), nil), http.StatusNotFound)
	for _, path := range []string{
		"/api/Spaces-1/projects/Projects-1",
		"/api/Spaces-1/deploymentprocesses/deploymentprocess-Projects-1",
		"/api/Spaces-1/variables/variableset-Projects-1",
	} {
		must(t, do(t, f.s, http.MethodGet, path, nil), http.StatusNotFound)
	}
	chs := must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/channels", nil), http.StatusOK)
	if n := chs.Body["TotalResults"]; n != float64(0) {
		t.Errorf("channels left: %s", chs.Raw)
	}
	got := must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/tenants/"+str(tn, "Id"), nil), http.StatusOK).Body
	if pe := got["ProjectEnvironments"].(map[string]any); len(pe) != 0 {
		t.Errorf("tenant still connected: %v", pe)
	}
}

func TestDeploymentProcessRules(t *testing.T) {
	t.Parallel()
	f := newProjectFixture(t)
	f.project(t, "Proc", nil)
	const path = "/api/Spaces-1/deploymentprocesses/deploymentprocess-Projects-1"
	step := func(name, actionType string) map[string]any {
		return map[string]any{"Name": name, "Actions": []any{map[string]any{"Name": name, "ActionType": actionType}}}
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"no steps", map[string]any{"Version": 0}, "The Steps field is required."},
		{"null steps", map[string]any{"Version": 0, "Steps": nil}, "The Steps field is required."},
		{"stale version", map[string]any{"Version": 3, "Steps": []any{}}, "modified"},
		{"no version", map[string]any{"Steps": []any{}}, "Version"},
		{"step without name", map[string]any{"Version": 0, "Steps": []any{step("", "Octopus.Script")}}, "Name"},
		{"action without type", map[string]any{"Version": 0, "Steps": []any{step("A", "")}}, "ActionType"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := must(t, do(t, f.s, http.MethodPut, path, tc.body), http.StatusBadRequest)
			if !strings.Contains(string(r.Raw), tc.want) {
				t.Errorf("error %s does not mention %q", r.Raw, tc.want)
			}
		})
	}

	dp := must(t, do(t, f.s, http.MethodPut, path, map[string]any{"Version": 0, "Steps": []any{step("Run it", "Octopus.Script")}}), http.StatusOK).Body
	if dp["Version"] != float64(1) {
		t.Fatalf("version after update: %v", dp["Version"])
	}
	s0 := dp["Steps"].([]any)[0].(map[string]any)
	a0 := s0["Actions"].([]any)[0].(map[string]any)
	if str(s0, "Id") == "" || str(a0, "Id") == "" || str(a0, "Slug") != "run-it" || str(s0, "StartTrigger") != "StartAfterPrevious" {
		t.Errorf("step defaults: %v", s0)
	}
	// The project form of the route updates the same document; Ids the
	// client sends are kept.
	dp2 := must(t, do(t, f.s, http.MethodPut, "/api/Spaces-1/projects/Projects-1/deploymentprocesses", dp), http.StatusOK).Body
	s1 := dp2["Steps"].([]any)[0].(map[string]any)
	if dp2["Version"] != float64(2) || str(s1, "Id") != str(s0, "Id") {
		t.Errorf("second update: version %v, step %v", dp2["Version"], s1["Id"])
	}
	sum := must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/projects/Projects-1/summary", nil), http.StatusOK).Body
	if sum["HasDeploymentProcess"] != true || sum["HasRunbooks"] != false {
		t.Errorf("summary: %v", sum)
	}
	// Processes are never created or deleted by clients.
	must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/deploymentprocesses", dp2), http.StatusMethodNotAllowed)
	must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/deploymentprocesses/all", nil), http.StatusNotFound)
	list := must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/deploymentprocesses", nil), http.StatusOK)
	if list.Body["TotalResults"] != float64(1) {
		t.Errorf("process list: %s", list.Raw)
	}
}

func TestChannelRules(t *testing.T) {
	t.Parallel()
	f := newProjectFixture(t)
	a := f.project(t, "A", nil)
	b := f.project(t, "B", nil)
	beta := must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/projects/"+str(a, "Id")+"/channels", map[string]any{"Name": "Beta"}), http.StatusCreated).Body
	if str(beta, "ProjectId") != str(a, "Id") || beta["IsDefault"] != false || str(beta, "Type") != "Lifecycle" {
		t.Fatalf("channel: %v", beta)
	}
	// Names are unique per project, not per space.
	must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/channels", map[string]any{"Name": "beta", "ProjectId": str(a, "Id")}), http.StatusBadRequest)
	must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/channels", map[string]any{"Name": "Beta", "ProjectId": str(b, "Id")}), http.StatusCreated)
	must(t, do(t, f.s, http.MethodPost, "/api/Spaces-1/channels", map[string]any{"Name": "Orphan", "ProjectId": "Projects-999"}), http.StatusBadRequest)
	// A channel is only reachable under its own project.
	must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/projects/"+str(b, "Id")+"/channels/"+str(beta, "Id"), nil), http.StatusNotFound)
	must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/projects/"+str(a, "Id")+"/channels/"+str(beta, "Id"), nil), http.StatusOK)
	// ?projectId filters the space-wide list.
	list := must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/channels?projectId="+str(a, "Id"), nil), http.StatusOK)
	if list.Body["TotalResults"] != float64(2) {
		t.Errorf("channels of A: %s", list.Raw)
	}
	def := items(t, must(t, do(t, f.s, http.MethodGet, "/api/Spaces-1/projects/"+str(a, "Id")+"/channels?partialName=default", nil), http.StatusOK))[0]
	must(t, do(t, f.s, http.MethodDelete, "/api/Spaces-1/channels/"+str(def, "Id"), nil), http.StatusBadRequest)
	must(t, do(t, f.s, http.MethodDelete, "/api/Spaces-1/projects/"+str(a, "Id")+"/channels/"+str(beta, "Id"), nil), http.StatusOK)
}
