package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// Restrictions of scoped user roles, one kind at a time: a key whose team
// is restricted to a project, a project group, an environment or a tenant
// reads and changes only that, and lists show only that.

// permWorld is two projects (A in group GA, B in group GB), two
// environments (Dev, Production, in one phase) and two tenants (Acme, Beta)
// connected to project A in both, with a release of each project.
type permWorld struct {
	s                            *emulator.Server
	projA, projB, groupA, groupB string
	dev, prod, acme, beta        string
	relA, relB                   string
}

func newPermWorld(t *testing.T) permWorld {
	t.Helper()
	s := emulatortest.New(t)
	w := permWorld{s: s}
	w.dev = str(must(t, do(t, s, "POST", sp+"/environments", map[string]any{"Name": "Dev"}), 201).Body, "Id")
	w.prod = str(must(t, do(t, s, "POST", sp+"/environments", map[string]any{"Name": "Production"}), 201).Body, "Id")
	lc := str(must(t, do(t, s, "POST", sp+"/lifecycles", map[string]any{"Name": "Flat", "Phases": []any{
		map[string]any{"Name": "All", "OptionalDeploymentTargets": []any{w.dev, w.prod}}}}), 201).Body, "Id")
	w.groupA = str(must(t, do(t, s, "POST", sp+"/projectgroups", map[string]any{"Name": "GA"}), 201).Body, "Id")
	w.groupB = str(must(t, do(t, s, "POST", sp+"/projectgroups", map[string]any{"Name": "GB"}), 201).Body, "Id")
	project := func(name, group string) string {
		id := str(must(t, do(t, s, "POST", sp+"/projects", map[string]any{"Name": name, "LifecycleId": lc, "ProjectGroupId": group,
			"TenantedDeploymentMode": "TenantedOrUntenanted"}), 201).Body, "Id")
		proc := must(t, do(t, s, "GET", sp+"/projects/"+id+"/deploymentprocesses", nil), 200).Body
		proc["Steps"] = []any{step("Hello", "", script("Hello", "echo hello"))}
		must(t, do(t, s, "PUT", sp+"/projects/"+id+"/deploymentprocesses", proc), 200)
		return id
	}
	w.projA, w.projB = project("A", w.groupA), project("B", w.groupB)
	for name, dst := range map[string]*string{"Acme": &w.acme, "Beta": &w.beta} {
		*dst = str(must(t, do(t, s, "POST", sp+"/tenants", map[string]any{"Name": name,
			"ProjectEnvironments": map[string]any{w.projA: []any{w.dev, w.prod}}}), 201).Body, "Id")
	}
	w.relA = str(must(t, do(t, s, "POST", sp+"/releases", map[string]any{"ProjectId": w.projA, "Version": "1.0.0"}), 201).Body, "Id")
	w.relB = str(must(t, do(t, s, "POST", sp+"/releases", map[string]any{"ProjectId": w.projB, "Version": "1.0.0"}), 201).Body, "Id")
	return w
}

// deployAs posts a deployment with key and returns the status.
func (w permWorld) deployAs(t *testing.T, key, release, env, tenant string) response {
	t.Helper()
	body := map[string]any{"ReleaseId": release, "EnvironmentId": env}
	if tenant != "" {
		body["TenantId"] = tenant
	}
	return do(t, w.s, "POST", sp+"/deployments", body, key)
}

// ids returns the Ids of a list's items.
func ids(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	for _, it := range items(t, must(t, r, 200)) {
		out = append(out, str(it, "Id"))
	}
	return out
}

func denied(t *testing.T, r response, permission string) {
	t.Helper()
	if r.Status != http.StatusForbidden {
		t.Fatalf("status %d, want 403: %s", r.Status, r.Raw)
	}
	if msg := str(r.Body, "ErrorMessage"); !strings.HasSuffix(msg, "Missing permission: "+permission) {
		t.Errorf("403 message %q does not name %s", msg, permission)
	}
}

func TestProjectRestriction(t *testing.T) {
	t.Parallel()
	w := newPermWorld(t)
	s := w.s
	u := emulatortest.NewUser(t, s, "a-deployer", emulatortest.Grant{Role: "Project deployer", SpaceID: "Spaces-1", Projects: []string{w.projA}},
		emulatortest.Grant{Role: "Project lead", SpaceID: "Spaces-1", Projects: []string{w.projA}})
	must(t, do(t, s, "GET", sp+"/projects/"+w.projA, nil, u.APIKey), 200)
	denied(t, do(t, s, "GET", sp+"/projects/"+w.projB, nil, u.APIKey), "ProjectView")
	if got := ids(t, do(t, s, "GET", sp+"/projects", nil, u.APIKey)); len(got) != 1 || got[0] != w.projA {
		t.Errorf("projects listed %v, want only %s", got, w.projA)
	}
	// Change: A yes, B no.
	pa := must(t, do(t, s, "GET", sp+"/projects/"+w.projA, nil), 200).Body
	pa["Description"] = "mine"
	must(t, do(t, s, "PUT", sp+"/projects/"+w.projA, pa, u.APIKey), 200)
	pb := must(t, do(t, s, "GET", sp+"/projects/"+w.projB, nil), 200).Body
	pb["Description"] = "not mine"
	denied(t, do(t, s, "PUT", sp+"/projects/"+w.projB, pb, u.APIKey), "ProjectEdit")
	denied(t, do(t, s, "GET", sp+"/projects/"+w.projB+"/deploymentprocesses", nil, u.APIKey), "ProcessView")
	// Releases and deployments: A yes, B no, however asked for.
	must(t, do(t, s, "POST", sp+"/releases", map[string]any{"ProjectId": w.projA, "Version": "1.1.0"}, u.APIKey), 201)
	denied(t, do(t, s, "POST", sp+"/releases", map[string]any{"ProjectId": w.projB, "Version": "1.1.0"}, u.APIKey), "ReleaseCreate")
	denied(t, do(t, s, "POST", sp+"/releases/create/v1", map[string]any{"projectName": "B", "releaseVersion": "1.2.0"}, u.APIKey), "ReleaseCreate")
	dep := must(t, w.deployAs(t, u.APIKey, w.relA, w.dev, ""), 201).Body
	denied(t, w.deployAs(t, u.APIKey, w.relB, w.dev, ""), "DeploymentCreate")
	denied(t, do(t, s, "POST", sp+"/deployments/create/untenanted/v1", map[string]any{
		"projectName": "B", "releaseVersion": "1.0.0", "environmentNames": []any{"Dev"}}, u.APIKey), "DeploymentCreate")
	finished(t, s, str(dep, "TaskId"))
	other := must(t, w.deployAs(t, s.APIKey(), w.relB, w.dev, ""), 201).Body
	finished(t, s, str(other, "TaskId"))
	// Tasks: only A's, by ID and in lists (both URL forms).
	must(t, do(t, s, "GET", "/api/tasks/"+str(dep, "TaskId"), nil, u.APIKey), 200)
	denied(t, do(t, s, "GET", "/api/tasks/"+str(other, "TaskId"), nil, u.APIKey), "TaskView")
	denied(t, do(t, s, "POST", "/api/tasks/"+str(other, "TaskId")+"/cancel", nil, u.APIKey), "TaskCancel")
	for _, path := range []string{"/api/tasks", sp + "/tasks", sp + "/deployments"} {
		got := ids(t, do(t, s, "GET", path, nil, u.APIKey))
		if len(got) != 1 {
			t.Errorf("%s lists %v, want one", path, got)
		}
	}
	// The admin key still sees and does everything.
	if n := len(ids(t, do(t, s, "GET", sp+"/projects", nil))); n != 2 {
		t.Errorf("admin sees %d projects", n)
	}
}

func TestProjectGroupRestriction(t *testing.T) {
	t.Parallel()
	w := newPermWorld(t)
	s := w.s
	u := emulatortest.NewUser(t, s, "ga-viewer", emulatortest.Grant{Role: "Project viewer", SpaceID: "Spaces-1", ProjectGroups: []string{w.groupA}})
	must(t, do(t, s, "GET", sp+"/projects/"+w.projA, nil, u.APIKey), 200)
	denied(t, do(t, s, "GET", sp+"/projects/"+w.projB, nil, u.APIKey), "ProjectView")
	if got := ids(t, do(t, s, "GET", sp+"/projectgroups", nil, u.APIKey)); len(got) != 1 || got[0] != w.groupA {
		t.Errorf("project groups listed %v", got)
	}
	if got := ids(t, do(t, s, "GET", sp+"/releases", nil, u.APIKey)); len(got) != 1 || got[0] != w.relA {
		t.Errorf("releases listed %v", got)
	}
}

func TestEnvironmentRestriction(t *testing.T) {
	t.Parallel()
	w := newPermWorld(t)
	s := w.s
	u := emulatortest.NewUser(t, s, "dev-deployer", emulatortest.Grant{Role: "Project deployer", SpaceID: "Spaces-1", Environments: []string{w.dev}})
	dep := must(t, w.deployAs(t, u.APIKey, w.relA, w.dev, ""), 201).Body
	denied(t, w.deployAs(t, u.APIKey, w.relA, w.prod, ""), "DeploymentCreate")
	denied(t, do(t, s, "POST", sp+"/deployments/create/untenanted/v1", map[string]any{
		"projectName": "A", "releaseVersion": "1.0.0", "environmentNames": []any{"Production"}}, u.APIKey), "DeploymentCreate")
	// Both projects are visible (ProjectView is not restrictable to
	// environments); only Dev is.
	if n := len(ids(t, do(t, s, "GET", sp+"/projects", nil, u.APIKey))); n != 2 {
		t.Errorf("%d projects listed, want 2", n)
	}
	if got := ids(t, do(t, s, "GET", sp+"/environments", nil, u.APIKey)); len(got) != 1 || got[0] != w.dev {
		t.Errorf("environments listed %v", got)
	}
	denied(t, do(t, s, "GET", sp+"/environments/"+w.prod, nil, u.APIKey), "EnvironmentView")
	finished(t, s, str(dep, "TaskId"))
	prod := must(t, w.deployAs(t, s.APIKey(), w.relA, w.prod, ""), 201).Body
	finished(t, s, str(prod, "TaskId"))
	if got := ids(t, do(t, s, "GET", sp+"/deployments", nil, u.APIKey)); len(got) != 1 || got[0] != str(dep, "Id") {
		t.Errorf("deployments listed %v", got)
	}
}

func TestTenantRestriction(t *testing.T) {
	t.Parallel()
	w := newPermWorld(t)
	s := w.s
	u := emulatortest.NewUser(t, s, "acme-ops", emulatortest.Grant{Role: "Project deployer", SpaceID: "Spaces-1", Tenants: []string{w.acme}},
		emulatortest.Grant{Role: "Tenant manager", SpaceID: "Spaces-1", Tenants: []string{w.acme}})
	dep := must(t, w.deployAs(t, u.APIKey, w.relA, w.dev, w.acme), 201).Body
	denied(t, w.deployAs(t, u.APIKey, w.relA, w.dev, w.beta), "DeploymentCreate")
	denied(t, w.deployAs(t, u.APIKey, w.relA, w.dev, ""), "DeploymentCreate") // untenanted: not Acme
	r := do(t, s, "POST", sp+"/deployments/create/tenanted/v1", map[string]any{
		"projectName": "A", "releaseVersion": "1.0.0", "environmentName": "Dev", "tenants": []any{"Acme", "Beta"}}, u.APIKey)
	denied(t, r, "DeploymentCreate")
	finished(t, s, str(dep, "TaskId"))
	if n := len(items(t, must(t, do(t, s, "GET", "/api/tasks", nil), 200))); n != 1 {
		t.Errorf("%d tasks after refused deployments, want 1", n)
	}
	if got := ids(t, do(t, s, "GET", sp+"/tenants", nil, u.APIKey)); len(got) != 1 || got[0] != w.acme {
		t.Errorf("tenants listed %v", got)
	}
	denied(t, do(t, s, "GET", sp+"/tenants/"+w.beta, nil, u.APIKey), "TenantView")
	beta := must(t, do(t, s, "GET", sp+"/tenants/"+w.beta, nil), 200).Body
	denied(t, do(t, s, "PUT", sp+"/tenants/"+w.beta, beta, u.APIKey), "TenantEdit")
	other := must(t, w.deployAs(t, s.APIKey(), w.relA, w.dev, w.beta), 201).Body
	finished(t, s, str(other, "TaskId"))
	if got := ids(t, do(t, s, "GET", "/api/tasks", nil, u.APIKey)); len(got) != 1 || got[0] != str(dep, "TaskId") {
		t.Errorf("tasks listed %v, want only %s", got, str(dep, "TaskId"))
	}
	denied(t, do(t, s, "POST", "/api/tasks/"+str(other, "TaskId")+"/cancel", nil, u.APIKey), "TaskCancel")
}

func TestTeamMembershipPreview(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	u := emulatortest.NewUser(t, s, "someone")
	got := must(t, do(t, s, "POST", "/api/teammembership/previewteam", map[string]any{"Name": "Draft", "MemberUserIds": []any{u.ID},
		"ExternalSecurityGroups": []any{}}), 200).Array
	if len(got) != 1 || got[0].(map[string]any)["UserId"] != u.ID || got[0].(map[string]any)["TeamName"] != "Draft" {
		t.Errorf("preview %v", got)
	}
	must(t, do(t, s, "POST", "/api/teammembership/previewteam", map[string]any{"Name": "Draft", "MemberUserIds": []any{"Users-999"}}), 400)
	if got := must(t, do(t, s, "GET", "/api/teammembership?userId=Users-999", nil), 200).Array; len(got) != 0 {
		t.Errorf("membership of no one: %v", got)
	}
}
