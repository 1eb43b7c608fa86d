package octopus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/steps"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true}, // RFC 850
		{"Sun Mar  1 12:00:05 2026", 5 * time.Second, true},   // asctime
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},            // in the past: now
		{"", 0, false},
		{"-3", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRouteOf(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"/api/":                              "/api/",
		"/api/spaces":                        "/api/spaces",
		"/api/Spaces-1/projects/Projects-12": "/api/{id}/projects/{id}",
		"/api/teams/teams-spacemanagers-Spaces-2":         "/api/teams/{id}",
		"/api/spaces/Spaces-1/tasks/ServerTasks-3/cancel": "/api/spaces/{id}/tasks/{id}/cancel",
		"/api/Spaces-1/projects/my-project":               "/api/{id}/projects/my-project",
	}
	for in, want := range tests {
		if got := routeOf(in); got != want {
			t.Errorf("routeOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	tr := newTransport(t.Context(), http.DefaultTransport, Options{RetryBaseDelay: 100 * time.Millisecond, RetryMaxDelay: time.Second}, discardLogger())
	for retry, max := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 50 {
			if d := tr.backoff(retry); d < max/2 || d > max {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", retry, d, max/2, max)
			}
		}
	}
}

func TestNormalizeErrorBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		status     int
		wantMsg    string
	}{
		{"empty body", "", 500, "HTTP 500 Internal Server Error"},
		{"html from a proxy", "<html><body>Bad gateway</body></html>", 502, "HTTP 502 Bad Gateway"},
		{"plain text", "upstream timed out", 504, "HTTP 504 Gateway Timeout: upstream timed out"},
		{"octopus body kept", `{"ErrorMessage":"There was a problem with your request.","Errors":["x"]}`, 400, "There was a problem with your request."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body)), ContentLength: int64(len(tt.body))}
			resp = normalizeErrorBody(resp)
			b, _ := io.ReadAll(resp.Body)
			if resp.ContentLength != int64(len(b)) || resp.ContentLength == 0 {
				t.Errorf("ContentLength = %d for a %d-byte body", resp.ContentLength, len(b))
			}
			var got struct {
				ErrorMessage string
				StatusCode   int
			}
			if err := json.NewDecoder(bytes.NewReader(b)).Decode(&got); err != nil {
				t.Fatalf("body %q is not JSON: %v", b, err)
			}
			if got.ErrorMessage != tt.wantMsg || got.StatusCode != tt.status {
				t.Errorf("body = %+v, want message %q and status %d", got, tt.wantMsg, tt.status)
			}
		})
	}
}

// env is the part of an Octopus environment the raw tests use.
type env struct {
	ID          string `json:"Id,omitempty"`
	Name        string `json:"Name"`
	Description string `json:"Description,omitempty"`
}

// requestsTo counts the requests the emulator received for method and path.
func requestsTo(emu *emulator.Server, method, path string) int {
	n := 0
	for _, r := range emu.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func TestRetriesIdempotentRequests(t *testing.T) {
	t.Parallel()
	faults := []struct {
		name   string
		inject func(emu *emulator.Server, method, path string)
		sent   int // requests for the path the emulator receives
	}{
		{"500 twice", func(emu *emulator.Server, m, p string) { emu.FailNext(m, p, http.StatusInternalServerError, 2) }, 3},
		{"503 twice", func(emu *emulator.Server, m, p string) { emu.FailNext(m, p, http.StatusServiceUnavailable, 2) }, 3},
		{"dropped response", func(emu *emulator.Server, m, p string) { emu.DropNext(m, p, 1) }, 2},
	}
	methods := []struct {
		method string
		do     func(t *testing.T, c *Client, path string) error
		check  func(t *testing.T, c *Client, path string)
	}{
		{http.MethodGet,
			func(t *testing.T, c *Client, path string) error {
				var got env
				if err := c.getRaw(t.Context(), path, &got); err != nil {
					return err
				}
				if got.Name != "Retry" {
					t.Errorf("GET returned %+v", got)
				}
				return nil
			}, nil},
		{http.MethodPut,
			func(t *testing.T, c *Client, path string) error {
				var e env
				if err := c.getRaw(t.Context(), path, &e); err != nil {
					return err
				}
				e.Description = "updated"
				return c.putRaw(t.Context(), path, e, nil)
			},
			func(t *testing.T, c *Client, path string) {
				var e env
				if err := c.getRaw(t.Context(), path, &e); err != nil || e.Description != "updated" {
					t.Errorf("after PUT: %+v, %v", e, err)
				}
			}},
		{http.MethodDelete,
			func(t *testing.T, c *Client, path string) error { return c.deleteRaw(t.Context(), path) },
			func(t *testing.T, c *Client, path string) {
				if err := c.getRaw(t.Context(), path, nil); !errors.Is(err, steps.ErrNotFound) {
					t.Errorf("after DELETE: GET = %v, want ErrNotFound", err)
				}
			}},
	}
	for _, f := range faults {
		for _, m := range methods {
			t.Run(m.method+" "+f.name, func(t *testing.T) {
				t.Parallel()
				emu := emulatortest.New(t)
				clock := newFakeClock()
				c := mustDial(t, testOptions(emu, clock, &logBuffer{}))
				var created env
				if err := c.postRaw(t.Context(), "/api/"+c.sdk.GetSpaceID()+"/environments", env{Name: "Retry"}, &created); err != nil {
					t.Fatalf("create: %v", err)
				}
				path := "/api/" + c.sdk.GetSpaceID() + "/environments/" + created.ID
				f.inject(emu, m.method, path)
				if err := m.do(t, c, path); err != nil {
					t.Fatalf("%s with %s: %v", m.method, f.name, err)
				}
				assertCountsMatch(t, c, emu)
				if got := requestsTo(emu, m.method, path); got != f.sent {
					t.Errorf("emulator received %d %s requests, want %d", got, m.method, f.sent)
				}
				if m.check != nil {
					m.check(t, c, path)
				}
				if len(clock.Sleeps()) == 0 && f.sent == 3 {
					t.Error("retried without backing off")
				}
			})
		}
	}
}

func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	clock := newFakeClock()
	opts := testOptions(emu, clock, &logBuffer{})
	opts.MaxRetries = 3
	c := mustDial(t, opts)
	emu.FailNext(http.MethodGet, "/api/spaces", http.StatusInternalServerError, 100)
	err := c.getRaw(t.Context(), "/api/spaces", nil)
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("err = %v, want the last 500", err)
	}
	if got := requestsTo(emu, http.MethodGet, "/api/spaces"); got != 1+4 { // Dial's, then 1 + 3 retries
		t.Errorf("emulator received %d GET /api/spaces, want 5", got)
	}
	sleeps := clock.Sleeps()
	if len(sleeps) != 3 {
		t.Fatalf("sleeps = %v, want 3 backoffs", sleeps)
	}
	for i, d := range sleeps {
		step := defaultRetryBase << i
		if d < step/2 || d > step {
			t.Errorf("backoff %d = %v, want within [%v, %v]", i+1, d, step/2, step)
		}
	}
}

func TestPostIsNotRetriedBlindly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		inject    func(emu *emulator.Server, path string)
		wantExist bool
	}{
		{"500", func(emu *emulator.Server, p string) {
			emu.FailNext(http.MethodPost, p, http.StatusInternalServerError, 1)
		}, false},
		{"dropped response", func(emu *emulator.Server, p string) { emu.DropNext(http.MethodPost, p, 1) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu := emulatortest.New(t)
			c := mustDial(t, testOptions(emu, newFakeClock(), &logBuffer{}))
			path := "/api/" + c.sdk.GetSpaceID() + "/environments"
			tt.inject(emu, path)
			err := c.postRaw(t.Context(), path, env{Name: "Once"}, nil)
			if err == nil || !ambiguous(err) {
				t.Fatalf("postRaw = %v, want an ambiguous failure", err)
			}
			assertCountsMatch(t, c, emu)
			if got := requestsTo(emu, http.MethodPost, path); got != 1 {
				t.Errorf("emulator received %d POSTs, want 1", got)
			}
			envs, err := ListAll[env](t.Context(), c, path+"?name=Once")
			if err != nil {
				t.Fatal(err)
			}
			if exists := len(envs) == 1; exists != tt.wantExist {
				t.Errorf("environment exists = %v, want %v", exists, tt.wantExist)
			}
			assertCountsMatch(t, c, emu)
		})
	}
}

func TestCreateOnceDoesNotDuplicate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		inject    func(emu *emulator.Server, path string)
		wantPOSTs int
	}{
		{"no fault", func(*emulator.Server, string) {}, 1},
		{"dropped response", func(emu *emulator.Server, p string) { emu.DropNext(http.MethodPost, p, 1) }, 1},
		{"500 before applying", func(emu *emulator.Server, p string) {
			emu.FailNext(http.MethodPost, p, http.StatusInternalServerError, 1)
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu := emulatortest.New(t)
			c := mustDial(t, testOptions(emu, newFakeClock(), &logBuffer{}))
			ctx := t.Context()
			path := "/api/" + c.sdk.GetSpaceID() + "/environments"
			find := func() (env, error) {
				envs, err := ListAll[env](ctx, c, path+"?partialName=Prod")
				if err != nil {
					return env{}, err
				}
				for _, e := range envs {
					if e.Name == "Prod" {
						return e, nil
					}
				}
				return env{}, fmt.Errorf("environment Prod: %w", steps.ErrNotFound)
			}
			tt.inject(emu, path)
			got, err := createOnce(ctx, c, `environment "Prod"`, func() (env, error) {
				var e env
				return e, c.postRaw(ctx, path, env{Name: "Prod"}, &e)
			}, find)
			if err != nil {
				t.Fatalf("createOnce: %v", err)
			}
			if got.ID == "" || got.Name != "Prod" {
				t.Errorf("createOnce returned %+v", got)
			}
			assertCountsMatch(t, c, emu)
			envs, err := ListAll[env](ctx, c, path)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range envs {
				if e.Name == "Prod" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d environments named Prod, want 1", n)
			}
			if got := requestsTo(emu, http.MethodPost, path); got != tt.wantPOSTs {
				t.Errorf("emulator received %d POSTs, want %d", got, tt.wantPOSTs)
			}
			// A second createOnce is refused as a duplicate, without a lookup.
			_, err = createOnce(ctx, c, `environment "Prod"`, func() (env, error) {
				var e env
				return e, c.postRaw(ctx, path, env{Name: "Prod"}, &e)
			}, func() (env, error) { t.Error("find called after a clear refusal"); return env{}, nil })
			if !errors.Is(err, steps.ErrConflict) {
				t.Errorf("second createOnce = %v, want ErrConflict", err)
			}
		})
	}
}

// retryAfterHeader replaces the Retry-After of 429 answers with the value the
// test wants (the emulator's FailNext always sends "1"). It only decorates.
type retryAfterHeader struct {
	base  http.RoundTripper
	value func() string

	mu   sync.Mutex
	seen []string // Retry-After of every 429 that passed through
}

func (r *retryAfterHeader) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		if r.value != nil {
			resp.Header.Set("Retry-After", r.value())
		}
		r.mu.Lock()
		r.seen = append(r.seen, resp.Header.Get("Retry-After"))
		r.mu.Unlock()
	}
	return resp, err
}

func (r *retryAfterHeader) Seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

func TestRetryAfterHonouredForEveryMethod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		value     func(now time.Time) string
		wantSleep time.Duration
	}{
		{"seconds", func(time.Time) string { return "7" }, 7 * time.Second},
		{"HTTP date", func(now time.Time) string { return now.Add(90 * time.Second).Format(http.TimeFormat) }, 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu := emulatortest.New(t)
			clock := newFakeClock()
			ra := &retryAfterHeader{base: http.DefaultTransport, value: func() string { return tt.value(clock.Now()) }}
			opts := testOptions(emu, clock, &logBuffer{})
			opts.HTTPClient = &http.Client{Transport: ra}
			c := mustDial(t, opts)
			path := "/api/" + c.sdk.GetSpaceID() + "/environments"
			// A POST too: the server did not process a 429, so repeating it is safe.
			emu.FailNext(http.MethodPost, path, http.StatusTooManyRequests, 1)
			var created env
			if err := c.postRaw(t.Context(), path, env{Name: "Throttled"}, &created); err != nil {
				t.Fatalf("POST after 429: %v", err)
			}
			emu.FailNext(http.MethodGet, path, http.StatusTooManyRequests, 1)
			if err := c.getRaw(t.Context(), path+"/"+created.ID, nil); err != nil {
				t.Fatalf("GET after 429: %v", err)
			}
			if got := clock.Sleeps(); !slices.Equal(got, []time.Duration{tt.wantSleep, tt.wantSleep}) {
				t.Errorf("waits = %v, want %v twice", got, tt.wantSleep)
			}
			if got := requestsTo(emu, http.MethodPost, path); got != 2 {
				t.Errorf("emulator received %d POSTs, want 2 (429, then the retry)", got)
			}
			assertCountsMatch(t, c, emu)
		})
	}
}

// TestEmulatorRateLimitHonoured runs into the emulator's own per-user limit:
// each wait must be the Retry-After the server sent, and after MaxRetries
// waits the 429 comes back as an error.
func TestEmulatorRateLimitHonoured(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t, func(o *emulator.Options) { o.Faults.RateLimitPerMinute = 4 })
	clock := newFakeClock()
	ra := &retryAfterHeader{base: http.DefaultTransport}
	opts := testOptions(emu, clock, &logBuffer{})
	opts.HTTPClient = &http.Client{Transport: ra}
	opts.MaxRetries = 2
	c := mustDial(t, opts) // 2 requests
	for i := range 2 {
		if err := c.getRaw(t.Context(), "/api/spaces", nil); err != nil {
			t.Fatalf("request %d within the limit: %v", i, err)
		}
	}
	err := c.getRaw(t.Context(), "/api/spaces", nil)
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("err = %v, want the 429 after the waits", err)
	}
	seen, sleeps := ra.Seen(), clock.Sleeps()
	if len(seen) != 3 || len(sleeps) != 2 {
		t.Fatalf("429s seen %q, waits %v; want 3 and 2", seen, sleeps)
	}
	for i, d := range sleeps {
		want, ok := parseRetryAfter(seen[i], clock.Now())
		if !ok || d != want || d < time.Second {
			t.Errorf("wait %d = %v, want the server's Retry-After %q", i, d, seen[i])
		}
	}
	assertCountsMatch(t, c, emu)
}

func TestClientSideRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		perMinute  int
		requests   int // after Dial's 2
		wantSleeps []time.Duration
	}{
		{0, 70, nil},
		{60, 58, nil}, // 60 with Dial's: exactly the burst
		{60, 61, []time.Duration{time.Second, time.Second, time.Second}}, // then one a second
		{120, 121, []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d per minute, %d requests", tt.perMinute, tt.requests), func(t *testing.T) {
			t.Parallel()
			emu := emulatortest.New(t)
			clock := newFakeClock()
			opts := testOptions(emu, clock, &logBuffer{})
			opts.RateLimitPerMinute = tt.perMinute
			c := mustDial(t, opts)
			for i := range tt.requests {
				if err := c.getRaw(t.Context(), "/api/spaces", nil); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			got := clock.Sleeps()
			if len(got) != len(tt.wantSleeps) {
				t.Fatalf("waits = %v, want %v", got, tt.wantSleeps)
			}
			for i := range got {
				if diff := got[i] - tt.wantSleeps[i]; diff < -time.Millisecond || diff > time.Millisecond {
					t.Errorf("wait %d = %v, want %v", i, got[i], tt.wantSleeps[i])
				}
			}
			if n := len(emu.Requests()); n != tt.requests+2 {
				t.Errorf("emulator received %d requests, want %d", n, tt.requests+2)
			}
		})
	}
}

func TestCountsMatchEmulator(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	c := mustDial(t, testOptions(emu, newFakeClock(), &logBuffer{}))
	ctx := t.Context()
	path := "/api/" + c.sdk.GetSpaceID() + "/environments"
	var e env
	if err := c.postRaw(ctx, path, env{Name: "A"}, &e); err != nil {
		t.Fatal(err)
	}
	emu.FailNext(http.MethodGet, path, http.StatusBadGateway, 1)
	if _, err := ListAll[env](ctx, c, path); err != nil {
		t.Fatal(err)
	}
	e.Description = "x"
	if err := c.putRaw(ctx, path+"/"+e.ID, e, nil); err != nil {
		t.Fatal(err)
	}
	_ = c.getRaw(ctx, path+"/Environments-999", nil) // a 404 counts too
	if err := c.deleteRaw(ctx, path+"/"+e.ID); err != nil {
		t.Fatal(err)
	}
	assertCountsMatch(t, c, emu)
	got := c.Counts()
	if got.Reads != 2+2+1 || got.Writes != 3 {
		t.Errorf("Counts = %v, want 5 reads (Dial 2, list 1 + retry, 404) and 3 writes", got)
	}
	if n := got.ByRoute["PUT /api/{id}/environments/{id}"]; n != 1 {
		t.Errorf("ByRoute = %v, want one PUT /api/{id}/environments/{id}", got.ByRoute)
	}
}
