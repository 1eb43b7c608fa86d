package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kong"
	"maps"

	"github.com/octofleet/octofleet/internal/fleet"
)

// fleetRunCmd is `octofleet fleet run --runbook NAME`.
type fleetRunCmd struct {
	fleetFlags
	Runbook string `help:"The runbook of the project octofleet to run for each selected tenant." required:"" placeholder:"NAME"`
	NoWait  bool   `help:"Return once every run has started."`
	Timeout string `help:"How long to wait for each task (Go duration); then it is canceled and counts as failed." default:"1h" placeholder:"DURATION"`
	Tail    int    `help:"Lines of a failed task's log to print." default:"20" placeholder:"N"`

	pollMin, pollMax time.Duration // tests
}

// Validate checks --timeout.
func (c *fleetRunCmd) Validate() error {
	if _, err := time.ParseDuration(c.Timeout); err != nil {
		return &usageError{fmt.Sprintf("--timeout %q: not a Go duration such as 30m", c.Timeout)}
	}
	return c.fleetFlags.Validate()
}

// Run starts the runs on the hub and reports each tenant's result.
func (c *fleetRunCmd) Run(ctx context.Context, kctx *kong.Context, w io.Writer, g *Globals, log *slog.Logger) error {
	r, err := c.load(ctx, g, log, kctx.Stderr, false, fleet.Options{})
	if err != nil {
		return err
	}
	results := r.engine.RunRunbook(ctx, r.fleet, r.targets, fleet.RunbookRun{
		Runbook: c.Runbook, NoWait: c.NoWait, Timeout: c.Timeout, TailLines: c.Tail, PollMin: c.pollMin, PollMax: c.pollMax,
	})
	failed := 0
	for _, res := range results {
		if res.Failed() {
			failed++
		}
	}
	if g.Output == "json" {
		if err := encodeJSON(w, map[string]any{"runbook": c.Runbook, "results": results, "failed": failed}); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TENANT\tTASK\tSTATE")
		for _, res := range results {
			state := res.State
			if res.Error != "" && state == "" {
				state = "error"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", res.Tenant, res.TaskID, state)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%q for %d tenants: %d failed.\n", c.Runbook, len(results), failed)
		for _, res := range results {
			if !res.Failed() {
				continue
			}
			fmt.Fprintf(w, "\n%s: %s\n", res.Tenant, res.Error)
			if res.LogTail != "" {
				fmt.Fprintf(w, "  ...\n  %s\n", strings.ReplaceAll(res.LogTail, "\n", "\n  "))
			}
		}
	}
	if failed > 0 {
		return &exitError{code: exitFailure, msg: fmt.Sprintf("%d of %d runs failed", failed, len(results))}
	}
	return nil
}

// fleetStatusCmd is `octofleet fleet status`.
type fleetStatusCmd struct {
	fleetFlags
}

// Run prints one row per tenant.
func (c *fleetStatusCmd) Run(ctx context.Context, kctx *kong.Context, w io.Writer, g *Globals, log *slog.Logger) error {
	r, err := c.load(ctx, g, log, kctx.Stderr, false, fleet.Options{})
	if err != nil {
		return err
	}
	st, err := r.engine.Status(ctx, r.fleet, r.targets)
	if err != nil {
		return err
	}
	if g.Output == "json" {
		return encodeJSON(w, st)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tPATTERN\tINSTANCE\tVERSION\tSPACE\tLAST RUNS\tDRIFT")
	for _, row := range st.Rows {
		t := row.Target
		var runs []string
		for _, name := range slices.Sorted(maps.Keys(row.Runs)) {
			lr := row.Runs[name]
			runs = append(runs, fmt.Sprintf("%s: %s %s (%s)", name, lr.State, lr.When.UTC().Format(time.RFC3339), lr.TaskID))
		}
		if len(runs) == 0 {
			runs = []string{"-"}
		}
		version := row.ServerVersion
		if version == "" {
			version = "?"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Tenant, t.Pattern, t.Instance, version, t.Space, strings.Join(runs, "; "), row.DriftSummary())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, u := range slices.Sorted(maps.Keys(st.Errors)) {
		fmt.Fprintf(w, "%s: %s\n", u, st.Errors[u])
	}
	return nil
}
