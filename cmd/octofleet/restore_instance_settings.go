package main

import (
	"context"
	"io"

	"github.com/octofleet/octofleet/steps"
)

// restoreInstanceSettingsCmd is `octofleet restore-instance-settings`: it
// puts the instance of the global connection back to a backup's values.
type restoreInstanceSettingsCmd struct {
	stepFlags
	steps.RestoreInstanceSettingsInput `embed:""`
}

// Help is the long help of restore-instance-settings.
func (c *restoreInstanceSettingsCmd) Help() string {
	return `Put the instance named by --server back to the values a clone-instance-settings
backup recorded (--from FILE), and delete the teams, user roles and
subscriptions that clone created. Secrets are not in backups: a secret the
backup did not have is cleared, one it had is kept as it is now. A second run
changes nothing.`
}

// Validate loads the input through the schema: exit 80 before any request.
func (c *restoreInstanceSettingsCmd) Validate() error {
	return c.load("restore-instance-settings", &c.RestoreInstanceSettingsInput)
}

// Run plans, prints and (unless --dry-run) applies the restore.
func (c *restoreInstanceSettingsCmd) Run(ctx context.Context, w io.Writer, g *Globals, oct steps.Octopus) error {
	return c.run(ctx, w, g, oct, &steps.RestoreInstanceSettings{In: c.RestoreInstanceSettingsInput, Server: g.Server})
}
