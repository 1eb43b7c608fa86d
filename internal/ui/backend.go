package ui

import (
	"context"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// Instance is what the UI needs of one Octopus instance. *octopus.Client
// implements it (one client, hence one rate limiter, per instance, shared
// by the cache, the dispatcher and the live logs).
type Instance interface {
	ServerVersion(ctx context.Context) (string, error)
	Spaces(ctx context.Context) ([]steps.Space, error)
	Tenants(ctx context.Context, spaceID string) ([]steps.Tenant, error)
	ListTasks(ctx context.Context, f octopus.TaskFilter) (octopus.TaskPage, error)
	Dashboard(ctx context.Context, spaceID string) (octopus.Dashboard, error)
	ProjectReleases(ctx context.Context, spaceID, projectID string) ([]steps.Release, error)
	Runbooks(ctx context.Context, spaceID string) ([]steps.Runbook, error)
	PublishedRunbookSnapshot(ctx context.Context, spaceID, runbookID string) (string, error)
	CreateRelease(ctx context.Context, spaceID, project, version string) (octopus.NamedID, error)
	StartDeployment(ctx context.Context, spaceID string, d steps.DeploymentRequest) (steps.Execution, error)
	StartRunbookRun(ctx context.Context, spaceID string, r steps.RunbookRunRequest) (steps.Execution, error)
	Task(ctx context.Context, taskID string) (steps.Task, error)
	TaskDetails(ctx context.Context, taskID string) (steps.Task, []steps.TaskLogLine, error)
	CancelTask(ctx context.Context, taskID string) error
	Counts() octopus.Counts
}

var _ Instance = (*octopus.Client)(nil)

// Dialer connects to an instance with its resolved API key.
type Dialer func(ctx context.Context, in InstanceConfig, apiKey string) (Instance, error)

// DialOctopus is the Dialer of octofleet ui: the octopus adapter with the
// instance's client-side rate limit (default 200 requests a minute).
func DialOctopus(ctx context.Context, in InstanceConfig, apiKey string) (Instance, error) {
	limit := 200
	if in.RateLimit != nil {
		limit = *in.RateLimit
	}
	c, err := octopus.Dial(ctx, octopus.Options{URL: in.URL, APIKey: apiKey, RateLimitPerMinute: limit})
	if err != nil {
		return nil, err
	}
	return c, nil
}
