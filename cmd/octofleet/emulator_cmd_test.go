package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/steps"
)

// startEmulator runs `octofleet emulator args…` in-process and returns the
// URL and API key it printed, and a stop function that cancels its context
// and returns its exit code and stderr.
func startEmulator(t *testing.T, args ...string) (url, key string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		code := execute(ctx, append([]string{"emulator", "--listen", "127.0.0.1:0"}, args...), strings.NewReader(""), pw, &stderr,
			func(context.Context, *Globals, *slog.Logger) (steps.Octopus, error) {
				t.Error("the emulator command dialled an Octopus client")
				return nil, io.EOF
			})
		pw.Close() // unblocks the reader below if the emulator failed to start
		done <- code
	}()
	stop = func() (int, string) {
		cancel()
		code := <-done
		return code, stderr.String()
	}
	sc := bufio.NewScanner(pr)
	for (url == "" || key == "") && sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "export OCTOPUS_URL="); ok {
			url = v
		}
		if v, ok := strings.CutPrefix(line, "export OCTOPUS_API_KEY="); ok {
			key = v
		}
	}
	if url == "" || key == "" {
		code, errs := stop()
		t.Fatalf("emulator printed no URL and key (exit %d):\n%s", code, errs)
	}
	return url, key, stop
}

func getStatus(t *testing.T, url, key string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/api/spaces", nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-Octopus-ApiKey", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

func TestEmulatorCommand(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state.json")
	url, key, stop := startEmulator(t, "--state", state)
	if key != emulator.DefaultAPIKey {
		t.Errorf("key = %q, want the default %q", key, emulator.DefaultAPIKey)
	}
	if got := getStatus(t, url, key); got != http.StatusOK {
		t.Errorf("GET /api/spaces with the key = %d, want 200", got)
	}
	if got := getStatus(t, url, ""); got != http.StatusUnauthorized {
		t.Errorf("GET /api/spaces without a key = %d, want 401", got)
	}
	if code, errs := stop(); code != exitOK {
		t.Fatalf("exit %d on cancel:\n%s", code, errs)
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("state not saved on shutdown: %v", err)
	}
}

func TestEmulatorCommandAPIKeyFlag(t *testing.T) {
	t.Parallel()
	const chosen = "API-CHOSEN0000000000000000000000"
	url, key, stop := startEmulator(t, "--api-key", chosen)
	defer stop()
	if key != chosen {
		t.Fatalf("key = %q, want %q", key, chosen)
	}
	if got := getStatus(t, url, chosen); got != http.StatusOK {
		t.Errorf("GET /api/spaces with the chosen key = %d, want 200", got)
	}
}

// TestEmulatorCommandIgnoresOctopusAPIKey: OCTOPUS_API_KEY usually holds a
// real server's key; the emulator must neither adopt nor print it. It sets
// the environment, so it is not parallel.
func TestEmulatorCommandIgnoresOctopusAPIKey(t *testing.T) {
	const real = "API-REALSERVERKEY0000000000000000"
	t.Setenv("OCTOPUS_API_KEY", real)
	t.Setenv("OCTOFLEET_EMULATOR_API_KEY", "")
	_, key, stop := startEmulator(t)
	if key != emulator.DefaultAPIKey {
		t.Errorf("key = %q, want the default", key)
	}
	if _, errs := stop(); strings.Contains(errs, real) {
		t.Errorf("the real key leaked to stderr:\n%s", errs)
	}
	t.Setenv("OCTOFLEET_EMULATOR_API_KEY", "API-FROMENV000000000000000000000")
	_, key, stop = startEmulator(t)
	defer stop()
	if key != "API-FROMENV000000000000000000000" {
		t.Errorf("key = %q, want OCTOFLEET_EMULATOR_API_KEY's", key)
	}
}

// runAgainst runs octofleet in-process with the real adapter against url.
func runAgainst(t *testing.T, url, key string, args ...string) result {
	t.Helper()
	var out, errs strings.Builder
	code := execute(t.Context(), append([]string{"--server", url, "--api-key", key}, args...), strings.NewReader(""), &out, &errs, dialOctopus)
	return result{code: code, stdout: out.String(), stderr: errs.String()}
}

// TestEmulatorCommandStateSurvivesRestart: what a step wrote through
// `octofleet emulator --state FILE` is in FILE as soon as it was answered,
// and a second `octofleet emulator --state FILE` serves it, so the step's
// re-run changes nothing.
func TestEmulatorCommandStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state.json")
	create := []string{"create-space", "--name", "Team A", "--description", "Kept", "--manager-team", "Octopus Administrators"}

	url, key, stop := startEmulator(t, "--state", state)
	r := runAgainst(t, url, key, create...)
	if r.code != exitOK || !strings.Contains(r.stdout, "SpaceId = Spaces-2") {
		stop()
		t.Fatalf("create: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	saved, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(saved), `"Team A"`) {
		t.Errorf("state file before shutdown (err %v) lacks the new space", err)
	}
	if code, errs := stop(); code != exitOK {
		t.Fatalf("exit %d on cancel:\n%s", code, errs)
	}

	url, key, stop = startEmulator(t, "--state", state)
	defer stop()
	r = runAgainst(t, url, key, append(create, "--dry-run", "--exit-code")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "No changes.") || !strings.Contains(r.stdout, "SpaceId = Spaces-2") {
		t.Errorf("after restart: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runAgainst(t, url, key, "create-space", "--name", "Team B")
	if r.code != exitOK || !strings.Contains(r.stdout, "SpaceId = Spaces-3") {
		t.Errorf("a new space after restart must not reuse an ID: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestEmulatorCommandSettingsFlags: --auth-providers leaves the instance only
// those providers, --legacy-smtp serves the older flat SMTP form, and an
// unknown provider is bad usage.
func TestEmulatorCommandSettingsFlags(t *testing.T) {
	t.Parallel()
	url, key, stop := startEmulator(t, "--auth-providers", "authentication-usernamepassword", "--legacy-smtp")
	defer stop()
	get := func(path string) map[string]any {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Octopus-ApiKey", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return doc
	}
	sections := get("/api/configuration?take=100")
	var ids []string
	for _, s := range sections["Items"].([]any) {
		if id := s.(map[string]any)["Id"].(string); strings.HasPrefix(id, "authentication-") {
			ids = append(ids, id)
		}
	}
	if !slices.Equal(ids, []string{"authentication-usernamepassword"}) {
		t.Errorf("authentication provider sections = %q, want only authentication-usernamepassword", ids)
	}
	smtp := get("/api/smtpconfiguration")
	if _, flat := smtp["SmtpLogin"]; !flat {
		t.Errorf("SMTP configuration = %v, want the flat form with SmtpLogin", smtp)
	}
	if _, details := smtp["Details"]; details {
		t.Errorf("SMTP configuration = %v, want no Details in the flat form", smtp)
	}

	var stdout, stderr strings.Builder
	code := execute(t.Context(), []string{"emulator", "--listen", "127.0.0.1:0", "--auth-providers", "authentication-nosuch"},
		strings.NewReader(""), &stdout, &stderr, nil)
	if code != exitUsage || !strings.Contains(stderr.String(), "--auth-providers") {
		t.Errorf("unknown provider: exit %d, stderr %q; want 80 naming --auth-providers", code, stderr.String())
	}
}

// TestEmulatorCommandServerVersion: --server-version is what the API root
// claims (version-skew tests rely on it), and a malformed one is bad usage.
func TestEmulatorCommandServerVersion(t *testing.T) {
	t.Parallel()
	url, key, stop := startEmulator(t, "--server-version", "2025.4.100")
	defer stop()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/api", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Octopus-ApiKey", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var root struct{ Version string }
	if err := json.NewDecoder(resp.Body).Decode(&root); err != nil {
		t.Fatal(err)
	}
	if root.Version != "2025.4.100" {
		t.Errorf("/api Version = %q, want 2025.4.100", root.Version)
	}

	var stdout, stderr strings.Builder
	code := execute(t.Context(), []string{"emulator", "--listen", "127.0.0.1:0", "--server-version", "latest"},
		strings.NewReader(""), &stdout, &stderr, nil)
	if code != exitUsage || !strings.Contains(stderr.String(), "--server-version") {
		t.Errorf("malformed version: exit %d, stderr %q; want 80 naming --server-version", code, stderr.String())
	}
}
