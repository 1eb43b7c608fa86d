package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/octofleet/octofleet/internal/ui"
)

// uiCmd is `octofleet ui`: the web front end over the fleet.
type uiCmd struct {
	Serve        uiServeCmd        `cmd:"" default:"withargs" help:"Serve the web UI (the default: octofleet ui --config ui.yaml)."`
	HashPassword uiHashPasswordCmd `cmd:"" help:"Read a password on stdin and print its bcrypt hash for the configuration's passwordHash."`
}

// uiServeCmd serves the UI until interrupted.
type uiServeCmd struct {
	Config       string `help:"The UI's configuration (YAML or JSON, schemas/ui.schema.json)." required:"" type:"existingfile" placeholder:"FILE"`
	Listen       string `help:"host:port to serve on; overrides the configuration's listen (default 127.0.0.1:8080)." placeholder:"HOST:PORT"`
	TLSCert      string `name:"tls-cert" help:"TLS certificate (PEM); with --tls-key the UI serves HTTPS and its cookies are Secure." type:"existingfile" placeholder:"FILE"`
	TLSKey       string `name:"tls-key" help:"TLS private key (PEM)." type:"existingfile" placeholder:"FILE"`
	InsecureHTTP bool   `name:"insecure-http" help:"Allow plain HTTP on a non-loopback address (passwords and session cookies then cross the network unencrypted)."`

	cfg *ui.Config
}

// Help is the long help of octofleet ui.
func (c *uiServeCmd) Help() string {
	return `Serves one web UI over every Octopus instance of the configuration: the fleet
overview, space dashboards, deployments and runbook runs for tenants (queued in
a durable SQLite job queue, with an idempotency key per confirmation), tasks
with live logs, and an audit log. Users sign in with local accounts (bcrypt
hashes from "octofleet ui hash-password") and see and act only within their
role's scope. API keys are given as env:NAME or file:PATH and never leave the
server. Without --tls-cert/--tls-key the UI listens on loopback only, unless
--insecure-http.`
}

// Validate loads the configuration and checks the listen address and TLS
// flags before anything listens: bad input exits 80.
func (c *uiServeCmd) Validate() error {
	cfg, err := ui.LoadConfig(c.Config)
	if err != nil {
		return err
	}
	c.cfg = cfg
	if c.Listen == "" {
		c.Listen = cfg.Listen
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return &usageError{fmt.Sprintf("--listen must be HOST:PORT, got %q", c.Listen)}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return &usageError{"--tls-cert and --tls-key go together"}
	}
	if c.TLSCert == "" && !c.InsecureHTTP && !loopbackHost(host) {
		return &usageError{fmt.Sprintf("refusing to serve plain HTTP on %s, which is not a loopback address: give --tls-cert and --tls-key, or --insecure-http", c.Listen)}
	}
	for _, in := range cfg.Instances {
		if _, err := ui.ResolveSecret(in.APIKey); err != nil {
			return &usageError{fmt.Sprintf("instances %s apiKey: %v", in.Name, err)}
		}
	}
	return nil
}

// loopbackHost: localhost or a loopback IP ("" and 0.0.0.0 mean every
// interface, so not loopback).
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Run serves until ctx is done, then shuts down gracefully.
func (c *uiServeCmd) Run(ctx context.Context, w io.Writer, log *slog.Logger) error {
	srv, err := ui.New(ctx, ui.Options{Config: c.cfg, TLS: c.TLSCert != "", Logger: log})
	if err != nil {
		return err
	}
	defer srv.Close() //nolint:errcheck // shutting down; nothing left to tell
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	scheme := "http"
	if c.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return &usageError{fmt.Sprintf("--tls-cert/--tls-key: %v", err)}
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, hs.TLSConfig)
		scheme = "https"
	}
	fmt.Fprintf(w, "octofleet ui listening on %s://%s\n", scheme, ln.Addr())
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() { srv.Run(runCtx); close(done) }()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = hs.Shutdown(shutCtx)
	stop()
	<-done
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// uiHashPasswordCmd prints a bcrypt hash of the password on stdin.
type uiHashPasswordCmd struct {
	stdin io.Reader
}

func (c *uiHashPasswordCmd) setStdin(r io.Reader) { c.stdin = r }

// Run reads one line (the password, never echoed back) and prints its hash.
func (c *uiHashPasswordCmd) Run(w io.Writer) error {
	r := c.stdin
	if r == nil {
		r = os.Stdin
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password from stdin: %w", err)
	}
	h, err := ui.HashPassword(strings.TrimRight(line, "\r\n"))
	if err != nil {
		return &usageError{err.Error()}
	}
	fmt.Fprintln(w, h)
	return nil
}
