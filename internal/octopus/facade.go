package octopus

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/octofleet/octofleet/steps"
)

// The facade methods: tenants, runbook snapshots, channels and releases
// (steps.FacadeOctopus). The SDK's newclient has no call for publishing a
// snapshot or for the resource-style runbook run and deployment creates, so
// these go through the raw helpers with Octopus-shaped structs.

// FacadeTenants implements steps.FacadeOctopus with one GET of /tenants/all.
func (c *Client) FacadeTenants(ctx context.Context, spaceID string) ([]steps.Ref, error) {
	return c.namedRefs(ctx, spacePath(spaceID, "tenants", "all"), "tenants")
}

// PublishedRunbookSnapshot implements steps.FacadeOctopus.
func (c *Client) PublishedRunbookSnapshot(ctx context.Context, spaceID, runbookID string) (string, error) {
	var w struct {
		PublishedRunbookSnapshotID string `json:"PublishedRunbookSnapshotId"`
	}
	if err := c.getRaw(ctx, spacePath(spaceID, "runbooks", runbookID), &w); err != nil {
		return "", fmt.Errorf("read runbook %s: %w", runbookID, err)
	}
	return w.PublishedRunbookSnapshotID, nil
}

// wireSnapshot is the part of RunbookSnapshotResource a publish sends.
type wireSnapshot struct {
	ID        string `json:"Id,omitempty"`
	ProjectID string `json:"ProjectId"`
	RunbookID string `json:"RunbookId"`
	Name      string `json:"Name"`
	Notes     string `json:"Notes,omitempty"`
}

// PublishRunbookSnapshot implements steps.FacadeOctopus: it asks the runbook's
// snapshot template for the next name (what the web portal proposes, e.g.
// "Snapshot 3ZVY6A2"), then POSTs runbookSnapshots?publish=true, which also
// sets the runbook's PublishedRunbookSnapshotId (octopus-api.md §3.7).
// Snapshot names are unique per runbook, so a create whose answer was lost
// is found again by that name.
func (c *Client) PublishRunbookSnapshot(ctx context.Context, spaceID string, r steps.Runbook) (string, error) {
	var tpl struct {
		NextNameIncrement string `json:"NextNameIncrement"`
	}
	if err := c.getRaw(ctx, spacePath(spaceID, "runbooks", r.ID, "runbookSnapshotTemplate"), &tpl); err != nil {
		return "", fmt.Errorf("read snapshot template of runbook %q: %w", r.Name, err)
	}
	name := tpl.NextNameIncrement
	if name == "" {
		name = "Snapshot " + time.Now().UTC().Format("20060102150405")
	}
	snap := wireSnapshot{ProjectID: r.ProjectID, RunbookID: r.ID, Name: name, Notes: "Published by octofleet create-facade-project."}
	got, err := createOnce(ctx, c, fmt.Sprintf("snapshot %q of runbook %q", name, r.Name), func() (wireSnapshot, error) {
		var got wireSnapshot
		err := c.postRaw(ctx, spacePath(spaceID, "runbookSnapshots")+"?publish=true", snap, &got)
		return got, err
	}, func() (wireSnapshot, error) {
		all, err := ListAll[wireSnapshot](ctx, c, spacePath(spaceID, "runbooks", r.ID, "runbookSnapshots"))
		if err != nil {
			return wireSnapshot{}, err
		}
		for _, s := range all {
			if s.Name == name {
				return s, nil
			}
		}
		return wireSnapshot{}, fmt.Errorf("snapshot %q: %w", name, steps.ErrNotFound)
	})
	if err != nil {
		return "", fmt.Errorf("publish a snapshot of runbook %q: %w", r.Name, err)
	}
	return got.ID, nil
}

// ProjectChannels implements steps.FacadeOctopus.
func (c *Client) ProjectChannels(ctx context.Context, spaceID, projectID string) ([]steps.Ref, error) {
	ws, err := ListAll[struct {
		ID   string `json:"Id"`
		Name string `json:"Name"`
	}](ctx, c, spacePath(spaceID, "projects", projectID, "channels"))
	if err != nil {
		return nil, fmt.Errorf("list channels of %s: %w", projectID, err)
	}
	out := make([]steps.Ref, 0, len(ws))
	for _, w := range ws {
		out = append(out, steps.Ref{ID: w.ID, Name: w.Name})
	}
	return out, nil
}

// wireRelease is the part of ReleaseResource trigger reads.
type wireRelease struct {
	ID        string `json:"Id"`
	ProjectID string `json:"ProjectId"`
	ChannelID string `json:"ChannelId"`
	Version   string `json:"Version"`
	Assembled string `json:"Assembled"`
}

// ProjectReleases implements steps.FacadeOctopus: the project's releases in
// the order the server lists them, newest first.
func (c *Client) ProjectReleases(ctx context.Context, spaceID, projectID string) ([]steps.Release, error) {
	ws, err := ListAll[wireRelease](ctx, c, spacePath(spaceID, "projects", projectID, "releases"))
	if err != nil {
		return nil, fmt.Errorf("list releases of %s: %w", projectID, err)
	}
	out := make([]steps.Release, 0, len(ws))
	for _, w := range ws {
		r := steps.Release{ID: w.ID, ProjectID: w.ProjectID, ChannelID: w.ChannelID, Version: w.Version}
		if t, err := time.Parse(time.RFC3339, w.Assembled); err == nil {
			r.Assembled = t
		}
		out = append(out, r)
	}
	return out, nil
}

// wireExecution is the answer of a runbook run or deployment create.
type wireExecution struct {
	ID     string `json:"Id"`
	TaskID string `json:"TaskId"`
}

// StartRunbookRun implements steps.FacadeOctopus with POST runbookRuns
// (RunbookRunResource: RunbookId, RunbookSnapshotId and EnvironmentId are
// required, TenantId runs it for exactly that tenant). A run is not a named
// resource, so it is never retried after an ambiguous failure: the caller
// gets the error rather than a second run.
func (c *Client) StartRunbookRun(ctx context.Context, spaceID string, r steps.RunbookRunRequest) (steps.Execution, error) {
	in := struct {
		ProjectID         string `json:"ProjectId"`
		RunbookID         string `json:"RunbookId"`
		RunbookSnapshotID string `json:"RunbookSnapshotId"`
		EnvironmentID     string `json:"EnvironmentId"`
		TenantID          string `json:"TenantId,omitempty"`
	}{r.ProjectID, r.RunbookID, r.SnapshotID, r.EnvironmentID, r.TenantID}
	return c.startExecution(ctx, spacePath(spaceID, "runbookRuns"), in, "runbook run")
}

// StartDeployment implements steps.FacadeOctopus with POST deployments
// (DeploymentResource: ReleaseId and EnvironmentId required, TenantId for a
// tenanted deployment). Never retried after an ambiguous failure, like
// StartRunbookRun.
func (c *Client) StartDeployment(ctx context.Context, spaceID string, d steps.DeploymentRequest) (steps.Execution, error) {
	in := struct {
		ProjectID     string `json:"ProjectId,omitempty"`
		ReleaseID     string `json:"ReleaseId"`
		EnvironmentID string `json:"EnvironmentId"`
		TenantID      string `json:"TenantId,omitempty"`
	}{d.ProjectID, d.ReleaseID, d.EnvironmentID, d.TenantID}
	return c.startExecution(ctx, spacePath(spaceID, "deployments"), in, "deployment")
}

// startExecution POSTs a runbook run or deployment (what) once, without
// createOnce: see StartRunbookRun.
func (c *Client) startExecution(ctx context.Context, path string, in any, what string) (steps.Execution, error) {
	var got wireExecution
	if err := c.postRaw(ctx, path, in, &got); err != nil {
		return steps.Execution{}, fmt.Errorf("start %s: %w", what, err)
	}
	return steps.Execution{ID: got.ID, TaskID: got.TaskID}, nil
}

// taskPath is /api/tasks/{id}[/sub]: tasks are listed instance-wide.
func taskPath(taskID string, sub ...string) string {
	p := "/api/tasks/" + url.PathEscape(taskID)
	for _, s := range sub {
		p += "/" + url.PathEscape(s)
	}
	return p
}
