package octopus

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/steps"
)

// facadeFixture is a space with an environment, a runbook whose published
// snapshot prints its tenant, a release and a tenant connected to the project.
type facadeFixture struct {
	c                *Client
	space            string
	project, env     string
	tenant           string
	runbook          steps.Runbook
	runbookProcessID string
}

func newFacadeFixture(t *testing.T, script string) (*facadeFixture, func() error) {
	t.Helper()
	emu, c := dialEmulator(t)
	ctx := t.Context()
	f := &facadeFixture{c: c, space: c.sdk.GetSpaceID()}
	env, err := c.CreateEnvironment(ctx, steps.Environment{SpaceID: f.space, Name: "Production"})
	if err != nil {
		t.Fatal(err)
	}
	f.env = env.ID
	lcs, err := c.Lifecycles(ctx, f.space)
	if err != nil {
		t.Fatal(err)
	}
	pgs, err := c.ProjectGroups(ctx, f.space)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.CreateProject(ctx, f.space, steps.Project{Name: "Ops", LifecycleID: lcs[0].ID, ProjectGroupID: pgs[0].ID, TenantedDeploymentMode: "Tenanted"})
	if err != nil {
		t.Fatal(err)
	}
	f.project = p.ID
	step := []steps.ProcessStep{{Name: "Hello", Actions: []steps.ProcessAction{{Name: "Hello", ActionType: "Octopus.Script",
		Properties: map[string]string{"Octopus.Action.Script.ScriptSource": "Inline", "Octopus.Action.Script.Syntax": "Bash",
			"Octopus.Action.Script.ScriptBody": script, "Octopus.Action.RunOnServer": "true"}}}}}
	dp, err := c.DeploymentProcess(ctx, f.space, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	dp.Steps = step
	if _, err := c.UpdateDeploymentProcess(ctx, f.space, dp); err != nil {
		t.Fatal(err)
	}
	if f.runbook, err = c.CreateRunbook(ctx, f.space, steps.Runbook{ProjectID: p.ID, Name: "Hello", MultiTenancyMode: "Tenanted"}); err != nil {
		t.Fatal(err)
	}
	rp, err := c.RunbookProcess(ctx, f.space, f.runbook.RunbookProcessID)
	if err != nil {
		t.Fatal(err)
	}
	rp.Steps = step
	if _, err := c.UpdateRunbookProcess(ctx, f.space, rp); err != nil {
		t.Fatal(err)
	}
	var tenant struct {
		ID string `json:"Id"`
	}
	if err := c.postRaw(ctx, spacePath(f.space, "tenants"), map[string]any{"Name": "Acme",
		"ProjectEnvironments": map[string][]string{p.ID: {env.ID}}}, &tenant); err != nil {
		t.Fatal(err)
	}
	f.tenant = tenant.ID
	return f, func() error { return emu.WaitForTasks(context.Background()) }
}

func TestFacadeRunbookRunAndTaskLog(t *testing.T) {
	t.Parallel()
	f, wait := newFacadeFixture(t, `echo "Hello from #{Octopus.Tenant.Name}"`)
	ctx, c := t.Context(), f.c
	if id, err := c.PublishedRunbookSnapshot(ctx, f.space, f.runbook.ID); err != nil || id != "" {
		t.Fatalf("published before publishing = %q, %v", id, err)
	}
	snap, err := c.PublishRunbookSnapshot(ctx, f.space, f.runbook)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := c.PublishedRunbookSnapshot(ctx, f.space, f.runbook.ID); err != nil || id != snap {
		t.Fatalf("published = %q, %v; want %s", id, err, snap)
	}
	tenants, err := c.FacadeTenants(ctx, f.space)
	if err != nil || len(tenants) != 1 || tenants[0].Name != "Acme" {
		t.Fatalf("tenants = %v, %v", tenants, err)
	}
	ex, err := c.StartRunbookRun(ctx, f.space, steps.RunbookRunRequest{ProjectID: f.project, RunbookID: f.runbook.ID, SnapshotID: snap,
		EnvironmentID: f.env, TenantID: f.tenant})
	if err != nil || ex.TaskID == "" || ex.ID == "" {
		t.Fatalf("start = %+v, %v", ex, err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	task, lines, err := c.TaskDetails(ctx, ex.TaskID)
	if err != nil || task.State != steps.TaskSuccess || !task.IsCompleted {
		t.Fatalf("details = %+v, %v", task, err)
	}
	found := false
	for _, l := range lines {
		found = found || (l.Text == "Hello from Acme" && l.Number > 0 && l.Activity != "")
	}
	if !found {
		t.Errorf("lines lack the script's output: %+v", lines)
	}
	raw, err := c.TaskRawLog(ctx, ex.TaskID)
	if err != nil || !strings.Contains(raw, "Hello from Acme") {
		t.Errorf("raw = %q, %v", raw, err)
	}
	if got, err := c.Task(ctx, ex.TaskID); err != nil || got.State != steps.TaskSuccess || got.SpaceID != f.space {
		t.Errorf("task = %+v, %v", got, err)
	}
	if _, err := c.Task(ctx, "ServerTasks-999"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing task: err = %v, want not found", err)
	}
}

func TestFacadeDeploymentAndCancel(t *testing.T) {
	t.Parallel()
	f, wait := newFacadeFixture(t, `echo started; sleep 30`)
	ctx, c := t.Context(), f.c
	for _, v := range []string{"1.0.0", "1.0.1"} {
		if err := c.postRaw(ctx, spacePath(f.space, "releases"), map[string]any{"ProjectId": f.project, "Version": v}, nil); err != nil {
			t.Fatal(err)
		}
	}
	chs, err := c.ProjectChannels(ctx, f.space, f.project)
	if err != nil || len(chs) != 1 || chs[0].Name != "Default" {
		t.Fatalf("channels = %v, %v", chs, err)
	}
	rels, err := c.ProjectReleases(ctx, f.space, f.project)
	if err != nil || len(rels) != 2 || rels[0].Version != "1.0.1" || rels[0].ChannelID != chs[0].ID || rels[0].Assembled.IsZero() {
		t.Fatalf("releases = %+v, %v", rels, err)
	}
	ex, err := c.StartDeployment(ctx, f.space, steps.DeploymentRequest{ProjectID: f.project, ReleaseID: rels[0].ID, EnvironmentID: f.env, TenantID: f.tenant})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CancelTask(ctx, ex.TaskID); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if task, err := c.Task(ctx, ex.TaskID); err != nil || task.State != steps.TaskCanceled {
		t.Errorf("canceled task = %+v, %v", task, err)
	}
	// Canceling a finished task leaves it as it is.
	if err := c.CancelTask(ctx, ex.TaskID); err != nil {
		t.Errorf("cancel a finished task: %v", err)
	}
}

// TestFacadeRunNotRetried: a run is not a named resource, so a POST whose
// answer is lost is reported, never sent twice.
func TestFacadeRunNotRetried(t *testing.T) {
	t.Parallel()
	emu, c := dialEmulator(t)
	emu.FailNext(http.MethodPost, "/api/"+c.sdk.GetSpaceID()+"/runbookRuns", http.StatusInternalServerError, 1)
	_, err := c.StartRunbookRun(t.Context(), c.sdk.GetSpaceID(), steps.RunbookRunRequest{RunbookID: "Runbooks-1", SnapshotID: "RunbookSnapshots-1", EnvironmentID: "Environments-1"})
	if err == nil {
		t.Fatal("start succeeded after a 500")
	}
	n := 0
	for _, r := range emu.Requests() {
		if r.Method == http.MethodPost {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}
}
