package emulator

import (
	"math/rand"
	"net/http"
	"sync"
	"time"
)

// faultState decides which requests fail, are dropped or are rate limited.
// Random decisions come from one generator seeded with Faults.Seed, so a
// given sequence of requests meets the same faults on every run.
type faultState struct {
	cfg Faults

	mu      sync.Mutex
	rnd     *rand.Rand
	fails   []*faultRule
	drops   []*faultRule
	windows map[string]*rateWindow // per user
}

// faultRule injects into the next `left` requests matching method and prefix.
type faultRule struct {
	method, prefix string
	status, left   int
}

type rateWindow struct {
	start time.Time
	count int
}

func newFaultState(cfg Faults) *faultState {
	return &faultState{cfg: cfg, rnd: rand.New(rand.NewSource(cfg.Seed)), windows: map[string]*rateWindow{}}
}

func (r *faultRule) matches(method, path string) bool {
	return r.left > 0 && (r.method == "" || r.method == "*" || r.method == method) && hasPrefixFold(path, r.prefix)
}

// take consumes the first matching rule.
func take(rules []*faultRule, method, path string) (*faultRule, bool) {
	for _, r := range rules {
		if r.matches(method, path) {
			r.left--
			return r, true
		}
	}
	return nil, false
}

// FailNext makes the next `times` requests whose method matches ("" or "*"
// for any) and whose path starts with pathPrefix fail with status, without
// being applied.
func (s *Server) FailNext(method, pathPrefix string, status int, times int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.fails = append(s.faults.fails, &faultRule{method: method, prefix: pathPrefix, status: status, left: times})
}

// DropNext makes the next `times` matching requests be applied and then
// answered by closing the connection: the client cannot tell whether its
// request took effect.
func (s *Server) DropNext(method, pathPrefix string, times int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.drops = append(s.faults.drops, &faultRule{method: method, prefix: pathPrefix, left: times})
}

// SetFaults replaces the random faults (latency, error, drop, throttle and
// rate-limit settings) from now on, for a test that injects faults into one
// phase of a run; FailNext and DropNext rules stay. The generator is seeded
// again with f.Seed.
func (s *Server) SetFaults(f Faults) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.cfg = f
	s.faults.rnd = rand.New(rand.NewSource(f.Seed))
}

func (f *faultState) latency() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg.Latency
}

// injectedFailure reports whether this request must fail, and with which
// status: FailNext rules first, then ErrorRate, then ThrottleRate.
func (f *faultState) injectedFailure(method, path string) (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := take(f.fails, method, path); ok {
		return r.status, true
	}
	if f.cfg.ErrorRate > 0 && f.rnd.Float64() < f.cfg.ErrorRate {
		return http.StatusInternalServerError, true
	}
	if f.cfg.ThrottleRate > 0 && f.rnd.Float64() < f.cfg.ThrottleRate {
		return http.StatusTooManyRequests, true
	}
	return 0, false
}

// dropped reports whether the answer to this (already applied) request must
// be dropped: DropNext rules first, then DropRate.
func (f *faultState) dropped(method, path string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := take(f.drops, method, path); ok {
		return true
	}
	return f.cfg.DropRate > 0 && f.rnd.Float64() < f.cfg.DropRate
}

// rateLimited counts a request of user in a fixed one-minute window and
// reports whether it is over Faults.RateLimitPerMinute, with the seconds
// until the window ends for Retry-After.
func (f *faultState) rateLimited(user string, now time.Time) (retryAfter int, limited bool) {
	f.mu.Lock() // before cfg: SetFaults may replace it while requests are served
	defer f.mu.Unlock()
	if f.cfg.RateLimitPerMinute <= 0 {
		return 0, false
	}
	w := f.windows[user]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &rateWindow{start: now}
		f.windows[user] = w
	}
	if w.count >= f.cfg.RateLimitPerMinute {
		left := w.start.Add(time.Minute).Sub(now)
		secs := int((left + time.Second - 1) / time.Second)
		return max(secs, 1), true
	}
	w.count++
	return 0, false
}
