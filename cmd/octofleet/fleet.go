package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kong"

	"github.com/octofleet/octofleet/internal/fleet"
	"github.com/octofleet/octofleet/steps"
)

// fleetCmd is `octofleet fleet`: the fleet engine's front end.
type fleetCmd struct {
	Status fleetStatusCmd `cmd:"" help:"One row per tenant: pattern, instance, space, each runbook's last run, the last drift check, server versions."`
	Drift  fleetDriftCmd  `cmd:"" help:"Plan every step of every selected tenant; exit 2 when anything drifted, 1 when a tenant failed."`
	Apply  fleetApplyCmd  `cmd:"" help:"Apply every step of every selected tenant; a failed tenant does not stop the others."`
	Run    fleetRunCmd    `cmd:"" help:"Run a runbook on the hub for every selected tenant, follow the tasks and report each tenant's result."`
}

// Help is the long help of fleet.
func (c *fleetCmd) Help() string {
	return `The fleet is read from the management space (--server, --api-key, --space of
the hub: its tenants connected to the project "octofleet", their Octofleet tags
and variables) or from a fleet file (--fleet, schemas/fleet.schema.json). Each
tenant's steps are those its pattern's octofleet runbooks run (managed space:
Create Space, Seed Templates; managed instance: also Clone Instance Settings;
facade: Create Facade Project, Seed Templates), with the tenant's variables.

Octopus never returns sensitive values, so the API keys of instances other than
the hub come from the fleet file, --instance-key URL=FILE or
OCTOFLEET_INSTANCE_KEYS (a file of URL=KEY lines). A missing key is an error
naming the tenant and the instance, before any request (exit 80).

One connection, one rate limit (--rate-limit, per instance) and one read cache
per instance are shared by all workers; --parallel tenants run at once per
instance; a 429 answer pauses every worker on that instance for its Retry-After.`
}

// fleetFlags are the flags every fleet subcommand takes.
type fleetFlags struct {
	Fleet        string            `help:"Fleet file (JSON or YAML, schemas/fleet.schema.json) instead of the hub's tenants." type:"path" placeholder:"FILE"`
	Tenant       []string          `help:"Only this tenant (repeatable)." sep:"none" placeholder:"NAME"`
	Tag          []string          `help:"Only tenants with this tag, Set/Tag (repeatable; a tenant must have all)." sep:"none" placeholder:"SET/TAG"`
	InstanceKey  map[string]string `name:"instance-key" help:"File holding an instance's API key, URL=FILE (repeatable)." mapsep:"none" placeholder:"URL=FILE"`
	InstanceKeys string            `name:"instance-keys" env:"OCTOFLEET_INSTANCE_KEYS" help:"File of URL=KEY lines: the API keys of the instances." type:"path" placeholder:"FILE"`
	Parallel     int               `help:"Tenants worked on at once per instance." default:"4" placeholder:"N"`
}

// Validate checks the flags that kong's types cannot.
func (f *fleetFlags) Validate() error {
	if f.Parallel < 1 {
		return &usageError{"--parallel must be at least 1"}
	}
	return nil
}

// fleetRun is a loaded fleet with its engine, for one command.
type fleetRun struct {
	engine  *fleet.Engine
	fleet   *fleet.Fleet
	targets []fleet.Target
	keys    fleet.Keys
	start   time.Time
}

// load reads the keys and the fleet and selects the targets. Bad input
// (the file, the filters, a missing key) is an *steps.InputError: exit 80.
func (f *fleetFlags) load(ctx context.Context, g *Globals, log *slog.Logger, stderr io.Writer, progress bool, opts fleet.Options) (*fleetRun, error) {
	r := &fleetRun{keys: fleet.Keys{}, start: time.Now()}
	if f.InstanceKeys != "" {
		if err := r.keys.ReadKeyFile(f.InstanceKeys); err != nil {
			return nil, &steps.InputError{Field: "OCTOFLEET_INSTANCE_KEYS", Err: err}
		}
	}
	for u, file := range f.InstanceKey {
		if err := r.keys.ReadKey(u, file); err != nil {
			return nil, err
		}
	}
	if g.Server != "" && g.APIKey != "" {
		r.keys.Add(g.Server, g.APIKey)
	}
	var fl *fleet.Fleet
	if f.Fleet != "" {
		raw, err := os.ReadFile(f.Fleet)
		if err != nil {
			return nil, &steps.InputError{Field: "--fleet", Err: err}
		}
		if fl, err = fleet.ParseFile(raw, r.keys); err != nil {
			return nil, err
		}
		if _, ok := r.keys.For(fl.Hub.URL); !ok && g.APIKey != "" {
			r.keys.Add(fl.Hub.URL, g.APIKey)
		}
	}
	opts.Keys, opts.Parallel, opts.RateLimitPerMinute, opts.Logger, opts.HTTPClient = r.keys, f.Parallel, g.RateLimit, log, g.client
	opts.Retry.Budget = g.retryBudget()
	if progress && isTerminal(stderr) {
		opts.Progress = progressLine(stderr)
	}
	r.engine = fleet.New(ctx, opts)
	if fl == nil {
		switch {
		case g.Server == "":
			return nil, &usageError{"--server (or OCTOPUS_URL) is required: the hub, or give --fleet FILE"}
		case g.APIKey == "":
			return nil, &usageError{"--api-key (or OCTOPUS_API_KEY) is required for the hub"}
		case g.Space == "":
			return nil, &usageError{"--space (or OCTOPUS_SPACE) is required: the management space"}
		}
		var err error
		if fl, err = r.engine.LoadHub(ctx, g.Server, g.Space); err != nil {
			return nil, err
		}
	}
	r.fleet = fl
	var err error
	if r.targets, err = fl.Select(f.Tenant, f.Tag); err != nil {
		return nil, err
	}
	return r, nil
}

// facadePackage builds the package facade projects carry when a selected
// target is a facade (reading the binary costs time otherwise wasted).
func facadePackage(targets []fleet.Target, path, version string) (*steps.PackageFile, error) {
	if !slices.ContainsFunc(targets, func(t fleet.Target) bool { return t.Pattern == fleet.Facade }) {
		return nil, nil
	}
	pkg, err := octofleetPackage(path, version)
	if err != nil {
		return nil, &steps.InputError{Field: "--package", Err: err}
	}
	return pkg, nil
}

// isTerminal reports whether w is a terminal (progress is drawn only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressLine redraws one line on the terminal.
func progressLine(w io.Writer) func(fleet.Progress) {
	return func(p fleet.Progress) {
		fmt.Fprintf(w, "\r\033[K%d/%d targets, %d failed, %d API calls, %s", p.Done, p.Total, p.Failed, p.Calls, p.Elapsed.Round(100*time.Millisecond))
		if p.Done == p.Total {
			fmt.Fprint(w, "\r\033[K")
		}
	}
}

// planFlags are drift's and apply's own flags.
type planFlags struct {
	fleetFlags
	Detail         bool   `help:"Print each target's plan."`
	Report         string `help:"Write a JSON report with every change to FILE." type:"path" placeholder:"FILE"`
	Package        string `help:"octofleet package facade projects carry (default: one built from this binary, as the Create Facade Project runbook uploads the package it runs from)." type:"existingfile" placeholder:"FILE"`
	PackageVersion string `help:"Version of the package built from this binary (default: its own version)." env:"OCTOFLEET_PACKAGE_VERSION" placeholder:"VERSION"`
	BackupDir      string `help:"Folder for clone-instance-settings' backups (default: current folder)." type:"path" placeholder:"DIR"`
}

// fleetDriftCmd is `octofleet fleet drift`.
type fleetDriftCmd struct{ planFlags }

// fleetApplyCmd is `octofleet fleet apply`.
type fleetApplyCmd struct{ planFlags }

// Run plans every selected target.
func (c *fleetDriftCmd) Run(ctx context.Context, kctx *kong.Context, w io.Writer, g *Globals, log *slog.Logger) error {
	return c.run(ctx, kctx.Stderr, w, g, log, fleet.PlanOnly)
}

// Run applies every selected target.
func (c *fleetApplyCmd) Run(ctx context.Context, kctx *kong.Context, w io.Writer, g *Globals, log *slog.Logger) error {
	return c.run(ctx, kctx.Stderr, w, g, log, fleet.ApplyAll)
}

// Report is what --report and --output json write.
type Report struct {
	Mode      string                `json:"mode"`
	Hub       fleet.Hub             `json:"hub"`
	Results   []fleet.Result        `json:"results"`
	Totals    Totals                `json:"totals"`
	Instances []fleet.InstanceStats `json:"instances"`
}

// Totals sum a run up.
type Totals struct {
	Targets  int     `json:"targets"`
	InLine   int     `json:"inLine"`
	Drifted  int     `json:"drifted"`
	Applied  int     `json:"applied,omitempty"`
	Failed   int     `json:"failed"`
	Changes  int     `json:"changes"`
	Reads    int     `json:"reads"`
	Writes   int     `json:"writes"`
	LoadRead int     `json:"fleetReads"`
	Seconds  float64 `json:"seconds"`
}

func (c *planFlags) run(ctx context.Context, stderr, w io.Writer, g *Globals, log *slog.Logger, mode fleet.Mode) error {
	r, err := c.load(ctx, g, log, stderr, true, fleet.Options{BackupDir: c.BackupDir})
	if err != nil {
		return err
	}
	pkg, err := facadePackage(r.targets, c.Package, c.PackageVersion)
	if err != nil {
		return err
	}
	if pkg != nil {
		// The engine was made before the targets were known; facades need
		// the package, so make it again with it (no request was sent yet
		// but the hub's, whose reads are not repeated).
		r.engine.SetPackage(pkg)
	}
	if err := r.engine.MissingKeys(r.targets); err != nil {
		return err
	}
	results := r.engine.Run(ctx, r.targets, mode)
	rep := Report{Mode: map[fleet.Mode]string{fleet.PlanOnly: "drift", fleet.ApplyAll: "apply"}[mode], Hub: r.fleet.Hub, Results: results, Instances: r.engine.Pool().Stats()}
	rep.Totals = totals(results, rep.Instances, mode)
	rep.Totals.LoadRead = r.fleet.Read
	rep.Totals.Seconds = time.Since(r.start).Seconds()
	if c.Report != "" {
		if err := writeReport(c.Report, rep); err != nil {
			return err
		}
	}
	switch g.Output {
	case "json":
		if err := encodeJSON(w, rep); err != nil {
			return err
		}
	default:
		if err := printResults(w, rep, c.Detail, g.LogLevel <= slog.LevelDebug); err != nil {
			return err
		}
		if g.Output == "octopus" {
			if err := writeServiceMessages(w, driftOutputs(rep)); err != nil {
				return err
			}
		}
	}
	if mode == fleet.ApplyAll && interrupted(ctx) {
		return fleetInterrupted(w, g.Output, results)
	}
	return resultExit(rep, mode)
}

// driftOutputs are the output variables the Check Drift runbook records.
func driftOutputs(rep Report) steps.Outputs {
	drifted := "False"
	if rep.Totals.Drifted > 0 {
		drifted = "True"
	}
	return steps.Outputs{"Drifted": drifted, "Changes": fmt.Sprint(rep.Totals.Changes)}
}

func totals(results []fleet.Result, inst []fleet.InstanceStats, mode fleet.Mode) Totals {
	t := Totals{Targets: len(results)}
	for _, r := range results {
		t.Changes += r.Changes
		switch {
		case r.Err() != nil:
			t.Failed++
		case mode == fleet.ApplyAll && r.Changes > 0:
			t.Applied++
		case r.Drifted():
			t.Drifted++
		default:
			t.InLine++
		}
	}
	for _, s := range inst {
		t.Reads += s.Reads
		t.Writes += s.Writes
	}
	return t
}

// resultExit: 1 when a target failed (80 when every failure is bad input),
// 2 when a drift check found changes, 0 otherwise.
func resultExit(rep Report, mode fleet.Mode) error {
	if rep.Totals.Failed > 0 {
		code := exitUsage
		for _, r := range rep.Results {
			var ie *steps.InputError
			var ve interface{ ExitCode() int }
			if err := r.Err(); err != nil && !errors.As(err, &ie) && !(errors.As(err, &ve) && ve.ExitCode() == exitUsage) {
				code = exitFailure
			}
		}
		return &exitError{code: code, msg: fmt.Sprintf("%d of %d targets failed", rep.Totals.Failed, rep.Totals.Targets)}
	}
	if mode == fleet.PlanOnly && rep.Totals.Drifted > 0 {
		return &exitError{code: exitChanges, msg: fmt.Sprintf("%d of %d targets drifted", rep.Totals.Drifted, rep.Totals.Targets)}
	}
	return nil
}

func writeReport(path string, rep Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// printResults prints one line per target, the totals and the failures.
func printResults(w io.Writer, rep Report, detail, verbose bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tPATTERN\tINSTANCE\tSPACE\tRESULT")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Target.Tenant, r.Target.Pattern, r.Target.Instance, r.Target.Space, resultText(r, rep.Mode))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if detail {
		for _, r := range rep.Results {
			fmt.Fprintf(w, "\n== %s\n", r.Target.Tenant)
			if err := writeStepResults(w, r.Steps, verbose); err != nil {
				return err
			}
		}
	}
	t := rep.Totals
	var parts []string
	if rep.Mode == "apply" {
		parts = append(parts, fmt.Sprintf("%d applied (%d changes)", t.Applied, t.Changes))
	} else {
		parts = append(parts, fmt.Sprintf("%d drifted (%d changes)", t.Drifted, t.Changes))
	}
	parts = append(parts, fmt.Sprintf("%d in line", t.InLine), fmt.Sprintf("%d failed", t.Failed))
	fmt.Fprintf(w, "\n%d targets: %s. %d API calls (%d reads, %d writes) on %d instances, %d to read the fleet; %.1fs.\n",
		t.Targets, strings.Join(parts, ", "), t.Reads+t.Writes, t.Reads, t.Writes, len(rep.Instances), t.LoadRead, t.Seconds)
	var failed []string
	for _, r := range rep.Results {
		if r.Err() != nil {
			failed = append(failed, fmt.Sprintf("  %s: %s", r.Target.Tenant, strings.ReplaceAll(r.Error, "\n", "\n    ")))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "Failed:\n%s\n", strings.Join(failed, "\n"))
	}
	return nil
}

func resultText(r fleet.Result, mode string) string {
	switch {
	case r.Err() != nil:
		return "error"
	case mode == "apply" && r.Changes > 0:
		return "applied " + changes(r.Changes)
	case r.Changes > 0:
		return changes(r.Changes)
	case r.Drifted():
		return "pending"
	}
	return "unchanged"
}

func changes(n int) string {
	if n == 1 {
		return "1 change"
	}
	return fmt.Sprintf("%d changes", n)
}

// writeStepResults prints each step of a target: its plan, why it is
// pending, or its error.
func writeStepResults(w io.Writer, results []fleet.StepResult, verbose bool) error {
	for _, s := range results {
		fmt.Fprintf(w, "-- %s (%s)\n", s.Name, s.Step)
		switch {
		case s.Pending != "":
			fmt.Fprintf(w, "Pending: %s\n", s.Pending)
		case s.Error != "":
			fmt.Fprintf(w, "Error: %s\n", s.Error)
		default:
			if err := writePlanText(w, s.Plan, verbose); err != nil {
				return err
			}
		}
	}
	return nil
}
