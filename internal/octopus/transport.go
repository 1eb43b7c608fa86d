package octopus

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Counts is the number of HTTP requests a Client sent, retries included.
// Requests that never reached the server (a refused connection) are not
// counted: the rate limit the server enforces counts what it received.
type Counts struct {
	// Reads is the number of GET and HEAD requests.
	Reads int `json:"reads"`
	// Writes is the number of requests with any other method.
	Writes int `json:"writes"`
	// ByRoute counts requests per "METHOD /path/template", where path
	// segments that look like Octopus IDs (Spaces-1, Projects-12,
	// teams-spacemanagers-Spaces-1) read {id} and the query is dropped.
	ByRoute map[string]int `json:"byRoute,omitempty"`
}

// String renders the totals for a log line.
func (c Counts) String() string {
	return fmt.Sprintf("%d reads, %d writes", c.Reads, c.Writes)
}

// Defaults for the retry policy; Options overrides each of them.
const (
	// defaultMaxRetries bounds the attempts of one request: at a 20% error
	// rate eleven failures in a row happen once in 50 million requests.
	defaultMaxRetries = 10
	// DefaultRetryBudget is the retries one Client may spend in all (every
	// request's, and creates repeated after an existence check): enough for
	// a run of 4,000 requests at a 20% error rate.
	DefaultRetryBudget = 1000
	// maxDialRetries bounds retries of a refused connection.
	maxDialRetries       = 4
	defaultRetryBase     = 200 * time.Millisecond
	defaultRetryMax      = 5 * time.Second
	defaultMaxRetryAfter = 5 * time.Minute
	maxErrorBody         = 1 << 20
)

// transport is the http.RoundTripper behind every request the SDK and the
// raw helpers send. It adds, in order: refusal once the Dial context is done,
// the client-side rate limit, retries (429 for every method; 5xx and
// connection errors for idempotent methods only), request counting, a debug
// log line per request, and error bodies the SDK can always decode.
type transport struct {
	base    http.RoundTripper
	ctx     context.Context // bound at Dial; see Dial for the limitation
	log     *slog.Logger
	limiter *rate.Limiter // nil when off

	maxRetries    int
	budget        atomic.Int64 // retries left for the whole run
	budgetSize    int
	retryBase     time.Duration
	retryMax      time.Duration
	maxRetryAfter time.Duration
	now           func() time.Time
	sleep         func(context.Context, time.Duration) error

	mu     sync.Mutex
	counts Counts
}

func newTransport(ctx context.Context, base http.RoundTripper, opts Options, log *slog.Logger) *transport {
	t := &transport{
		base:          base,
		ctx:           ctx,
		log:           log,
		maxRetries:    opts.MaxRetries,
		retryBase:     opts.RetryBaseDelay,
		retryMax:      opts.RetryMaxDelay,
		maxRetryAfter: opts.MaxRetryAfter,
		now:           opts.Now,
		sleep:         opts.Sleep,
		counts:        Counts{ByRoute: map[string]int{}},
	}
	switch {
	case t.maxRetries == 0:
		t.maxRetries = defaultMaxRetries
	case t.maxRetries < 0:
		t.maxRetries = 0
	}
	switch {
	case opts.RetryBudget == 0:
		t.budgetSize = DefaultRetryBudget
	case opts.RetryBudget > 0:
		t.budgetSize = opts.RetryBudget
	}
	t.budget.Store(int64(t.budgetSize))
	if t.retryBase <= 0 {
		t.retryBase = defaultRetryBase
	}
	if t.retryMax <= 0 {
		t.retryMax = defaultRetryMax
	}
	if t.maxRetryAfter <= 0 {
		t.maxRetryAfter = defaultMaxRetryAfter
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.sleep == nil {
		t.sleep = sleepCtx
	}
	if n := opts.RateLimitPerMinute; n > 0 {
		t.limiter = rate.NewLimiter(rate.Limit(float64(n)/60), n)
	}
	return t
}

// spend takes one retry from the run's budget, reporting false when none is left.
func (t *transport) spend() bool {
	if t.budget.Add(-1) >= 0 {
		return true
	}
	t.budget.Store(-1) // stays exhausted; no wrap-around
	return false
}

// RetriesUsed returns how many retries of the budget the client has spent.
func (t *transport) RetriesUsed() int {
	return t.budgetSize - max(int(t.budget.Load()), 0)
}

// gaveUp explains why a request was not retried again.
func (t *transport) gaveUp(retries int) string {
	if t.budget.Load() < 0 {
		return fmt.Sprintf("the run's retry budget (--retries %d) is used up", t.budgetSize)
	}
	return fmt.Sprintf("no retries left for this request (%d made)", retries)
}

// Counts returns a copy of the request counts so far.
func (t *transport) Counts() Counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.counts
	c.ByRoute = make(map[string]int, len(t.counts.ByRoute))
	for k, v := range t.counts.ByRoute {
		c.ByRoute[k] = v
	}
	return c
}

func (t *transport) count(method, path string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if isRead(method) {
		t.counts.Reads++
	} else {
		t.counts.Writes++
	}
	t.counts.ByRoute[method+" "+routeOf(path)]++
}

// sentCounter counts the requests one attempt puts on the wire. The standard
// transport silently resends a GET whose reused keep-alive connection broke
// (net/http shouldRetryRequest), so counting RoundTrip calls would undercount
// what the server received; httptrace's WroteRequest sees every write. Base
// transports that do not report writes are counted once per attempt that got
// an answer or failed after connecting (settle).
type sentCounter struct {
	t            *transport
	method, path string

	mu      sync.Mutex
	writes  int
	settled bool // counted by settle: later write reports are not counted again
}

func (s *sentCounter) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err != nil {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.writes++
		if !s.settled {
			s.t.count(s.method, s.path)
		}
	}}
}

// settle counts the attempt once if no write was reported and reached says
// the server may have seen it.
func (s *sentCounter) settle(reached bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writes == 0 && reached && !s.settled {
		s.settled = true
		s.t.count(s.method, s.path)
	}
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	// The SDK builds its requests without a context (http.Request{} and
	// http.NewRequest), so they run under the Dial context and a cancelled
	// run aborts them, in flight included. Raw requests carry the caller's
	// context; the Dial context still stops them between attempts.
	ctx := req.Context()
	if ctx == context.Background() {
		ctx = t.ctx
	}
	for _, c := range []context.Context{t.ctx, ctx} {
		if c.Err() != nil {
			return nil, fmt.Errorf("octopus client: %w", context.Cause(c))
		}
	}
	waitCtx, stop := t.mergedContext(ctx)
	defer stop()

	getBody, length, err := rewindable(req)
	if err != nil {
		return nil, err
	}

	var (
		lostResponse bool // an earlier attempt was sent but its answer lost
		retries      int
		throttles    int
	)
	for attempt := 1; ; attempt++ {
		if err := t.rateLimit(waitCtx); err != nil {
			return nil, fmt.Errorf("octopus client: wait for rate limit: %w", err)
		}
		sent := &sentCounter{t: t, method: req.Method, path: req.URL.Path}
		out := req.Clone(httptrace.WithClientTrace(ctx, sent.trace()))
		if getBody != nil {
			if out.Body, err = getBody(); err != nil {
				return nil, fmt.Errorf("rewind request body: %w", err)
			}
			out.ContentLength = length
		}
		start := t.now()
		resp, err := t.base.RoundTrip(out)
		elapsed := t.now().Sub(start)

		if err != nil {
			dialErr := isDialError(err)
			sent.settle(!dialErr)
			t.log.LogAttrs(ctx, slog.LevelDebug, "octopus request",
				slog.String("method", out.Method), slog.String("url", out.URL.Redacted()),
				slog.String("error", err.Error()), slog.Duration("duration", elapsed), slog.Int("attempt", attempt))
			if waitCtx.Err() != nil || isCertificateError(err) {
				return nil, err // a certificate the client does not trust stays untrusted
			}
			// A refused connection never reached the server: safe to retry
			// for every method. Anything later is ambiguous for a POST (the
			// server may have applied it), so only idempotent methods retry.
			// A server that refuses connections is down or the URL is wrong:
			// a few retries ride out a restart without making a typo wait
			// for the whole backoff ladder.
			limit := t.maxRetries
			if dialErr {
				limit = min(limit, maxDialRetries)
			}
			if (dialErr || isIdempotent(out.Method)) && retries < limit && t.spend() {
				retries++
				lostResponse = lostResponse || !dialErr
				d := t.backoff(retries)
				t.log.LogAttrs(ctx, slog.LevelWarn, "octopus request failed; retrying",
					slog.String("method", out.Method), slog.String("url", out.URL.Redacted()),
					slog.String("error", err.Error()), slog.Duration("wait", d))
				if err := t.sleep(waitCtx, d); err != nil {
					return nil, fmt.Errorf("octopus client: %w", err)
				}
				continue
			}
			if attempt > 1 {
				return nil, fmt.Errorf("after %d attempts (%s): %w", attempt, t.gaveUp(retries), err)
			}
			return nil, err
		}

		sent.settle(true)
		t.log.LogAttrs(ctx, slog.LevelDebug, "octopus request",
			slog.String("method", out.Method), slog.String("url", out.URL.Redacted()),
			slog.Int("status", resp.StatusCode), slog.Duration("duration", elapsed), slog.Int("attempt", attempt))

		switch {
		case resp.StatusCode == http.StatusTooManyRequests && throttles < t.maxRetries:
			// The server refused the request without processing it, so any
			// method may be repeated once the server says so.
			d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now())
			if !ok {
				d = t.backoff(throttles + 1)
			}
			if d > t.maxRetryAfter {
				return t.finalAnswer(out, resp, attempt, fmt.Sprintf("Retry-After %s is longer than the %s the client waits", d, t.maxRetryAfter)), nil
			}
			throttles++
			discard(resp)
			t.log.LogAttrs(ctx, slog.LevelInfo, "octopus server rate limit; waiting",
				slog.String("method", out.Method), slog.String("url", out.URL.Redacted()), slog.Duration("wait", d))
			if err := t.sleep(waitCtx, d); err != nil {
				return nil, fmt.Errorf("octopus client: %w", err)
			}
			continue
		case retryableStatus(resp.StatusCode) && isIdempotent(out.Method) && retries < t.maxRetries && t.spend():
			retries++
			d := t.backoff(retries)
			if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now()); ok && ra > d && ra <= t.maxRetryAfter {
				d = ra
			}
			discard(resp)
			t.log.LogAttrs(ctx, slog.LevelWarn, "octopus server error; retrying",
				slog.String("method", out.Method), slog.String("url", out.URL.Redacted()),
				slog.Int("status", resp.StatusCode), slog.Duration("wait", d))
			if err := t.sleep(waitCtx, d); err != nil {
				return nil, fmt.Errorf("octopus client: %w", err)
			}
			continue
		case resp.StatusCode == http.StatusNotFound && out.Method == http.MethodDelete && lostResponse:
			// An earlier attempt reached the server but its answer was lost;
			// a 404 now means that attempt deleted the resource.
			discard(resp)
			t.log.LogAttrs(ctx, slog.LevelDebug, "octopus delete already applied by a lost attempt",
				slog.String("url", out.URL.Redacted()))
			return deletedResponse(out), nil
		}
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			why := ""
			if (isIdempotent(out.Method) && retryableStatus(resp.StatusCode)) || resp.StatusCode == http.StatusTooManyRequests {
				why = t.gaveUp(max(retries, throttles))
			}
			return t.finalAnswer(out, resp, attempt, why), nil
		}
		return normalizeErrorBody(resp), nil
	}
}

// finalAnswer is normalizeErrorBody for an answer the client gives up on:
// its message names the request, the attempts and why they stopped, so the
// error a user sees says which call failed and what the server said last.
func (t *transport) finalAnswer(req *http.Request, resp *http.Response, attempts int, why string) *http.Response {
	resp = normalizeErrorBody(resp)
	b, _ := io.ReadAll(resp.Body)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m) // normalizeErrorBody made it an object
	var msg string
	_ = json.Unmarshal(m["ErrorMessage"], &msg)
	prefix := fmt.Sprintf("%s %s answered HTTP %d", req.Method, req.URL.Path, resp.StatusCode)
	if attempts > 1 {
		prefix += fmt.Sprintf(" %d times", attempts)
	}
	if why != "" {
		prefix += " (" + why + ")"
	}
	if msg == "" {
		msg = prefix
	} else {
		msg = prefix + ": " + msg
	}
	enc, _ := json.Marshal(msg)
	m["ErrorMessage"] = enc
	nb, _ := json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(nb))
	resp.ContentLength = int64(len(nb))
	resp.Header.Set("Content-Length", strconv.Itoa(len(nb)))
	return resp
}

// mergedContext returns a context done when ctx or the Dial context is done,
// for the waits between attempts.
func (t *transport) mergedContext(ctx context.Context) (context.Context, func()) {
	if ctx == t.ctx {
		return ctx, func() {}
	}
	merged, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(t.ctx, func() { cancel(context.Cause(t.ctx)) })
	return merged, func() { stop(); cancel(nil) }
}

func (t *transport) rateLimit(ctx context.Context) error {
	if t.limiter == nil {
		return nil
	}
	now := t.now()
	r := t.limiter.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	t.log.LogAttrs(ctx, slog.LevelDebug, "client-side rate limit; waiting", slog.Duration("wait", d))
	if err := t.sleep(ctx, d); err != nil {
		r.CancelAt(t.now())
		return err
	}
	return nil
}

// backoff is exponential with "equal jitter": half the step is fixed, half random.
func (t *transport) backoff(retry int) time.Duration {
	d := t.retryBase << min(retry-1, 20)
	if d > t.retryMax || d <= 0 {
		d = t.retryMax
	}
	half := d / 2
	return half + rand.N(half+1)
}

// rewindable returns a function producing fresh copies of req's body, so that
// every attempt sends it whole. The SDK's newclient sets Body without GetBody,
// so such bodies are read once into memory (they are small JSON documents).
func rewindable(req *http.Request) (func() (io.ReadCloser, error), int64, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, 0, nil
	}
	if req.GetBody != nil && req.ContentLength > 0 {
		_ = req.Body.Close()
		return req.GetBody, req.ContentLength, nil
	}
	b, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, 0, fmt.Errorf("read request body: %w", err)
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }, int64(len(b)), nil
}

// normalizeErrorBody makes every error answer a JSON object with a
// Content-Length and a StatusCode field. The SDK needs it: newclient treats a
// non-2xx answer with ContentLength 0 as success and turns a non-JSON body (a
// proxy's HTML 502) into a bare JSON syntax error; the legacy services decode
// the body into core.APIError, whose untagged StatusCode field picks up the
// status we add (they otherwise set it only for 404).
func normalizeErrorBody(resp *http.Response) *http.Response {
	if resp.StatusCode < 400 {
		return resp
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		msg := fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		if s := bodySnippet(b); s != "" {
			msg += ": " + s
		}
		enc, _ := json.Marshal(msg)
		m = map[string]json.RawMessage{"ErrorMessage": enc}
	}
	if _, ok := m["StatusCode"]; !ok {
		m["StatusCode"] = json.RawMessage(strconv.Itoa(resp.StatusCode))
	}
	nb, _ := json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(nb))
	resp.ContentLength = int64(len(nb))
	resp.Header.Set("Content-Length", strconv.Itoa(len(nb)))
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Del("Content-Encoding")
	resp.TransferEncoding = nil
	resp.Uncompressed = false
	return resp
}

// bodySnippet returns the start of a plain-text body, or "" for markup.
func bodySnippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" || strings.HasPrefix(s, "<") {
		return ""
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// deletedResponse is the answer the lost attempt of a DELETE would have had.
func deletedResponse(req *http.Request) *http.Response {
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Length": {"0"}},
		Body:          http.NoBody,
		ContentLength: 0,
		Request:       req,
	}
}

func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). A date in the past means "now".
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 || secs > int64(24*time.Hour/time.Second) {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-timer.C:
		return nil
	}
}

func isRead(method string) bool {
	return method == http.MethodGet || method == http.MethodHead
}

// isIdempotent reports whether repeating the request cannot change the
// outcome (RFC 9110 §9.2.2). POST is not: Octopus creates on POST.
func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// retryableStatus is a server-side failure that may pass on a retry.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// isCertificateError reports whether err is a failed verification of the
// server's TLS certificate (an unknown CA, a wrong host name, expired).
func isCertificateError(err error) bool {
	var v *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &v) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// isDialError reports whether err happened while connecting, before any byte
// of the request was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

var idSegment = regexp.MustCompile(`^[A-Za-z]+(?:-[A-Za-z]+)*-\d+$`)

// routeOf turns /api/Spaces-1/projects/Projects-3 into /api/{id}/projects/{id}.
func routeOf(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if idSegment.MatchString(s) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}
