package octopus_test

// What a web UI reads, through the real go-octopusdeploy client where it
// has methods: releases and tenanted deployments by the v1 commands, task
// lists with their filters, task details whose log grows while the task
// runs, cancel; the dashboard (the SDK's DashboardService has no methods,
// so it is read over HTTP and decoded into the SDK's DashboardItem); and
// all of it as a tenant-restricted key sees it.

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/client"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/dashboard"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/deployments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/environments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/releases"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/tasks"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// dashboardDoc is DashboardResource with the SDK's item type.
type dashboardDoc struct {
	Id           string
	IsFiltered   bool
	Environments []struct{ Id, Name string }
	Projects     []struct {
		Id, Name, Slug, ProjectGroupId, TenantedDeploymentMode string
		EnvironmentIds                                         []string
		CanPerformUntenantedDeployment                         bool
	}
	ProjectGroups []struct {
		Id, Name       string
		EnvironmentIds []string
	}
	Tenants []struct {
		Id, Name            string
		ProjectEnvironments map[string][]string
		TenantTags          []string
	}
	Items []*dashboard.DashboardItem
	Links map[string]string
}

func getDashboard(t *testing.T, emu *emulator.Server, key, path string) dashboardDoc {
	t.Helper()
	var raw json.RawMessage
	if status := emulatortest.CallAs(t, emu, key, http.MethodGet, path, nil, &raw); status != 200 {
		t.Fatalf("GET %s: %d", path, status)
	}
	var d dashboardDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("decode %s: %v\n%s", path, err, raw)
	}
	return d
}

// cell finds the dashboard item of a tenant (current or previous).
func cell(d dashboardDoc, tenantID string, current bool) *dashboard.DashboardItem {
	for _, it := range d.Items {
		if it.TenantID == tenantID && it.IsCurrent == current && it.IsPrevious == !current {
			return it
		}
	}
	return nil
}

func deployTenants(t *testing.T, c *client.Client, version, env string, tenants ...string) []string {
	t.Helper()
	cmd := deployments.NewCreateDeploymentTenantedCommandV1(tasksSpace, "Shop")
	cmd.ReleaseVersion, cmd.EnvironmentName, cmd.Tenants = version, env, tenants
	resp, err := deployments.CreateDeploymentTenantedV1(c, cmd)
	if err != nil {
		t.Fatalf("deploy %s for %v: %v", version, tenants, err)
	}
	var ids []string
	for _, x := range resp.DeploymentServerTasks {
		ids = append(ids, x.ServerTaskID)
	}
	if len(ids) != len(tenants) {
		t.Fatalf("%d tasks for %d tenants", len(ids), len(tenants))
	}
	return ids
}

func TestSDKDashboardTasksAndTenantedDeployments(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	c, err := coreClient(t, emu, emu.APIKey(), tasksSpace)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	env, err := environments.Add(c, environments.NewEnvironment("Production"))
	if err != nil {
		t.Fatalf("add environment: %v", err)
	}
	p := emulatortest.NewTenanted(t, emu, tasksSpace, "Shop", "Ops", "Acme", "Beta")
	dir := t.TempDir()
	// The script fails while dir/fail exists and waits while dir/hold does.
	p.SetDeployScript(t, `echo "deploying #{Octopus.Release.Number} for #{Octopus.Deployment.Tenant.Name}"
while [ -e "`+dir+`/hold" ]; do sleep 0.02; done
if [ -e "`+dir+`/fail" ]; then echo "failing"; exit 2; fi
echo "done"`)
	for _, v := range []string{"1.0.0", "1.0.1"} {
		cmd := releases.NewCreateReleaseCommandV1(tasksSpace, "Shop")
		cmd.ReleaseVersion = v
		if _, err := releases.CreateReleaseV1(c, cmd); err != nil {
			t.Fatalf("create release %s: %v", v, err)
		}
	}
	acme, beta := p.Tenants["Acme"], p.Tenants["Beta"]

	// 1.0.0 for both tenants succeeds; 1.0.1 fails for Beta.
	for _, id := range deployTenants(t, c, "1.0.0", env.Name, "Acme", "Beta") {
		if task := waitTask(t, c, id); task.State != "Success" {
			t.Fatalf("task %s: %s %s", id, task.State, task.ErrorMessage)
		}
	}
	touch(t, filepath.Join(dir, "fail"))
	betaFailed := deployTenants(t, c, "1.0.1", env.Name, "Beta")[0]
	if task := waitTask(t, c, betaFailed); task.State != "Failed" {
		t.Fatalf("Beta 1.0.1: %s", task.State)
	}
	if err := os.Remove(filepath.Join(dir, "fail")); err != nil {
		t.Fatal(err)
	}

	d := getDashboard(t, emu, emu.APIKey(), "/api/"+tasksSpace+"/dashboard")
	if len(d.Projects) != 1 || d.Projects[0].Id != p.ProjectID || d.Projects[0].TenantedDeploymentMode != "Tenanted" ||
		d.Projects[0].CanPerformUntenantedDeployment || len(d.Projects[0].EnvironmentIds) != 1 || len(d.Tenants) != 2 || len(d.Environments) != 1 || d.IsFiltered {
		t.Errorf("dashboard projects %+v tenants %+v environments %+v", d.Projects, d.Tenants, d.Environments)
	}
	if a := cell(d, acme, true); a == nil || a.ReleaseVersion != "1.0.0" || a.State != "Success" || !a.IsCompleted || a.CompletedTime == nil || a.EnvironmentID != env.GetID() {
		t.Errorf("Acme's current item %+v", a)
	}
	if b := cell(d, beta, true); b == nil || b.ReleaseVersion != "1.0.1" || b.State != "Failed" || b.ErrorMessage == "" {
		t.Errorf("Beta's current item %+v", b)
	}
	if b := cell(d, beta, false); b == nil || b.ReleaseVersion != "1.0.0" || b.State != "Success" {
		t.Errorf("Beta's previous item %+v", b)
	}
	if n := len(d.Items); n != 3 {
		t.Errorf("%d items, want 3", n)
	}
	if f := getDashboard(t, emu, emu.APIKey(), "/api/"+tasksSpace+"/dashboard?selectedTenants="+acme); !f.IsFiltered || len(f.Items) != 1 || f.Items[0].TenantID != acme {
		t.Errorf("filtered to Acme: %+v", f.Items)
	}
	if dyn := getDashboard(t, emu, emu.APIKey(), "/api/"+tasksSpace+"/dashboard/dynamic?projects="+p.ProjectID); len(dyn.Items) != 2 {
		t.Errorf("dynamic dashboard: %d items, want the 2 current", len(dyn.Items))
	}
	if dyn := getDashboard(t, emu, emu.APIKey(), "/api/"+tasksSpace+"/dashboard/dynamic?includePrevious=true"); len(dyn.Items) != 3 {
		t.Errorf("dynamic dashboard with previous: %d items, want 3", len(dyn.Items))
	}

	// The caller's dashboard configuration narrows its dashboard.
	emulatortest.Call(t, emu, http.MethodPut, "/api/"+tasksSpace+"/dashboardconfiguration", map[string]any{"IncludedTenantIds": []string{beta}}, nil)
	if f := getDashboard(t, emu, emu.APIKey(), "/api/"+tasksSpace+"/dashboard"); !f.IsFiltered || len(f.Tenants) != 1 || len(f.Items) != 2 {
		t.Errorf("configured to Beta: tenants %+v, %d items", f.Tenants, len(f.Items))
	}
	emulatortest.Call(t, emu, http.MethodPut, "/api/"+tasksSpace+"/dashboardconfiguration", map[string]any{}, nil)

	// Task lists and their filters.
	list := func(q tasks.TasksQuery) []string {
		t.Helper()
		page, err := c.Tasks.Get(q)
		if err != nil {
			t.Fatalf("tasks %+v: %v", q, err)
		}
		var out []string
		for _, x := range page.Items {
			out = append(out, x.ID)
		}
		return out
	}
	if got := list(tasks.TasksQuery{States: []string{"Failed"}}); len(got) != 1 || got[0] != betaFailed {
		t.Errorf("failed tasks %v, want [%s]", got, betaFailed)
	}
	if got := list(tasks.TasksQuery{Tenant: beta, Project: p.ProjectID, Environment: env.GetID()}); len(got) != 2 {
		t.Errorf("Beta's tasks %v", got)
	}
	if got := list(tasks.TasksQuery{Spaces: []string{tasksSpace}, Skip: 1, Take: 1}); len(got) != 1 {
		t.Errorf("second page of one: %v", got)
	}
	if got := list(tasks.TasksQuery{Spaces: []string{"Spaces-99"}}); len(got) != 0 {
		t.Errorf("tasks of another space: %v", got)
	}

	// A running task: its details grow, cancel stops it.
	touch(t, filepath.Join(dir, "hold"))
	running := deployTenants(t, c, "1.0.1", env.Name, "Acme")[0]
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(taskLog(t, c, running), "deploying 1.0.1 for Acme") {
		if time.Now().After(deadline) {
			t.Fatal("the running task's log never showed its first line")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if log := taskLog(t, c, running); strings.Contains(log, "Info: done") {
		t.Fatalf("log has the end before the script got there:\n%s", log)
	}
	if got := list(tasks.TasksQuery{IsRunning: true}); len(got) != 1 || got[0] != running {
		t.Errorf("running tasks %v", got)
	}
	if _, err := tasks.Cancel(c, tasksSpace, running); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if task := waitTask(t, c, running); task.State != "Canceled" {
		t.Errorf("canceled task: %s", task.State)
	}

	// A key restricted to Acme sees only Acme, in the dashboard and in tasks.
	u := emulatortest.NewUser(t, emu, "acme-ops", emulatortest.Grant{Role: "Project deployer", SpaceID: tasksSpace, Tenants: []string{acme}})
	uc, err := coreClient(t, emu, u.APIKey, tasksSpace)
	if err != nil {
		t.Fatalf("client of %s: %v", u.Username, err)
	}
	ud := getDashboard(t, emu, u.APIKey, "/api/"+tasksSpace+"/dashboard")
	if len(ud.Tenants) != 1 || ud.Tenants[0].Id != acme || len(ud.Items) == 0 {
		t.Errorf("restricted dashboard tenants %+v items %d", ud.Tenants, len(ud.Items))
	}
	for _, it := range ud.Items {
		if it.TenantID != acme {
			t.Errorf("restricted dashboard shows %+v", it)
		}
	}
	page, err := uc.Tasks.Get(tasks.TasksQuery{})
	if err != nil {
		t.Fatalf("restricted tasks: %v", err)
	}
	for _, x := range page.Items {
		if strings.Contains(x.Description, "Beta") {
			t.Errorf("restricted key sees %s", x.Description)
		}
	}
	cmd := deployments.NewCreateDeploymentTenantedCommandV1(tasksSpace, "Shop")
	cmd.ReleaseVersion, cmd.EnvironmentName, cmd.Tenants = "1.0.0", env.Name, []string{"Beta"}
	_, err = deployments.CreateDeploymentTenantedV1(uc, cmd)
	wantStatus(t, "deploy for Beta with Acme's key", err, http.StatusForbidden)
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}
