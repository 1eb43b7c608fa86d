package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/internal/ui"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// bigFleet is emulated instances with spaces each, the first holding the
// management space "Fleet Hub" with the fleet's tenants, and the UI's
// configuration over them (one admin).
type bigFleet struct {
	emus []*emulator.Server
	cfg  *ui.Config
	dir  string
}

// newBigFleet seeds the emulators through the octopus client: octofleet
// installed into the hub's management space, one tenant registered with
// register-tenant and the others created as copies of it (its tags and
// project connection: fleet tenants without variables, which the overview
// reads the same way).
func newBigFleet(tb testing.TB, instances, spaces, tenants int) *bigFleet {
	tb.Helper()
	ctx := context.Background()
	bf := &bigFleet{dir: tb.TempDir()}
	clients := make([]*octopus.Client, instances)
	for i := range instances {
		emu := emulatortest.New(tb)
		cl, err := octopus.Dial(ctx, octopus.Options{URL: emu.URL(), APIKey: emu.APIKey()})
		if err != nil {
			tb.Fatal(err)
		}
		bf.emus, clients[i] = append(bf.emus, emu), cl
	}
	hub := clients[0]
	pkg, err := runbooks.Package([]byte("#!/bin/sh\n"), "1.0.0")
	if err != nil {
		tb.Fatal(err)
	}
	bundle, err := runbooks.Bundle(bf.dir, pkg)
	if err != nil {
		tb.Fatal(err)
	}
	apply(tb, hub, &steps.Install{In: steps.InstallInput{Space: "Fleet Hub", Environments: []string{"Production"}, HubAPIKey: bf.emus[0].APIKey()}, Bundle: bundle})
	apply(tb, hub, &steps.RegisterTenant{In: steps.RegisterTenantInput{Space: "Fleet Hub", Name: "Tenant 00000",
		Tags: []string{runbooks.TagManagedSpace}, Environments: []string{"Production"},
		Variables: map[string]string{runbooks.VarSpaceName: "Space 00000"}}})
	all, err := hub.Spaces(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var hubSpace string
	for _, s := range all {
		if s.Name == "Fleet Hub" {
			hubSpace = s.ID
		}
	}
	first, err := hub.ListDocuments(ctx, "/api/"+hubSpace+"/tenants")
	if err != nil || len(first) != 1 {
		tb.Fatalf("the hub's first tenant: %v (%d tenants)", err, len(first))
	}

	// Spaces on every instance and tenants on the hub, eight requests at
	// a time per instance.
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for i, cl := range clients {
		have := 1 // Default
		if i == 0 {
			have = 2 // and Fleet Hub
		}
		for w := range 8 {
			wg.Go(func() {
				for n := have + w; n < spaces; n += 8 {
					if _, err := cl.CreateDocument(ctx, "/api/spaces", octopus.Document{"Name": fmt.Sprintf("Space %02d-%03d", i, n),
						"SpaceManagersTeams": []any{"teams-administrators"}}, nil); err != nil {
						fail(err)
						return
					}
				}
			})
		}
	}
	for w := range 8 {
		wg.Go(func() {
			for n := 1 + w; n < tenants; n += 8 {
				doc := octopus.Document{"Name": fmt.Sprintf("Tenant %05d", n), "TenantTags": first[0]["TenantTags"], "ProjectEnvironments": first[0]["ProjectEnvironments"]}
				if _, err := hub.CreateDocument(ctx, "/api/"+hubSpace+"/tenants", doc, nil); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatalf("seed: %v", err)
	default:
	}

	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	bf.cfg = &ui.Config{
		ManagementSpace: &ui.ManagementSpace{Instance: "octopus-00", Space: "Fleet Hub"},
		Users:           []ui.UserConfig{{Name: "alice", PasswordHash: string(hash), Role: ui.RoleAdmin}},
	}
	for i, emu := range bf.emus {
		p := filepath.Join(bf.dir, fmt.Sprintf("key-%02d", i))
		if err := os.WriteFile(p, []byte(emu.APIKey()), 0o600); err != nil {
			tb.Fatal(err)
		}
		bf.cfg.Instances = append(bf.cfg.Instances, ui.InstanceConfig{Name: fmt.Sprintf("octopus-%02d", i), URL: emu.URL(), APIKey: "file:" + p})
	}
	return bf
}

func apply(tb testing.TB, oct steps.Octopus, s steps.Step) {
	tb.Helper()
	ctx := context.Background()
	p, err := s.Plan(ctx, oct)
	if err != nil {
		tb.Fatalf("%s: plan: %v", s.Name(), err)
	}
	if !p.Empty() {
		if _, err := s.Apply(ctx, oct, p); err != nil {
			tb.Fatalf("%s: apply: %v", s.Name(), err)
		}
	}
}

// requests is what the emulators served since their last reset.
func (bf *bigFleet) requests() int {
	n := 0
	for _, e := range bf.emus {
		n += len(e.Requests())
	}
	return n
}

func (bf *bigFleet) resetRequests() {
	for _, e := range bf.emus {
		e.ResetRequests()
	}
}

func mustURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// clock is a settable Now.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(t time.Time) { c.ns.Store(t.UnixNano()) }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

// start runs a UI over the fleet (its own database) on a virtual clock;
// nothing refreshes it but srv.Refresh.
func (bf *bigFleet) start(tb testing.TB, now *clock, refresh time.Duration) *uiServer {
	tb.Helper()
	cfg := *bf.cfg
	cfg.Database = filepath.Join(tb.TempDir(), "ui.db")
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := ui.New(ctx, ui.Options{Config: &cfg, RefreshInterval: refresh, Now: now.Now})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	u := &uiServer{srv: srv, http: hs, stop: func() {
		cancel()
		hs.Close()
		_ = srv.Close()
	}}
	tb.Cleanup(u.stop)
	return u
}

// viewerMinute is a virtual minute of n viewers, each loading the fleet
// overview, a space dashboard and the task list every 5 s, while the
// cache refreshes every interval (srv.Refresh as often as a minute of Run
// would). It returns the requests the instances received in that minute.
func viewerMinute(tb testing.TB, bf *bigFleet, viewers int, interval time.Duration) int {
	tb.Helper()
	// The clock starts now: the session cookies' expiry is checked by the
	// client's cookie jar on the real clock.
	start := time.Now()
	now := newClock(start)
	u := bf.start(tb, now, interval)
	var cs []*client
	for range viewers {
		c, status := u.signIn(tb, "alice", password)
		if status != http.StatusOK {
			tb.Fatalf("sign in: %d", status)
		}
		cs = append(cs, c)
	}
	ctx := context.Background()
	bf.resetRequests()
	dash := "/spaces/octopus-01/Spaces-1"
	nextRefresh := time.Duration(0)
	for at := time.Duration(0); at < time.Minute; at += 5 * time.Second {
		now.set(start.Add(at))
		if at >= nextRefresh {
			u.srv.Refresh(ctx)
			nextRefresh += interval
		}
		var wg sync.WaitGroup
		for _, c := range cs {
			wg.Go(func() {
				for _, p := range []string{"/", dash, "/tasks"} {
					if status, body := c.get(p); status != http.StatusOK || strings.Contains(body, `name="password"`) {
						tb.Errorf("GET %s: %d, or the sign-in page\n%.500s", p, status, body)
					}
				}
			})
		}
		wg.Wait()
	}
	return bf.requests()
}

// TestViewersCostNoMoreCalls: 20 viewers refreshing every 5 s for a
// (virtual) minute cost the instances exactly the requests one viewer
// does: pages read the cache, and the background refresh reads Octopus.
func TestViewersCostNoMoreCalls(t *testing.T) {
	t.Parallel()
	bf := newBigFleet(t, 2, 4, 30)
	one := viewerMinute(t, bf, 1, 15*time.Second)
	twenty := viewerMinute(t, bf, 20, 15*time.Second)
	t.Logf("Octopus API requests in a minute: 1 viewer %d, 20 viewers %d", one, twenty)
	if one == 0 || twenty != one {
		t.Errorf("API requests in a minute: 1 viewer %d, 20 viewers %d; want equal (and not zero)", one, twenty)
	}
}

// BenchmarkOverview: 10 instances × 100 spaces and 12,000 fleet tenants.
// The overview (spaces and tenants 50 a page, filterable) is served from
// the cache; "viewers" is the virtual minute of 1 and of 20 viewers.
//
//	go test -run '^$' -bench . ./internal/ui
func BenchmarkOverview(b *testing.B) {
	start := time.Now()
	bf := newBigFleet(b, 10, 100, 12000)
	b.Logf("seeded 10 instances × 100 spaces and 12,000 tenants in %s", time.Since(start).Round(time.Millisecond))

	now := newClock(time.Now())
	u := bf.start(b, now, 30*time.Second)
	bf.resetRequests()
	t0 := time.Now()
	u.srv.Refresh(context.Background())
	b.Logf("one cache refresh of the whole fleet: %s, %d requests", time.Since(t0).Round(time.Millisecond), bf.requests())
	c, _ := u.signIn(b, "alice", password)
	base, err := http.NewRequest(http.MethodGet, "/", nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, ck := range c.hc.Jar.Cookies(mustURL(b, u.http.URL)) {
		base.AddCookie(ck)
	}
	h := u.srv.Handler()
	for _, tc := range []struct{ name, path, want string }{
		{"first-page", "/", "Tenant 00049"},
		{"page-200", "/?page=200", "Tenant 09999"},
		{"filtered", "/?q=1234", "Tenant 11234"},
		{"spaces-filtered", "/?spaces=space+07-", "Space 07-049"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := base.Clone(context.Background())
			req.URL = mustURL(b, tc.path)
			req.RequestURI = tc.path
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), tc.want) {
				b.Fatalf("GET %s: %d, lacks %q", tc.path, rec.Code, tc.want)
			}
			bf.resetRequests()
			b.ResetTimer()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
			if n := bf.requests(); n != 0 {
				b.Errorf("serving the overview sent %d requests to Octopus", n)
			}
		})
	}
	b.Run("viewers", func(b *testing.B) {
		var one, twenty int
		for b.Loop() {
			one = viewerMinute(b, bf, 1, 30*time.Second)
			twenty = viewerMinute(b, bf, 20, 30*time.Second)
		}
		b.ReportMetric(float64(one), "calls/minute-1-viewer")
		b.ReportMetric(float64(twenty), "calls/minute-20-viewers")
		if twenty > one {
			b.Errorf("20 viewers cost %d requests a minute, one viewer %d", twenty, one)
		}
	})
}
