package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/octofleet/octofleet/internal/fleet"
	"github.com/octofleet/octofleet/steps"
)

// checkDriftCmd is `octofleet check-drift`: the Check Drift runbook's step.
// It plans one tenant's steps through the fleet engine (the same steps
// fleet drift plans) and writes nothing.
type checkDriftCmd struct {
	stepFlags
	fleet.CheckDriftInput `embed:""`
	Package               string `help:"octofleet package a facade project carries (default: one built from this binary, as the Create Facade Project runbook uploads the package it runs from)." type:"existingfile" placeholder:"FILE"`
	PackageVersion        string `help:"Version of the package built from this binary (default: its own version)." env:"OCTOFLEET_PACKAGE_VERSION" placeholder:"VERSION"`
}

// Help is the long help of check-drift.
func (c *checkDriftCmd) Help() string {
	return `Plan every step one tenant of the management space runs (--server, --space:
the hub) and change nothing: the steps of the tenant's pattern's octofleet
runbooks, with the tenant's variables, exactly as fleet drift plans them. The
Check Drift runbook runs it for its tenant (--tenant-name) and records the
outputs on the tenant, where fleet status reads them. It never writes: --dry-run and
--exit-code are implied.

The hub's API key is --api-key (OCTOPUS_API_KEY); the key of the tenant's own
instance, when it is another one, comes from OCTOFLEET_TARGET_API_KEY.

Exit codes: 0 in line, 2 drifted, 1 the check failed (80: bad input).
Outputs: Drifted (True, False or Error), Changes, Checked (RFC 3339), Error.`
}

// Run checks the tenant and prints its result (and, with --output octopus,
// sets the outputs: always, so that the runbook can record a failure too).
func (c *checkDriftCmd) Run(ctx context.Context, w io.Writer, g *Globals, log *slog.Logger) error {
	if err := c.load("check-drift", &c.CheckDriftInput); err != nil {
		return err
	}
	if err := renderInput(&c.stepFlags, &c.CheckDriftInput); err != nil {
		return err
	}
	tenant := c.Tenant
	if tenant == "" {
		tenant = c.TenantName
	}
	switch {
	case g.Server == "":
		return &usageError{"--server (or OCTOPUS_URL) is required: the hub"}
	case g.APIKey == "":
		return &usageError{"--api-key (or OCTOPUS_API_KEY) is required for the hub"}
	case g.Space == "":
		return &usageError{"--space (or OCTOPUS_SPACE) is required: the management space"}
	}
	keys := fleet.Keys{}
	keys.Add(g.Server, g.APIKey)
	engine := fleet.New(ctx, fleet.Options{Keys: keys, RateLimitPerMinute: g.RateLimit, Logger: log, HTTPClient: g.client, Retry: fleet.Retry{Budget: g.retryBudget()}})
	d := engine.CheckDrift(ctx, g.Server, g.Space, tenant, fleet.CheckDriftOptions{
		TargetKey: os.Getenv("OCTOFLEET_TARGET_API_KEY"),
		// A facade's plan compares the package it carries with this one.
		Package: func() (*steps.PackageFile, error) {
			pkg, err := octofleetPackage(c.Package, c.PackageVersion)
			if err != nil {
				return nil, &steps.InputError{Field: "--package", Err: err}
			}
			return pkg, nil
		},
	})
	outs := d.Outputs()
	switch g.Output {
	case "json":
		if err := encodeJSON(w, map[string]any{"tenant": d.Tenant, "result": d.Result, "outputs": outs}); err != nil {
			return err
		}
	default:
		if err := printDriftCheck(w, d, g.LogLevel <= slog.LevelDebug); err != nil {
			return err
		}
		if g.Output == "octopus" {
			if err := writeServiceMessages(w, outs); err != nil {
				return err
			}
		}
	}
	if err := d.Err(); err != nil {
		if ec, ok := err.(interface{ ExitCode() int }); ok && ec.ExitCode() == exitUsage {
			return err
		}
		return &exitError{code: exitFailure, msg: "check drift: " + err.Error()}
	}
	if d.Drifted() == fleet.DriftedTrue {
		return &exitError{code: exitChanges, msg: fmt.Sprintf("tenant %q drifted: %s", tenant, changes(d.Result.Changes))}
	}
	return nil
}

// printDriftCheck prints each step's plan and a summary line.
func printDriftCheck(w io.Writer, d fleet.DriftCheck, verbose bool) error {
	if err := writeStepResults(w, d.Result.Steps, verbose); err != nil {
		return err
	}
	when := d.Checked.UTC().Format(time.RFC3339)
	switch d.Drifted() {
	case fleet.DriftedError:
		_, err := fmt.Fprintf(w, "\nTenant %q: the drift check failed at %s: %v\n", d.Tenant, when, d.Err())
		return err
	case fleet.DriftedTrue:
		_, err := fmt.Fprintf(w, "\nTenant %q drifted: %s (checked %s).\n", d.Tenant, changes(d.Result.Changes), when)
		return err
	}
	_, err := fmt.Fprintf(w, "\nTenant %q is in line (checked %s).\n", d.Tenant, when)
	return err
}
