package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/octofleet/octofleet/internal/demo"
)

// demoCmd is `octofleet demo`: the whole management-space story against
// two in-memory Octopus servers, with no set-up.
type demoCmd struct {
	Keep   bool   `help:"Leave the two servers running and print their URLs and API keys (stop with Ctrl-C)."`
	Binary string `help:"octofleet binary the runbooks run (default: this one)." type:"existingfile" hidden:"" placeholder:"FILE"`
}

// Help is the long help of demo.
func (c *demoCmd) Help() string {
	return `Starts two emulated Octopus servers, a hub and a regional instance; installs
octofleet into the hub's management space "` + demo.ManagementSpace + `"; registers four tenants (two
business units as managed spaces, a region as a managed instance, a customer as
a facade); runs the octofleet runbooks for each tenant through the hub's task
runner, whose Bash steps run this very binary from the octofleet package (Seed
Templates reaches the regional instance for the managed instance); runs the
customer's facade runbook in the customer's own space, which runs the hub's Seed
Templates for that tenant; prints a summary table and a final drift check.
Exits 1 if anything failed.`
}

// Run runs the demo.
func (c *demoCmd) Run(ctx context.Context, w io.Writer, log *slog.Logger) (err error) {
	bin := c.Binary
	if bin == "" {
		// Under `go run` this is the temporary build of octofleet itself,
		// which is exactly what the package must carry.
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("demo: find this binary: %w", err)
		}
		bin = exe
	}
	res, err := demo.Run(ctx, demo.Options{Binary: bin, Version: resolveVersion(), Out: w, Log: log})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer func() {
		if cerr := res.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("demo: stop the servers: %w", cerr)
		}
	}()
	if c.Keep {
		fmt.Fprintf(w, "\nThe servers keep running; stop with Ctrl-C.\n  hub:      OCTOPUS_URL=%s OCTOPUS_API_KEY=%s\n  regional: OCTOPUS_URL=%s OCTOPUS_API_KEY=%s\n",
			res.Hub.URL(), demo.HubAPIKey, res.Regional.URL(), demo.RegionalAPIKey)
		<-ctx.Done()
	}
	if res.Failed() {
		return &exitError{code: exitFailure, msg: "the demo failed (see above)"}
	}
	return nil
}
