package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/fleet/fleettest"
)

// fleetArgs are the hub connection and the regional instance's key file.
func fleetArgs(t *testing.T, fx *fleettest.Fixture, args ...string) []string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "regional.key")
	if err := os.WriteFile(key, []byte(fleettest.RegionalAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return append([]string{"--space", fleettest.Space, "fleet", args[0], "--instance-key", fx.Regional.URL() + "=" + key}, args[1:]...)
}

func runFleet(t *testing.T, fx *fleettest.Fixture, args ...string) result {
	t.Helper()
	return runAgainst(t, fx.Hub.URL(), fleettest.HubAPIKey, fleetArgs(t, fx, args...)...)
}

func writesOf(fx *fleettest.Fixture) []string {
	return append(fx.Hub.Writes(), fx.Regional.Writes()...)
}

// TestFleetDriftApplyDrift: tenants of every pattern are drifted (exit 2),
// apply converges them (the backup of the regional settings in --backup-dir),
// and a second drift exits 0 with zero writes on either instance. Keys never
// appear in the output or the report.
func TestFleetDriftApplyDrift(t *testing.T) {
	t.Parallel()
	fx := fleettest.New(t)
	report := filepath.Join(t.TempDir(), "report.json")

	r := runFleet(t, fx, "drift", "--report", report, "--detail")
	if r.code != exitChanges {
		t.Fatalf("drift: exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, tn := range fleettest.Tenants {
		if !strings.Contains(r.stdout, tn.Name) {
			t.Errorf("drift output lacks %q:\n%s", tn.Name, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, `+ create space "BU A"`) || !strings.Contains(r.stdout, "4 targets: 4 drifted") {
		t.Errorf("drift output:\n%s", r.stdout)
	}
	if w := writesOf(fx); len(w) > 0 {
		t.Fatalf("drift wrote %q", w)
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Drifted != 4 || rep.Totals.Changes == 0 || len(rep.Results[0].Steps) == 0 || len(rep.Results[0].Steps[0].Plan.Changes) == 0 {
		t.Errorf("report totals %+v, first result %+v", rep.Totals, rep.Results[0])
	}

	backups := t.TempDir()
	r = runFleet(t, fx, "apply", "--backup-dir", backups)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "4 applied") {
		t.Errorf("apply output:\n%s", r.stdout)
	}

	fx.Hub.ResetRequests()
	fx.Regional.ResetRequests()
	r = runFleet(t, fx, "drift", "--output", "json")
	if r.code != 0 {
		t.Fatalf("second drift: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := writesOf(fx); len(w) > 0 {
		t.Errorf("second drift wrote %q", w)
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.InLine != 4 || rep.Totals.Writes != 0 {
		t.Errorf("second drift totals %+v", rep.Totals)
	}
	for _, out := range []string{r.stdout, r.stderr, string(raw)} {
		if strings.Contains(out, fleettest.RegionalAPIKey) || strings.Contains(out, fleettest.HubAPIKey) {
			t.Errorf("an API key was printed:\n%s", out)
		}
	}
}

// TestFleetMissingKey: without the regional instance's key, drift exits 80
// naming the tenant and the instance, and sends nothing to that instance.
func TestFleetMissingKey(t *testing.T) {
	t.Parallel()
	fx := fleettest.New(t)
	r := runAgainst(t, fx.Hub.URL(), fleettest.HubAPIKey, "--space", fleettest.Space, "fleet", "drift")
	if r.code != exitUsage {
		t.Fatalf("exit %d, want 80\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, `tenant "EU Region": no API key for instance `+fx.Regional.URL()) {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if n := len(fx.Regional.Requests()); n > 0 || len(fx.Hub.Writes()) > 0 {
		t.Errorf("regional requests %d, hub writes %q", n, fx.Hub.Writes())
	}
	// Selecting the tenants of the hub alone needs no other key.
	r = runAgainst(t, fx.Hub.URL(), fleettest.HubAPIKey, "--space", fleettest.Space, "fleet", "drift", "--tenant", "Business Unit A")
	if r.code != exitChanges {
		t.Errorf("--tenant on the hub: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runAgainst(t, fx.Hub.URL(), fleettest.HubAPIKey, "--space", fleettest.Space, "fleet", "drift", "--tenant", "Nobody", "--tag", "Region/Mars")
	if r.code != exitUsage || !strings.Contains(r.stderr, `--tenant "Nobody"`) || !strings.Contains(r.stderr, `--tag "Region/Mars"`) {
		t.Errorf("unknown filters: exit %d\n%s", r.code, r.stderr)
	}
}

// TestFleetFaultOneInstance: a regional instance answering 500 fails its
// tenant only; the others are applied; the summary names it and the exit
// code is 1.
func TestFleetFaultOneInstance(t *testing.T) {
	t.Parallel()
	fx := fleettest.New(t)
	fx.Regional.FailNext("", "/api", http.StatusInternalServerError, 1_000_000)
	r := runFleet(t, fx, "apply", "--backup-dir", t.TempDir())
	if r.code != exitFailure {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "3 applied") || !strings.Contains(r.stdout, "1 failed") || !strings.Contains(r.stdout, "Failed:\n  EU Region: ") {
		t.Errorf("output:\n%s", r.stdout)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "EU Region") && !strings.HasSuffix(strings.TrimSpace(line), "error") {
			t.Errorf("EU Region's line: %q", line)
		}
	}
}

// TestFleetRunTagged: the Create Space runbook runs on the hub for the
// tenants tagged Managed space; Business Unit B's task fails and its log
// tail is printed; exit 1.
func TestFleetRunTagged(t *testing.T) {
	t.Parallel()
	fx := fleettest.New(t)
	r := runFleet(t, fx, "run", "--runbook", "Create Space", "--tag", "Octofleet/Managed space", "--timeout", "1m")
	if r.code != exitFailure {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, `"Create Space" for 2 tenants: 1 failed.`) || strings.Contains(r.stdout, "EU Region") {
		t.Errorf("output:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "the server refused tenant B's space") {
		t.Errorf("no log tail of Business Unit B's task:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "Business Unit A  ServerTasks-") {
		t.Errorf("no task for Business Unit A:\n%s", r.stdout)
	}
	// fleet status shows each tenant's last run of the runbook.
	r = runFleet(t, fx, "status")
	if r.code != 0 || !strings.Contains(r.stdout, "Create Space: Success") || !strings.Contains(r.stdout, "Create Space: Failed") {
		t.Errorf("status: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestFleetRateLimitShared: with --parallel 8 and --rate-limit 600 no
// instance sees more than the limit (600 a minute: 10 in any second, plus
// one for the timing of the arrivals), and a 429 holds back every worker on
// the instance for its Retry-After (1s), not only the one that got it.
func TestFleetRateLimitShared(t *testing.T) {
	t.Parallel()
	fx := fleettest.New(t)
	hubTenants := []string{"--tenant", "Business Unit A", "--tenant", "Business Unit B", "--tenant", "Contoso"}
	if r := runFleet(t, fx, append([]string{"apply"}, hubTenants...)...); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	fx.Hub.ResetRequests()
	fx.Regional.ResetRequests()
	fx.Hub.FailNext(http.MethodGet, "/api/Spaces-2/actiontemplates", http.StatusTooManyRequests, 1)
	r := runFleet(t, fx, append([]string{"drift", "--parallel", "8", "--rate-limit", "600"}, hubTenants...)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var throttled time.Time
	for name, reqs := range map[string][]emulator.Request{"hub": fx.Hub.Requests()} {
		slices.SortFunc(reqs, func(a, b emulator.Request) int { return a.At.Compare(b.At) })
		if len(reqs) < 5 {
			t.Fatalf("%s: only %d requests", name, len(reqs))
		}
		for i := range reqs {
			n := 0
			for j := i; j < len(reqs) && reqs[j].At.Sub(reqs[i].At) < time.Second; j++ {
				n++
			}
			if n > 11 {
				t.Errorf("%s: %d requests within a second from %s", name, n, reqs[i].At.Format(time.StampMilli))
			}
			if reqs[i].Status == http.StatusTooManyRequests {
				throttled = reqs[i].At
			}
		}
		if name == "hub" {
			if throttled.IsZero() {
				t.Fatal("the hub never answered 429")
			}
			for _, q := range reqs {
				if d := q.At.Sub(throttled); d > 200*time.Millisecond && d < 900*time.Millisecond {
					t.Errorf("hub: %s %s arrived %s after the 429, within its Retry-After", q.Method, q.Path, d)
				}
			}
		}
	}
}
