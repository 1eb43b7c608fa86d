package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
)

// Converge applies p with s. When the apply meets a conflict (ErrConflict:
// another run created an object this plan creates, or changed one between
// this run's read and its write), Converge plans again — re-reading the live
// state, so the object is adopted as it is now — and applies that plan: an
// object that matches becomes a no-op, one that differs an update. This is
// the one place every step's conflicts are handled, for the CLI, install and
// the fleet engine alike.
//
// Each round resolves at least the object that conflicted (it exists now),
// so the rounds are bounded by the number of planned writes; a conflict that
// persists past them is returned. It returns the plan it applied last (the
// one the outputs belong to) and the outputs of every round.
func Converge(ctx context.Context, oct Octopus, s Step, p Plan) (Plan, Outputs, error) {
	outputs := maps.Clone(p.Outputs)
	if outputs == nil {
		outputs = Outputs{}
	}
	rounds := 2 + writes(p)
	pr := progress(ctx)
	for round := 1; ; round++ {
		start := pr.count()
		applied, err := s.Apply(ctx, oct, p)
		maps.Copy(outputs, applied)
		if err == nil {
			// A step that reports no (or partial) progress has, by
			// succeeding, written every change of its plan.
			pr.finish(Pending(p, pr.since(start)))
		}
		if err == nil || !errors.Is(err, ErrConflict) || round >= rounds || ctx.Err() != nil {
			return p, outputs, err
		}
		progress(ctx).replanned(err)
		next, perr := s.Plan(ctx, oct)
		if perr != nil {
			return p, outputs, fmt.Errorf("%w; then plan again: %w", err, perr)
		}
		p = next
		maps.Copy(outputs, p.Outputs)
		if p.Empty() {
			return p, outputs, nil
		}
	}
}

// writes counts the changes of p that write.
func writes(p Plan) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action != NoOp {
			n++
		}
	}
	return n
}

// Progress records which changes an apply has written, so that an
// interrupted or failed run can say what was done and what was not. Steps
// report each change they finish with Done(ctx, c); the caller puts a
// Progress into the context with WithProgress.
type Progress struct {
	mu        sync.Mutex
	done      []Change
	conflicts int
}

type progressKey struct{}

// WithProgress returns ctx carrying pr.
func WithProgress(ctx context.Context, pr *Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, pr)
}

func progress(ctx context.Context) *Progress {
	pr, _ := ctx.Value(progressKey{}).(*Progress)
	return pr // nil-safe methods
}

// Done records that c has been written. Steps call it after each write
// (or skipped write) of a planned change.
func Done(ctx context.Context, c Change) {
	if pr := progress(ctx); pr != nil && c.Action != NoOp {
		pr.mu.Lock()
		defer pr.mu.Unlock()
		pr.done = append(pr.done, c)
	}
}

func (pr *Progress) replanned(error) {
	if pr == nil {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.conflicts++
}

func (pr *Progress) count() int {
	if pr == nil {
		return 0
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return len(pr.done)
}

func (pr *Progress) since(i int) []Change {
	if pr == nil {
		return nil
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return append([]Change(nil), pr.done[i:]...)
}

func (pr *Progress) finish(cs []Change) {
	if pr == nil {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.done = append(pr.done, cs...)
}

// Applied returns the changes written so far, in the order they were.
func (pr *Progress) Applied() []Change {
	if pr == nil {
		return nil
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return append([]Change(nil), pr.done...)
}

// Conflicts returns how many times Converge planned again after a conflict.
func (pr *Progress) Conflicts() int {
	if pr == nil {
		return 0
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.conflicts
}

// Pending returns the changes of p that write and are not among applied
// (matched by action, kind and name).
func Pending(p Plan, applied []Change) []Change {
	seen := map[[3]string]int{}
	for _, c := range applied {
		seen[[3]string{string(c.Action), c.Kind, c.Name}]++
	}
	var out []Change
	for _, c := range p.Changes {
		k := [3]string{string(c.Action), c.Kind, c.Name}
		if c.Action == NoOp {
			continue
		}
		if seen[k] > 0 {
			seen[k]--
			continue
		}
		out = append(out, c)
	}
	return out
}
