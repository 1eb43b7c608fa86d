package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/secrettest"
	"github.com/octofleet/octofleet/steps"
)

// harness runs octofleet in-process against its own emulator, with the real
// adapter, and counts how often the Octopus client was dialled.
type harness struct {
	emu   *emulator.Server
	dials atomic.Int32
	// secrets are the test's secret values: the emulator's key and what
	// the test adds; every run's output and the emulator's log are checked.
	secrets *secrettest.Secrets
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	// Not the default key: the emulator's help text shows that one.
	const key = "API-CLITEST0000000000000000000000"
	secrets := secrettest.New(t, key)
	log := secrets.Logger("the emulator's log")
	return &harness{secrets: secrets, emu: emulatortest.New(t, func(o *emulator.Options) { o.APIKey, o.Logger = key, log })}
}

type result struct {
	code           int
	stdout, stderr string
}

// run executes octofleet with the emulator's URL and API key as global flags.
func (h *harness) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	args = append([]string{"--server", h.emu.URL(), "--api-key", h.emu.APIKey()}, args...)
	return h.runRaw(t, stdin, args...)
}

// runRaw executes octofleet with exactly args.
func (h *harness) runRaw(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errs bytes.Buffer
	code := execute(t.Context(), args, strings.NewReader(stdin), &out, &errs,
		func(ctx context.Context, g *Globals, log *slog.Logger) (steps.Octopus, error) {
			h.dials.Add(1)
			return dialOctopus(ctx, g, log)
		})
	r := result{code: code, stdout: out.String(), stderr: errs.String()}
	h.secrets.Check("the output of octofleet "+command(args), r.stdout+r.stderr)
	return r
}

// command names a run by its subcommand words (not its flags, which may
// hold a secret).
func command(args []string) string {
	var words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "-"):
			if !strings.Contains(a, "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && len(words) == 0 {
				i++ // a global flag's value
			}
		case len(words) < 2:
			words = append(words, a)
		}
	}
	return strings.Join(words, " ")
}

// assertUntouched fails unless octofleet never dialled and the emulator saw no request.
func (h *harness) assertUntouched(t *testing.T) {
	t.Helper()
	if n := h.dials.Load(); n != 0 {
		t.Errorf("dialled the Octopus client %d times", n)
	}
	if reqs := h.emu.Requests(); len(reqs) != 0 {
		t.Errorf("the emulator saw %d requests: %+v", len(reqs), reqs)
	}
}

func TestVersionNeverDials(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			r := h.run(t, "", args...)
			if r.code != exitOK || r.stdout != "octofleet "+resolveVersion()+"\n" {
				t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			h.assertUntouched(t)
		})
	}
}

// TestGlobalsReachDial: the connection flags arrive at the dial provider,
// and a dial failure is a plain failure (exit 1) that does not print the key.
func TestGlobalsReachDial(t *testing.T) {
	t.Parallel()
	var got Globals
	var out, errs bytes.Buffer
	code := execute(t.Context(),
		[]string{"--server", "https://octopus.example", "--api-key", "API-SECRET0000", "--space", "Ops", "--rate-limit", "120", "create-space", "--name", "Acme"},
		strings.NewReader(""), &out, &errs,
		func(_ context.Context, g *Globals, log *slog.Logger) (steps.Octopus, error) {
			got = *g
			if log == nil {
				t.Error("no logger bound")
			}
			return nil, errors.New("connect to octopus: refused")
		})
	if code != exitFailure || !strings.Contains(errs.String(), "connect to octopus: refused") || out.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errs.String())
	}
	if got.Server != "https://octopus.example" || got.APIKey != "API-SECRET0000" || got.Space != "Ops" || got.RateLimit != 120 {
		t.Errorf("dial got %+v", got)
	}
	if strings.Contains(errs.String(), "API-SECRET0000") {
		t.Errorf("the API key leaked: %s", errs.String())
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"Usage: octofleet", "--server=URL", "($OCTOPUS_URL)", "create-space", "emulator", "version"}},
		{[]string{"create-space", "--help"}, []string{"--input=FILE", "--dry-run", "--exit-code", "--tenant-tag=TAG", "--var=K=V", "--name=NAME", "--manager-team=TEAM"}},
		{[]string{"emulator", "--help"}, []string{"--listen=", "OCTOFLEET_EMULATOR_API_KEY", "--rate-limit-429=N"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			r := h.runRaw(t, "", tt.args...)
			if r.code != exitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("help lacks %q:\n%s", w, r.stdout)
				}
			}
			h.assertUntouched(t)
		})
	}
}

// TestBadUsageExits80: every parse, flag and input error exits 80 before any
// network call, and says what is wrong on stderr.
func TestBadUsageExits80(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid := file("valid.json", `{"name":"Acme"}`)
	unknown := file("unknown.yaml", "nme: Acme\ncolour: red\n")
	broken := file("broken.json", `{"name": "Acme",`)
	tests := []struct {
		name string
		args []string
		want []string // on stderr
	}{
		{"unknown flag", []string{"--nope", "version"}, []string{"unknown flag --nope", `Run "octofleet --help"`}},
		{"unknown command", []string{"nosuch"}, []string{"unexpected argument nosuch"}},
		{"no command", nil, []string{`expected one of "create-space"`, `Run "octofleet --help"`}},
		{"bad output", []string{"--output", "xml", "version"}, []string{"--output"}},
		{"bad log level", []string{"--log-level", "loud", "version"}, []string{"--log-level"}},
		{"negative rate limit", []string{"--rate-limit", "-1", "version"}, []string{"--rate-limit"}},
		{"missing name", []string{"create-space", "--dry-run"}, []string{"name: is required"}},
		{"name too long", []string{"create-space", "--dry-run", "--name", strings.Repeat("x", 51)}, []string{"name: String length must be less than or equal to 50"}},
		{"field flag over input breaks it", []string{"create-space", "--input", valid, "--name", strings.Repeat("x", 51)}, []string{"name: String length must be less than or equal to 50"}},
		{"input missing", []string{"create-space", "--input", filepath.Join(dir, "nope.json")}, []string{"--input:", "nope.json"}},
		{"input broken", []string{"create-space", "--input", broken}, []string{"--input:", "broken.json"}},
		{"every issue listed", []string{"create-space", "--input", unknown, "--dry-run"}, []string{
			"name: is required", "nme: is not allowed (unknown property)", "colour: is not allowed (unknown property)"}},
		{"stdin invalid", []string{"create-space", "--input", "-", "--dry-run"}, []string{"(root): Invalid type. Expected: object, given: array"}},
		{"emulator rate out of range", []string{"emulator", "--error-rate", "2"}, []string{"--error-rate must be between 0 and 1"}},
		{"emulator listen without port", []string{"emulator", "--listen", "localhost"}, []string{"--listen"}},
		{"bad env value", []string{"--rate-limit", "many", "version"}, []string{"--rate-limit"}},
		{"missing flag value", []string{"create-space", "--name"}, []string{"--name"}},
		{"bad var", []string{"create-space", "--name", "A", "--var", "x"}, []string{"--var"}},
		{"bad template", []string{"create-space", "--name", "{{ now }}"}, []string{"name:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			r := h.run(t, "[1, 2]", tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, exitUsage, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			h.assertUntouched(t)
		})
	}
}

// TestMissingServerExits80 clears the connection variables, so it cannot run in parallel.
func TestMissingServerExits80(t *testing.T) {
	t.Setenv("OCTOPUS_URL", "")
	t.Setenv("OCTOPUS_API_KEY", "")
	h := newHarness(t)
	for _, args := range [][]string{
		{"create-space", "--name", "Acme", "--dry-run"},
		{"--server", h.emu.URL(), "create-space", "--name", "Acme", "--dry-run"},
	} {
		r := h.runRaw(t, "", args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "is required") {
			t.Errorf("%q: exit %d, stderr %q; want 80 naming the missing flag", args, r.code, r.stderr)
		}
	}
	h.assertUntouched(t)
}

// TestEnvLogLevel: a bad value in an environment variable is bad usage too
// (kong itself would exit 1). It sets the environment, so it is not parallel.
func TestEnvLogLevel(t *testing.T) {
	t.Setenv("OCTOFLEET_LOG_LEVEL", "loud")
	h := newHarness(t)
	if r := h.runRaw(t, "", "version"); r.code != exitUsage || !strings.Contains(r.stderr, "loud") {
		t.Errorf("exit %d, stderr %q; want 80", r.code, r.stderr)
	}
	t.Setenv("OCTOFLEET_LOG_LEVEL", "debug")
	r := h.run(t, "", "create-space", "--name", "Env", "--dry-run")
	if r.code != exitOK || !strings.Contains(r.stderr, "octopus api requests") {
		t.Errorf("exit %d, stderr %q; want the debug request counts", r.code, r.stderr)
	}
}

// TestCreateSpaceConverges drives the whole CLI: a dry run with --exit-code
// reports drift and writes nothing, apply creates, and the re-run is a no-op
// with zero writes, in every output format.
func TestCreateSpaceConverges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	r := h.run(t, "", "create-space", "--name", "Team A", "--description", "Team A's space", "--dry-run", "--exit-code")
	if r.code != exitChanges || !strings.Contains(r.stdout, `+ create space "Team A"`) || !strings.Contains(r.stderr, "plan has changes") {
		t.Fatalf("dry run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Fatalf("dry run wrote %q", w)
	}

	r = h.run(t, "", "create-space", "--name", "Team A", "--description", "Team A's space")
	if r.code != exitOK || !strings.Contains(r.stdout, "Apply complete: 1 created") || !strings.Contains(r.stdout, "SpaceId = Spaces-") {
		t.Fatalf("apply: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	h.emu.ResetRequests()
	r = h.run(t, "", "--log-level", "debug", "create-space", "--name", "Team A", "--description", "Team A's space", "--dry-run", "--exit-code")
	if r.code != exitOK || !strings.Contains(r.stdout, "No changes.") {
		t.Fatalf("re-run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, `msg="octopus api requests"`) || !strings.Contains(r.stderr, "writes=0") {
		t.Errorf("--log-level debug did not print the request counts:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, `= no-op space "Team A"`) {
		t.Errorf("--log-level debug did not list the no-op change:\n%s", r.stdout)
	}

	r = h.run(t, "", "--output", "json", "create-space", "--name", "Team A", "--description", "Team A's space")
	var doc jsonResult
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != exitOK {
		t.Fatalf("json: exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	if !doc.Applied || doc.Step != "create-space" || doc.Outputs["SpaceName"] != "Team A" || !strings.HasPrefix(doc.Outputs["SpaceId"], "Spaces-") {
		t.Errorf("json result = %+v", doc)
	}

	r = h.run(t, "", "--output", "octopus", "create-space", "--name", "Team A", "--description", "Team A's space")
	got := outputVariables(t, r.stdout)
	if r.code != exitOK || got["SpaceId"] != doc.Outputs["SpaceId"] || got["SpaceName"] != "Team A" {
		t.Errorf("octopus: exit %d, variables %v from:\n%s", r.code, got, r.stdout)
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Errorf("re-runs wrote %q", w)
	}
}

// TestInputFiles: YAML and JSON from a file or stdin go through the same
// schema as the flags and produce the same space.
func TestInputFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	yamlFile := filepath.Join(t.TempDir(), "space.yaml")
	if err := os.WriteFile(yamlFile, []byte("name: 'Acme {{ .Tenant.Name }}'\ndescription: From YAML\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.run(t, "", "create-space", "--input", yamlFile, "--tenant-name", "Corp")
	if r.code != exitOK || !strings.Contains(r.stdout, `+ create space "Acme Corp"`) {
		t.Fatalf("yaml: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	h.emu.ResetRequests()
	r = h.run(t, `{"name": "Acme Corp", "description": "From YAML"}`, "create-space", "--input", "-", "--dry-run", "--exit-code")
	if r.code != exitOK || !strings.Contains(r.stdout, "No changes.") {
		t.Fatalf("stdin: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Errorf("dry run wrote %q", w)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	type input struct {
		Name        string  `json:"name,omitempty"`
		Description *string `json:"description,omitempty"`
	}
	empty := ""
	tests := []struct {
		name    string
		flags   stepFlags
		in      input
		want    input
		wantErr string
	}{
		{name: "flags", in: input{Name: "Acme"}, want: input{Name: "Acme"}},
		{name: "explicit empty description survives", in: input{Name: "Acme", Description: &empty}, want: input{Name: "Acme", Description: &empty}},
		{name: "flags invalid", in: input{}, wantErr: "name: is required"},
		{name: "stdin yaml", flags: stepFlags{Input: "-", stdin: strings.NewReader("name: Acme\n")}, want: input{Name: "Acme"}},
		{name: "stdin json", flags: stepFlags{Input: "-", stdin: strings.NewReader(`{"name":"Acme"}`)}, want: input{Name: "Acme"}},
		{name: "flag overrides file", flags: stepFlags{Input: "-", stdin: strings.NewReader(`{"name":"Acme","description":"from file"}`)}, in: input{Name: "x"}, want: input{Name: "x", Description: &empty}},
		{name: "file keeps what no flag sets", flags: stepFlags{Input: "-", stdin: strings.NewReader(`{"name":"Acme","description":"d"}`)}, want: input{Name: "Acme", Description: &empty}},
		{name: "not yaml", flags: stepFlags{Input: "-", stdin: strings.NewReader("name: [")}, wantErr: "--input: -: neither JSON nor YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			err := tt.flags.load("create-space", &in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCodeOf(err) != exitUsage {
					t.Fatalf("err = %v (exit %d), want exit 80 containing %q", err, exitCodeOf(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.Name != tt.want.Name || (in.Description == nil) != (tt.want.Description == nil) {
				t.Errorf("loaded %+v, want %+v", in, tt.want)
			}
		})
	}
	if err := (&stepFlags{}).load("create-space", input{Name: "x"}); err == nil || exitCodeOf(err) == exitUsage {
		t.Errorf("load into a non-pointer: err = %v, want a plain error", err)
	}
}

func TestTemplateData(t *testing.T) {
	t.Parallel()
	got := (&stepFlags{}).templateData()
	if got.Vars == nil || got.Tenant.Tags == nil {
		t.Errorf("empty template data has nil maps or slices: %+v", got)
	}
	f := stepFlags{TenantName: "Corp", TenantSlug: "corp", TenantTags: []string{"Region/EU"}, Vars: map[string]string{"k": "v"}}
	got = f.templateData()
	got.Vars["k"] = "changed"
	if f.Vars["k"] != "v" || got.Tenant.Name != "Corp" || got.Tenant.Slug != "corp" || got.Tenant.Tags[0] != "Region/EU" {
		t.Errorf("templateData = %+v from %+v", got, f)
	}
}

// TestOverlay: field flags (and the environment variables behind them) win
// over the same fields of --input, nested objects merge, and a file that is
// not an object is left for the schema to reject.
func TestOverlay(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, file, flags, want string }{
		{"no flags", `{"a":1,"b":{"c":2}}`, `{}`, `{"a":1,"b":{"c":2}}`},
		{"flag wins", `{"a":1}`, `{"a":2}`, `{"a":2}`},
		{"nested secret from env", `{"source":{"space":"Hub"},"targetSpace":"A"}`, `{"source":{"apiKey":"API-X"}}`, `{"source":{"apiKey":"API-X","space":"Hub"},"targetSpace":"A"}`},
		{"lists are replaced", `{"l":[1,2]}`, `{"l":[3]}`, `{"l":[3]}`},
		{"not an object", `[1]`, `{"a":1}`, `[1]`},
		{"unfilled nested input adds nothing", `{"space":{}}`, `{"upstream":{"x":{}},"space":{}}`, `{"space":{}}`},
		{"nested flag into a missing object", `{}`, `{"source":{"apiKey":"K"}}`, `{"source":{"apiKey":"K"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := overlay([]byte(tt.file), []byte(tt.flags))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("overlay = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPlainHTTPWarning: an http:// URL to a host that is not loopback sends
// the API key in clear, and the CLI says so on stderr (never with the key);
// the emulator on 127.0.0.1 gets no warning. The remote case runs with a
// cancelled context, so Dial stops after the warning without a connection.
func TestPlainHTTPWarning(t *testing.T) {
	t.Parallel()
	const warning = "uses http://"
	h := newHarness(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out, errs bytes.Buffer
	code := execute(ctx, []string{"--server", "http://octopus.example.com", "--api-key", h.emu.APIKey(), "create-space", "--name", "A", "--dry-run"},
		strings.NewReader(""), &out, &errs, dialOctopus)
	if code != exitFailure || !strings.Contains(errs.String(), warning) || !strings.Contains(errs.String(), "http://octopus.example.com") {
		t.Errorf("remote http: exit %d, stderr:\n%s\nwant the warning naming the server", code, errs.String())
	}
	if strings.Contains(out.String()+errs.String(), h.emu.APIKey()) {
		t.Errorf("the API key appears in the output:\n%s%s", out.String(), errs.String())
	}
	if r := h.run(t, "", "create-space", "--name", "A", "--dry-run"); r.code != exitOK || strings.Contains(r.stderr, warning) {
		t.Errorf("loopback http: exit %d, stderr:\n%s\nwant no warning", r.code, r.stderr)
	}
}

// TestRateLimitThrottles: --rate-limit reaches the adapter's transport. At
// one request a minute, Dial's first request goes out at once and its second
// waits; the test cancels the run when the transport reports the wait, and
// the emulator has then seen exactly one request.
func TestRateLimitThrottles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	waiting := make(chan struct{})
	var stderr strings.Builder
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(pr)
		seen := false
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			if !seen && strings.Contains(sc.Text(), "client-side rate limit; waiting") {
				seen = true
				close(waiting)
			}
		}
	}()
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, []string{"--server", h.emu.URL(), "--api-key", h.emu.APIKey(), "--log-level", "debug", "--rate-limit", "1",
			"create-space", "--name", "A", "--dry-run"}, strings.NewReader(""), io.Discard, pw, dialOctopus)
	}()
	var code int
	select {
	case <-waiting:
		cancel()
		code = <-done
	case code = <-done:
	}
	pw.Close()
	<-drained
	if code != exitFailure {
		t.Errorf("exit %d, want 1 after the cancelled wait; stderr:\n%s", code, stderr.String())
	}
	if n := len(h.emu.Requests()); n != 1 {
		t.Errorf("the emulator saw %d requests, want 1 (the second waits a minute); stderr:\n%s", n, stderr.String())
	}
	if strings.Contains(stderr.String(), h.emu.APIKey()) {
		t.Errorf("the API key appears on stderr:\n%s", stderr.String())
	}
}
