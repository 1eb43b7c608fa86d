package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/runbooks"
)

// smallPackage writes a package file with a stand-in binary.
func smallPackage(t *testing.T, version, content string) string {
	t.Helper()
	pkg, err := runbooks.Package([]byte(content), version)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), pkg.Name)
	if err := os.WriteFile(path, pkg.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInstallConverges: install creates the space, templates, package,
// project, variables and runbooks; a second run plans nothing and writes
// nothing; a new package file is uploaded again as an update.
func TestInstallConverges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := smallPackage(t, "1.2.3", "#!/bin/sh\necho one\n")
	r := h.run(t, "", "--space", "Fleet Hub", "install", "--package", pkg)
	if r.code != 0 {
		t.Fatalf("install: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{`create space "Fleet Hub"`, `create step template "octofleet - Create Space"`, `create package "octofleet.1.2.3.tar.gz"`, `create project "octofleet"`, `create runbook "Create Space"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("first install does not say %q:\n%s", want, r.stdout)
		}
	}
	h.emu.ResetRequests()
	r = h.run(t, "", "--space", "Fleet Hub", "install", "--package", pkg)
	if r.code != 0 || !strings.Contains(r.stdout, "No changes.") {
		t.Fatalf("second install: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Fatalf("second install wrote %q", w)
	}
	if r := h.run(t, "", "--space", "Fleet Hub", "install", "--package", pkg, "--dry-run", "--exit-code"); r.code != 0 {
		t.Fatalf("drift check after install: exit %d\n%s", r.code, r.stdout)
	}

	other := smallPackage(t, "1.2.3", "#!/bin/sh\necho two\n")
	r = h.run(t, "", "--space", "Fleet Hub", "install", "--package", other)
	if r.code != 0 || !strings.Contains(r.stdout, `update package "octofleet.1.2.3.tar.gz"`) {
		t.Fatalf("install of a changed package: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestInstallNeedsSpace: no --space is bad usage, before any request.
func TestInstallNeedsSpace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if r := h.run(t, "", "install", "--no-package"); r.code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitUsage, r.stderr)
	}
}

// TestInstallHubAPIKey: the runbooks' API key is written once as a
// sensitive project variable, kept on re-runs (even with another key, which
// cannot be compared), replaced with --rotate-secrets, and never printed.
func TestInstallHubAPIKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const first, second = "API-FIRSTKEY00000000000000", "API-SECONDKEY0000000000000"
	h.secrets.Add(first, second)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"--hub-api-key", first}, "Octofleet.Hub.ApiKey: (sensitive)"},
		{[]string{"--hub-api-key", second}, "No changes."},
		{[]string{"--hub-api-key", second, "--rotate-secrets"}, "Octofleet.Hub.ApiKey: (sensitive) → (sensitive)"},
	}
	for i, s := range steps {
		r := h.run(t, "", append([]string{"--space", "Hub", "install", "--no-package"}, s.args...)...)
		if r.code != 0 || !strings.Contains(r.stdout, s.want) {
			t.Fatalf("run %d: exit %d, want %q in\n%s\n%s", i, r.code, s.want, r.stdout, r.stderr)
		}
	}
}

// TestInstallPackageFromDist: --package DIR packages the binaries of every
// worker target found there (build.sh's dist/) and uploads that one
// package; a re-run writes nothing. A folder without binaries, or a file
// that is not there, exits 80 before any request.
func TestInstallPackageFromDist(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dist := t.TempDir()
	for _, target := range runbooks.Targets {
		if err := os.WriteFile(filepath.Join(dist, runbooks.BinaryName(target)), []byte("#!/bin/sh\necho "+target+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := h.run(t, "", "--space", "Hub", "install", "--package", dist)
	if r.code != 0 || !strings.Contains(r.stdout, `create package "octofleet.`) {
		t.Fatalf("install --package %s: exit %d\n%s\n%s", dist, r.code, r.stdout, r.stderr)
	}
	h.emu.ResetRequests()
	if r := h.run(t, "", "--space", "Hub", "install", "--package", dist); r.code != 0 || len(h.emu.Writes()) != 0 {
		t.Fatalf("second install: exit %d, writes %q\n%s", r.code, h.emu.Writes(), r.stdout)
	}

	for _, bad := range []string{t.TempDir(), filepath.Join(dist, "missing.tar.gz")} {
		h.emu.ResetRequests()
		r := h.run(t, "", "--space", "Hub", "install", "--package", bad)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--package") {
			t.Errorf("install --package %s: exit %d, want %d naming --package\n%s", bad, r.code, exitUsage, r.stderr)
		}
		if n := len(h.emu.Requests()); n != 0 {
			t.Errorf("install --package %s made %d requests", bad, n)
		}
	}
}
