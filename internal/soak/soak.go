package soak

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
)

// Config is a soak: Runs fault runs and Kills kill points, spread over
// Steps in turn, Parallel at a time, each on its own emulator.
type Config struct {
	Bin        string // the octofleet binary (Build)
	Templates  string // Library-format templates for seed-templates
	Runs       int    // fault runs
	Kills      int    // kill -9 points
	Interrupts int    // SIGINT points: the run must exit 130 saying what it applied (or finish first)
	Seed       int64  // first seed; run i uses Seed+i
	// Faults of the fault runs (their Seed is set per run).
	Faults emulator.Faults
	// KillLatency slows the emulator during kill runs so that the kill
	// lands between requests as well as during them.
	KillLatency time.Duration
	Parallel    int
	Steps       []string  // default: every step
	Log         io.Writer // one line per run that did not converge first time, and the details of any failure
}

// Figures are a soak's outcome.
type Figures struct {
	Runs                int // fault runs
	ConvergedFirst      int // exit 0 and an empty dry run after the first run
	ConvergedAfterRerun int // runs (fault and kill) whose state a re-run converged
	NotConverged        int // runs a re-run did not converge
	Kills               int // kill points (SIGKILL sent mid-run)
	KillsMissed         int // kill and interrupt runs whose process finished before (or despite) the signal
	Interrupts          int // SIGINT points that stopped a run with exit 130 and its report
	Duplicates          int // names held by more than one object, over all runs
	Panics              int
	Leaks               int // runs whose output showed the inputs' secret
	Failures            []string
}

// Summary prints the figures, one per line.
func (f Figures) Summary() string {
	pct := 0.0
	if f.Runs > 0 {
		pct = 100 * float64(f.ConvergedFirst) / float64(f.Runs)
	}
	return fmt.Sprintf("runs: %d\nconverged first run: %d (%.1f%%)\nkill points: %d\nsignals that came too late (the run had finished): %d\ninterrupts (exit 130): %d\n"+
		"converged after re-run: %d\nnot converged: %d\nduplicates: %d\npanics: %d\nsecret leaks: %d\n",
		f.Runs, f.ConvergedFirst, pct, f.Kills, f.KillsMissed, f.Interrupts, f.ConvergedAfterRerun, f.NotConverged, f.Duplicates, f.Panics, f.Leaks)
}

// OK reports whether nothing went wrong beyond first runs a fault failed.
func (f Figures) OK() bool {
	return f.NotConverged == 0 && f.Duplicates == 0 && f.Panics == 0 && f.Leaks == 0 && len(f.Failures) == 0
}

// outcome is one run's contribution to the figures.
type outcome struct {
	fault, killed, missed     bool
	interrupted               bool
	first, after, notConverge bool
	dups, panics, leaks       int
	failure                   string
}

// Run runs the soak.
func Run(ctx context.Context, cfg Config) (Figures, error) {
	if cfg.Parallel <= 0 {
		cfg.Parallel = 1
	}
	names := cfg.Steps
	if len(names) == 0 {
		for _, s := range Steps {
			names = append(names, s.Name)
		}
	}
	var steps []Step
	for _, n := range names {
		s, ok := StepNamed(n)
		if !ok {
			return Figures{}, fmt.Errorf("no step %q", n)
		}
		steps = append(steps, s)
	}
	// Kill points are drawn from the requests a clean run of the step sends.
	sizes, err := calibrate(ctx, cfg, steps)
	if err != nil {
		return Figures{}, err
	}
	type job struct {
		i   int
		sig syscall.Signal // 0: a fault run
	}
	jobs := make(chan job)
	outs := make(chan outcome)
	var wg sync.WaitGroup
	for range cfg.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s := steps[j.i%len(steps)]
				seed := cfg.Seed + int64(j.i)
				var o outcome
				if j.sig != 0 {
					o = killRun(ctx, cfg, s, seed, sizes[s.Name], j.sig)
				} else {
					o = faultRun(ctx, cfg, s, seed)
				}
				outs <- o
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range max(cfg.Runs, cfg.Kills, cfg.Interrupts) {
			for sig, n := range map[syscall.Signal]int{0: cfg.Runs, syscall.SIGKILL: cfg.Kills, syscall.SIGINT: cfg.Interrupts} {
				if i < n {
					select {
					case jobs <- job{i: i, sig: sig}:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	go func() { wg.Wait(); close(outs) }()
	var f Figures
	for o := range outs {
		switch {
		case o.fault:
			f.Runs++
		case o.killed:
			f.Kills++
		case o.interrupted:
			f.Interrupts++
		case o.missed:
			f.KillsMissed++
		}
		if o.first {
			f.ConvergedFirst++
		}
		if o.after {
			f.ConvergedAfterRerun++
		}
		if o.notConverge {
			f.NotConverged++
		}
		f.Duplicates += o.dups
		f.Panics += o.panics
		f.Leaks += o.leaks
		if o.failure != "" {
			f.Failures = append(f.Failures, o.failure)
			if cfg.Log != nil {
				fmt.Fprintln(cfg.Log, o.failure)
			}
		}
	}
	return f, ctx.Err()
}

// world makes a world for s with its needs applied (no faults).
func world(ctx context.Context, cfg Config, s Step) (*World, func(), error) {
	dir, err := os.MkdirTemp("", "octofleet-soak-")
	if err != nil {
		return nil, nil, err
	}
	w, err := NewWorld(cfg.Bin, dir, cfg.Templates)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	cleanup := func() { _ = w.Close(); _ = os.RemoveAll(dir) }
	for _, n := range s.Needs {
		need, _ := StepNamed(n)
		if r := w.Run(ctx, need.Args(w)...); r.Code != 0 {
			cleanup()
			return nil, nil, fmt.Errorf("prepare %s for %s: %s", n, s.Name, r)
		}
	}
	w.Emu.ResetRequests()
	return w, cleanup, nil
}

// calibrate counts the requests a clean run of each step sends.
func calibrate(ctx context.Context, cfg Config, steps []Step) (map[string]int, error) {
	sizes := map[string]int{}
	for _, s := range steps {
		if cfg.Kills == 0 && cfg.Interrupts == 0 {
			break
		}
		w, cleanup, err := world(ctx, cfg, s)
		if err != nil {
			return nil, err
		}
		r := w.Run(ctx, s.Args(w)...)
		sizes[s.Name] = len(w.Emu.Requests())
		cleanup()
		if r.Code != 0 {
			return nil, fmt.Errorf("clean run of %s: %s", s.Name, r)
		}
	}
	return sizes, nil
}

func faultRun(ctx context.Context, cfg Config, s Step, seed int64) outcome {
	o := outcome{fault: true}
	w, cleanup, err := world(ctx, cfg, s)
	if err != nil {
		o.failure = err.Error()
		return o
	}
	defer cleanup()
	f := cfg.Faults
	f.Seed = seed
	w.Emu.SetFaults(f)
	first := w.Run(ctx, s.Args(w)...)
	w.Emu.SetFaults(emulator.Faults{})
	o.note(first)
	label := fmt.Sprintf("fault run %s seed %d", s.Name, seed)
	if first.Code == 0 && dryRunEmpty(ctx, w, s) {
		o.first = true
	} else if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "%s: first run did not converge: %s\n", label, oneLine(first))
	}
	o.settle(ctx, w, s, label, !o.first)
	return o
}

// killRun sends sig (SIGKILL or SIGINT) to a run of s at a random request.
// An interrupted run must exit 130 and say what it applied.
func killRun(ctx context.Context, cfg Config, s Step, seed int64, size int, sig syscall.Signal) outcome {
	var o outcome
	w, cleanup, err := world(ctx, cfg, s)
	if err != nil {
		o.failure = err.Error()
		return o
	}
	defer cleanup()
	rnd := rand.New(rand.NewSource(seed))
	after := 1 + rnd.Intn(max(size, 1))
	w.Emu.SetFaults(emulator.Faults{Latency: cfg.KillLatency})
	r, sent := w.Signal(ctx, sig, after, s.Args(w)...)
	w.Emu.SetFaults(emulator.Faults{})
	o.note(r)
	label := fmt.Sprintf("%s run %s seed %d (after %d of %d requests)", sig, s.Name, seed, after, size)
	switch {
	case !sent:
		o.missed = true
	case sig == syscall.SIGKILL:
		o.killed = true
	case r.Code == 130 && (strings.Contains(r.Stdout, "Interrupted: ") || !strings.Contains(r.Stdout, "Plan: ")):
		o.interrupted = true // stopped in the apply, with its report, or in the plan, before any write
	case r.Code == 0:
		o.missed = true // the signal came after the last write
	default:
		o.failure = fmt.Sprintf("%s: want exit 130 and what was applied: %s", label, r)
	}
	o.settle(ctx, w, s, label, true)
	return o
}

// note counts a panic or a leak in r.
func (o *outcome) note(r Result) {
	if r.Panicked() {
		o.panics++
		o.failure = "panic: " + r.String()
	}
	if r.Leaks() {
		o.leaks++
	}
}

// settle re-runs s (when rerun), then checks the dry run and duplicates.
func (o *outcome) settle(ctx context.Context, w *World, s Step, label string, rerun bool) {
	if rerun {
		r := w.Run(ctx, s.Args(w)...)
		o.note(r)
		if r.Code != 0 || !dryRunEmpty(ctx, w, s) {
			o.notConverge = true
			o.failure = fmt.Sprintf("%s: re-run did not converge: %s", label, r)
		} else {
			o.after = true
		}
	}
	dups, err := w.Duplicates(ctx)
	if err != nil {
		o.failure = fmt.Sprintf("%s: read back: %v", label, err)
		return
	}
	if len(dups) > 0 {
		o.dups += len(dups)
		o.failure = fmt.Sprintf("%s: duplicated names:\n  %s", label, strings.Join(dups, "\n  "))
	}
}

// dryRunEmpty reports whether s plans no changes.
func dryRunEmpty(ctx context.Context, w *World, s Step) bool {
	r := w.Run(ctx, append(s.Args(w), "--dry-run", "--exit-code")...)
	return r.Code == 0
}

func oneLine(r Result) string {
	lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	return fmt.Sprintf("exit %d: %s", r.Code, lines[len(lines)-1])
}

// Templates returns the folder seed-templates reads: the community Library
// at library when it has templates, else the templates the binary embeds
// (octofleet export into dir).
func Templates(ctx context.Context, bin, library, dir string) (string, error) {
	if files, _ := filepath.Glob(filepath.Join(library, "*.json")); library != "" && len(files) > 0 {
		return library, nil
	}
	if out, err := exec.CommandContext(ctx, bin, "export", "--out", dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("octofleet export: %w\n%s", err, out)
	}
	return filepath.Join(dir, "step-templates"), nil
}
