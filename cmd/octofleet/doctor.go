package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/octofleet/octofleet/internal/doctor"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// doctorCmd is `octofleet doctor`: checks an instance (the global --server)
// before octofleet runs against it or before an upgrade is promoted on.
type doctorCmd struct {
	FromServer       string   `name:"from-server" env:"OCTOFLEET_FROM_URL" help:"Another instance (the one configuration is promoted from): report the version skew against it." placeholder:"URL"`
	FromAPIKey       string   `name:"from-api-key" env:"OCTOFLEET_FROM_API_KEY" help:"API key of --from-server (never printed)." placeholder:"KEY"`
	AllowVersionSkew bool     `name:"allow-version-skew" help:"Report a version skew as a warning, not a failure."`
	Step             []string `name:"step" sep:"none" help:"Check the permissions of this step only (repeatable; default every step)." placeholder:"STEP"`
	Smoke            bool     `help:"Also create a scratch space, seed octofleet's step templates into it, check a second plan is empty, and delete it (writes)."`
	SmokeSpace       string   `name:"smoke-space" help:"Name of the scratch space (default octofleet-doctor-<random>)." placeholder:"NAME"`
}

// Help is the long help of doctor.
func (c *doctorCmd) Help() string {
	var b strings.Builder
	b.WriteString(`Check an Octopus instance (--server, --api-key; --space for the space-level
checks) before octofleet runs against it, or an upgraded instance before its
configuration is promoted on:

  - server: the version the API root claims;
  - version-skew (with --from-server): configuration is promoted only to an
    instance running the same minor version or the next one;
  - permissions: what the API key's user holds (GET /api/users/{id}/permissions)
    against what each step needs (listed below);
  - routes: every API route octofleet reads answers with the expected shape;
  - worker-pools: each pool of the space and the script syntax its workers run;
  - smoke (--smoke): create-space, seed-templates, a second empty plan, delete.

Exits 1 when a check fails, 0 otherwise (warnings included).

Permissions each step needs (system-level, then in its space):
`)
	for _, n := range sortedStepNames() {
		p := steps.StepPermissions[n]
		fmt.Fprintf(&b, "\n  %s:\n    system: %s\n    space:  %s\n", n, strings.Join(p.System, ", "), strings.Join(p.Space, ", "))
	}
	return b.String()
}

func sortedStepNames() []string {
	names := make([]string, 0, len(steps.StepPermissions))
	for n := range steps.StepPermissions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Validate rejects incomplete flags before any request.
func (c *doctorCmd) Validate() error {
	if c.FromServer != "" && c.FromAPIKey == "" {
		return &usageError{"--from-server needs --from-api-key (or OCTOFLEET_FROM_API_KEY)"}
	}
	for _, s := range c.Step {
		if _, ok := steps.StepPermissions[s]; !ok {
			return &usageError{fmt.Sprintf("--step %q: no such step (one of %s)", s, strings.Join(sortedStepNames(), ", "))}
		}
	}
	return nil
}

// Run checks the instance and prints the report.
func (c *doctorCmd) Run(ctx context.Context, w io.Writer, g *Globals, log *slog.Logger, oct steps.Octopus) error {
	p, ok := oct.(doctor.Port)
	if !ok {
		return fmt.Errorf("doctor needs the Octopus adapter, got %T", oct)
	}
	o := doctor.Options{Space: g.Space, Steps: c.Step, AllowVersionSkew: c.AllowVersionSkew, Smoke: c.Smoke, SmokeSpace: c.SmokeSpace}
	if c.FromServer != "" {
		from, err := octopus.Dial(ctx, g.dialOptions(c.FromServer, c.FromAPIKey))
		if err != nil {
			return fmt.Errorf("connect to --from-server: %w", err)
		}
		if o.SourceVersion, err = from.ServerVersion(ctx); err != nil {
			return fmt.Errorf("--from-server: %w", err)
		}
	}
	rep, err := doctor.Run(ctx, p, o)
	if err != nil {
		return err
	}
	if g.Output == "json" {
		if err := encodeJSON(w, rep); err != nil {
			return err
		}
	} else if err := writeDoctorText(w, rep); err != nil {
		return err
	}
	if failed := rep.Failed(); len(failed) > 0 {
		names := make([]string, len(failed))
		for i, f := range failed {
			names[i] = f.Area + " " + f.Name
		}
		return &exitError{code: exitFailure, msg: fmt.Sprintf("%d checks failed: %s", len(failed), strings.Join(names, "; "))}
	}
	return nil
}

func writeDoctorText(w io.Writer, rep doctor.Report) error {
	area := ""
	for _, c := range rep.Checks {
		if c.Area != area {
			area = c.Area
			if _, err := fmt.Fprintf(w, "%s\n", area); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "  %-4s %s: %s\n", c.Status, c.Name, c.Detail); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%d checks, %d failed\n", len(rep.Checks), len(rep.Failed()))
	return err
}
