package main

import (
	"context"
	"io"

	"github.com/octofleet/octofleet/steps"
)

// registerTenantCmd is `octofleet register-tenant`: a tenant of the
// management space (--space) with its tags, its connection to the octofleet
// project's environments and its variables.
type registerTenantCmd struct {
	stepFlags
	steps.RegisterTenantInput `embed:""`
}

// Help is the long help of register-tenant.
func (c *registerTenantCmd) Help() string {
	return `One tenant per downstream space, instance or customer, in the management space
(--space) where octofleet is installed. Tags are canonical names ("Tag set/Tag")
that must exist; the tenant connects to the project's environments (default:
all of them, the first time) and fills the project's tenant variable templates.
Sensitive values (an instance's API key) are written only where the tenant has
none, unless --rotate-secrets; give them with --input, not on the command line.
Values not named are kept. A re-run changes nothing.

Outputs: TenantId.`
}

// Validate loads the input through the schema and renders its templates,
// so bad input exits 80 before any network call.
func (c *registerTenantCmd) Validate() error {
	if err := c.load("register-tenant", &c.RegisterTenantInput); err != nil {
		return err
	}
	return renderInput(&c.stepFlags, &c.RegisterTenantInput)
}

// Run plans, prints and (unless --dry-run) applies register-tenant.
func (c *registerTenantCmd) Run(ctx context.Context, w io.Writer, g *Globals, oct steps.Octopus) error {
	in := c.RegisterTenantInput
	in.Space = g.Space
	return c.run(ctx, w, g, oct, &steps.RegisterTenant{In: in})
}
