package steps

import (
	"context"
	"time"
)

// FacadeOctopus is the part of the port that create-facade-project and
// trigger use on top of SpaceOctopus and TemplateOctopus: tenants, runbook
// snapshots, releases, starting runbook runs and deployments, and server
// tasks with their logs.
//
// Every method takes the space ID explicitly, except the task methods: task
// IDs are unique on the instance (/api/tasks/{id}).
type FacadeOctopus interface {
	// FacadeTenants returns the tenants of the space (Id and Name).
	FacadeTenants(ctx context.Context, spaceID string) ([]Ref, error)
	// PublishedRunbookSnapshot returns the Id of the runbook's published
	// snapshot, "" when none is published. ErrNotFound when the runbook is gone.
	PublishedRunbookSnapshot(ctx context.Context, spaceID, runbookID string) (string, error)
	// PublishRunbookSnapshot freezes the runbook's current process and
	// variables into a new snapshot and publishes it (what "Publish" does in
	// the web portal). Returns the new snapshot's Id.
	PublishRunbookSnapshot(ctx context.Context, spaceID string, r Runbook) (string, error)
	// ProjectChannels returns the channels of a project (Id and Name).
	ProjectChannels(ctx context.Context, spaceID, projectID string) ([]Ref, error)
	// ProjectReleases returns the releases of a project, newest first.
	ProjectReleases(ctx context.Context, spaceID, projectID string) ([]Release, error)
	// StartRunbookRun runs the runbook snapshot r.SnapshotID in an
	// environment for one tenant (POST runbookRuns) and returns its task.
	StartRunbookRun(ctx context.Context, spaceID string, r RunbookRunRequest) (Execution, error)
	// StartDeployment deploys a release to an environment for one tenant
	// (POST deployments) and returns its task.
	StartDeployment(ctx context.Context, spaceID string, d DeploymentRequest) (Execution, error)
	// Task returns a server task's state.
	Task(ctx context.Context, taskID string) (Task, error)
	// TaskDetails returns a server task's state and its log lines so far, in
	// log order (GET /api/tasks/{id}/details), in one request.
	TaskDetails(ctx context.Context, taskID string) (Task, []TaskLogLine, error)
	// TaskRawLog returns a server task's log as text (GET /api/tasks/{id}/raw).
	TaskRawLog(ctx context.Context, taskID string) (string, error)
	// CancelTask asks the server to cancel a task; a finished task is left as it is.
	CancelTask(ctx context.Context, taskID string) error
}

// Release is a release of a project.
type Release struct {
	ID        string
	ProjectID string
	ChannelID string
	Version   string
	Assembled time.Time
}

// RunbookRunRequest asks for one runbook run. All fields hold Ids.
type RunbookRunRequest struct {
	ProjectID     string
	RunbookID     string
	SnapshotID    string
	EnvironmentID string
	TenantID      string
}

// DeploymentRequest asks for one deployment. All fields hold Ids.
type DeploymentRequest struct {
	ProjectID     string
	ReleaseID     string
	EnvironmentID string
	TenantID      string
}

// Execution is a started runbook run or deployment: its own Id and the Id
// of the server task that executes it.
type Execution struct {
	ID     string
	TaskID string
}

// The states of a server task (TaskState in the Octopus API).
const (
	TaskQueued     = "Queued"
	TaskExecuting  = "Executing"
	TaskCancelling = "Cancelling"
	TaskSuccess    = "Success"
	TaskFailed     = "Failed"
	TaskCanceled   = "Canceled"
	TaskTimedOut   = "TimedOut"
)

// Task is a server task's state.
type Task struct {
	ID           string
	SpaceID      string
	Description  string
	State        string
	IsCompleted  bool
	ErrorMessage string
}

// TaskLogLine is one line of a task log. Activity is the Id of the log
// activity (task, step or action) it belongs to and Number its position in
// that activity, so (Activity, Number) identifies a line across reads.
type TaskLogLine struct {
	Activity     string
	ActivityName string
	Number       int
	Category     string // Info, Verbose, Warning, Error, Highlight, Fatal
	Text         string
}
