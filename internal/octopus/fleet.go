package octopus

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/octofleet/octofleet/steps"
)

// Reads the fleet engine (internal/fleet) makes of a management space in
// bulk, so that loading a fleet of thousands of tenants costs a handful of
// requests rather than one per tenant.

// AllTenantVariables returns every tenant's values for the variable templates
// of projectID, by tenant Id, environment Id and template Id, in one request
// (GET /api/{spaceId}/tenantvariables/all?projectId=…, the TenantVariables
// link of the space root). Sensitive values come back as HasValue only.
func (c *Client) AllTenantVariables(ctx context.Context, spaceID, projectID string) (map[string]map[string]map[string]steps.PropertyValue, error) {
	var ws []struct {
		TenantID string `json:"TenantId"`
		wireTenantVariables
	}
	path := spacePath(spaceID, "tenantvariables", "all") + "?projectId=" + url.QueryEscape(projectID)
	if err := c.getRaw(ctx, path, &ws); err != nil {
		return nil, fmt.Errorf("read tenant variables: %w", err)
	}
	out := make(map[string]map[string]map[string]steps.PropertyValue, len(ws))
	for _, w := range ws {
		byEnv := map[string]map[string]steps.PropertyValue{}
		for env, vals := range w.ProjectVariables[projectID].Variables {
			byEnv[env] = map[string]steps.PropertyValue{}
			for tpl, raw := range vals {
				if v, isNull := valueFromWire(raw); !isNull {
					byEnv[env][tpl] = v
				}
			}
		}
		out[w.TenantID] = byEnv
	}
	return out, nil
}

// RunbookRun is a runbook run as fleet status shows it.
type RunbookRun struct {
	ID        string
	RunbookID string
	TenantID  string
	TaskID    string
	Created   time.Time
}

// ProjectRunbookRuns returns the runbook runs of a project, newest first,
// paged with ListAll (GET /api/{spaceId}/runbookRuns?projects=…).
func (c *Client) ProjectRunbookRuns(ctx context.Context, spaceID, projectID string) ([]RunbookRun, error) {
	type wire struct {
		ID        string `json:"Id"`
		RunbookID string `json:"RunbookId"`
		TenantID  string `json:"TenantId"`
		TaskID    string `json:"TaskId"`
		Created   string `json:"Created"`
	}
	runs, err := listAs(ctx, c, spacePath(spaceID, "runbookRuns")+"?projects="+url.QueryEscape(projectID), func(w *wire) RunbookRun {
		t, _ := time.Parse(time.RFC3339Nano, w.Created)
		return RunbookRun{ID: w.ID, RunbookID: w.RunbookID, TenantID: w.TenantID, TaskID: w.TaskID, Created: t}
	})
	if err != nil {
		return nil, fmt.Errorf("list runbook runs: %w", err)
	}
	return runs, nil
}

// Tasks returns the tasks with the given Ids (GET /api/tasks?ids=…, a
// hundred Ids a request).
func (c *Client) Tasks(ctx context.Context, ids []string) ([]steps.Task, error) {
	var out []steps.Task
	for len(ids) > 0 {
		n := min(len(ids), 100)
		tasks, err := listAs(ctx, c, "/api/tasks?ids="+url.QueryEscape(strings.Join(ids[:n], ",")), func(w *wireTask) steps.Task { return w.domain() })
		if err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		out = append(out, tasks...)
		ids = ids[n:]
	}
	return out, nil
}

// ProjectVariables returns the unscoped, non-sensitive values of a project's
// variables by name (one read of its variable set).
func (c *Client) ProjectVariables(ctx context.Context, spaceID string, p steps.Project) (map[string]string, error) {
	if p.VariableSetID == "" {
		return map[string]string{}, nil
	}
	vs, err := c.VariableSet(ctx, spaceID, p.VariableSetID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, v := range vs.Variables {
		if !v.IsSensitive && isUnscoped(v) {
			out[v.Name] = v.Value
		}
	}
	return out, nil
}

func isUnscoped(v steps.Variable) bool {
	s := v.Scope
	return len(s.Environments)+len(s.Roles)+len(s.TenantTags)+len(s.Machines)+len(s.Channels)+len(s.Actions)+len(s.ProcessOwners) == 0
}
