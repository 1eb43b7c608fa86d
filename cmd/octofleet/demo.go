package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/octofleet/octofleet/internal/demo"
)

// demoCmd is `octofleet demo`: the whole management-space story against
// two in-memory Octopus servers, with no set-up.
type demoCmd struct {
	Keep   bool   `help:"Leave the two servers running and print their URLs and API keys (stop with Ctrl-C)."`
	UI     string `name:"ui" help:"After the demo, keep the servers running (as --keep) and serve the web UI over both on this loopback HOST:PORT, with one admin user whose random password is printed once." placeholder:"HOST:PORT"`
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
Exits 1 if anything failed.

With --ui HOST:PORT it then also seeds a small tenanted project "` + demo.ShopProject + `" (runbook
"` + demo.ShopRunbook + `", tenants ` + strings.Join(demo.ShopTenants, ", ") + `, release ` + demo.ShopRelease + `) into the hub's Default
space and serves "octofleet ui" over both servers until Ctrl-C: sign in as
"` + demo.UIUser + `" with the password it prints; the configuration and the API key files
are in a temporary folder removed at exit.`
}

// Validate checks --ui before the demo starts: the demo's UI serves plain
// HTTP, so loopback only.
func (c *demoCmd) Validate() error {
	if c.UI == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.UI)
	if err != nil {
		return &usageError{fmt.Sprintf("--ui must be HOST:PORT, got %q", c.UI)}
	}
	if !loopbackHost(host) {
		return &usageError{fmt.Sprintf("--ui %s: the demo's UI serves plain HTTP, so only on a loopback address (e.g. 127.0.0.1:8080)", c.UI)}
	}
	return nil
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
	if c.Keep || c.UI != "" {
		fmt.Fprintf(w, "\nThe servers keep running; stop with Ctrl-C.\n  hub:      OCTOPUS_URL=%s OCTOPUS_API_KEY=%s\n  regional: OCTOPUS_URL=%s OCTOPUS_API_KEY=%s\n",
			res.Hub.URL(), demo.HubAPIKey, res.Regional.URL(), demo.RegionalAPIKey)
		if c.UI != "" {
			if err := c.serveUI(ctx, w, log, res); err != nil {
				return err
			}
		}
		<-ctx.Done()
	}
	if res.Failed() {
		return &exitError{code: exitFailure, msg: "the demo failed (see above)"}
	}
	return nil
}

// serveUI seeds the Shop project and serves the web UI over the demo's
// servers until ctx is done.
func (c *demoCmd) serveUI(ctx context.Context, w io.Writer, log *slog.Logger, res *demo.Result) error {
	if err := res.SeedShop(ctx); err != nil {
		return fmt.Errorf("demo: seed project %q: %w", demo.ShopProject, err)
	}
	dir, err := os.MkdirTemp("", "octofleet-demo-ui-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer os.RemoveAll(dir)
	cfg, password, err := res.UIConfig(dir)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(w, "\nProject %q (runbook %q, tenants %s, release %s) is in the hub's Default space.\n",
		demo.ShopProject, demo.ShopRunbook, strings.Join(demo.ShopTenants, ", "), demo.ShopRelease)
	fmt.Fprintf(w, "Web UI: sign in as %q with password %s (shown only now).\n", demo.UIUser, password)
	serve := &uiServeCmd{Listen: c.UI, cfg: cfg}
	return serve.Run(ctx, w, log)
}
