package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"time"

	"github.com/alecthomas/kong"

	"github.com/octofleet/octofleet/internal/emulator"
)

var serverVersionShape = regexp.MustCompile(`^[0-9]+(\.[0-9]+){1,3}$`)

// emulatorCmd serves the in-memory Octopus Server API until interrupted.
type emulatorCmd struct {
	Listen             string        `help:"Address to listen on (port 0 picks a free port)." default:"127.0.0.1:8065" placeholder:"HOST:PORT"`
	State              string        `help:"Load state from FILE at start and save it there on every change and on shutdown." type:"path" placeholder:"FILE"`
	CommunityTemplates string        `help:"Folder of community step templates (Library-format JSON) to offer." type:"existingdir" placeholder:"DIR"`
	Latency            time.Duration `help:"Delay added to every response." default:"0s"`
	ErrorRate          float64       `help:"Fraction of requests (0-1) answered with a 500." default:"0"`
	DropRate           float64       `help:"Fraction of requests (0-1) applied, then dropped without a response." default:"0"`
	ThrottleRate       float64       `help:"Fraction of requests (0-1) answered with a 429 (Retry-After: 1) without being applied." default:"0"`
	RateLimit429       int           `name:"rate-limit-429" help:"Answer 429 with Retry-After beyond N requests per minute (0 = off)." default:"0" placeholder:"N"`
	Seed               int64         `help:"Seed for the random faults (0 = random)." default:"0"`
	AuthProviders      []string      `help:"Authentication providers this instance has, by configuration section (e.g. authentication-usernamepassword,authentication-aad); default: all." placeholder:"SECTION"`
	LegacySMTP         bool          `name:"legacy-smtp" help:"Serve /api/smtpconfiguration in the older flat form (SmtpLogin, SmtpPassword at the top level)."`
	ServerVersion      string        `help:"Octopus Server version the API root claims (default ${default_server_version}), to try version skew." placeholder:"VERSION"`
}

// Help explains where the emulator's admin API key comes from.
func (c *emulatorCmd) Help() string {
	return `The admin user's API key is --api-key when given on the command line, else
$OCTOFLEET_EMULATOR_API_KEY, else ` + emulator.DefaultAPIKey + `. (OCTOPUS_API_KEY is
ignored here: it usually holds a real server's key.) The URL and the key are
printed on stdout as export lines; stop with Ctrl-C (state is saved).

  curl -H "X-Octopus-ApiKey: ` + emulator.DefaultAPIKey + `" http://127.0.0.1:8065/api/spaces`
}

// Validate rejects a --listen that is not HOST:PORT and fault rates outside
// 0-1 before anything listens.
func (c *emulatorCmd) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("--listen must be HOST:PORT (port 0 picks a free one), got %q", c.Listen)
	}
	for name, r := range map[string]float64{"--error-rate": c.ErrorRate, "--drop-rate": c.DropRate, "--throttle-rate": c.ThrottleRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("%s must be between 0 and 1, got %g", name, r)
		}
	}
	if c.ServerVersion != "" && !serverVersionShape.MatchString(c.ServerVersion) {
		return fmt.Errorf("--server-version must look like 2026.1.9674 (numbers separated by dots), got %q", c.ServerVersion)
	}
	if c.Latency < 0 || c.RateLimit429 < 0 {
		return errors.New("--latency and --rate-limit-429 must not be negative")
	}
	return nil
}

// Run serves until ctx is cancelled (SIGINT/SIGTERM), then closes the
// server, which saves the state when --state is set.
func (c *emulatorCmd) Run(ctx context.Context, w io.Writer, kctx *kong.Context, g *Globals, log *slog.Logger) error {
	key := os.Getenv("OCTOFLEET_EMULATOR_API_KEY")
	if flagGiven(kctx, "api-key") {
		key = g.APIKey
	}
	if key == "" {
		key = emulator.DefaultAPIKey
	}
	srv, err := emulator.New(emulator.Options{
		Listen:                c.Listen,
		APIKey:                key,
		StatePath:             c.State,
		CommunityTemplatesDir: c.CommunityTemplates,
		ServerVersion:         c.ServerVersion,
		Faults: emulator.Faults{
			Latency:            c.Latency,
			ErrorRate:          c.ErrorRate,
			DropRate:           c.DropRate,
			ThrottleRate:       c.ThrottleRate,
			RateLimitPerMinute: c.RateLimit429,
			Seed:               c.Seed,
		},
		Logger: log,
	})
	if err != nil {
		return fmt.Errorf("start emulator: %w", err)
	}
	if err := c.configure(srv); err != nil {
		return errors.Join(err, srv.Close())
	}
	log.Info("octopus api emulator serving; stop with Ctrl-C", "url", srv.URL(), "state", c.State)
	if _, err := fmt.Fprintf(w, "export OCTOPUS_URL=%s\nexport OCTOPUS_API_KEY=%s\n", srv.URL(), srv.APIKey()); err != nil {
		return errors.Join(err, srv.Close())
	}
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("stop emulator: %w", err)
	}
	log.Info("octopus api emulator stopped")
	return nil
}

// configure gives the instance the settings surface the flags ask for, so
// that clone-instance-settings can be tried between differently equipped
// instances.
func (c *emulatorCmd) configure(srv *emulator.Server) error {
	if len(c.AuthProviders) > 0 {
		if err := srv.SetAuthProviders(c.AuthProviders...); err != nil {
			return &usageError{msg: "--auth-providers: " + err.Error()}
		}
	}
	if c.LegacySMTP {
		if err := srv.UseLegacySMTPForm(); err != nil {
			return fmt.Errorf("--legacy-smtp: %w", err)
		}
	}
	return nil
}

// flagGiven reports whether the flag was on the command line (not from env or default).
func flagGiven(kctx *kong.Context, name string) bool {
	for _, p := range kctx.Path {
		if p.Flag != nil && p.Flag.Name == name {
			return true
		}
	}
	return false
}
