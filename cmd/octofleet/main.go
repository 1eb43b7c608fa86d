// Command octofleet runs idempotent Octopus Deploy fleet steps (create a
// space, seed templates, clone instance settings …) by hand, from a file, or
// as Octopus runbook steps, and serves an in-memory Octopus API emulator.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// version is stamped by build.sh: -ldflags "-X main.version=$VERSION".
var version string

// main only wires the process to execute: it cannot return errors, so
// everything else lives in execute, which tests call in-process.
func main() {
	// The first SIGINT or SIGTERM cancels ctx: an apply stops, says what it
	// wrote and what not, and the run exits 130 (interrupt.go).
	ctx, stop := signalContext(context.Background())
	code := execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, dialOctopus)
	stop()
	os.Exit(code)
}

// dialOctopus connects the real adapter to the server the global flags name.
func dialOctopus(ctx context.Context, g *Globals, log *slog.Logger) (steps.Octopus, error) {
	return dialOctopusWith(ctx, g, log, nil)
}

// dialOctopusWith is dialOctopus with tune applied to the options (tests
// shorten the retry backoff).
func dialOctopusWith(ctx context.Context, g *Globals, log *slog.Logger, tune func(*octopus.Options)) (steps.Octopus, error) {
	opts := g.dialOptions(g.Server, g.APIKey)
	opts.Logger = log
	if tune != nil {
		tune(&opts)
	}
	c, err := octopus.Dial(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to octopus: %w", err) // never a typed nil *Client in the interface
	}
	return c, nil
}
