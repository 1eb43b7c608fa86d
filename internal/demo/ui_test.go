package demo

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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/internal/ui"
	"github.com/octofleet/octofleet/steps"
)

// testDemoUI is what `demo --ui` serves, in process: the Shop seeded, the
// UI over the demo's servers from UIConfig; admin signs in with the
// printed password and sees the four fleet tenants, then deploys Shop to
// Acme and runs its Restart runbook for Globex, both to success.
func testDemoUI(t *testing.T, res *Result) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := res.SeedShop(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg, password, err := res.UIConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{HubAPIKey, RegionalAPIKey, password}
	noSecrets := func(what, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds a secret (%.6s…)", what, s)
			}
		}
	}
	if doc, err := os.ReadFile(filepath.Join(dir, "ui.json")); err != nil {
		t.Fatal(err)
	} else {
		noSecrets("the UI's configuration file", string(doc))
	}
	for _, in := range cfg.Instances {
		if strings.Contains(in.APIKey, HubAPIKey) || strings.Contains(in.APIKey, RegionalAPIKey) || !strings.HasPrefix(in.APIKey, "file:") {
			t.Errorf("instance %s's apiKey is %q, want a file: reference", in.Name, in.APIKey)
		}
	}
	if len(cfg.Users) != 1 || cfg.Users[0].Role != ui.RoleAdmin || strings.Contains(cfg.Users[0].PasswordHash, password) {
		t.Errorf("users: %+v", cfg.Users)
	}
	srv, err := ui.New(ctx, ui.Options{Config: cfg, RefreshInterval: 200 * time.Millisecond, TrackInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	srv.Refresh(ctx)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	done := make(chan struct{})
	go func() { srv.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	c := signIn(t, hs.URL, UIUser, password)
	body := c.get("/")
	for _, tn := range Tenants {
		if !strings.Contains(body, `<tr class="tenant"><td>`+tn.Name+`</td><td>`+tn.Pattern+`</td>`) {
			t.Errorf("the overview lacks tenant %s (%s)", tn.Name, tn.Pattern)
		}
	}
	if strings.Count(body, `<tr class="tenant">`) != len(Tenants) {
		t.Errorf("the overview shows %d tenants, want %d", strings.Count(body, `<tr class="tenant">`), len(Tenants))
	}

	hub, err := octopus.Dial(ctx, octopus.Options{URL: res.Hub.URL(), APIKey: HubAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	spaces, err := hub.Spaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	space := spaces[slices.IndexFunc(spaces, func(s steps.Space) bool { return s.Name == "Default" })].ID
	one := func(path, name string) octopus.Document {
		docs, err := hub.ListDocuments(ctx, "/api/"+space+path)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d["Name"] == name || d["Version"] == name {
				return d
			}
		}
		t.Fatalf("no %s %q in the Default space", path, name)
		return nil
	}
	project := docID(one("/projects", ShopProject))
	form := url.Values{"instance": {"hub"}, "space": {space}, "project": {project}, "environment": {docID(one("/environments", Environment))}}
	with := func(kv ...string) url.Values {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			f.Add(kv[i], kv[i+1])
		}
		return f
	}
	c.post("/deploy", with("release", docID(one("/projects/"+project+"/releases", ShopRelease)), "tenant", docID(one("/tenants", "Acme")),
		"key", "demo-deploy-key-0123456789"))
	c.post("/runbook", with("runbook", docID(one("/runbooks", ShopRunbook)), "tenant", docID(one("/tenants", "Globex")),
		"key", "demo-runbook-key-0123456789"))
	for _, job := range []string{"/jobs/1", "/jobs/2"} {
		deadline := time.Now().Add(time.Minute)
		for {
			body := c.get(job)
			if strings.Contains(body, `id="job-state">done`) && strings.Contains(body, "Success") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not end in success:\n%s", job, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, p := range []string{"/", "/tasks", "/jobs/1", "/jobs/2", "/spaces/hub/" + space} {
		noSecrets("GET "+p, c.get(p))
	}
	body = c.get("/audit")
	noSecrets("GET /audit", body)
	for _, want := range []string{"deploy Shop 1.0.0 to Production for Acme", "run Shop / Restart in Production for Globex", "ended: Success"} {
		if !strings.Contains(body, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
}

// uiClient is a signed-in client of the UI.
type uiClient struct {
	t          *testing.T
	base, csrf string
	hc         *http.Client
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func signIn(t *testing.T, base, name, password string) *uiClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &uiClient{t: t, base: base, hc: &http.Client{Jar: jar}}
	m := csrfField.FindStringSubmatch(c.get("/login"))
	if m == nil {
		t.Fatal("no CSRF field on the sign-in page")
	}
	c.csrf = m[1]
	body := c.post("/login", url.Values{"name": {name}, "password": {password}})
	m = csrfField.FindStringSubmatch(body)
	if m == nil || strings.Contains(body, `name="password"`) {
		t.Fatalf("sign in as %s refused:\n%.800s", name, body)
	}
	c.csrf = m[1]
	return c
}

func (c *uiClient) get(path string) string {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + path)
	return c.read("GET "+path, resp, err)
}

func (c *uiClient) post(path string, form url.Values) string {
	c.t.Helper()
	form.Set("csrf", c.csrf)
	resp, err := c.hc.PostForm(c.base+path, form)
	return c.read("POST "+path, resp, err)
}

func (c *uiClient) read(what string, resp *http.Response, err error) string {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: %d\n%.800s", what, resp.StatusCode, b)
	}
	return string(b)
}
