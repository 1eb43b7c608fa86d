package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/runbooks"
)

// TestExport writes the embedded files, byte for byte.
func TestExport(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := filepath.Join(t.TempDir(), "lib")
	r := h.runRaw(t, "", "export", "--out", dir)
	if r.code != 0 {
		t.Fatalf("export: exit %d\n%s", r.code, r.stderr)
	}
	files, err := runbooks.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: not exported as embedded (%v)", name, err)
		}
		if !strings.Contains(r.stdout, filepath.FromSlash(name)) {
			t.Errorf("export does not list %s", name)
		}
	}
	h.assertUntouched(t)
}

// TestStepTemplateFlagsExist: every flag a step template's script passes is
// a flag of that step's subcommand, so a renamed flag breaks this test, not
// a runbook run.
func TestStepTemplateFlagsExist(t *testing.T) {
	t.Parallel()
	ts, err := runbooks.StepTemplates()
	if err != nil {
		t.Fatal(err)
	}
	spec := regexp.MustCompile(`=(?:bool:|list:)?(--[a-z-]+)`)
	step := regexp.MustCompile(`^step='([a-z-]+)'`)
	for _, tpl := range ts {
		body := tpl.Properties["Octopus.Action.Script.ScriptBody"]
		m := step.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no step= line", tpl.Name)
		}
		h := newHarness(t)
		r := h.runRaw(t, "", m[1], "--help")
		if r.code != 0 {
			t.Fatalf("%s --help: exit %d\n%s", m[1], r.code, r.stderr)
		}
		header, _, _ := strings.Cut(body, "# Runs one octofleet step")
		for _, f := range spec.FindAllStringSubmatch(header, -1) {
			negatable := "--[no-]" + strings.TrimPrefix(f[1], "--")
			if !strings.Contains(r.stdout, f[1]+"=") && !strings.Contains(r.stdout, f[1]+" ") && !strings.Contains(r.stdout, negatable+" ") {
				t.Errorf("%s passes %s, which `octofleet %s` does not have", tpl.Name, f[1], m[1])
			}
		}
		for _, common := range []string{"--input=", "--server=", "--space=", "--log-level=", "--dry-run", "--var=", "--tenant-name=", "--tenant-tag=", "--output="} {
			if !strings.Contains(r.stdout, common) {
				t.Errorf("`octofleet %s` lacks %s, which every template passes", m[1], common)
			}
		}
	}
}
