package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Script syntaxes of the step templates (Octopus.Action.Script.Syntax).
const (
	SyntaxBash       = "Bash"
	SyntaxPowerShell = "PowerShell"
)

// DefaultWorkerPool is the pool Octopus creates in every new space.
const DefaultWorkerPool = "Default Worker Pool"

// placement is what install chose for its runbook steps: the syntax.
type placement struct {
	syntax string
}

// place chooses the rendering (the script syntax) and puts every runbook
// step on the worker pool and in the container image the input names. The
// syntax is the input's, else the one the pool's workers run: PowerShell
// for a dynamic pool of Windows workers or a static pool whose workers all
// run Windows, Bash otherwise (and for a space not created yet). A pool
// that does not exist is an *InputError, before anything is written.
func (s *Install) place(ctx context.Context, oct Octopus) error {
	if s.placed != nil {
		return nil
	}
	p := placement{syntax: s.In.ScriptSyntax}
	spaceID, err := spaceIDByName(ctx, oct, s.In.Space)
	switch {
	case errors.Is(err, ErrNotFound):
		// Octopus gives a new space its default pool; no other exists yet.
		if s.In.WorkerPool != "" && s.In.WorkerPool != DefaultWorkerPool {
			return &InputError{Field: "--worker-pool", Err: fmt.Errorf("space %q does not exist yet, so it has no worker pool %q: install without --worker-pool, add the pool, then install again", s.In.Space, s.In.WorkerPool)}
		}
		if s.In.ContainerFeed != "" {
			return &InputError{Field: "--container-feed", Err: fmt.Errorf("space %q does not exist yet, so it has no feed %q: install without --container-image, add the feed, then install again", s.In.Space, s.In.ContainerFeed)}
		}
		if p.syntax == "" {
			p = placement{syntax: SyntaxBash}
		}
	case err != nil:
		return err
	default:
		if s.In.ContainerFeed != "" {
			feeds, err := oct.Feeds(ctx, spaceID)
			if err != nil {
				return fmt.Errorf("list feeds: %w", err)
			}
			if !slices.ContainsFunc(feeds, func(f Ref) bool { return f.Name == s.In.ContainerFeed }) {
				return &InputError{Field: "--container-feed", Err: fmt.Errorf("space %q has no feed %q", s.In.Space, s.In.ContainerFeed)}
			}
		}
		pools, err := oct.WorkerPoolDetails(ctx, spaceID)
		if err != nil {
			return err
		}
		want := func(wp WorkerPool) bool { return wp.IsDefault }
		if s.In.WorkerPool != "" {
			want = func(wp WorkerPool) bool { return wp.Name == s.In.WorkerPool }
		}
		i := slices.IndexFunc(pools, want)
		if i < 0 && s.In.WorkerPool != "" {
			var names []string
			for _, wp := range pools {
				names = append(names, fmt.Sprintf("%q", wp.Name))
			}
			return &InputError{Field: "--worker-pool", Err: fmt.Errorf("space %q has no worker pool %q (it has %s)", s.In.Space, s.In.WorkerPool, strings.Join(names, ", "))}
		}
		if p.syntax == "" {
			if i < 0 {
				p = placement{syntax: SyntaxBash}
			} else if p, err = poolSyntax(ctx, oct, spaceID, pools[i]); err != nil {
				return err
			}
		}
	}
	r, ok := s.Bundle.Renderings[p.syntax]
	if !ok {
		if s.Bundle.Rendering.Syntax != p.syntax {
			return &InputError{Field: "--script-syntax", Err: fmt.Errorf("no step templates rendered in %q", p.syntax)}
		}
		r = s.Bundle.Rendering
	}
	s.Bundle.Rendering = r.placed(s.In.WorkerPool, s.In.ContainerImage, s.In.ContainerFeed)
	s.placed = &p
	return nil
}

// poolSyntax is the syntax the pool's workers run.
func poolSyntax(ctx context.Context, oct Octopus, spaceID string, wp WorkerPool) (placement, error) {
	if strings.EqualFold(wp.Type, "DynamicWorkerPool") {
		// Octopus Cloud's dynamic worker types are named for their image:
		// WindowsDefault, Windows2022, UbuntuDefault, Ubuntu2204, ...
		if strings.HasPrefix(strings.ToLower(wp.WorkerType), "windows") {
			return placement{SyntaxPowerShell}, nil
		}
		return placement{SyntaxBash}, nil
	}
	workers, err := oct.PoolWorkers(ctx, spaceID, wp.ID)
	if errors.Is(err, ErrNotFound) {
		workers, err = nil, nil // a server (or emulator) without the workers route: nothing known
	}
	if err != nil {
		return placement{}, err
	}
	windows, other := 0, 0
	for _, w := range workers {
		system := strings.ToLower(w.OperatingSystem)
		if strings.Contains(system, "windows") || (system == "" && strings.EqualFold(w.ShellName, "PowerShell")) {
			windows++
		} else {
			other++
		}
	}
	if windows > 0 && other == 0 {
		return placement{SyntaxPowerShell}, nil
	}
	return placement{SyntaxBash}, nil
}

// placed returns the rendering with every runbook action on pool and in
// the container image (names; "" leaves the Octopus default: the space's
// default pool, no container). The bundle's processes are not changed.
func (r InstallRendering) placed(pool, image, feed string) InstallRendering {
	out := r
	out.Runbooks = slices.Clone(r.Runbooks)
	for i, rb := range out.Runbooks {
		rb.Process.Steps = slices.Clone(rb.Process.Steps)
		for j, st := range rb.Process.Steps {
			st.Actions = slices.Clone(st.Actions)
			for k := range st.Actions {
				st.Actions[k].WorkerPoolID = pool
				st.Actions[k].ContainerImage = image
				st.Actions[k].ContainerFeedID = feed
			}
			rb.Process.Steps[j] = st
		}
		out.Runbooks[i] = rb
	}
	return out
}
