package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/octofleet/octofleet/internal/fleet"
	"github.com/octofleet/octofleet/steps"
)

// exitInterrupted is the exit code of a run stopped by SIGINT or SIGTERM
// (128 + SIGINT, as shells report a process Ctrl-C ended).
const exitInterrupted = 130

// signalContext returns a context cancelled by the first SIGINT or SIGTERM,
// with an *interruptError as its cause; stop releases the signals. After
// the first signal the default behaviour is back, so a second Ctrl-C ends
// the process at once.
func signalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(&interruptError{sig: s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(context.Canceled) }
}

// interruptError is the cause of a run's context cancelled by a signal.
type interruptError struct{ sig os.Signal }

func (e *interruptError) Error() string { return "interrupted by " + signalName(e.sig) }

// Is makes the interrupt a context.Canceled, as code below the CLI tests it.
func (e *interruptError) Is(target error) bool { return target == context.Canceled }

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// interrupted reports whether a signal cancelled ctx, the run's context.
// The Octopus client runs under the same context, so the request in flight
// is abandoned and no other is sent; an abandoned write may still have
// landed, and the next run's plan reads it back (a create is adopted by
// name). A context cancelled otherwise (a caller's timeout) is a failure.
func interrupted(ctx context.Context) bool {
	var ie *interruptError
	return errors.As(context.Cause(ctx), &ie)
}

// stepInterrupted prints what an interrupted apply of plan wrote and what it
// did not, and returns the exit-130 error. applied are the changes the step
// reported written (steps.Progress); the rest of the plan's writes are "not
// applied". A change in flight when the signal came is listed as not
// applied, though it may have landed.
func stepInterrupted(w io.Writer, format string, plan steps.Plan, applied []steps.Change, cause error) error {
	pending := steps.Pending(plan, applied)
	if err := writeInterrupted(w, format, plan, applied, pending); err != nil {
		return err
	}
	return &exitError{code: exitInterrupted, msg: fmt.Sprintf(
		"interrupted: %d of %d changes applied, %d not applied; run again to apply the rest (%v)",
		len(applied), len(applied)+len(pending), len(pending), cause)}
}

// jsonInterrupted is the --output json document of an interrupted apply.
type jsonInterrupted struct {
	Step        string         `json:"step"`
	Changes     []steps.Change `json:"changes"`
	Applied     bool           `json:"applied"`
	Interrupted bool           `json:"interrupted"`
	Done        []changeLine   `json:"done"`
	NotApplied  []changeLine   `json:"notApplied"`
}

// changeLine names a change without its fields (which may hold values the
// plan shows but a summary need not repeat).
type changeLine struct {
	Action steps.Action `json:"action"`
	Kind   string       `json:"kind"`
	Name   string       `json:"name"`
	ID     string       `json:"id,omitempty"`
}

func lines(cs []steps.Change) []changeLine {
	out := make([]changeLine, 0, len(cs))
	for _, c := range cs {
		out = append(out, changeLine{Action: c.Action, Kind: c.Kind, Name: c.Name, ID: c.ID})
	}
	return out
}

func writeInterrupted(w io.Writer, format string, plan steps.Plan, applied, pending []steps.Change) error {
	if format == "json" {
		changes := plan.Changes
		if changes == nil {
			changes = []steps.Change{}
		}
		return encodeJSON(w, jsonInterrupted{Step: plan.Step, Changes: changes, Interrupted: true,
			Done: lines(applied), NotApplied: lines(pending)})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Interrupted: %d of %d changes applied, %d not applied.\n", len(applied), len(applied)+len(pending), len(pending))
	section := func(title string, cs []steps.Change) {
		if len(cs) == 0 {
			return
		}
		b.WriteString(title + "\n")
		for _, c := range cs {
			fmt.Fprintf(&b, "  %s %s %s %q", symbols[c.Action], c.Action, c.Kind, c.Name)
			if c.ID != "" {
				fmt.Fprintf(&b, " (%s)", c.ID)
			}
			b.WriteByte('\n')
		}
	}
	section("Applied:", applied)
	section("Not applied (a re-run plans them again; the first may have landed):", pending)
	_, err := io.WriteString(w, b.String())
	return err
}

// fleetInterrupted prints which targets an interrupted fleet apply finished
// and which it did not, and returns the exit-130 error. A target that
// failed was stopped by the interrupt (or failed before it): its steps
// before the failing one are applied, the rest not.
func fleetInterrupted(w io.Writer, format string, results []fleet.Result) error {
	var done, notDone []string
	for _, r := range results {
		name := r.Target.Tenant
		if r.Target.Instance != "" {
			name += " (" + r.Target.Instance + ")"
		}
		if r.Err() == nil {
			done = append(done, name)
		} else {
			notDone = append(notDone, name)
		}
	}
	if format != "json" { // the json report already says which targets failed
		var b strings.Builder
		fmt.Fprintf(&b, "Interrupted: %d of %d targets applied, %d not applied.\n", len(done), len(results), len(notDone))
		if len(notDone) > 0 {
			b.WriteString("Not applied (a re-run plans them again):\n  " + strings.Join(notDone, "\n  ") + "\n")
		}
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return &exitError{code: exitInterrupted, msg: fmt.Sprintf(
		"interrupted: %d of %d targets applied, %d not applied; run again to apply the rest", len(done), len(results), len(notDone))}
}
