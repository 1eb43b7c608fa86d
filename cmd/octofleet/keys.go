package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/internal/ui"
)

// Keys and transport: every API key flag (--api-key, --from-api-key,
// --source-api-key, …: any flag whose name ends in "api-key", and the
// environment variables behind them) takes "file:PATH" for a file holding
// the key, and --api-key-file / OCTOPUS_API_KEY_FILE names the main one's
// file, so keys stay off command lines and out of shell history. One HTTP
// client, trusting the system's CAs plus --ca-cert, serves every
// connection a command opens.

// resolveKeys reads the key files the parsed flags name. Errors are bad
// input (exit 80), naming the flag.
func resolveKeys(kctx *kong.Context, g *Globals) error {
	if g.APIKeyFile != "" {
		if g.APIKey != "" {
			return &usageError{"give the API key once: --api-key (or OCTOPUS_API_KEY) or --api-key-file (or OCTOPUS_API_KEY_FILE), not both"}
		}
		key, err := ui.ResolveSecret("file:" + g.APIKeyFile)
		if err != nil {
			return &usageError{fmt.Sprintf("--api-key-file: %v", err)}
		}
		g.APIKey = key
	}
	// Every *-api-key flag of the command line, --api-key among them.
	for _, f := range kctx.Flags() {
		if !strings.HasSuffix(f.Name, "api-key") || !f.Target.IsValid() || f.Target.Kind() != reflect.String || !f.Target.CanSet() {
			continue
		}
		v := f.Target.String()
		if !strings.HasPrefix(v, "file:") {
			continue
		}
		key, err := ui.ResolveSecret(v)
		if err != nil {
			return &usageError{fmt.Sprintf("--%s: %v", f.Name, err)}
		}
		f.Target.SetString(key)
	}
	return nil
}

// httpClient is the client every connection of the run uses: TLS verified
// against the system's CAs and --ca-cert's, or not verified at all with
// --insecure-skip-tls-verify (said on stderr, never the default).
func (g *Globals) httpClient(stderr io.Writer) (*http.Client, error) {
	if g.client != nil {
		return g.client, nil
	}
	if g.CACert == "" && !g.InsecureSkipTLSVerify {
		g.client = &http.Client{}
		return g.client, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if g.CACert != "" {
		pem, err := os.ReadFile(g.CACert)
		if err != nil {
			return nil, &usageError{fmt.Sprintf("--ca-cert: %v", err)}
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &usageError{fmt.Sprintf("--ca-cert: %s holds no PEM certificate", g.CACert)}
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	if g.InsecureSkipTLSVerify {
		fmt.Fprintln(stderr, "octofleet: warning: TLS certificates are not verified (--insecure-skip-tls-verify): anyone between here and the server can read the API key")
		tr.TLSClientConfig.InsecureSkipVerify = true // the user asked, and was warned
	}
	g.client = &http.Client{Transport: tr}
	return g.client, nil
}

// dialOptions are the options every connection of the run is made with:
// the key, the global rate limit and retry budget, the logger and the
// run's HTTP client.
func (g *Globals) dialOptions(url, apiKey string) octopus.Options {
	return octopus.Options{URL: url, APIKey: apiKey, RateLimitPerMinute: g.RateLimit, RetryBudget: g.retryBudget(),
		Logger: g.logger(), HTTPClient: g.client}
}
