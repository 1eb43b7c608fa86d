package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
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

// mustPackage returns the octofleet package (version 1.0.0) built around the
// test binary.
func mustPackage(t *testing.T) *steps.PackageFile {
	t.Helper()
	bin, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := runbooks.Package(bin, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// TestDemo runs the whole story and checks its summary: every tenant ok,
// its space on the right instance, API calls counted, no drift.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	t.Parallel()
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
		`Contoso ran its facade "Refresh step templates" / "Seed Templates" in space "Contoso"`,
		`it ran "Seed Templates" for tenant "Contoso" in space "Fleet Hub" and succeeded.`,
		"Drift check: install, every tenant, every tenant space, its seeded templates and the facade plan no changes.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	templates, err := runbooks.StepTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range res.Rows {
		if row.Calls <= 0 || row.Steps == 0 {
			t.Errorf("%s: %d steps, %d API calls", row.Tenant.Name, row.Steps, row.Calls)
		}
		// Every tenant's space is seeded: by the Seed Templates runbook, and
		// for the facade customer by running their facade, which runs it.
		if row.Templates != len(templates) {
			t.Errorf("%s: %d octofleet templates in %s, want all %d seeded", row.Tenant.Name, row.Templates, row.Target, len(templates))
		}
		if (row.Facade != "") != (row.Tenant.Pattern == "facade") {
			t.Errorf("%s (%s): facade run %q", row.Tenant.Name, row.Tenant.Pattern, row.Facade)
		}
	}

	// Every link of the demo's documents resolves (stale-entry errors are
	// left to emulator's TestCrawlLinks, which reaches every kind).
	crawl := emulatortest.Crawl(t, res.Hub)
	known := map[string]bool{}
	for _, p := range emulatortest.KnownBrokenLinks {
		known[p] = true
	}
	for _, b := range crawl.Broken {
		if !known[b.Pattern()] {
			t.Errorf("hub: GET %s: %d (link %s of %s)", b.URL, b.Status, b.Link, b.From)
		}
	}

	t.Run("ui", func(t *testing.T) { testDemoUI(t, res) })

	// The drift check covers the seeded templates, on the regional instance too.
	ctx := t.Context()
	hub, err := octopus.Dial(ctx, octopus.Options{URL: res.Hub.URL(), APIKey: HubAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	regional, err := octopus.Dial(ctx, octopus.Options{URL: res.Regional.URL(), APIKey: RegionalAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	spaces, err := regional.Spaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(spaces, func(s steps.Space) bool { return s.Name == "EU Operations" })
	if i < 0 {
		t.Fatalf("no EU Operations space on the regional instance: %+v", spaces)
	}
	ts, err := regional.ActionTemplates(ctx, spaces[i].ID)
	if err != nil || len(ts) == 0 {
		t.Fatalf("templates of EU Operations: %v, %v", ts, err)
	}
	edited := ts[0]
	edited.Description = "edited by hand"
	if _, err := regional.UpdateActionTemplate(ctx, spaces[i].ID, edited); err != nil {
		t.Fatal(err)
	}
	pkg := mustPackage(t)
	install, err := res.install(t.TempDir(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	drift, err := res.driftCheck(ctx, hub, install)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("seed-templates: update step template %q", edited.Name)
	if !slices.Contains(drift, want) {
		t.Errorf("drift after editing %q on the regional instance = %q, want %q", edited.Name, drift, want)
	}
}
