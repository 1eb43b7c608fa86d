package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/octofleet/octofleet/steps"
)

// RunbookRun asks the hub to run a runbook for each target's tenant, the
// Octopus way: Octopus executes the runs (with its task cap and audit
// trail); the engine starts them (trigger's plan and apply) and follows each
// task to its end unless NoWait.
type RunbookRun struct {
	Runbook string
	NoWait  bool
	// Timeout bounds each task's wait (a Go duration; default trigger's).
	Timeout string
	// TailLines is how much of a failed task's log a result keeps (default 20).
	TailLines int
	// PollMin and PollMax shape the polling (trigger's defaults when zero).
	PollMin, PollMax time.Duration
}

// RunResult is one tenant's runbook run.
type RunResult struct {
	Tenant string `json:"tenant"`
	TaskID string `json:"taskId,omitempty"`
	State  string `json:"state,omitempty"`
	Error  string `json:"error,omitempty"`
	// LogTail is the end of a failed task's log.
	LogTail string `json:"logTail,omitempty"`
}

// Failed reports whether the run could not start or its task did not succeed.
func (r RunResult) Failed() bool {
	return r.Error != "" || r.State == steps.TaskFailed || r.State == steps.TaskCanceled
}

// RunRunbook runs rr for every target on the fleet's hub, at most Parallel
// at once. Results come in the order of targets.
func (e *Engine) RunRunbook(ctx context.Context, f *Fleet, targets []Target, rr RunbookRun) []RunResult {
	if rr.TailLines <= 0 {
		rr.TailLines = 20
	}
	out := make([]RunResult, len(targets))
	hub, err := e.pool.Octopus(f.Hub.URL)
	if err != nil {
		for i, t := range targets {
			out[i] = RunResult{Tenant: t.Tenant, Error: err.Error()}
		}
		return out
	}
	sem := make(chan struct{}, e.opts.Parallel)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = e.runOne(ctx, hub, f.Hub, t, rr)
		}()
	}
	wg.Wait()
	return out
}

func (e *Engine) runOne(ctx context.Context, hub steps.Octopus, h Hub, t Target, rr RunbookRun) RunResult {
	res := RunResult{Tenant: t.Tenant}
	if t.TenantID == "" {
		res.Error = "the tenant is not in the hub (a fleet file's tenant): it has no runbook runs"
		return res
	}
	env := t.Environment
	if env == "" {
		env = h.Environment
	}
	var log bytes.Buffer
	trig := steps.Trigger{
		In:  steps.TriggerInput{Space: h.Space, Project: steps.DefaultProject, Tenant: t.Tenant, Environment: env, Runbook: rr.Runbook, Timeout: rr.Timeout, NoWait: rr.NoWait},
		Log: &log, PollMin: rr.PollMin, PollMax: rr.PollMax,
	}
	plan, err := trig.Plan(ctx, hub)
	if err == nil {
		var outs steps.Outputs
		outs, err = trig.Apply(ctx, hub, plan)
		res.TaskID, res.State = outs[steps.OutputTaskID], outs[steps.OutputTaskState]
	}
	if err != nil {
		var ie *steps.InputError
		if errors.As(err, &ie) {
			err = fmt.Errorf("bad input: %w", err)
		}
		res.Error = err.Error()
		res.LogTail = tail(log.String(), rr.TailLines)
	}
	return res
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
