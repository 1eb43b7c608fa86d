package demo

import (
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/fleet"
	"github.com/octofleet/octofleet/runbooks"
)

// TestCheckDriftRunbook: on the hub with octofleet installed, Check Drift
// for a tenant its runbooks brought in line succeeds and records False on
// the tenant; for a tenant that drifted (a seeded template deleted, a space
// never created) its task fails and it records True and the changes; for
// a tenant whose instance refuses the key it fails and records Error; fleet
// status reads both back through the API, with the time and task. The
// task logs never show an API key.
func TestCheckDriftRunbook(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	t.Parallel()
	srv, oct := hubWithOctofleet(t)
	ctx := t.Context()
	vars := func(space string) map[string]string {
		return map[string]string{runbooks.VarSpaceName: space, runbooks.VarInstanceURL: srv.URL(), runbooks.VarInstanceAPIKey: srv.APIKey()}
	}
	register(t, oct, "Alpha", vars("Alpha Space"))
	register(t, oct, "Beta", vars("Beta Space"))
	register(t, oct, "Gamma", vars("Gamma Space"))
	// Delta's instance refuses its key: its check fails.
	wrong := vars("Delta Space")
	wrong[runbooks.VarInstanceURL] = strings.Replace(srv.URL(), "127.0.0.1", "localhost", 1)
	wrong[runbooks.VarInstanceAPIKey] = "API-WRONGKEY000000000000000000000"
	register(t, oct, "Delta", wrong)
	for _, tenant := range []string{"Alpha", "Beta"} {
		for _, rb := range []string{runbooks.RunbookCreateSpace, runbooks.RunbookSeedTemplates} {
			if log, err := runRunbook(ctx, oct, tenant, rb); err != nil {
				t.Fatalf("%s for %s: %v\n%s", rb, tenant, err, log)
			}
		}
	}
	// Beta drifts: one of its seeded templates is deleted. Gamma's runbooks
	// never ran: its space is missing.
	betaSpace := spaceIDOf(t, oct, "Beta Space")
	templates, err := oct.ActionTemplates(ctx, betaSpace)
	if err != nil || len(templates) == 0 {
		t.Fatalf("Beta's templates: %v, %v", templates, err)
	}
	if err := oct.DeleteActionTemplate(ctx, betaSpace, templates[0].ID); err != nil {
		t.Fatal(err)
	}

	logs := map[string]string{}
	for tenant, wantFail := range map[string]bool{"Alpha": false, "Beta": true, "Gamma": true, "Delta": true} {
		log, err := runRunbook(ctx, oct, tenant, runbooks.RunbookCheckDrift)
		logs[tenant] = log
		if (err != nil) != wantFail {
			t.Fatalf("Check Drift for %s: err = %v, want failed = %v\n%s", tenant, err, wantFail, log)
		}
		if wantFail && !strings.Contains(err.Error(), "ended Failed") {
			t.Errorf("Check Drift for %s: %v, want its task failed", tenant, err)
		}
		if strings.Contains(log, srv.APIKey()) || strings.Contains(log, wrong[runbooks.VarInstanceAPIKey]) {
			t.Errorf("the Check Drift log of %s shows the API key", tenant)
		}
	}
	if !strings.Contains(logs["Delta"], "the drift check failed") {
		t.Errorf("Delta's Check Drift log does not say the check failed:\n%s", logs["Delta"])
	}
	if !strings.Contains(logs["Beta"], "drifted") {
		t.Errorf("Beta's Check Drift log does not say it drifted:\n%s", logs["Beta"])
	}
	for tenant, want := range map[string]string{"Alpha": fleet.DriftedFalse, "Beta": fleet.DriftedTrue, "Gamma": fleet.DriftedTrue, "Delta": fleet.DriftedError} {
		if got := tenantVariable(t, oct, tenant, runbooks.VarDrifted); got != want {
			t.Errorf("%s: %s = %q, want %q\n%s", tenant, runbooks.VarDrifted, got, want, logs[tenant])
		}
		task := tenantVariable(t, oct, tenant, runbooks.VarDriftTask)
		if !strings.HasPrefix(task, "ServerTasks-") || !strings.Contains(logs[tenant], "task "+task+".") {
			t.Errorf("%s: %s = %q, want the run's task", tenant, runbooks.VarDriftTask, task)
		}
	}
	if got := tenantVariable(t, oct, "Beta", runbooks.VarDriftChanges); got != "1" {
		t.Errorf("Beta: %s = %q, want 1 (the deleted template)", runbooks.VarDriftChanges, got)
	}

	// fleet status reads it back.
	e := fleet.New(ctx, fleet.Options{Keys: fleet.Keys{fleet.NormalizeURL(srv.URL()): srv.APIKey()}})
	f, err := e.LoadHub(ctx, srv.URL(), ManagementSpace)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.Status(ctx, f, f.Targets)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]fleet.StatusRow{}
	for _, r := range st.Rows {
		got[r.Target.Tenant] = r
	}
	for tenant, want := range map[string]string{"Alpha": fleet.DriftInLine, "Beta": fleet.DriftDrifted, "Gamma": fleet.DriftDrifted, "Delta": fleet.DriftError} {
		row := got[tenant]
		last := row.Runs[runbooks.RunbookCheckDrift]
		if row.Drift.State != want || row.Drift.TaskID == "" || row.Drift.TaskID != last.TaskID || row.Drift.When.IsZero() {
			t.Errorf("%s: status drift = %+v (last Check Drift run %+v), want %s with the run's task and time", tenant, row.Drift, last, want)
		}
	}
	if got["Beta"].Drift.Changes != "1" {
		t.Errorf("Beta: status changes = %q, want 1", got["Beta"].Drift.Changes)
	}
}
