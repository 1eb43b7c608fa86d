package emulator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// The task runner: runbook runs and deployments become server tasks that a
// bounded pool executes in the background, like a real server's task cap
// (default 5: octopus.com/docs/administration/managing-infrastructure/
// run-multiple-processes-on-a-tentacle-simultaneously and the node's "Task
// cap" setting). Everything a task needs (steps, variables with their
// secrets, package files) is collected when it is queued, under the store
// lock; the task then runs without touching the store and records its
// progress through s.mutate.

// DefaultTaskCap is how many tasks run at once unless SetTaskCap says
// otherwise: the real server's default task cap.
const DefaultTaskCap = 5

// runner is the task pool of one Server, kept as its "runner" extension.
type runner struct {
	srv *Server

	mu       sync.Mutex
	limit    int
	timeout  time.Duration
	running  int
	queue    []*job
	jobs     map[string]*job   // queued or executing, by lower-cased task ID
	packages map[string][]byte // package files, by packageKey
	// idle is closed and replaced whenever a task finishes (for Server.WaitForTasks).
	idle chan struct{}
}

func init() {
	// A closing server cancels its tasks and waits for them to record their
	// end, so that no script outlives it.
	onClose(func(s *Server) error {
		r := s.tasks()
		r.mu.Lock()
		queued := r.queue
		r.queue = nil
		for _, j := range queued {
			delete(r.jobs, strings.ToLower(j.taskID))
		}
		for _, j := range r.jobs {
			j.cancel()
		}
		r.mu.Unlock()
		err := s.mutate(func(c *Call) error {
			for _, j := range queued {
				j.log.add("Info", "The server stopped before the task started.", s.now())
				j.log.setStatus("Canceled", s.now())
				s.finishTask(c, j.taskID, taskCanceled, "The task was canceled: the server stopped.", false, j.log)
			}
			return nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return errors.Join(err, s.WaitForTasks(ctx))
	})
}

// tasks returns the server's runner, creating it on first use.
func (s *Server) tasks() *runner {
	return s.extension("runner", func() any {
		return &runner{srv: s, limit: DefaultTaskCap, jobs: map[string]*job{}, packages: map[string][]byte{}, idle: make(chan struct{})}
	}).(*runner)
}

// SetTaskCap sets how many tasks may execute at once (at least 1); queued
// tasks start as slots free up.
func (s *Server) SetTaskCap(n int) {
	r := s.tasks()
	r.mu.Lock()
	r.limit = max(n, 1)
	r.mu.Unlock()
	r.dispatch()
}

// SetTaskTimeout bounds how long one task may execute (0, the default, means
// no limit); a task that runs longer ends as TimedOut.
func (s *Server) SetTaskTimeout(d time.Duration) {
	r := s.tasks()
	r.mu.Lock()
	r.timeout = d
	r.mu.Unlock()
}

// WaitForTasks blocks until no task is queued or executing, or ctx ends.
func (s *Server) WaitForTasks(ctx context.Context) error {
	r := s.tasks()
	for {
		r.mu.Lock()
		n, idle := len(r.jobs), r.idle
		r.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("wait for %d tasks: %w", n, ctx.Err())
		}
	}
}

// job is one queued or executing task.
type job struct {
	taskID string
	plan   *execPlan
	log    *activity
	ctx    context.Context
	cancel context.CancelFunc
}

func (r *runner) job(taskID string) *job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.jobs[strings.ToLower(taskID)]
}

// enqueue queues a task; it starts when a slot is free.
func (r *runner) enqueue(taskID, description string, plan *execPlan) {
	ctx, cancel := context.WithCancel(context.Background())
	j := &job{taskID: taskID, plan: plan, ctx: ctx, cancel: cancel,
		log: &activity{mu: &sync.Mutex{}, Name: description, Status: "Pending"}}
	r.mu.Lock()
	r.jobs[strings.ToLower(taskID)] = j
	r.queue = append(r.queue, j)
	r.mu.Unlock()
	r.dispatch()
}

// dispatch starts queued tasks while slots are free.
func (r *runner) dispatch() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.running < r.limit && len(r.queue) > 0 {
		j := r.queue[0]
		r.queue = r.queue[1:]
		r.running++
		go r.run(j)
	}
}

type cancelResult int

const (
	cancelNone cancelResult = iota
	cancelQueued
	cancelRunning
)

// cancel takes a queued task off the queue, or stops an executing one.
func (r *runner) cancel(taskID string) cancelResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.jobs[strings.ToLower(taskID)]
	if j == nil {
		return cancelNone
	}
	for i, q := range r.queue {
		if q == j {
			r.queue = append(r.queue[:i:i], r.queue[i+1:]...)
			delete(r.jobs, strings.ToLower(taskID))
			j.cancel()
			r.signalIdle()
			return cancelQueued
		}
	}
	j.cancel()
	return cancelRunning
}

// signalIdle wakes WaitForTasks. Expects r.mu held.
func (r *runner) signalIdle() {
	close(r.idle)
	r.idle = make(chan struct{})
}

// run executes one task and records its result.
func (r *runner) run(j *job) {
	s := r.srv
	defer func() {
		r.mu.Lock()
		r.running--
		delete(r.jobs, strings.ToLower(j.taskID))
		r.signalIdle()
		r.mu.Unlock()
		r.dispatch()
	}()
	r.mu.Lock()
	timeout := r.timeout
	r.mu.Unlock()
	ctx, stop := j.ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, stop = context.WithTimeout(ctx, timeout)
	}
	defer stop()

	start := s.now()
	if err := s.mutate(func(c *Call) error {
		rec := s.st.get(tasksKind.Name, "", j.taskID)
		if rec == nil {
			return nil
		}
		rec.doc["State"] = taskExecuting
		rec.doc["StartTime"] = start.Format(timeLayout)
		rec.doc["LastUpdatedTime"] = start.Format(timeLayout)
		rec.doc["HasBeenPickedUpByProcessor"] = true
		c.Changed()
		return nil
	}); err != nil {
		s.log.Error("emulator task runner: save state", "task", j.taskID, "err", err)
	}
	j.log.setStatus("Running", start)

	state, message, warnings := r.execute(ctx, j)

	status := map[string]string{taskSuccess: "Success", taskFailed: "Failed", taskCanceled: "Canceled", taskTimedOut: "Failed"}[state]
	if status == "Success" && warnings {
		status = "SuccessWithWarning"
	}
	j.log.setStatus(status, s.now())
	if err := s.mutate(func(c *Call) error {
		s.finishTask(c, j.taskID, state, message, warnings, j.log)
		return nil
	}); err != nil {
		s.log.Error("emulator task runner: save state", "task", j.taskID, "err", err)
	}
}

// execute runs the steps of a plan in order and returns the task's end
// state, its error message and whether it logged warnings or errors.
func (r *runner) execute(ctx context.Context, j *job) (state, message string, warnings bool) {
	s := r.srv
	p := j.plan
	for _, line := range p.preamble {
		j.log.add("Info", line, s.now())
	}
	outputs := dictionary{}
	failed := false
	var failure string
	for i, st := range p.steps {
		stepLog := j.log.child(fmt.Sprintf("Step %d: %s", i+1, st.name))
		run, why := st.shouldRun(failed, p.vars.withOutputs(outputs))
		if ctx.Err() != nil {
			run, why = false, "the task was canceled"
		}
		if !run {
			stepLog.add("Verbose", "Skipped: "+why+".", s.now())
			stepLog.setStatus("Skipped", s.now())
			continue
		}
		stepLog.setStatus("Running", s.now())
		stepFailed, stepWarned := false, false
		for _, a := range st.actions {
			actLog := stepLog
			if len(st.actions) > 1 {
				actLog = stepLog.child(a.name)
				actLog.setStatus("Running", s.now())
			}
			if a.skip != "" {
				actLog.add("Info", fmt.Sprintf("Skipping %s: %s.", a.name, a.skip), s.now())
				if actLog != stepLog {
					actLog.setStatus("Skipped", s.now())
				}
				continue
			}
			res := r.runAction(ctx, j, st, a, outputs, actLog)
			res = r.guide(ctx, j, st, a, outputs, actLog, res)
			stepWarned = stepWarned || res.warned
			if res.err != nil {
				stepFailed = true
				if !res.logged {
					actLog.add("Error", res.err.Error(), s.now())
				}
				if failure == "" {
					failure = res.err.Error()
				}
			}
			if actLog != stepLog {
				actLog.setStatus(map[bool]string{true: "Failed", false: "Success"}[res.err != nil], s.now())
			}
			if ctx.Err() != nil {
				break
			}
		}
		warnings = warnings || stepWarned || stepFailed
		switch {
		case stepFailed:
			stepLog.setStatus("Failed", s.now())
			failed = true
			// Later steps see why, as on the real server (Failure and
			// Variable run conditions use these).
			outputs.set("Octopus.Deployment.Error", failure, false)
			outputs.set("Octopus.Deployment.ErrorDetail", failure, false)
		case stepWarned:
			stepLog.setStatus("SuccessWithWarning", s.now())
		default:
			stepLog.setStatus("Success", s.now())
		}
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		j.log.add("Fatal", "The task timed out.", s.now())
		return taskTimedOut, "The task timed out.", true
	case ctx.Err() != nil:
		j.log.add("Fatal", "The task was canceled.", s.now())
		return taskCanceled, "The task was canceled.", warnings
	case failed:
		msg := "The " + p.what + " failed because one or more steps failed: " + failure
		j.log.add("Fatal", msg, s.now())
		return taskFailed, msg, true
	}
	return taskSuccess, "", warnings
}

// guide holds a failed action for guided failure, when the execution uses
// it: Retry runs the action again, Ignore and Exclude (the emulator has no
// machines to exclude) carry on as if it had succeeded, Fail fails it.
func (r *runner) guide(ctx context.Context, j *job, st planStep, a planAction, outputs dictionary, log *activity, res actionResult) actionResult {
	s := r.srv
	for res.err != nil && !res.final && j.plan.guidedFailure && ctx.Err() == nil {
		log.add("Error", res.err.Error(), s.now())
		res.logged = true
		answer, err := r.interrupt(ctx, j, interruptionGuided, "Guided failure: "+a.name, guidedForm(res.err.Error()), nil, log)
		if err != nil {
			return res
		}
		if notes := answer["notes"]; notes != "" {
			log.add("Info", "Notes: "+notes, s.now())
		}
		switch answer["guidance"] {
		case "Retry":
			log.add("Info", "Retrying "+a.name+".", s.now())
			res = r.runAction(ctx, j, st, a, outputs, log)
		case "Ignore", "Exclude":
			log.add("Warning", "The failure of "+a.name+" was ignored.", s.now())
			return actionResult{warned: true}
		default:
			return res
		}
	}
	return res
}
