package octopus

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/spaces"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/steps"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// fakeClock replaces the transport's clock: Sleep records the wait and moves
// time forward at once, so waits are asserted exactly and cost nothing.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return nil
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sleeps)
}

// logBuffer captures every log line at debug level.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testOptions are Options for emu with a fake clock and a captured log.
func testOptions(emu *emulator.Server, clock *fakeClock, logs *logBuffer) Options {
	return Options{URL: emu.URL(), APIKey: emu.APIKey(), Logger: logs.Logger(), Now: clock.Now, Sleep: clock.Sleep}
}

// dialEmulator starts an emulator and dials a client to it with the admin
// API key.
func dialEmulator(t *testing.T) (*emulator.Server, *Client) {
	t.Helper()
	emu := emulatortest.New(t)
	return emu, mustDial(t, Options{URL: emu.URL(), APIKey: emu.APIKey()})
}

func mustDial(t *testing.T, opts Options) *Client {
	t.Helper()
	c, err := Dial(t.Context(), opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return c
}

// assertCountsMatch checks the client's counts against what the emulator
// received. The emulator accounts a dropped request after closing the
// connection, so the client can finish before the record exists
// (/work/notes/adapter-to-emulator.md); give it a moment to appear.
func assertCountsMatch(t *testing.T, c *Client, emu *emulator.Server) {
	t.Helper()
	got := c.Counts()
	for deadline := time.Now().Add(2 * time.Second); len(emu.Requests()) < got.Reads+got.Writes && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	var want Counts
	for _, r := range emu.Requests() {
		if isRead(r.Method) {
			want.Reads++
		} else {
			want.Writes++
		}
	}
	if got.Reads != want.Reads || got.Writes != want.Writes {
		t.Errorf("client counts %v, emulator received %v", got, want)
	}
}

func TestDialRejectsBadOptions(t *testing.T) {
	t.Parallel()
	const goodURL, goodKey = "https://octopus.invalid", "API-GOOD123"
	tests := []struct {
		name, url, key string
		wantFlag       string
	}{
		{"no URL", "", goodKey, "--server"},
		{"no scheme", "octopus.example.com", goodKey, "--server"},
		{"ftp", "ftp://octopus.example.com", goodKey, "--server"},
		{"no host", "https://", goodKey, "--server"},
		{"query", "https://octopus.example.com/?apikey=API-XYZ", goodKey, "--server"},
		{"unparsable", "http://[::1", goodKey, "--server"},
		{"no key", goodURL, "", "--api-key"},
		{"lower case key", goodURL, "API-secretvalue1", "--api-key"},
		{"no prefix", goodURL, "SECRETVALUE1", "--api-key"},
		{"bearer token", goodURL, "eyJhbGciOi.secret", "--api-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Dial(t.Context(), Options{URL: tt.url, APIKey: tt.key, MaxRetries: -1})
			if err == nil || !strings.Contains(err.Error(), tt.wantFlag) {
				t.Fatalf("Dial error = %v, want one naming %s", err, tt.wantFlag)
			}
			if tt.key != "" && tt.key != goodKey && strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q contains the API key", err)
			}
			if strings.Contains(err.Error(), "API-XYZ") {
				t.Errorf("error %q echoes a key from the URL", err)
			}
		})
	}
}

func TestDialWarnsOnPlainHTTPToRemoteHost(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	emuAddr := strings.TrimPrefix(emu.URL(), "http://")
	_, port, _ := net.SplitHostPort(emuAddr)
	tests := []struct {
		host     string
		wantWarn bool
	}{
		{"octopus.example.com", true},
		{"10.1.2.3", true},
		{"127.0.0.1", false},
		{"localhost", false},
		{"api.localhost", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			// Every connection goes to the emulator, whatever the URL's host.
			var d net.Dialer
			hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, emuAddr)
			}}}
			var logs logBuffer
			_, err := Dial(t.Context(), Options{URL: "http://" + net.JoinHostPort(tt.host, port), APIKey: emu.APIKey(), HTTPClient: hc, Logger: logs.Logger()})
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "http://")
			if warned != tt.wantWarn {
				t.Errorf("warned = %v, want %v; log:\n%s", warned, tt.wantWarn, logs.String())
			}
		})
	}
}

// TestDialCost pins what connecting costs: the API root, then the space list
// the SDK reads to find the default space (it has no fixed space).
func TestDialCost(t *testing.T) {
	t.Parallel()
	emu, c := dialEmulator(t)
	var got []string
	for _, r := range emu.Requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{"GET /api/", "GET /api/spaces"}
	if !slices.Equal(got, want) {
		t.Errorf("Dial sent %q, want %q", got, want)
	}
	if cnt := c.Counts(); cnt.Reads != 2 || cnt.Writes != 0 {
		t.Errorf("Counts = %v, want 2 reads", cnt)
	}
	if c.sdk.GetSpaceID() == "" {
		t.Error("the SDK found no default space")
	}
}

func TestDialWrongKeyIsUnauthorized(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	const wrong = "API-WRONGKEY0000000000000000"
	var logs logBuffer
	_, err := Dial(t.Context(), Options{URL: emu.URL(), APIKey: wrong, Logger: logs.Logger()})
	if !errors.Is(err, steps.ErrUnauthorized) {
		t.Fatalf("Dial error = %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(logs.String(), wrong) {
		t.Errorf("the API key leaked: error %q; log:\n%s", err, logs.String())
	}
	if n := len(emu.Requests()); n != 1 {
		t.Errorf("emulator received %d requests, want 1 (a 401 is not retried)", n)
	}
}

// TestAPIKeyNeverLogged drives Dial, reads, writes, retries, a 404 and a
// 429 at debug level and looks for the key in every log line and error.
func TestAPIKeyNeverLogged(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	clock, logs := newFakeClock(), &logBuffer{}
	c := mustDial(t, testOptions(emu, clock, logs))
	key := emu.APIKey()
	space := c.sdk.GetSpaceID()
	var errs []error
	record := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	emu.FailNext(http.MethodGet, "/api/"+space+"/environments", http.StatusServiceUnavailable, 1)
	record(c.getRaw(t.Context(), "/api/"+space+"/environments", nil))
	record(c.getRaw(t.Context(), "/api/"+space+"/environments/Environments-999", nil))
	record(c.postRaw(t.Context(), "/api/"+space+"/environments", map[string]any{"Name": "Dev"}, nil))
	record(c.postRaw(t.Context(), "/api/"+space+"/environments", map[string]any{"Name": "Dev"}, nil)) // duplicate
	emu.FailNext(http.MethodGet, "/api/spaces", http.StatusTooManyRequests, 1)
	_, err := spaces.GetByID(c.sdk, space)
	record(err)
	emu.FailNext(http.MethodGet, "/api/spaces", http.StatusInternalServerError, 20)
	_, err = spaces.GetByID(c.sdk, space)
	record(err)
	if len(errs) < 3 {
		t.Fatalf("expected the 404, the duplicate and the exhausted retries to fail; got %v", errs)
	}
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatalf("no debug lines captured:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), key) {
		t.Errorf("the API key appears in the log:\n%s", logs.String())
	}
	for _, err := range errs {
		if strings.Contains(err.Error(), key) {
			t.Errorf("the API key appears in error %q", err)
		}
	}
}

func TestDialContextBoundsTheClient(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	ctx, cancel := context.WithCancel(t.Context())
	c, err := Dial(ctx, Options{URL: emu.URL(), APIKey: emu.APIKey()})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	before := len(emu.Requests())
	cancel()
	if _, err := spaces.GetByID(c.sdk, c.sdk.GetSpaceID()); err == nil {
		t.Error("an SDK call succeeded after the Dial context was cancelled")
	}
	if err := c.getRaw(t.Context(), "/api/spaces", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("getRaw after cancel = %v, want context.Canceled", err)
	}
	if after := len(emu.Requests()); after != before {
		t.Errorf("emulator received %d requests after the cancel", after-before)
	}
}

// TestServerUnderSubPath puts the emulator behind a proxy at /octopus/, as a
// server hosted in a virtual directory is, and checks requests keep the prefix.
func TestServerUnderSubPath(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	target, _ := url.Parse(emu.URL())
	var mu sync.Mutex
	var seen []string
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		mu.Lock()
		seen = append(seen, r.In.URL.Path)
		mu.Unlock()
		r.SetURL(target)
		r.Out.URL.Path = strings.TrimPrefix(r.In.URL.Path, "/octopus")
		r.Out.URL.RawPath = ""
	}}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	for _, base := range []string{"http://" + ln.Addr().String() + "/octopus", "http://" + ln.Addr().String() + "/octopus/"} {
		c := mustDial(t, Options{URL: base, APIKey: emu.APIKey()})
		var list struct{ Items []struct{ Name string } }
		if err := c.getRaw(t.Context(), "/api/spaces", &list); err != nil {
			t.Fatalf("%s: getRaw: %v", base, err)
		}
		if len(list.Items) == 0 {
			t.Errorf("%s: no spaces listed", base)
		}
		if got := c.relPath("/octopus/api/spaces?skip=30"); got != "/api/spaces?skip=30" {
			t.Errorf("relPath of a server link = %q", got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range seen {
		if !strings.HasPrefix(p, "/octopus/api") {
			t.Errorf("request to %q escaped the sub-path", p)
		}
	}
	if len(seen) < 6 {
		t.Errorf("proxy saw %d requests, want at least 6", len(seen))
	}
}
