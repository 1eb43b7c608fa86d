package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// createFacadeProjectCmd is `octofleet create-facade-project`: the input
// comes from --input; the management API key may come from
// --management-api-key or OCTOFLEET_MANAGEMENT_API_KEY instead of the file.
type createFacadeProjectCmd struct {
	stepFlags
	ManagementAPIKey string `name:"management-api-key" env:"OCTOFLEET_MANAGEMENT_API_KEY" help:"Management API key for the facade's sensitive variable (never printed); overrides upstream.apiKey." placeholder:"KEY"`
	Package          string `help:"octofleet package to upload to the customer space's built-in feed for the facade step (octofleet.<version>.tar.gz from build.sh; a Linux build when the workers run Linux). Default: one built from this binary. Not used when the input sets command." type:"existingfile" placeholder:"FILE"`
	PackageVersion   string `help:"Version of the package built from this binary (default: its own version). The step templates set it to the version of the octofleet package they run from, so the customer space gets the management space's package." env:"OCTOFLEET_PACKAGE_VERSION" placeholder:"VERSION"`

	in  steps.CreateFacadeProjectInput
	pkg *steps.PackageFile // the package the step carries; nil when the input names a command
}

// Help is the long help of create-facade-project.
func (c *createFacadeProjectCmd) Help() string {
	return `Create or converge a customer's facade: the customer's space (as create-space
does), a project there whose single step runs "octofleet trigger" for the
customer's tenant against a runbook or a deployment in the management space, the
project variables the step reads (the management API key as a sensitive
variable, written once and then kept unless rotateApiKey is set), and a customer
team whose roles are granted in the customer space only. The input comes from
--input. A re-run changes nothing; changing the upstream target updates the
facade step in place. A runbook facade publishes a new snapshot of its runbook
whenever its step, variables or package change.

The facade step runs octofleet from the octofleet package, which this command
uploads to the customer space's built-in feed (--package, or one built from this
binary; uploaded again only when its hash differs), so workers need no octofleet
of their own and download nothing. An input "command" instead runs that command
from the worker's PATH, with no package.

Outputs: SpaceId, SpaceName, ProjectId, RunbookId (runbook facades).`
}

var apiKeyShape = regexp.MustCompile(`^API-[A-Z0-9]+$`)

// Validate loads --input through the schema and renders its templates, so
// bad input exits 80 before any network call.
func (c *createFacadeProjectCmd) Validate() error {
	if c.Input == "" {
		return &usageError{"create-facade-project takes its input from --input FILE (or - for stdin)"}
	}
	if err := c.load("create-facade-project", &c.in); err != nil {
		return err
	}
	if c.in.Command == "" {
		// PackageVersion turns what is not a semantic version into 0.0.0-dev.
		if v := c.PackageVersion; v != "" && v != "0.0.0-dev" && runbooks.PackageVersion(v) == "0.0.0-dev" {
			return &steps.InputError{Field: "--package-version", Err: fmt.Errorf("%q is not a semantic version such as 1.2.0", c.PackageVersion)}
		}
		// Read (or build) the package now, so a bad file exits 80 before any request.
		pkg, err := octofleetPackage(c.Package, c.PackageVersion)
		if err != nil {
			return &steps.InputError{Field: "--package", Err: err}
		}
		c.pkg = pkg
	}
	if c.ManagementAPIKey != "" {
		if !apiKeyShape.MatchString(c.ManagementAPIKey) {
			// Never echo the key, even a malformed one.
			return &steps.InputError{Field: "--management-api-key", Err: errors.New("an Octopus API key is API- followed by upper-case letters and digits")}
		}
		c.in.Upstream.APIKey = c.ManagementAPIKey
	}
	return renderInput(&c.stepFlags, &c.in)
}

// Run plans, prints and (unless --dry-run) applies create-facade-project.
// Unless the input names a command, the facade step carries the octofleet
// package, uploaded to the customer space's built-in feed.
func (c *createFacadeProjectCmd) Run(ctx context.Context, w io.Writer, g *Globals, oct steps.Octopus) error {
	return c.run(ctx, w, g, oct, steps.CreateFacadeProject{In: c.in, Package: c.pkg})
}
