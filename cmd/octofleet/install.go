package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// installCmd is `octofleet install`: octofleet's step templates, package,
// project and runbooks, put into a management space (--space).
type installCmd struct {
	Environments   []string `name:"environment" sep:"none" default:"Production" help:"Environment the management space must have and the runbooks run in; repeatable." placeholder:"NAME"`
	HubAPIKey      string   `name:"hub-api-key" env:"OCTOFLEET_HUB_API_KEY" help:"API key the runbooks use on this instance, kept as the project's sensitive variable (default: --api-key; never printed)." placeholder:"KEY"`
	RotateSecrets  bool     `help:"Write the hub API key even where the project already has one."`
	Package        string   `help:"Package to upload: a file (octofleet.<version>.tar.gz from build.sh, holding a binary per worker OS/architecture), or a folder of octofleet_<os>_<arch> binaries (dist/). Default: one built from this binary and the binaries beside it." type:"path" placeholder:"FILE|DIR"`
	NoPackage      bool     `help:"Upload no package (the feed has one already)."`
	ScriptSyntax   string   `help:"Script syntax of the step templates: bash or powershell (Windows workers). Default: what the worker pool runs (a dynamic pool's worker type, or its workers' OS), else bash." placeholder:"bash|powershell"`
	WorkerPool     string   `help:"Worker pool every runbook step runs on; it must exist in the space. Default: the space's default pool." placeholder:"NAME"`
	ContainerImage string   `help:"Container image every runbook step runs in (an execution container, for workers with Docker), such as octopusdeploy/worker-tools:ubuntu.22.04." placeholder:"IMAGE"`
	ContainerFeed  string   `help:"Container registry feed the image is pulled from (with --container-image), such as Docker Hub; it must exist in the space." placeholder:"NAME"`
	DriftSchedule  string   `help:"Cron schedule of a trigger that runs the Check Drift runbook for every Octofleet-tagged tenant, in UTC: five fields (\"0 3 * * *\") or Octopus's six, seconds first. Without it an existing trigger is left alone." placeholder:"CRON"`
	DryRun         bool     `help:"Print the plan; write nothing."`
	ExitCode       bool     `help:"With --dry-run, exit 2 when the plan has changes (drift detection)."`
	promotionFlags

	pkg *steps.PackageFile // read or built by Validate
}

// Validate reads (or builds) the package, so a bad --package exits 80
// before any request.
func (c *installCmd) Validate() error {
	if c.ScriptSyntax != "" {
		syntax, ok := runbooks.ParseSyntax(c.ScriptSyntax)
		if !ok {
			return &steps.InputError{Field: "--script-syntax", Err: fmt.Errorf("%q is not bash or powershell", c.ScriptSyntax)}
		}
		c.ScriptSyntax = syntax
	}
	if c.DriftSchedule != "" {
		if _, err := steps.NormalizeCron(c.DriftSchedule); err != nil {
			return &steps.InputError{Field: "--drift-schedule", Err: err}
		}
	}
	if err := c.promotionFlags.validate(); err != nil {
		return err
	}
	if c.ContainerFeed != "" && c.ContainerImage == "" {
		return &steps.InputError{Field: "--container-feed", Err: errors.New("a container feed needs --container-image")}
	}
	if c.NoPackage {
		return nil
	}
	pkg, err := octofleetPackage(c.Package, "")
	if err != nil {
		return &steps.InputError{Field: "--package", Err: err}
	}
	c.pkg = pkg
	return nil
}

// Help is the long help of install.
func (c *installCmd) Help() string {
	return `Installs octofleet into a management space (--space, created when missing):
its environments and the Octofleet tenant tag set, one step template per step,
the octofleet package in the built-in feed (a binary per worker OS and
architecture, and a launcher that runs the one for the worker), and the
"octofleet" project with its tenant variable templates, variables and
runbooks (Create Space, Seed Templates, Create Facade Project, Clone Instance
Settings, Check Drift). Then register one tenant per managed space, instance
or customer (register-tenant) and run the runbooks for them. A re-run changes
nothing.

--drift-schedule "0 3 * * *" also keeps the project trigger "Scheduled drift
check": on that cron schedule (UTC) Octopus runs Check Drift for every tenant
with an Octofleet tag, in the first --environment. Check Drift plans the
tenant's steps, records Octofleet.Drifted, DriftChanges, DriftChecked and
DriftTask on the tenant (fleet status shows them) and fails when it drifted.

--promotion also keeps the project "octofleet promotion": a promotion of
the configuration is an Octopus deployment. Its lifecycle goes Development,
Test, Production (environments created when missing); its process runs the
octofleet - Promote step from --promotion-source (default: this instance;
its key OCTOFLEET_PROMOTION_SOURCE_API_KEY, default the hub API key) to the
instance of the environment deployed to, whose
URL (--promotion-target ENV=URL) and API key (--promotion-keys FILE, or
OCTOFLEET_PROMOTION_API_KEY_<ENV>) are variables scoped to it, the key
sensitive. --promotion-space limits it to those spaces (default: every
space).

Where the runbooks run: --worker-pool puts every step on that pool (the
default: the space's default pool), --container-image in an execution
container. The step templates' scripts are Bash or PowerShell
(--script-syntax); by default the syntax the pool's workers run: PowerShell
for a dynamic pool of Windows workers or a pool whose workers all run
Windows, else Bash.

Outputs: SpaceId, ProjectId, ScriptSyntax.`
}

// Run plans, prints and (unless --dry-run) applies the installation.
func (c *installCmd) Run(ctx context.Context, w io.Writer, g *Globals, log *slog.Logger, oct steps.Octopus) error {
	if g.Space == "" {
		return &usageError{"--space (or OCTOPUS_SPACE) names the management space"}
	}
	dir, err := os.MkdirTemp("", "octofleet-install-")
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	defer os.RemoveAll(dir)
	bundle, err := runbooks.Bundle(dir, c.pkg)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	key := c.HubAPIKey
	if key == "" {
		key = g.APIKey
	}
	step := &steps.Install{In: steps.InstallInput{
		Space: g.Space, Environments: c.Environments, HubAPIKey: key, RotateSecrets: c.RotateSecrets,
		ScriptSyntax: c.ScriptSyntax, WorkerPool: c.WorkerPool, ContainerImage: c.ContainerImage, ContainerFeed: c.ContainerFeed,
		DriftSchedule: c.DriftSchedule, Promotion: c.promotion,
	}, Bundle: bundle}
	return runStep(ctx, w, g, oct, step, c.DryRun, c.ExitCode)
}

// octofleetPackage reads the package file at path (octofleet.<version>.tar.gz
// from build.sh), or builds the package from the binaries
// octofleet_<os>_<arch>[.exe] in path when it is a folder (build.sh's
// dist/), or, when path is empty, from the running binary and any such
// binaries beside it, as version (default: the binary's version). install
// and create-facade-project upload it.
func octofleetPackage(path, version string) (*steps.PackageFile, error) {
	if version == "" {
		version = resolveVersion()
	}
	if path != "" {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("read package: %w", err)
		}
		if !fi.IsDir() {
			return runbooks.ReadPackage(path)
		}
		bins, err := runbooks.BinariesIn(path)
		if err != nil {
			return nil, fmt.Errorf("read package binaries: %w", err)
		}
		if len(bins) == 0 {
			return nil, fmt.Errorf("%s holds no binaries named %s (build.sh builds them into dist/)", path, runbooks.BinaryName("<os>/<arch>"))
		}
		return runbooks.PackageBinaries(bins, version)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this binary to package it: %w", err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		return nil, fmt.Errorf("read this binary to package it: %w", err)
	}
	bins := map[string][]byte{runtime.GOOS + "/" + runtime.GOARCH: bin}
	// Run from dist/, the binaries build.sh built for the other workers go
	// into the package too.
	if beside, err := runbooks.BinariesIn(filepath.Dir(exe)); err == nil {
		for t, b := range beside {
			if _, ok := bins[t]; !ok {
				bins[t] = b
			}
		}
	}
	return runbooks.PackageBinaries(bins, version)
}

// runStep plans, prints and (unless dryRun) applies a step that has no
// input document, the way stepFlags.run does for the step subcommands.
func runStep(ctx context.Context, w io.Writer, g *Globals, oct steps.Octopus, s steps.Step, dryRun, exitCode bool) error {
	f := stepFlags{DryRun: dryRun, ExitCode: exitCode}
	return f.run(ctx, w, g, oct, s)
}
