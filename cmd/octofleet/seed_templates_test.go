package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// postSpace creates a space on the emulator behind the CLI's back.
func postSpace(t *testing.T, h *harness, name string) {
	t.Helper()
	code := emulatortest.Call(t, h.emu, http.MethodPost, "/api/spaces", map[string]any{"Name": name, "SpaceManagersTeams": []string{"teams-administrators"}}, nil)
	if code != http.StatusCreated {
		t.Fatalf("create space %s: %d", name, code)
	}
	h.emu.ResetRequests()
}

// templateFile is a Library-format step template with a sensitive parameter.
func templateFile(name, script string) string {
	doc := map[string]any{
		"Id": "0b6f7c2e-1111-4222-8333-444455556666", "Name": name, "Description": "Does " + name, "ActionType": "Octopus.Script", "Version": 1,
		"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": script, "Octopus.Action.Script.Syntax": "Bash", "Octopus.Action.Script.ScriptSource": "Inline"},
		"Parameters": []any{
			map[string]any{"Name": "Channel", "Label": "Channel", "HelpText": "", "DefaultValue": "#deploys", "DisplaySettings": map[string]any{"Octopus.ControlType": "SingleLineText"}},
			map[string]any{"Name": "Token", "Label": "Token", "HelpText": "", "DefaultValue": nil, "DisplaySettings": map[string]any{"Octopus.ControlType": "Sensitive"}},
		},
		"$Meta": map[string]any{"Type": "ActionTemplate"},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestSeedTemplatesCmd: seed from a folder, converge, and report drift with
// --dry-run --exit-code; the secret never appears in any output.
func TestSeedTemplatesCmd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	postSpace(t, h, "Team A")
	dir := t.TempDir()
	for name, body := range map[string]string{"notify.json": templateFile("Notify", "echo notify"), "deploy.json": templateFile("Deploy", "echo deploy")} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "xoxb-SECRET-never-printed"
	h.secrets.Add(secret)
	input := writeFile(t, "seed.yaml", "from: ["+dir+"]\nsecrets:\n  Notify:\n    Token: "+secret+"\n")

	r := h.run(t, "", "--space", "Team A", "seed-templates", "--input", input)
	if r.code != exitOK || !strings.Contains(r.stdout, `create step template "Notify"`) || !strings.Contains(r.stdout, "SpaceId = Spaces-") {
		t.Fatalf("apply: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	h.emu.ResetRequests()
	r = h.run(t, "", "--space", "Team A", "--output", "json", "seed-templates", "--from", dir, "--dry-run", "--exit-code")
	if r.code != exitOK {
		t.Fatalf("re-run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Errorf("re-run wrote %q", w)
	}

	// Drift: someone edits a template in the target.
	if err := os.WriteFile(filepath.Join(dir, "deploy.json"), []byte(templateFile("Deploy", "echo deploy v2")), 0o600); err != nil {
		t.Fatal(err)
	}
	r = h.run(t, "", "--space", "Team A", "seed-templates", "--from", dir, "--dry-run", "--exit-code")
	if r.code != exitChanges || !strings.Contains(r.stdout, `update step template "Deploy"`) || !strings.Contains(r.stdout, "Octopus.Action.Script.ScriptBody") {
		t.Fatalf("drift report: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Errorf("the drift report wrote %q", w)
	}

	for _, out := range []string{"text", "json"} {
		r = h.run(t, "", "--space", "Team A", "--log-level", "debug", "--output", out, "seed-templates", "--input", input, "--dry-run")
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("--output %s printed the secret:\n%s\n%s", out, r.stdout, r.stderr)
		}
	}
}

// TestSeedTemplatesCmdFromSpace: `--from-space` copies selected templates
// from an upstream space of the same instance.
func TestSeedTemplatesCmdFromSpace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	postSpace(t, h, "Platform Hub")
	postSpace(t, h, "Team A")
	dir := t.TempDir()
	for name, body := range map[string]string{"a.json": templateFile("Approved - Notify", "echo a"), "b.json": templateFile("Draft", "echo b")} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if r := h.run(t, "", "--space", "Platform Hub", "seed-templates", "--from", dir); r.code != exitOK {
		t.Fatalf("seed hub: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	args := []string{"--space", "Team A", "seed-templates", "--from-space", "Platform Hub", "--template", "Approved - *"}
	r := h.run(t, "", args...)
	if r.code != exitOK || !strings.Contains(r.stdout, `create step template "Approved - Notify"`) || strings.Contains(r.stdout, "Draft") {
		t.Fatalf("apply: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	h.emu.ResetRequests()
	if r := h.run(t, "", append(args, "--dry-run", "--exit-code")...); r.code != exitOK {
		t.Fatalf("re-run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Errorf("re-run wrote %q", w)
	}
}

// TestSeedTemplatesCmdBadInput: bad input exits 80 naming the problem and
// writes nothing.
func TestSeedTemplatesCmdBadInput(t *testing.T) {
	t.Parallel()
	badDir := t.TempDir()
	bad := filepath.Join(badDir, "broken.json")
	if err := os.WriteFile(bad, []byte(`{"Name": "Broken"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"malformed template", []string{"--space", "Team A", "seed-templates", "--from", badDir}, bad + ": ActionType is missing or empty"},
		{"source server without key", []string{"--space", "Team A", "seed-templates", "--source-server", "https://hub.example.com", "--from-space", "Hub"}, "Has a dependency on apiKey"},
		{"template without upstream space", []string{"--space", "Team A", "seed-templates", "--template", "x"}, "source.space: templates and projects are copied from an upstream space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			postSpace(t, h, "Team A")
			r := h.run(t, "", tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant 80 and %q", r.code, r.stderr, tt.want)
			}
			if w := h.emu.Writes(); len(w) != 0 {
				t.Errorf("bad input wrote %q", w)
			}
		})
	}
}

// TestSeedTemplatesCmdSourceKeyFromEnv: as the Seed Templates runbook runs
// it for a managed instance, the input file names the upstream server and
// space, and the upstream key comes from OCTOFLEET_SOURCE_API_KEY; the
// templates land on the target instance and the upstream key is never
// printed. Not parallel: it sets the environment.
func TestSeedTemplatesCmdSourceKeyFromEnv(t *testing.T) {
	up, h := newHarness(t), newHarness(t)
	postSpace(t, up, "Platform Hub")
	postSpace(t, h, "EU Operations")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(templateFile("Approved - Notify", "echo a")), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := up.run(t, "", "--space", "Platform Hub", "seed-templates", "--from", dir); r.code != exitOK {
		t.Fatalf("seed the hub: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Without the key from the environment the schema would refuse the
	// input (source.server needs source.apiKey) with exit 80.
	upKey := up.emu.APIKey()
	input := writeFile(t, "seed.json", `{"targetSpace": "EU Operations", "source": {"server": "`+up.emu.URL()+`", "space": "Platform Hub"}, "templates": ["*"]}`)
	t.Setenv("OCTOFLEET_SOURCE_API_KEY", upKey)
	r := h.run(t, "", "seed-templates", "--input", input)
	if r.code != exitOK || !strings.Contains(r.stdout, `create step template "Approved - Notify"`) {
		t.Fatalf("apply: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, upKey) {
		t.Errorf("the upstream key appears in the output:\n%s\n%s", r.stdout, r.stderr)
	}
	h.emu.ResetRequests()
	if r := h.run(t, "", "seed-templates", "--input", input, "--dry-run", "--exit-code"); r.code != exitOK {
		t.Fatalf("re-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Errorf("re-run wrote %q", w)
	}
}
