package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/ui"
)

// fixture is two emulated instances ("hub" with a tenanted project Shop in
// Default space, tenants Acme and Contoso; "eu" with its default space)
// and the UI's configuration over them.
type fixture struct {
	hub, eu *emulator.Server
	shop    *emulatortest.Tenanted
	hold    string // while this file exists, deployments wait
	cfg     *ui.Config
	dbPath  string
}

const password = "correct horse battery"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	fx := &fixture{hub: emulatortest.New(t), eu: emulatortest.New(t), hold: filepath.Join(dir, "hold"), dbPath: filepath.Join(dir, "ui.db")}
	emulatortest.Call(t, fx.hub, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Production"}, nil)
	fx.shop = emulatortest.NewTenanted(t, fx.hub, "Spaces-1", "Shop", "Restart", "Acme", "Contoso")
	fx.shop.SetDeployScript(t, `echo "deploying #{Octopus.Release.Number} for #{Octopus.Deployment.Tenant.Name}"
while [ -e "`+fx.hold+`" ]; do sleep 0.05; done
echo "deployed"`)
	fx.shop.SetRunbookScript(t, `echo "restarting #{Octopus.Deployment.Tenant.Name}"`, true)
	fx.shop.Release(t, "1.0.0")

	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := func(name, key string) string {
		p := filepath.Join(dir, name+".key")
		if err := os.WriteFile(p, []byte(key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file:" + p
	}
	user := func(name, role string, tenants ...string) ui.UserConfig {
		return ui.UserConfig{Name: name, PasswordHash: string(hash), Role: role, Tenants: tenants}
	}
	fx.cfg = &ui.Config{
		Database: fx.dbPath,
		Instances: []ui.InstanceConfig{
			{Name: "hub", URL: fx.hub.URL(), APIKey: keyFile("hub", fx.hub.APIKey())},
			{Name: "eu", URL: fx.eu.URL(), APIKey: keyFile("eu", fx.eu.APIKey())},
		},
		Users: []ui.UserConfig{user("alice", ui.RoleAdmin), user("bob", ui.RoleOperator), user("contoso-ops", ui.RoleOperator, "Contoso"),
			user("vic", ui.RoleViewer)},
	}
	return fx
}

// uiServer is a running UI; stop ends it as a kill would (no drain).
type uiServer struct {
	srv  *ui.Server
	http *httptest.Server
	stop func()
}

func (fx *fixture) start(t *testing.T) *uiServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := ui.New(ctx, ui.Options{Config: fx.cfg, RefreshInterval: 200 * time.Millisecond, TrackInterval: 50 * time.Millisecond, LogPoll: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("start ui: %v", err)
	}
	srv.Refresh(ctx)
	hs := httptest.NewServer(srv.Handler())
	var wg sync.WaitGroup
	wg.Go(func() { srv.Run(ctx) })
	var once sync.Once
	u := &uiServer{srv: srv, http: hs, stop: func() {
		once.Do(func() {
			cancel()
			hs.CloseClientConnections()
			hs.Close()
			wg.Wait()
			if err := srv.Close(); err != nil {
				t.Errorf("close ui: %v", err)
			}
		})
	}}
	t.Cleanup(u.stop)
	return u
}

// client is a signed-in HTTP client of the UI (no browser).
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (u *uiServer) signIn(t testing.TB, name, pw string) (*client, int) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, base: u.http.URL, hc: &http.Client{Jar: jar}}
	_, body := c.get("/login")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field on the sign-in page:\n%s", body)
	}
	status, body := c.post("/login", url.Values{"csrf": {m[1]}, "name": {name}, "password": {pw}})
	if m := csrfField.FindStringSubmatch(body); m != nil {
		c.csrf = m[1]
	}
	return c, status
}

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// post sends the form (with the session's CSRF token unless the form has
// a csrf field already).
func (c *client) post(path string, form url.Values) (int, string) {
	c.t.Helper()
	if _, ok := form["csrf"]; !ok && c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	resp, err := c.hc.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// deployForm is the confirmed deploy form of Shop 1.0.0 to Production.
func (fx *fixture) deployForm(t *testing.T, key string, tenants ...string) url.Values {
	t.Helper()
	var rels []map[string]any
	emulatortest.Call(t, fx.hub, http.MethodGet, "/api/Spaces-1/projects/"+fx.shop.ProjectID+"/releases", nil, &struct {
		Items *[]map[string]any
	}{&rels})
	f := url.Values{"instance": {"hub"}, "space": {"Spaces-1"}, "project": {fx.shop.ProjectID},
		"environment": {fx.shop.EnvironmentID}, "release": {rels[0]["Id"].(string)}, "key": {key}}
	for _, tn := range tenants {
		f.Add("tenant", fx.shop.Tenants[tn])
	}
	return f
}

// deployments counts the deployments on the hub emulator.
func (fx *fixture) deployments(t *testing.T) int {
	t.Helper()
	var page struct{ TotalResults int }
	emulatortest.Call(t, fx.hub, http.MethodGet, "/api/Spaces-1/deployments", nil, &page)
	return page.TotalResults
}

func contains(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}
