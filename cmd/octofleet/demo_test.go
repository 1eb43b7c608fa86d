package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoCommand runs `octofleet demo` with a freshly built binary (the
// test binary itself is not octofleet) and checks its summary.
func TestDemoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short); .ci/run runs it")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain to build the octofleet binary")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash for the task runner")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "octofleet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	h := newHarness(t) // only for runRaw; the demo starts its own servers
	r := h.runRaw(t, "", "demo", "--binary", bin)
	if r.code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	var rows []string
	for i, l := range lines {
		if strings.HasPrefix(l, "TENANT") {
			for _, row := range lines[i+1:] {
				if row == "" {
					break
				}
				rows = append(rows, row)
			}
		}
	}
	if len(rows) != 4 {
		t.Fatalf("summary rows = %q, want 4\n%s", rows, r.stdout)
	}
	for _, row := range rows {
		if f := strings.Fields(row); !strings.Contains(row, " ok ") || f[len(f)-1] == "0" {
			t.Errorf("row %q: want ok with API calls", row)
		}
	}
	for _, want := range []string{"managed space", "managed instance", "facade", "on regional", `Contoso ran its facade`, `for tenant "Contoso" in space "Fleet Hub" and succeeded.`,
		"Drift check: install, every tenant, every tenant space, its seeded templates and the facade plan no changes."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
}
