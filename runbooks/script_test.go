package runbooks

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// runScript runs a template's script body with bash, get_octopusvariable
// answering from vars, and a stand-in octofleet binary that prints its
// arguments, its input file and the secrets it got through its environment.
func runScript(t *testing.T, tpl StepTemplate, vars map[string]string) []string {
	t.Helper()
	sh, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	pkg := t.TempDir()
	fake := `#!/usr/bin/env bash
for a in "$@"; do echo "arg=$a"; done
prev=
for a in "$@"; do [ "$prev" = --input ] && echo "file=$(cat "$a")"; prev=$a; done
echo "env OCTOPUS_API_KEY=$OCTOPUS_API_KEY"
[ -z "${OCTOFLEET_TARGET_API_KEY:-}" ] || echo "env OCTOFLEET_TARGET_API_KEY=$OCTOFLEET_TARGET_API_KEY"
`
	if err := os.WriteFile(filepath.Join(pkg, "octofleet"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	vars["Octopus.Action.Package[octofleet].ExtractedPath"] = pkg
	// get_octopusvariable as Calamari's bootstrap defines it: the value, or nothing.
	var lookup strings.Builder
	lookup.WriteString("get_octopusvariable() {\n  case \"$1\" in\n")
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lookup.WriteString("  " + shq(k) + ") printf '%s' " + shq(vars[k]) + " ;;\n")
	}
	lookup.WriteString("  *) ;;\n  esac\n}\n")
	cmd := exec.Command(sh, "-c", lookup.String()+tpl.Properties["Octopus.Action.Script.ScriptBody"])
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func template(t *testing.T, name string) StepTemplate {
	t.Helper()
	ts, err := StepTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range ts {
		if tpl.Name == name {
			return tpl
		}
	}
	t.Fatalf("no template %q", name)
	return StepTemplate{}
}

// TestScriptFieldParameters: without an Input document the field
// parameters become flags (values, checkboxes, one flag per list line);
// secrets only reach the environment; the tenant's tags become flags.
func TestScriptFieldParameters(t *testing.T) {
	t.Parallel()
	got := runScript(t, template(t, TemplateName("create-space")), map[string]string{
		ParamServer: "https://hub.example.com", ParamAPIKey: "API-SECRET1", ParamSpace: "Hub",
		ParamLogLevel: "info", ParamDryRun: "True",
		"Octofleet.In.name": "Team 'A' $(x)", "Octofleet.In.managerTeams": "Ops\n\nDevs", "Octofleet.In.taskQueueStopped": "False",
		"Octopus.Deployment.Tenant.Name": "Acme", "Octopus.Deployment.Tenant.Tags": "Tier/Gold,Region/EU",
	})
	want := []string{
		"arg=create-space", "arg=--output", "arg=octopus", "arg=--server", "arg=https://hub.example.com",
		"arg=--tenant-name", "arg=Acme",
		"arg=--manager-team", "arg=Ops", "arg=--manager-team", "arg=Devs", "arg=--name", "arg=Team 'A' $(x)",
		"arg=--space", "arg=Hub", "arg=--log-level", "arg=info", "arg=--dry-run",
		"arg=--tenant-tag", "arg=Tier/Gold", "arg=--tenant-tag", "arg=Region/EU",
		"env OCTOPUS_API_KEY=API-SECRET1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the binary got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestScriptInputDocument: an Input document goes through a file and
// replaces the field parameters; extra secrets go to their environment
// variables; --var lines pass through.
func TestScriptInputDocument(t *testing.T) {
	t.Parallel()
	got := runScript(t, template(t, TemplateName("clone-instance-settings")), map[string]string{
		ParamServer: "https://hub.example.com", ParamAPIKey: "API-SECRET1", ParamInput: `{"include": ["smtp"]}`,
		ParamVars: "a=1\nb=two words", "Octofleet.TargetServer": "https://eu.example.com", "Octofleet.TargetApiKey": "API-SECRET2",
		"Octofleet.In.teamMembership": "True",
	})
	joined := strings.Join(got, "\n")
	for _, want := range []string{"arg=--input", `file={"include": ["smtp"]}`, "arg=--target-server\narg=https://eu.example.com",
		"arg=--var\narg=a=1\narg=--var\narg=b=two words", "env OCTOFLEET_TARGET_API_KEY=API-SECRET2"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the binary got:\n%s\nwant %q", joined, want)
		}
	}
	for _, line := range got {
		if strings.HasPrefix(line, "arg=") && strings.Contains(line, "SECRET") {
			t.Errorf("a secret is on the command line: %s", line)
		}
	}
	if strings.Contains(joined, "--team-membership") {
		t.Error("a field parameter was passed next to the Input document")
	}
}
