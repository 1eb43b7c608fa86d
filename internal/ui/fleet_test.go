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

	"github.com/octofleet/octofleet/internal/fleet/fleettest"
	"github.com/octofleet/octofleet/internal/ui"
)

// TestOverviewShowsFleet: the overview's tenants come from the fleet
// engine (fleet.LoadHub over the management space): each tenant's
// pattern, the instance its space lives on by the UI's name for it, the
// space and its drift state; a tenant-scoped user sees only its tenant.
func TestOverviewShowsFleet(t *testing.T) {
	t.Parallel()
	f := fleettest.New(t)
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
	u := &uiServer{srv: srv, http: hs}

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
	co, _ := u.signIn(t, "contoso-ops", password)
	_, body = co.get("/")
	if rows := tenantRows(body); len(rows) != 1 || rows["Contoso"] == "" {
		t.Errorf("contoso-ops's overview tenants: %v", rows)
	}
}

var tenantRow = regexp.MustCompile(`<tr class="tenant"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>`)

// tenantRows maps each tenant row of the overview to
// "pattern|instance|space|drift".
func tenantRows(body string) map[string]string {
	out := map[string]string{}
	for _, m := range tenantRow.FindAllStringSubmatch(body, -1) {
		out[m[1]] = strings.Join(m[2:], "|")
	}
	return out
}
