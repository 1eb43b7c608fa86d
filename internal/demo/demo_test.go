package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binary is the octofleet binary built for the tests ("" when go is missing).
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "octofleet-demo-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if _, err := exec.LookPath("go"); err == nil {
		out := filepath.Join(dir, "octofleet")
		cmd := exec.Command("go", "build", "-o", out, "github.com/octofleet/octofleet/cmd/octofleet")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build octofleet:", err)
			return 1
		}
		binary = out
	}
	return m.Run()
}

func needBinary(t *testing.T) {
	t.Helper()
	if binary == "" {
		t.Skip("no go toolchain to build the octofleet binary")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash for the task runner")
	}
}

// TestDemo runs the whole story and checks its summary: every tenant ok,
// its space on the right instance, API calls counted, no drift.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	needBinary(t)
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Binary: binary, Version: "1.0.0", Out: &out})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	t.Cleanup(func() {
		if err := res.Close(); err != nil {
			t.Error(err)
		}
	})
	if res.Failed() {
		t.Fatalf("demo failed:\n%s", out.String())
	}
	text := out.String()
	for _, want := range []string{
		"TENANT", "Business Unit A  managed space", "BU A (Spaces-", "on hub", "EU Operations (Spaces-2) on regional",
		"Drift check: install, every tenant and every tenant space plan no changes.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	for _, row := range res.Rows {
		if row.Calls <= 0 || row.Steps == 0 {
			t.Errorf("%s: %d steps, %d API calls", row.Tenant.Name, row.Steps, row.Calls)
		}
	}
}
