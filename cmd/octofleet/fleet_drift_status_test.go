package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/fleet"
	"github.com/octofleet/octofleet/internal/fleet/fleettest"
	"github.com/octofleet/octofleet/runbooks"
)

// TestFleetStatusDrift: fleet status shows the drift state the Check Drift
// runbook records on each tenant (read back from the tenants' variables):
// drifted with its changes, in line, error, or "-" when never checked,
// each with when and the task.
func TestFleetStatusDrift(t *testing.T) {
	t.Parallel()
	fx := fleettest.New(t)
	record := func(tenant, drifted, changes, task string) {
		t.Helper()
		r := runAgainst(t, fx.Hub.URL(), fleettest.HubAPIKey, "--space", fleettest.Space, "register-tenant", "--name", tenant,
			"--variable", runbooks.VarDrifted+"="+drifted, "--variable", runbooks.VarDriftChanges+"="+changes,
			"--variable", runbooks.VarDriftChecked+"=2026-12-01T03:00:00Z", "--variable", runbooks.VarDriftTask+"="+task)
		if r.code != 0 {
			t.Fatalf("record drift on %s: exit %d\n%s\n%s", tenant, r.code, r.stdout, r.stderr)
		}
	}
	record("Business Unit A", fleet.DriftedTrue, "3", "ServerTasks-42")
	record("Business Unit B", fleet.DriftedFalse, "0", "ServerTasks-43")
	record("EU Region", fleet.DriftedError, "0", "ServerTasks-44")

	r := runFleet(t, fx, "status")
	if r.code != 0 {
		t.Fatalf("status: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(r.stdout, "\n") {
		for _, tn := range fleettest.Tenants {
			if strings.HasPrefix(l, tn.Name+" ") {
				lines[tn.Name] = l
			}
		}
	}
	for tenant, want := range map[string]string{
		"Business Unit A": "drifted, 3 changes (2026-12-01T03:00:00Z, ServerTasks-42)",
		"Business Unit B": "in line (2026-12-01T03:00:00Z, ServerTasks-43)",
		"EU Region":       "error: the check failed: see the task log (2026-12-01T03:00:00Z, ServerTasks-44)",
	} {
		if !strings.HasSuffix(strings.TrimSpace(lines[tenant]), want) {
			t.Errorf("%s: status line %q does not end in %q", tenant, lines[tenant], want)
		}
	}
	for _, tn := range fleettest.Tenants {
		if tn.Tag == runbooks.TagFacade && !strings.HasSuffix(strings.TrimSpace(lines[tn.Name]), " -") {
			t.Errorf("%s was never checked: status line %q", tn.Name, lines[tn.Name])
		}
	}

	r = runAgainst(t, fx.Hub.URL(), fleettest.HubAPIKey, append([]string{"--output", "json"}, fleetArgs(t, fx, "status", "--tenant", "Business Unit A")...)...)
	var st fleet.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Rows) != 1 {
		t.Fatalf("status --output json: %v\n%s", err, r.stdout)
	}
	if d := st.Rows[0].Drift; d.State != fleet.DriftDrifted || d.Changes != "3" || d.TaskID != "ServerTasks-42" || d.When.IsZero() {
		t.Errorf("json drift = %+v", d)
	}
}
