package fleet

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// gate is the http.RoundTripper under an instance's one client, so every
// worker on the instance passes it with every attempt (the client's retries
// included): it spaces requests to the instance's rate limit, and a 429's
// Retry-After holds back every request to the instance until it has passed,
// not only the one that got it.
//
// The limit is strict: requests are spaced 60s/N apart, so no minute (of any
// start) sees more than N. A token bucket with a burst of N, as the client's
// own limiter is, may send 2N in a minute that straddles a refill. Spaced
// requests stay under the server's limit whichever windows it counts in
// (the emulator's --rate-limit-429 counts fixed one-minute windows).
type gate struct {
	base http.RoundTripper
	now  func() time.Time

	mu       sync.Mutex
	interval time.Duration // 0: no limit
	next     time.Time     // the earliest start of the next request
	paused   time.Time     // no request before this (a 429's Retry-After)
	pauses   int
}

func newGate(base http.RoundTripper, perMinute int) *gate {
	if base == nil {
		base = http.DefaultTransport
	}
	g := &gate{base: base, now: time.Now}
	if perMinute > 0 {
		g.interval = time.Minute / time.Duration(perMinute)
	}
	return g
}

// wait reserves the request's slot and sleeps until it.
func (g *gate) wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		now := g.now()
		at := now
		if g.paused.After(at) {
			at = g.paused
		}
		if g.interval > 0 && g.next.After(at) {
			at = g.next
		}
		d := at.Sub(now)
		if d <= 0 {
			if g.interval > 0 {
				g.next = now.Add(g.interval)
			}
			g.mu.Unlock()
			return nil
		}
		g.mu.Unlock()
		// Sleep, then look again: a 429 may have moved the pause meanwhile.
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// RoundTrip implements http.RoundTripper.
func (g *gate) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.wait(req.Context()); err != nil {
		return nil, err
	}
	resp, err := g.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		g.pause(resp.Header.Get("Retry-After"))
	}
	return resp, err
}

// pause holds back every request until Retry-After (seconds or an HTTP
// date; one second when missing or unreadable) has passed.
func (g *gate) pause(retryAfter string) {
	now := g.now()
	d := time.Second
	v := strings.TrimSpace(retryAfter)
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		d = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = at.Sub(now)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pauses++
	if until := now.Add(d); until.After(g.paused) {
		g.paused = until
	}
}

// Pauses is the number of 429 answers that paused the instance.
func (g *gate) Pauses() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pauses
}
