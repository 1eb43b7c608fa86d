// Command soak runs octofleet's steps against in-memory emulators under
// random faults, kill -9 and SIGINT at random points, and prints the figures:
//
//	go run ./scripts/soak -runs 200 -kills 100
//
// It exits 1 when a re-run did not converge, a name was duplicated, a
// process panicked or showed a secret.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/soak"
)

func main() {
	var (
		runs      = flag.Int("runs", 20, "fault runs")
		kills     = flag.Int("kills", 10, "kill -9 points")
		intr      = flag.Int("interrupts", 50, "SIGINT points (each must exit 130 and say what it applied)")
		seed      = flag.Int64("seed", 1, "first seed (run i uses seed+i)")
		errRate   = flag.Float64("error-rate", 0.10, "fraction of requests answered 500")
		dropRate  = flag.Float64("drop-rate", 0.05, "fraction of requests applied, then dropped")
		throttle  = flag.Float64("throttle-rate", 0.005, "fraction of requests answered 429 (Retry-After: 1)")
		latency   = flag.Duration("latency", time.Millisecond, "latency of every request in fault runs")
		killLat   = flag.Duration("kill-latency", 2*time.Millisecond, "latency of every request in kill runs")
		parallel  = flag.Int("parallel", runtime.NumCPU(), "runs at once")
		stepsFlag = flag.String("steps", "", "comma-separated steps (default: all)")
		library   = flag.String("library", filepath.Join("..", "shared", "octopus-library", "step-templates"), "Library step-templates folder seed-templates reads (the embedded templates when it has none)")
		verbose   = flag.Bool("v", false, "print a line for every first run that did not converge")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *runs, *kills, *intr, *seed, *errRate, *dropRate, *throttle, *latency, *killLat, *parallel, *stepsFlag, *library, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, runs, kills, interrupts int, seed int64, errRate, dropRate, throttle float64, latency, killLat time.Duration,
	parallel int, stepList, library string, verbose bool) error {
	dir, err := os.MkdirTemp("", "octofleet-soak-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := soak.Build(ctx, dir)
	if err != nil {
		return err
	}
	templates, err := soak.Templates(ctx, bin, library, dir)
	if err != nil {
		return err
	}
	cfg := soak.Config{Bin: bin, Templates: templates, Runs: runs, Kills: kills, Interrupts: interrupts, Seed: seed,
		Faults:      emulator.Faults{ErrorRate: errRate, DropRate: dropRate, ThrottleRate: throttle, Latency: latency},
		KillLatency: killLat, Parallel: parallel}
	if stepList != "" {
		cfg.Steps = strings.Split(stepList, ",")
	}
	if verbose {
		cfg.Log = os.Stderr
	}
	start := time.Now()
	files, _ := filepath.Glob(filepath.Join(templates, "*.json"))
	fmt.Printf("soak: %d fault runs (%.0f%% 5xx, %.0f%% drops, %.1f%% 429, %s latency), %d kill points, %d interrupts, %d templates, %d at once\n",
		runs, 100*errRate, 100*dropRate, 100*throttle, latency, kills, interrupts, len(files), parallel)
	f, err := soak.Run(ctx, cfg)
	fmt.Print(f.Summary())
	fmt.Printf("took %s\n", time.Since(start).Round(time.Second))
	for _, fl := range f.Failures {
		fmt.Fprintln(os.Stderr, fl)
	}
	if err != nil {
		return err
	}
	if !f.OK() {
		return fmt.Errorf("%d failures", len(f.Failures))
	}
	return nil
}
