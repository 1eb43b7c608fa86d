package fleet

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/runbooks"
)

// LastRun is a runbook's last run for a tenant.
type LastRun struct {
	State  string    `json:"state"`
	When   time.Time `json:"when"`
	TaskID string    `json:"taskId"`
}

// StatusRow is a tenant's status.
type StatusRow struct {
	Target Target `json:"target"`
	// Runs are each runbook's last run for the tenant, by runbook name.
	Runs map[string]LastRun `json:"runs,omitempty"`
	// ServerVersion is the version the tenant's instance reports.
	ServerVersion string `json:"serverVersion,omitempty"`
	// Drift is the tenant's last drift check: what the Check Drift runbook
	// recorded on the tenant, against that runbook's last run.
	Drift DriftStatus `json:"driftCheck"`
}

// DriftSummary is the row's drift column: "error: …" for a target that
// cannot be checked, else its last drift check (DriftStatus.String).
func (r StatusRow) DriftSummary() string {
	if r.Target.Problem != "" {
		return "error: " + r.Target.Problem
	}
	return r.Drift.String()
}

// Status is the fleet's state, as fleet status shows it.
type Status struct {
	Rows []StatusRow `json:"rows"`
	// Versions are the server versions by instance URL ("" when it could
	// not be read) and Errors why not.
	Versions map[string]string `json:"versions"`
	Errors   map[string]string `json:"errors,omitempty"`
}

// LastRuns reads each tenant's last run of each runbook of the fleet's
// project on the hub: the project's runbooks and runbook runs, then the
// runs' tasks a hundred at a time — a handful of reads for the whole fleet.
// The result maps tenant Id -> runbook name -> run (none when the fleet has
// no hub project, as a fleet file's has not).
func LastRuns(ctx context.Context, hub *octopus.Client, f *Fleet) (map[string]map[string]LastRun, error) {
	runs := map[string]map[string]LastRun{}
	if f.Hub.ProjectID == "" {
		return runs, nil
	}
	rbs, err := hub.Runbooks(ctx, f.Hub.SpaceID)
	if err != nil {
		return nil, err
	}
	rbName := map[string]string{}
	for _, rb := range rbs {
		rbName[rb.ID] = rb.Name
	}
	all, err := hub.ProjectRunbookRuns(ctx, f.Hub.SpaceID, f.Hub.ProjectID)
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Created.After(all[j].Created) })
	var taskIDs []string
	for _, r := range all {
		if runs[r.TenantID] == nil {
			runs[r.TenantID] = map[string]LastRun{}
		}
		name := rbName[r.RunbookID]
		if _, seen := runs[r.TenantID][name]; seen {
			continue
		}
		runs[r.TenantID][name] = LastRun{When: r.Created, TaskID: r.TaskID}
		taskIDs = append(taskIDs, r.TaskID)
	}
	tasks, err := hub.Tasks(ctx, taskIDs)
	if err != nil {
		return nil, err
	}
	state := map[string]string{}
	for _, t := range tasks {
		state[t.ID] = t.State
	}
	for _, byName := range runs {
		for n, r := range byName {
			r.State = state[r.TaskID]
			byName[n] = r
		}
	}
	return runs, nil
}

// Status reads each tenant's last runbook runs from the hub (LastRuns) and
// each instance's server version (one read per instance). The drift state
// comes with the fleet (Target.Drift, the tenant's variables); the last
// Check Drift run says whether it is current.
func (e *Engine) Status(ctx context.Context, f *Fleet, targets []Target) (Status, error) {
	st := Status{Versions: map[string]string{}, Errors: map[string]string{}}
	runs := map[string]map[string]LastRun{}
	if f.Hub.ProjectID != "" {
		hub, err := e.pool.Client(f.Hub.URL)
		if err != nil {
			return st, err
		}
		if runs, err = LastRuns(ctx, hub, f); err != nil {
			return st, err
		}
	}
	var instances []string
	for _, t := range targets {
		if u := NormalizeURL(t.Instance); u != "" && !slices.Contains(instances, u) {
			instances = append(instances, u)
		}
	}
	for _, u := range instances {
		cl, err := e.pool.Client(u)
		if err == nil {
			st.Versions[u], err = cl.ServerVersion(ctx)
		}
		if err != nil {
			st.Versions[u], st.Errors[u] = "", err.Error()
		}
	}
	for _, t := range targets {
		row := StatusRow{Target: t, Runs: runs[t.TenantID], ServerVersion: st.Versions[NormalizeURL(t.Instance)]}
		row.Drift = driftStatus(t.Drift, row.Runs[runbooks.RunbookCheckDrift])
		st.Rows = append(st.Rows, row)
	}
	return st, nil
}
