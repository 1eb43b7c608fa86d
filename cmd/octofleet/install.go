package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// installCmd is `octofleet install`: octofleet's step templates, package,
// project and runbooks, put into a management space (--space).
type installCmd struct {
	Environments  []string `name:"environment" sep:"none" default:"Production" help:"Environment the management space must have and the runbooks run in; repeatable." placeholder:"NAME"`
	HubAPIKey     string   `name:"hub-api-key" env:"OCTOFLEET_HUB_API_KEY" help:"API key the runbooks use on this instance, kept as the project's sensitive variable (default: --api-key; never printed)." placeholder:"KEY"`
	RotateSecrets bool     `help:"Write the hub API key even where the project already has one."`
	Package       string   `help:"Package file to upload (octofleet.<version>.tar.gz from build.sh). Default: one built from this binary." type:"existingfile" placeholder:"FILE"`
	NoPackage     bool     `help:"Upload no package (the feed has one already)."`
	DryRun        bool     `help:"Print the plan; write nothing."`
	ExitCode      bool     `help:"With --dry-run, exit 2 when the plan has changes (drift detection)."`
}

// Help is the long help of install.
func (c *installCmd) Help() string {
	return `Installs octofleet into a management space (--space, created when missing):
its environments and the Octofleet tenant tag set, one step template per step,
the octofleet package in the built-in feed (the binary the templates run), and
the "octofleet" project with its tenant variable templates, variables and
runbooks (Create Space, Seed Templates, Create Facade Project, Clone Instance
Settings). Then register one tenant per managed space, instance or customer
(register-tenant) and run the runbooks for them. A re-run changes nothing.

Outputs: SpaceId, ProjectId.`
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
	pkg, err := c.packageFile()
	if err != nil {
		return err
	}
	bundle, err := runbooks.Bundle(dir, pkg)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	key := c.HubAPIKey
	if key == "" {
		key = g.APIKey
	}
	step := &steps.Install{In: steps.InstallInput{Space: g.Space, Environments: c.Environments, HubAPIKey: key, RotateSecrets: c.RotateSecrets}, Bundle: bundle}
	return runStep(ctx, w, g, oct, step, c.DryRun, c.ExitCode)
}

// packageFile reads --package, or builds the package from the running binary.
func (c *installCmd) packageFile() (*steps.PackageFile, error) {
	if c.NoPackage {
		return nil, nil
	}
	return octofleetPackage(c.Package, "")
}

// octofleetPackage reads the package file at path (octofleet.<version>.tar.gz
// from build.sh), or, when path is empty, builds the package from the
// running binary, as version (default: the binary's version). install and
// create-facade-project upload it.
func octofleetPackage(path, version string) (*steps.PackageFile, error) {
	if path != "" {
		return runbooks.ReadPackage(path)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this binary to package it: %w", err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		return nil, fmt.Errorf("read this binary to package it: %w", err)
	}
	if version == "" {
		version = resolveVersion()
	}
	return runbooks.Package(bin, version)
}

// runStep plans, prints and (unless dryRun) applies a step that has no
// input document, the way stepFlags.run does for the step subcommands.
func runStep(ctx context.Context, w io.Writer, g *Globals, oct steps.Octopus, s steps.Step, dryRun, exitCode bool) error {
	f := stepFlags{DryRun: dryRun, ExitCode: exitCode}
	return f.run(ctx, w, g, oct, s)
}
