package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// CheckDriftInput is the check-drift step's input
// (schemas/check-drift.schema.json).
type CheckDriftInput struct {
	Tenant string `json:"tenant,omitempty" help:"Name of the tenant to check (default: --tenant-name)." placeholder:"NAME"`
}

// Render expands the tenant's Go template ({{ .Tenant.Name }}).
func (in CheckDriftInput) Render(data steps.TemplateData) (CheckDriftInput, error) {
	var err error
	in.Tenant, err = steps.Render("tenant", in.Tenant, data)
	return in, err
}

// The values of the Drifted output and tenant variable.
const (
	DriftedTrue  = "True"
	DriftedFalse = "False"
	DriftedError = "Error"
)

// Outputs of the check-drift step, which the Check Drift runbook's Record
// Drift step writes onto the tenant (runbooks.VarDrifted …).
const (
	OutputDrifted = "Drifted"
	OutputChanges = "Changes"
	OutputChecked = "Checked"
	OutputError   = "Error"
)

// DriftCheck is one tenant's drift check.
type DriftCheck struct {
	Tenant  string    `json:"tenant"`
	Checked time.Time `json:"checked"`
	// Result is the tenant's plan; its Err (or Error below) says why the
	// check failed.
	Result Result `json:"result"`
	// Error is a failure before the tenant's steps were planned (the hub
	// could not be read, no such tenant).
	Error string `json:"error,omitempty"`
	err   error
}

// Err is the check's failure (loading the fleet or planning the tenant),
// nil when the tenant could be checked.
func (d DriftCheck) Err() error {
	if d.err != nil {
		return d.err
	}
	return d.Result.Err()
}

// Drifted is DriftedTrue, DriftedFalse or DriftedError.
func (d DriftCheck) Drifted() string {
	switch {
	case d.Err() != nil:
		return DriftedError
	case d.Result.Drifted():
		return DriftedTrue
	}
	return DriftedFalse
}

// Outputs are the check's output variables; every one is set, whatever the
// outcome, so the runbook's Record Drift step always has its values.
func (d DriftCheck) Outputs() steps.Outputs {
	msg := ""
	if err := d.Err(); err != nil {
		msg = err.Error()
	}
	return steps.Outputs{
		OutputDrifted: d.Drifted(),
		OutputChanges: fmt.Sprint(d.Result.Changes),
		OutputChecked: d.Checked.UTC().Format(time.RFC3339),
		OutputError:   msg,
	}
}

// CheckDriftOptions are what a drift check needs beyond the engine's keys.
type CheckDriftOptions struct {
	// TargetKey is the API key of the tenant's own instance when the engine
	// has none (the runbook hands over the tenant's Octofleet.InstanceApiKey).
	TargetKey string
	// Package returns the package a facade carries; called only for a
	// facade tenant (reading the binary costs time otherwise wasted).
	Package func() (*steps.PackageFile, error)
}

// CheckDrift plans every step of one tenant of the management space at
// hubURL/space — the steps of its pattern's runbooks, derived as for fleet
// drift — and writes nothing.
func (e *Engine) CheckDrift(ctx context.Context, hubURL, space, tenant string, opts CheckDriftOptions) DriftCheck {
	d := DriftCheck{Tenant: tenant, Checked: time.Now()}
	fail := func(err error) DriftCheck {
		d.err, d.Error = err, err.Error()
		return d
	}
	if tenant == "" {
		return fail(&steps.InputError{Field: "tenant", Err: errors.New("no tenant to check: give tenant or --tenant-name")})
	}
	f, err := e.LoadHub(ctx, hubURL, space)
	if err != nil {
		return fail(err)
	}
	targets, err := f.Select([]string{tenant}, nil)
	if err != nil {
		return fail(err)
	}
	t := targets[0]
	if _, ok := e.keys.For(t.Instance); !ok && opts.TargetKey != "" {
		e.keys.Add(t.Instance, opts.TargetKey)
	}
	if t.Pattern == Facade && opts.Package != nil {
		pkg, err := opts.Package()
		if err != nil {
			return fail(err)
		}
		e.SetPackage(pkg)
	}
	d.Result = e.Run(ctx, targets, PlanOnly)[0]
	return d
}

// Drift states fleet status shows.
const (
	DriftInLine     = "in line"
	DriftDrifted    = "drifted"
	DriftError      = "error"
	DriftRunning    = "running"
	DriftNotChecked = "not checked"
)

// DriftStatus is a tenant's drift as fleet status shows it: what its last
// Check Drift run recorded on the tenant, checked against that run's task.
type DriftStatus struct {
	State   string    `json:"state"`
	Changes string    `json:"changes,omitempty"`
	When    time.Time `json:"when,omitzero"`
	TaskID  string    `json:"taskId,omitempty"`
	// Detail says why the state is error.
	Detail string `json:"detail,omitempty"`
}

// driftStatus combines the tenant's recorded drift (Target.Drift, from its
// variables) with the last Check Drift run (last, zero when none): the run
// is the newer fact when it did not record (its task failed before the
// Record Drift step, or it is still running).
func driftStatus(rec DriftState, last LastRun) DriftStatus {
	st := DriftStatus{State: DriftNotChecked, Changes: rec.Changes, TaskID: rec.Task}
	if t, err := time.Parse(time.RFC3339, rec.Checked); err == nil {
		st.When = t
	}
	switch rec.Drifted {
	case DriftedTrue:
		st.State = DriftDrifted
	case DriftedFalse:
		st.State = DriftInLine
	case DriftedError:
		st.State, st.Detail = DriftError, "the check failed: see the task log"
	}
	if last.TaskID == "" || last.TaskID == rec.Task {
		return st
	}
	// The last run is not the one recorded.
	switch last.State {
	case steps.TaskSuccess:
		// A run succeeds only when the tenant is in line.
		return DriftStatus{State: DriftInLine, When: last.When, TaskID: last.TaskID}
	case steps.TaskFailed, steps.TaskCanceled, steps.TaskTimedOut:
		return DriftStatus{State: DriftError, When: last.When, TaskID: last.TaskID, Detail: "the " + runbooks.RunbookCheckDrift + " run did not record a result: see the task log"}
	case "":
		return st
	}
	return DriftStatus{State: DriftRunning, When: last.When, TaskID: last.TaskID}
}

// String is the state as fleet status prints it: "in line", "drifted, N
// changes", "error: why" or "running", with when and the task; "-" when
// never checked.
func (d DriftStatus) String() string {
	var s string
	switch d.State {
	case DriftNotChecked:
		return "-"
	case DriftDrifted:
		s = "drifted, " + d.Changes + " changes"
	case DriftError:
		s = "error"
		if d.Detail != "" {
			s += ": " + d.Detail
		}
	default:
		s = d.State
	}
	var at []string
	if !d.When.IsZero() {
		at = append(at, d.When.UTC().Format(time.RFC3339))
	}
	if d.TaskID != "" {
		at = append(at, d.TaskID)
	}
	if len(at) > 0 {
		s += " (" + strings.Join(at, ", ") + ")"
	}
	return s
}
