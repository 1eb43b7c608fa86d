package fleet

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/octofleet/octofleet/steps"
)

// DefaultParallel is the number of targets worked on at once per instance.
const DefaultParallel = 4

// Options configure an Engine.
type Options struct {
	// Keys are the API keys by instance URL; the hub's included.
	Keys Keys
	// Parallel bounds the targets worked on at once per instance (default
	// DefaultParallel).
	Parallel int
	// RateLimitPerMinute is each instance's request limit (0: none), shared
	// by all its workers.
	RateLimitPerMinute int
	// Package is the octofleet package facade projects carry (as the Create
	// Facade Project runbook's step uploads the package it runs from).
	Package *steps.PackageFile
	// BackupDir receives clone-instance-settings' backups (default: the
	// current folder).
	BackupDir string
	// HTTPClient is the base HTTP client; Logger gets diagnostics.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Retry is each connection's retry budget and backoff.
	Retry Retry
	// Progress, when set, is called after every finished target.
	Progress func(Progress)
}

// Progress is a run's state after a target finished.
type Progress struct {
	Done, Total, Failed int
	Calls               int
	Elapsed             time.Duration
}

// Engine plans and applies the steps of a fleet's targets.
type Engine struct {
	opts Options
	keys Keys
	pool *Pool
}

// New returns an engine whose connections live as long as ctx.
func New(ctx context.Context, opts Options) *Engine {
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	keys := Keys{}
	maps.Copy(keys, opts.Keys)
	return &Engine{opts: opts, keys: keys, pool: NewPool(ctx, PoolOptions{
		Keys: keys, RateLimitPerMinute: opts.RateLimitPerMinute, HTTPClient: opts.HTTPClient, Logger: opts.Logger, Retry: opts.Retry,
	})}
}

// Pool returns the engine's connections (one per instance).
func (e *Engine) Pool() *Pool { return e.pool }

// Mode is what Run does with each step's plan.
type Mode int

// The modes.
const (
	PlanOnly Mode = iota // drift: plan every step, write nothing
	ApplyAll             // apply: plan and apply every step
)

// StepResult is one step of a target.
type StepResult struct {
	Name string     `json:"name"`
	Step string     `json:"step"`
	Plan steps.Plan `json:"plan"`
	// Changes counts the plan's changes that are not no-ops.
	Changes int `json:"changes"`
	// Applied is set when the plan was applied.
	Applied bool          `json:"applied,omitempty"`
	Outputs steps.Outputs `json:"outputs,omitempty"`
	// Pending says why the step was not planned (it needs an earlier
	// step's output that only applying produces).
	Pending string `json:"pending,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Result is a target's outcome.
type Result struct {
	Target  Target       `json:"target"`
	Steps   []StepResult `json:"steps"`
	Changes int          `json:"changes"`
	Error   string       `json:"error,omitempty"`
	err     error
}

// Err is the target's failure, nil when it succeeded.
func (r Result) Err() error { return r.err }

// Drifted reports whether a plan had changes (or a step is pending on one).
func (r Result) Drifted() bool {
	if r.Changes > 0 {
		return true
	}
	for _, s := range r.Steps {
		if s.Pending != "" {
			return true
		}
	}
	return false
}

// MissingKeys checks, before anything is sent, that every instance the
// targets reach has a key: the error names each tenant and instance
// without one (exit 80).
func (e *Engine) MissingKeys(targets []Target) error {
	var lines []string
	for _, t := range targets {
		if t.Problem == "" {
			lines = append(lines, e.missingKeys(t)...)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return &steps.InputError{Field: "instance keys", Err: errors.New(joinLines(lines))}
}

// Run plans (and with ApplyAll applies) every target's steps. Targets run
// concurrently, at most Parallel at once per instance (the target's own
// instance); a failed target does not stop the others. Results come in the
// order of targets.
func (e *Engine) Run(ctx context.Context, targets []Target, mode Mode) []Result {
	start := time.Now()
	results := make([]Result, len(targets))
	queues := map[string]chan int{}
	var order []string
	for i, t := range targets {
		u := NormalizeURL(t.Instance)
		if queues[u] == nil {
			queues[u] = make(chan int, len(targets))
			order = append(order, u)
		}
		queues[u] <- i
	}
	var (
		wg           sync.WaitGroup
		done, failed atomic.Int64
		progressMu   sync.Mutex
	)
	for _, u := range order {
		q := queues[u]
		close(q)
		for w := 0; w < min(e.opts.Parallel, len(q)); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range q {
					results[i] = e.runTarget(ctx, targets[i], mode)
					n := done.Add(1)
					if results[i].err != nil {
						failed.Add(1)
					}
					if e.opts.Progress != nil {
						progressMu.Lock()
						e.opts.Progress(Progress{Done: int(n), Total: len(targets), Failed: int(failed.Load()), Calls: e.pool.Calls(), Elapsed: time.Since(start)})
						progressMu.Unlock()
					}
				}
			}()
		}
	}
	wg.Wait()
	return results
}

// runTarget runs a target's steps in order; the first failure ends it.
// Every step is built (its input decoded and rendered) before any plan, so
// bad input fails the target before anything is written for it.
func (e *Engine) runTarget(ctx context.Context, t Target, mode Mode) Result {
	res := Result{Target: t}
	fail := func(err error) Result {
		res.err, res.Error = err, err.Error()
		return res
	}
	if t.Problem != "" {
		return fail(&steps.InputError{Field: "tenant " + t.Tenant, Err: errors.New(t.Problem)})
	}
	if lines := e.missingKeys(t); len(lines) > 0 {
		return fail(&steps.InputError{Field: "instance keys", Err: errors.New(joinLines(lines))})
	}
	for _, spec := range t.Steps {
		var w *errWaitsForOutput
		if _, err := e.build(t, spec, nil); err != nil && !errors.As(err, &w) {
			return fail(stepErr(spec, err))
		}
	}
	outputs := map[string]steps.Outputs{}
	for _, spec := range t.Steps {
		sr := StepResult{Name: spec.Name, Step: spec.Step}
		b, err := e.build(t, spec, outputs)
		var w *errWaitsForOutput
		if errors.As(err, &w) && mode == PlanOnly {
			sr.Pending = w.Error()
			res.Steps = append(res.Steps, sr)
			continue
		}
		if err != nil {
			sr.Error = err.Error()
			res.Steps = append(res.Steps, sr)
			return fail(stepErr(spec, err))
		}
		plan, err := b.step.Plan(ctx, b.oct)
		if err != nil && mode == PlanOnly && res.Changes > 0 && errors.Is(err, steps.ErrNotFound) {
			// What is missing is what an earlier step would create (the
			// tenant's space): the plan can only be made after that apply.
			sr.Pending = "after the changes above: " + err.Error()
			res.Steps = append(res.Steps, sr)
			continue
		}
		if err != nil {
			sr.Error = err.Error()
			res.Steps = append(res.Steps, sr)
			return fail(stepErr(spec, err))
		}
		sr.Plan = plan
		for _, c := range plan.Changes {
			if c.Action != steps.NoOp {
				sr.Changes++
			}
		}
		res.Changes += sr.Changes
		sr.Outputs = maps.Clone(plan.Outputs)
		if mode == ApplyAll && !plan.Empty() {
			// Converge: another worker or run that created an object of
			// this plan meanwhile is adopted, not a failure.
			_, applied, err := steps.Converge(ctx, b.oct, b.step, plan)
			if err != nil {
				sr.Error = err.Error()
				res.Steps = append(res.Steps, sr)
				return fail(stepErr(spec, err))
			}
			sr.Applied = true
			if sr.Outputs == nil {
				sr.Outputs = steps.Outputs{}
			}
			maps.Copy(sr.Outputs, applied)
		}
		outputs[spec.Name] = sr.Outputs
		res.Steps = append(res.Steps, sr)
	}
	return res
}

// StepError is a target's failure in one of its steps.
type StepError struct {
	Runbook, Step string
	Err           error
}

func (e *StepError) Error() string {
	return e.Runbook + " / " + e.Step + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

func stepErr(spec StepSpec, err error) error {
	return &StepError{Runbook: spec.Runbook, Step: spec.Name, Err: err}
}

// SetPackage sets the package facade projects carry; call it before Run.
func (e *Engine) SetPackage(p *steps.PackageFile) { e.opts.Package = p }
