// Package soak runs octofleet's steps, as the built binary, against
// in-memory Octopus emulators with injected faults (5xx answers, dropped
// answers, 429s, latency) and with the process killed at random points, and
// checks after each run that a re-run converges, that a dry run is empty and
// that no name is duplicated. The default test suite runs a few seeds; the
// soak command (scripts/soak) runs hundreds and prints the figures.
package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
)

// Build compiles the octofleet command into dir and returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "octofleet")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/octofleet/octofleet/cmd/octofleet")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// World is one emulator and a folder of step inputs.
type World struct {
	Emu       *emulator.Server
	Bin       string // the octofleet binary
	Dir       string // inputs
	Templates string // the Library-format templates seed-templates reads
}

// NewWorld starts an emulator and writes the step inputs into dir.
// templates is the folder seed-templates reads.
func NewWorld(bin, dir, templates string) (*World, error) {
	emu, err := emulator.New(emulator.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		return nil, err
	}
	w := &World{Emu: emu, Bin: bin, Dir: dir, Templates: templates}
	for name, body := range map[string]string{
		"space.json":  spaceInput,
		"tenant.json": tenantInput,
		"facade.json": strings.ReplaceAll(facadeInput, "{{URL}}", emu.URL()),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			return nil, errors.Join(err, emu.Close())
		}
	}
	return w, nil
}

// Close stops the emulator.
func (w *World) Close() error { return w.Emu.Close() }

const spaceInput = `{"name": "Acme",
 "environments": [{"name": "Development"}, {"name": "Production"}],
 "lifecycles": [{"name": "Standard", "phases": [{"name": "Dev", "automaticDeploymentTargets": ["Development"]}, {"name": "Prod", "optionalDeploymentTargets": ["Production"]}]}],
 "projectGroups": [{"name": "Services"}],
 "tenantTagSets": [{"name": "Tier", "tags": [{"name": "Gold", "color": "#FFD700"}, {"name": "Silver", "color": "#C0C0C0"}]}],
 "teams": [{"name": "Acme operators", "roles": [{"role": "Project deployer"}]}]}`

// The tenant's API key is a made-up secret: runs must never print it.
const tenantInput = `{"name": "EU region", "tags": ["Octofleet/Managed instance"],
 "variables": {"Octofleet.InstanceUrl": "https://eu.example.com", "Octofleet.InstanceApiKey": "API-SOAKSECRET000000000000", "Octofleet.SpaceName": "Regional"}}`

const facadeInput = `{"upstream": {"serverUrl": "{{URL}}", "space": "Hub", "project": "octofleet",
   "tenant": "{{ .Tenant.Name }}", "environment": "Production", "runbook": "Create Space", "timeout": "2m"},
 "command": "octofleet",
 "space": {"name": "{{ .Tenant.Name }} facade"},
 "project": {"name": "Self-service", "environments": ["Production"]},
 "team": {"name": "{{ .Tenant.Name }} operators"}}`

// Secret is the secret the inputs carry; no output may show it.
const Secret = "API-SOAKSECRET000000000000"

// Step is a step the soak runs, with the steps it needs applied first.
type Step struct {
	Name  string
	Needs []string
	Args  func(w *World) []string
}

// Steps are every step that runs against one emulator, in an order where
// each one's needs come before it.
var Steps = []Step{
	{Name: "create-space", Args: func(w *World) []string {
		return []string{"create-space", "--input", filepath.Join(w.Dir, "space.json")}
	}},
	{Name: "seed-templates", Needs: []string{"create-space"}, Args: func(w *World) []string {
		return []string{"--space", "Acme", "seed-templates", "--from", w.Templates}
	}},
	{Name: "install", Args: func(w *World) []string {
		return []string{"--space", "Hub", "install", "--no-package"}
	}},
	{Name: "register-tenant", Needs: []string{"install"}, Args: func(w *World) []string {
		return []string{"--space", "Hub", "register-tenant", "--input", filepath.Join(w.Dir, "tenant.json")}
	}},
	{Name: "create-facade-project", Needs: []string{"install", "register-tenant"}, Args: func(w *World) []string {
		return []string{"create-facade-project", "--input", filepath.Join(w.Dir, "facade.json"), "--tenant-name", "EU region",
			"--management-api-key", w.Emu.APIKey()}
	}},
}

// StepNamed returns the step called name.
func StepNamed(name string) (Step, bool) {
	i := slices.IndexFunc(Steps, func(s Step) bool { return s.Name == name })
	if i < 0 {
		return Step{}, false
	}
	return Steps[i], true
}

// Result is one octofleet process's end.
type Result struct {
	Code           int
	Stdout, Stderr string
	Killed         bool // ended by the soak's SIGKILL
}

// Panicked reports whether the process panicked or the runtime died.
func (r Result) Panicked() bool { return panicLine.MatchString(r.Stderr) }

var panicLine = regexp.MustCompile(`(?m)^(panic: |fatal error: )`)

// Leaks reports whether the output shows the inputs' secret.
func (r Result) Leaks() bool {
	return strings.Contains(r.Stdout, Secret) || strings.Contains(r.Stderr, Secret)
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, tail(r.Stdout, 2000), tail(r.Stderr, 3000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Command returns the octofleet process for args against the world's
// emulator. The environment carries the server and key; no other OCTOPUS_
// or OCTOFLEET_ variable of the caller's leaks in.
func (w *World) Command(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, w.Bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OCTOPUS_") && !strings.HasPrefix(kv, "OCTOFLEET_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "OCTOPUS_URL="+w.Emu.URL(), "OCTOPUS_API_KEY="+w.Emu.APIKey())
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	return cmd, &out, &errs
}

// Run runs octofleet with args to its end.
func (w *World) Run(ctx context.Context, args ...string) Result {
	cmd, out, errs := w.Command(ctx, args...)
	err := cmd.Run()
	return result(err, out, errs)
}

func result(err error, out, errs *bytes.Buffer) Result {
	r := Result{Stdout: out.String(), Stderr: errs.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Code = 128 + int(ws.Signal())
			r.Killed = ws.Signal() == syscall.SIGKILL
		}
	default:
		r.Code = -1
		r.Stderr += "\n(soak: " + err.Error() + ")"
	}
	return r
}

// Signal runs octofleet with args and sends sig once the emulator has seen
// after more requests than it had at the start (or never, if the process
// ends first). It returns the process's end and whether the signal was sent.
func (w *World) Signal(ctx context.Context, sig syscall.Signal, after int, args ...string) (Result, bool) {
	cmd, out, errs := w.Command(ctx, args...)
	base := len(w.Emu.Requests())
	if err := cmd.Start(); err != nil {
		return result(err, out, errs), false
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return result(err, out, errs), false
		case <-tick.C:
			if len(w.Emu.Requests())-base >= after {
				_ = cmd.Process.Signal(sig)
				return result(<-done, out, errs), true
			}
		}
	}
}

// Duplicates lists the names more than one object holds on the world's
// emulator (see Duplicates). Call it with faults off.
func (w *World) Duplicates(ctx context.Context) ([]string, error) {
	return Duplicates(ctx, w.Emu.URL(), w.Emu.APIKey())
}

// Duplicates lists every name that more than one object of a collection
// holds on the server at url (per space, and per project for runbooks and
// channels), as "collection name ×n".
func Duplicates(ctx context.Context, url, apiKey string) ([]string, error) {
	var dups []string
	check := func(path, label string) error {
		var items []map[string]any
		if err := get(ctx, url, apiKey, path, &items); err != nil {
			return err
		}
		seen := map[string]int{}
		for _, it := range items {
			name, _ := it["Name"].(string)
			if name == "" {
				name, _ = it["Username"].(string)
			}
			key := name
			for _, scope := range []string{"SpaceId", "ProjectId"} {
				if v, ok := it[scope].(string); ok {
					key = v + "/" + key
				}
			}
			seen[key]++
		}
		for k, n := range seen {
			if n > 1 {
				dups = append(dups, fmt.Sprintf("%s %q ×%d", label, k, n))
			}
		}
		return nil
	}
	for _, c := range []string{"spaces", "teams", "users"} {
		if err := check("/api/"+c+"/all", c); err != nil {
			return nil, err
		}
	}
	var spaces []struct{ Id string }
	if err := get(ctx, url, apiKey, "/api/spaces/all", &spaces); err != nil {
		return nil, err
	}
	for _, sp := range spaces {
		for _, c := range []string{"environments", "lifecycles", "projectgroups", "tagsets", "feeds", "accounts",
			"machinepolicies", "projects", "channels", "runbooks", "tenants", "actiontemplates"} {
			if err := check("/api/"+sp.Id+"/"+c+"/all", sp.Id+" "+c); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(dups)
	return dups, nil
}

func get(ctx context.Context, url, apiKey, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Octopus-ApiKey", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close() //nolint:errcheck // read path
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}
