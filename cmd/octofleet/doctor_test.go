package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/doctor"
	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// doctorReport runs doctor with --output json and decodes its report.
func doctorReport(t *testing.T, h *harness, key string, args ...string) (doctor.Report, result) {
	t.Helper()
	r := h.runRaw(t, "", append([]string{"--server", h.emu.URL(), "--api-key", key, "--output", "json", "doctor"}, args...)...)
	var rep doctor.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("doctor output is not a report: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return rep, r
}

func findCheck(rep doctor.Report, area, name string) (doctor.Check, bool) {
	for _, c := range rep.Checks {
		if c.Area == area && c.Name == name {
			return c, true
		}
	}
	return doctor.Check{}, false
}

// TestDoctorHealthy: against a complete emulator with the admin key every
// check passes, the smoke run seeds its scratch space and deletes it.
func TestDoctorHealthy(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rep, r := doctorReport(t, h, h.emu.APIKey(), "--smoke", "--smoke-space", "Doctor scratch")
	if r.code != exitOK || len(rep.Failed()) != 0 {
		t.Fatalf("exit %d, failed %+v\n%s", r.code, rep.Failed(), r.stderr)
	}
	if rep.Version != emulator.DefaultServerVersion {
		t.Errorf("version %q, want %q", rep.Version, emulator.DefaultServerVersion)
	}
	for _, want := range [][2]string{{"smoke", "create-space"}, {"smoke", "seed-templates"}, {"smoke", "delete Doctor scratch"}, {"permissions", "create-space"}, {"routes", "GET"}} {
		if c, ok := findCheck(rep, want[0], want[1]); !ok || c.Status != doctor.OK {
			t.Errorf("check %s %s: %+v (found %v)", want[0], want[1], c, ok)
		}
	}
	var spaces []struct{ Name string }
	emulatortest.Call(t, h.emu, http.MethodGet, "/api/spaces/all", nil, &spaces)
	for _, s := range spaces {
		if s.Name == "Doctor scratch" {
			t.Errorf("the smoke run left its scratch space behind")
		}
	}
}

// TestDoctorSpaceChecks: with --space the worker pools are reported with
// the syntax their workers run.
func TestDoctorSpaceChecks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rep, r := doctorReport(t, h, h.emu.APIKey(), "--space", "Default")
	if r.code != exitOK {
		t.Fatalf("exit %d: %+v\n%s", r.code, rep.Failed(), r.stderr)
	}
	if c, ok := findCheck(rep, "worker-pools", "Default Worker Pool"); !ok || !strings.Contains(c.Detail, "Bash") {
		t.Errorf("worker pool check: %+v", c)
	}
}

// TestDoctorMissingPermission: a key whose team holds only Project viewer
// in the space fails the steps' permission checks, naming what is missing.
func TestDoctorMissingPermission(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := emulatortest.NewUser(t, h.emu, "viewer", emulatortest.Grant{Role: "Project viewer", SpaceID: "Spaces-1"})
	rep, r := doctorReport(t, h, u.APIKey, "--space", "Default", "--step", "create-space", "--step", "seed-templates")
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitFailure, r.stdout)
	}
	c, _ := findCheck(rep, "permissions", "create-space")
	if c.Status != doctor.Fail || !strings.Contains(c.Detail, "SpaceCreate (system)") || !strings.Contains(c.Detail, "EnvironmentCreate") {
		t.Errorf("create-space check: %+v", c)
	}
	c, _ = findCheck(rep, "permissions", "seed-templates")
	if c.Status != doctor.Fail || !strings.Contains(c.Detail, "ActionTemplateCreate") || strings.Contains(c.Detail, "ProjectView,") {
		t.Errorf("seed-templates check: %+v", c)
	}
	if !strings.Contains(r.stderr, "checks failed: permissions create-space; permissions seed-templates") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

// TestDoctorMissingRoute: a route that answers 404 fails with its path.
func TestDoctorMissingRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.FailNext(http.MethodGet, "/api/Spaces-1/dashboard", http.StatusNotFound, 1)
	rep, r := doctorReport(t, h, h.emu.APIKey(), "--space", "Default")
	c, _ := findCheck(rep, "routes", "GET /api/Spaces-1/dashboard")
	if r.code != exitFailure || c.Status != doctor.Fail || !strings.Contains(c.Detail, "no such route") {
		t.Fatalf("exit %d, check %+v", r.code, c)
	}
	if len(rep.Failed()) != 1 {
		t.Errorf("failed checks %+v, want the route only", rep.Failed())
	}
}

// TestDoctorVersionSkew: --from-server on a newer minor is refused (the
// target would be older than the source), allowed as a warning with
// --allow-version-skew; the source's key never appears in the output.
func TestDoctorVersionSkew(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	src := emulatortest.New(t, func(o *emulator.Options) {
		o.ServerVersion = "2026.2.100"
		o.APIKey = "API-DOCTORSOURCE00000000000000000"
	})
	h.secrets.Add(src.APIKey())
	args := []string{"--from-server", src.URL(), "--from-api-key", src.APIKey(), "--step", "seed-templates"}
	rep, r := doctorReport(t, h, h.emu.APIKey(), args...)
	c, _ := findCheck(rep, "version-skew", "source 2026.2.100")
	if r.code != exitFailure || c.Status != doctor.Fail || !strings.Contains(c.Detail, "older than the source") {
		t.Fatalf("exit %d, check %+v", r.code, c)
	}
	rep, r = doctorReport(t, h, h.emu.APIKey(), append(args, "--allow-version-skew")...)
	c, _ = findCheck(rep, "version-skew", "source 2026.2.100")
	if r.code != exitOK || c.Status != doctor.Warn {
		t.Fatalf("allowed: exit %d, check %+v", r.code, c)
	}
	if strings.Contains(r.stdout+r.stderr, src.APIKey()) {
		t.Errorf("the source's API key was printed")
	}
}

// TestDoctorBadFlags: incomplete flags exit 80 before any request.
func TestDoctorBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"doctor", "--from-server", "http://127.0.0.1:1"}, {"doctor", "--step", "nope"}} {
		h := newHarness(t)
		if r := h.run(t, "", args...); r.code != exitUsage {
			t.Errorf("%q: exit %d, want 80\n%s", args, r.code, r.stderr)
		}
		h.assertUntouched(t)
	}
}
