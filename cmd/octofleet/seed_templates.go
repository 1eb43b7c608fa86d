package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// seedTemplatesCmd is `octofleet seed-templates`: --from, --from-space,
// --source-server, --source-api-key, --template, --community, --project,
// --prune and --target-space as flags, or the whole input (with secrets)
// from --input.
type seedTemplatesCmd struct {
	stepFlags
	steps.SeedTemplatesInput `embed:""`
}

// Help is the long help of seed-templates.
func (c *seedTemplatesCmd) Help() string {
	return `Keep step templates and template projects in sync in a space. Sources, in any
mix: Library-format template files (--from), an upstream space on this or another
instance (--from-space, --source-server, --source-api-key, --template), and
community templates by name (--community). Templates are matched by name and
updated only when a field they own differs. --project copies a template project
from the upstream space with every reference remapped by name. --prune deletes
templates octofleet seeded from these sources that the sources no longer have.
Sensitive parameter defaults come from the input's "secrets" (--input only).

--dry-run --exit-code is the drift report: exit 2 when anything differs.

Outputs: SpaceId.`
}

// Validate loads the input through the schema and renders its templates, so
// bad input exits 80 before any network call. Template files are read in Plan,
// also before any request.
func (c *seedTemplatesCmd) Validate() error {
	if err := c.load("seed-templates", &c.SeedTemplatesInput); err != nil {
		return err
	}
	return renderInput(&c.stepFlags, &c.SeedTemplatesInput)
}

// Run plans, prints and (unless --dry-run) applies seed-templates. With
// --source-server it also connects to the upstream instance.
func (c *seedTemplatesCmd) Run(ctx context.Context, w io.Writer, g *Globals, log *slog.Logger, oct steps.Octopus) error {
	in := c.SeedTemplatesInput
	if in.TargetSpace == "" {
		in.TargetSpace = g.Space
	}
	step := &steps.SeedTemplates{In: in}
	if in.Source.Server != "" {
		src, err := octopus.Dial(ctx, g.dialOptions(in.Source.Server, in.Source.APIKey))
		if err != nil {
			return fmt.Errorf("upstream server: %w", err)
		}
		step.Source = src
	}
	return c.run(ctx, w, g, oct, step)
}
