package ui_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/octofleet/octofleet/internal/fleet"
	"github.com/octofleet/octofleet/internal/fleet/fleettest"
	"github.com/octofleet/octofleet/internal/ui"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// fleetUI is the UI (users alice, an admin, and contoso-ops, Contoso's
// operator) over fleettest's fleet, after Create Space ran for Business
// Unit A and Contoso (succeeded) and Business Unit B (failed), and one
// refresh.
func fleetUI(t *testing.T) (*fleettest.Fixture, *uiServer, map[string]fleet.RunResult) {
	t.Helper()
	f := fleettest.New(t)
	// Run Create Space for two tenants through the fleet engine, as
	// `octofleet fleet run` does: fleettest's binary fails for Business
	// Unit B.
	keys := fleet.Keys{}
	for u, k := range f.Keys() {
		keys.Add(u, k)
	}
	eng := fleet.New(context.Background(), fleet.Options{Keys: keys, Package: f.Package, BackupDir: t.TempDir()})
	fl, err := eng.LoadHub(context.Background(), f.Hub.URL(), fleettest.Space)
	if err != nil {
		t.Fatal(err)
	}
	targets, err := fl.Select([]string{"Business Unit A", "Business Unit B", "Contoso"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]fleet.RunResult{}
	for _, r := range eng.RunRunbook(context.Background(), fl, targets, fleet.RunbookRun{Runbook: runbooks.RunbookCreateSpace, Timeout: "1m",
		PollMin: 10 * time.Millisecond, PollMax: 50 * time.Millisecond}) {
		ran[r.Tenant] = r
	}
	if ran["Business Unit A"].State != steps.TaskSuccess || ran["Business Unit B"].State != steps.TaskFailed || ran["Contoso"].State != steps.TaskSuccess {
		t.Fatalf("runbook runs: %+v", ran)
	}
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := func(name, key string) string {
		p := filepath.Join(dir, name+".key")
		if err := os.WriteFile(p, []byte(key), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file:" + p
	}
	cfg := &ui.Config{
		Database: filepath.Join(dir, "ui.db"),
		Instances: []ui.InstanceConfig{
			{Name: "hub", URL: f.Hub.URL(), APIKey: keyFile("hub", fleettest.HubAPIKey)},
			{Name: "regional", URL: f.Regional.URL(), APIKey: keyFile("regional", fleettest.RegionalAPIKey)},
		},
		ManagementSpace: &ui.ManagementSpace{Instance: "hub", Space: fleettest.Space},
		Users: []ui.UserConfig{{Name: "alice", PasswordHash: string(hash), Role: ui.RoleAdmin},
			{Name: "contoso-ops", PasswordHash: string(hash), Role: ui.RoleOperator, Tenants: []string{"Contoso"}}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := ui.New(ctx, ui.Options{Config: cfg, RefreshInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	srv.Refresh(ctx)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return f, &uiServer{srv: srv, http: hs}, ran
}

// TestOverviewShowsFleet: the overview's tenants come from the fleet
// engine (fleet.LoadHub over the management space): each tenant's
// pattern, the instance its space lives on by the UI's name for it, the
// space, its drift state and its last runbook runs (fleet.LastRuns, read
// by the refresh: a page view reads nothing from Octopus), each linking
// to its task's page; a tenant-scoped user sees only its tenant.
func TestOverviewShowsFleet(t *testing.T) {
	t.Parallel()
	f, u, ran := fleetUI(t)
	alice, _ := u.signIn(t, "alice", password)
	_, body := alice.get("/")
	rows := tenantRows(body)
	want := map[string]string{
		"Business Unit A": "managed space|hub|BU A|-",
		"Business Unit B": "managed space|hub|BU B|-",
		"EU Region":       "managed instance|regional|EU Operations|-",
		"Contoso":         "facade|hub|Contoso|-",
	}
	for name, w := range want {
		if rows[name] != w {
			t.Errorf("overview row of %s: %q, want %q", name, rows[name], w)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("overview tenants: %v", rows)
	}
	runs := tenantRuns(body)
	for name, r := range ran {
		w := "hub/" + r.TaskID + " " + runbooks.RunbookCreateSpace + ": " + r.State
		if len(runs[name]) != 1 || runs[name][0] != w {
			t.Errorf("last runs of %s: %q, want [%q]", name, runs[name], w)
		}
	}
	for _, name := range []string{"EU Region"} {
		if len(runs[name]) != 0 {
			t.Errorf("last runs of %s, which ran nothing: %q", name, runs[name])
		}
	}
	before := f.Hub.Requests()
	for range 3 {
		alice.get("/")
	}
	if after := f.Hub.Requests(); len(after) != len(before) {
		t.Errorf("three overview views sent %d requests to the hub, want none (pages read the cache)", len(after)-len(before))
	}
	if status, page := alice.get("/tasks/hub/" + ran["Business Unit B"].TaskID); status != 200 {
		t.Errorf("the failed run's task page: %d\n%s", status, page)
	} else {
		contains(t, "the failed run's task page", page, "Failed")
	}
	co, _ := u.signIn(t, "contoso-ops", password)
	_, body = co.get("/")
	if rows := tenantRows(body); len(rows) != 1 || rows["Contoso"] == "" {
		t.Errorf("contoso-ops's overview tenants: %v", rows)
	}
	// The run's task is the management space's, which a tenant-scoped
	// user cannot open (taskAccess): its state, without a link.
	if !strings.Contains(body, `<div class="run-of">`+runbooks.RunbookCreateSpace+`: <span class="ok">Success</span>`) || strings.Contains(body, ran["Contoso"].TaskID) {
		t.Errorf("contoso-ops's overview shows Contoso's run with a link, or not at all:\n%s", body)
	}
}

var (
	tenantRow = regexp.MustCompile(`<tr class="tenant"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>`)
	runsCell  = regexp.MustCompile(`<tr class="tenant"><td>([^<]*)</td>.*?<td class="runs">(.*?)</td></tr>`)
	runOf     = regexp.MustCompile(`<div class="run-of"><a href="/tasks/([^"]+)">([^<]*)</a>: <span class="[^"]*">([^<]*)</span>`)
)

// tenantRuns maps each tenant of the overview to its last runs, as
// "instance/task runbook: state".
func tenantRuns(body string) map[string][]string {
	out := map[string][]string{}
	for _, m := range runsCell.FindAllStringSubmatch(body, -1) {
		for _, r := range runOf.FindAllStringSubmatch(m[2], -1) {
			out[m[1]] = append(out[m[1]], r[1]+" "+r[2]+": "+r[3])
		}
	}
	return out
}

// tenantRows maps each tenant row of the overview to
// "pattern|instance|space|drift".
func tenantRows(body string) map[string]string {
	out := map[string]string{}
	for _, m := range tenantRow.FindAllStringSubmatch(body, -1) {
		out[m[1]] = strings.Join(m[2:], "|")
	}
	return out
}
