package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// cloneInstanceSettingsCmd is `octofleet clone-instance-settings`. It talks
// to two instances: the source is the global connection (--server,
// --api-key) unless --source-server or the input's source names another one;
// the target comes from --target-server and --target-api-key or the input's
// target. Values in the input document win over the flags.
type cloneInstanceSettingsCmd struct {
	stepFlags
	steps.CloneInstanceSettingsInput `embed:""`

	SourceServer string `name:"source-server" env:"OCTOFLEET_SOURCE_URL" help:"Source Octopus URL (default: --server)." placeholder:"URL"`
	SourceAPIKey string `name:"source-api-key" env:"OCTOFLEET_SOURCE_API_KEY" help:"Source API key (never printed; default: --api-key)." placeholder:"KEY"`
	TargetServer string `name:"target-server" env:"OCTOFLEET_TARGET_URL" help:"Target Octopus URL: the instance to change." placeholder:"URL"`
	TargetAPIKey string `name:"target-api-key" env:"OCTOFLEET_TARGET_API_KEY" help:"Target API key (never printed)." placeholder:"KEY"`
}

// Help is the long help of clone-instance-settings.
func (c *cloneInstanceSettingsCmd) Help() string {
	return `Make a target instance's shared settings match a source instance, per setting
group: authentication (each provider only where the target has it), smtp,
auditStream, webPortal, retention, teams (system teams and custom user roles,
by name; members only with --team-membership) and subscriptions (of the spaces
both instances have, or --subscription-space; IDs in filters remapped by name).
The target's own identity (server URI, OIDC issuer, nodes, licence,
installation id) is never copied.

Secrets cannot be read from Octopus: give them in the input's "secrets"
(--input only). A secret the target has is kept (unless --rotate-secrets); one
it lacks and the input does not give is an error, before anything is written.
Before the first write the target's current values go to a backup file
(--backup-dir, mode 0600, no secrets); restore-instance-settings --from FILE
puts them back.

--dry-run --exit-code is the drift check between the two instances.

Outputs: BackupFile (when something was written), SkippedSettings.`
}

// Validate loads the input through the schema and settles the connections,
// so bad input exits 80 before any network call.
func (c *cloneInstanceSettingsCmd) Validate() error {
	if err := c.load("clone-instance-settings", &c.CloneInstanceSettingsInput); err != nil {
		return err
	}
	in := &c.CloneInstanceSettingsInput
	if in.Source == nil && c.SourceServer != "" {
		if c.SourceAPIKey == "" {
			return &usageError{"--source-server needs --source-api-key (or OCTOFLEET_SOURCE_API_KEY)"}
		}
		in.Source = &steps.Connection{Server: c.SourceServer, APIKey: c.SourceAPIKey}
	}
	if in.Target == nil {
		switch {
		case c.TargetServer == "":
			return &usageError{"the target instance is required: --target-server (or OCTOFLEET_TARGET_URL) or the input's target"}
		case c.TargetAPIKey == "":
			return &usageError{"--target-server needs --target-api-key (or OCTOFLEET_TARGET_API_KEY)"}
		}
		in.Target = &steps.Connection{Server: c.TargetServer, APIKey: c.TargetAPIKey}
	}
	return nil
}

// Run connects to the source (unless the input names one, which the step
// dials itself), then plans, prints and (unless --dry-run) applies.
func (c *cloneInstanceSettingsCmd) Run(ctx context.Context, w io.Writer, g *Globals, log *slog.Logger) error {
	dial := func(ctx context.Context, url, apiKey string) (steps.Octopus, error) {
		cl, err := octopus.Dial(ctx, g.dialOptions(url, apiKey))
		if err != nil {
			return nil, err // never a typed nil *Client in the interface
		}
		return cl, nil
	}
	var source steps.Octopus
	if c.Source == nil {
		switch {
		case g.Server == "":
			return &usageError{"the source instance is required: --server (or OCTOPUS_URL), --source-server or the input's source"}
		case g.APIKey == "":
			return &usageError{"--api-key (or OCTOPUS_API_KEY) is required for the source instance"}
		}
		var err error
		if source, err = dial(ctx, g.Server, g.APIKey); err != nil {
			return fmt.Errorf("connect to source instance: %w", err)
		}
	}
	step := &steps.CloneInstanceSettings{In: c.CloneInstanceSettingsInput, Data: c.templateData(), Dial: dial}
	return c.run(ctx, w, g, source, step)
}
