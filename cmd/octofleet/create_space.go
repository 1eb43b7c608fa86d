package main

import (
	"context"
	"io"

	"github.com/octofleet/octofleet/steps"
)

// createSpaceCmd is `octofleet create-space`: the common fields as flags
// (--name, --description, --slug, --manager-team, --manager-user,
// --task-queue-stopped) or the whole input from --input.
type createSpaceCmd struct {
	stepFlags
	steps.CreateSpaceInput `embed:""`
}

// Help is the long help of create-space.
func (c *createSpaceCmd) Help() string {
	return `The field flags cover the space itself; --input adds its environments,
lifecycles, project groups, tenant tag sets and teams. Anything the input leaves
out is left alone; nothing it does not name is deleted. A re-run changes
nothing.

Outputs: SpaceId, SpaceName (--output octopus sets them as output variables).`
}

// Validate loads the input (flags or --input) through the schema and renders
// its templates, so bad input exits 80 before any network call.
func (c *createSpaceCmd) Validate() error {
	if err := c.load("create-space", &c.CreateSpaceInput); err != nil {
		return err
	}
	return renderInput(&c.stepFlags, &c.CreateSpaceInput)
}

// Run plans, prints and (unless --dry-run) applies create-space.
func (c *createSpaceCmd) Run(ctx context.Context, w io.Writer, g *Globals, oct steps.Octopus) error {
	return c.run(ctx, w, g, oct, steps.CreateSpace{In: c.CreateSpaceInput})
}
