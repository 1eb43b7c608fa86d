package fleet

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// Pool holds one connection per instance for a whole run: one Dial, one
// rate limit, one 429 pause and one read cache per instance, shared by every
// worker and every target.
type Pool struct {
	keys       Keys
	rateLimit  int
	httpClient *http.Client
	log        *slog.Logger
	retry      Retry
	ctx        context.Context

	mu   sync.Mutex
	inst map[string]*instance
}

type instance struct {
	url  string
	once sync.Once
	cl   *octopus.Client
	oct  *cached
	gate *gate
	err  error
}

// PoolOptions configure a Pool.
type PoolOptions struct {
	// Keys are the API keys by instance URL.
	Keys Keys
	// RateLimitPerMinute is each instance's limit (0: none).
	RateLimitPerMinute int
	// HTTPClient is the base client (its Transport sends the requests).
	HTTPClient *http.Client
	// Logger receives the clients' diagnostics; discarded when nil.
	Logger *slog.Logger
	// Retry is each client's retry budget and backoff (octopus.Options'
	// RetryBudget, RetryBaseDelay and RetryMaxDelay; zero values are its
	// defaults).
	Retry Retry
}

// Retry is a client's retry budget and backoff.
type Retry struct {
	Budget              int
	BaseDelay, MaxDelay time.Duration
}

// NewPool returns a pool whose connections live as long as ctx.
func NewPool(ctx context.Context, opts PoolOptions) *Pool {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pool{keys: opts.Keys, rateLimit: opts.RateLimitPerMinute, httpClient: opts.HTTPClient, log: log, retry: opts.Retry, ctx: ctx, inst: map[string]*instance{}}
}

// NormalizeURL is the form instance URLs are compared in: no trailing
// slash, lower-case scheme and host.
func NormalizeURL(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	if i := strings.Index(u, "://"); i > 0 {
		rest := u[i+3:]
		host, path, _ := strings.Cut(rest, "/")
		u = strings.ToLower(u[:i]) + "://" + strings.ToLower(host)
		if path != "" {
			u += "/" + path
		}
	}
	return u
}

func (p *Pool) get(url string) *instance {
	url = NormalizeURL(url)
	p.mu.Lock()
	defer p.mu.Unlock()
	in, ok := p.inst[url]
	if !ok {
		in = &instance{url: url}
		p.inst[url] = in
	}
	return in
}

// Client returns the instance's one client, dialling it on first use.
func (p *Pool) Client(url string) (*octopus.Client, error) {
	in := p.get(url)
	in.once.Do(func() {
		key, ok := p.keys.For(in.url)
		if !ok {
			in.err = fmt.Errorf("no API key for instance %s", in.url)
			return
		}
		hc := &http.Client{}
		if p.httpClient != nil {
			*hc = *p.httpClient
		}
		g := newGate(hc.Transport, p.rateLimit)
		hc.Transport = g
		cl, err := octopus.Dial(p.ctx, octopus.Options{URL: in.url, APIKey: key, HTTPClient: hc, Logger: p.log,
			RetryBudget: p.retry.Budget, RetryBaseDelay: p.retry.BaseDelay, RetryMaxDelay: p.retry.MaxDelay})
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil {
			in.err = fmt.Errorf("connect to %s: %w", in.url, err)
			return
		}
		in.cl, in.gate, in.oct = cl, g, newCached(cl)
	})
	return in.cl, in.err
}

// Octopus returns the instance's port with the run's read cache.
func (p *Pool) Octopus(url string) (steps.Octopus, error) {
	if _, err := p.Client(url); err != nil {
		return nil, err
	}
	in := p.get(url)
	p.mu.Lock()
	defer p.mu.Unlock()
	return in.oct, nil
}

// Dial is a steps.Dialer over the pool, for steps that connect by URL
// (clone-instance-settings); the key is the pool's, not the caller's.
func (p *Pool) Dial(_ context.Context, url, _ string) (steps.Octopus, error) {
	return p.Octopus(url)
}

// InstanceStats are what a run cost on one instance.
type InstanceStats struct {
	URL    string `json:"url"`
	Reads  int    `json:"reads"`
	Writes int    `json:"writes"`
	// Pauses counts 429 answers that paused every worker on the instance.
	Pauses int    `json:"pauses,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Stats returns the requests sent to every instance dialled so far.
func (p *Pool) Stats() []InstanceStats {
	type snap struct {
		url string
		cl  *octopus.Client
		g   *gate
		err error
	}
	p.mu.Lock()
	ins := make([]snap, 0, len(p.inst))
	for _, in := range p.inst {
		ins = append(ins, snap{in.url, in.cl, in.gate, in.err})
	}
	p.mu.Unlock()
	sort.Slice(ins, func(i, j int) bool { return ins[i].url < ins[j].url })
	var out []InstanceStats
	for _, in := range ins {
		if in.cl == nil && in.err == nil {
			continue
		}
		s := InstanceStats{URL: in.url}
		if in.cl != nil {
			n := in.cl.Counts()
			s.Reads, s.Writes, s.Pauses = n.Reads, n.Writes, in.g.Pauses()
		}
		if in.err != nil {
			s.Error = in.err.Error()
		}
		out = append(out, s)
	}
	return out
}

// Calls is the number of requests sent so far, on every instance.
func (p *Pool) Calls() int {
	n := 0
	for _, s := range p.Stats() {
		n += s.Reads + s.Writes
	}
	return n
}
