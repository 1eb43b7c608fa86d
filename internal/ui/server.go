package ui

import (
	"context"
	"embed"
	"fmt"
	"github.com/octofleet/octofleet/internal/fleet"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Options configure New. Config is required; Dial defaults to DialOctopus.
type Options struct {
	Config *Config
	Dial   Dialer
	// Store replaces the SQLite file named by Config.Database.
	Store Store
	// TLS marks the cookies Secure (the server is served over TLS).
	TLS bool
	// RefreshInterval overrides the configuration's; TrackInterval is how
	// often running jobs' tasks are polled (default 1s) and LogPoll how
	// often a live log re-reads its task (default 1s).
	RefreshInterval, TrackInterval, LogPoll time.Duration
	Now                                     func() time.Time
	Logger                                  *slog.Logger
}

// Server is the web UI.
type Server struct {
	cfg             *Config
	dial            Dialer
	store           Store
	ownStore        bool
	tls             bool
	now             func() time.Time
	log             *slog.Logger
	refreshInterval time.Duration
	trackInterval   time.Duration
	logPoll         time.Duration
	sessionTTL      time.Duration
	users           map[string]*User
	cache           *cache
	tmpl            map[string]*template.Template
	dispatchMu      sync.Mutex
	wake            chan struct{}

	clientsMu sync.Mutex
	clients   map[string]Instance
}

// New builds the server: it opens the store and recovers the job queue.
// Instances are dialled on first use (one that is down is shown as
// unreachable and tried again at the next refresh).
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Config == nil {
		return nil, fmt.Errorf("ui: no configuration")
	}
	s := &Server{cfg: o.Config, dial: o.Dial, store: o.Store, tls: o.TLS, now: o.Now, log: o.Logger,
		users: map[string]*User{}, clients: map[string]Instance{}, wake: make(chan struct{}, 1)}
	if s.dial == nil {
		s.dial = DialOctopus
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.refreshInterval = o.RefreshInterval
	if s.refreshInterval <= 0 {
		s.refreshInterval = duration(o.Config.RefreshInterval, 30*time.Second)
	}
	s.trackInterval = o.TrackInterval
	if s.trackInterval <= 0 {
		s.trackInterval = time.Second
	}
	s.logPoll = o.LogPoll
	if s.logPoll <= 0 {
		s.logPoll = time.Second
	}
	s.sessionTTL = duration(o.Config.SessionTTL, 8*time.Hour)
	for _, u := range o.Config.Users {
		s.users[u.Name] = &User{UserConfig: u}
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	if s.store == nil {
		st, err := OpenSQLite(o.Config.Database)
		if err != nil {
			return nil, err
		}
		s.store, s.ownStore = st, true
	}
	s.cache = newCache(s)
	if err := s.recoverJobs(ctx); err != nil {
		s.Close() //nolint:errcheck // the recovery error is the one to report
		return nil, fmt.Errorf("recover the job queue: %w", err)
	}
	return s, nil
}

// Close closes the store New opened.
func (s *Server) Close() error {
	if s.ownStore {
		return s.store.Close()
	}
	return nil
}

// client returns the instance's client, dialling it the first time.
func (s *Server) client(ctx context.Context, name string) (Instance, error) {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if c, ok := s.clients[name]; ok {
		return c, nil
	}
	for _, in := range s.cfg.Instances {
		if in.Name != name {
			continue
		}
		key, err := ResolveSecret(in.APIKey)
		if err != nil {
			return nil, fmt.Errorf("instance %s: %w", name, err)
		}
		c, err := s.dial(ctx, in, key)
		if err != nil {
			return nil, fmt.Errorf("instance %s: %w", name, err)
		}
		s.clients[name] = c
		return c, nil
	}
	return nil, fmt.Errorf("no instance named %q", name)
}

// APICalls returns the requests sent to each instance so far.
func (s *Server) APICalls() map[string]int {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	out := map[string]int{}
	for n, c := range s.clients {
		cn := c.Counts()
		out[n] = cn.Reads + cn.Writes
	}
	return out
}

// Refresh re-reads the cache once (Run does it every interval).
func (s *Server) Refresh(ctx context.Context) { s.cache.refresh(ctx) }

// Dispatch runs one pass of the job queue (Run does it continuously).
func (s *Server) Dispatch(ctx context.Context) error { return s.dispatch(ctx) }

// Run refreshes the cache and dispatches jobs until ctx is done.
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			s.cache.refresh(ctx)
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.refreshInterval):
			}
		}
	})
	wg.Go(func() {
		for {
			if err := s.dispatch(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("job queue", slog.String("error", err.Error()))
			}
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			case <-time.After(s.trackInterval):
			}
		}
	})
	wg.Wait()
}

func (s *Server) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// csp allows no inline script or style: scripts and styles come from
// /static only.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Handler serves the UI.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // embedded at build time
	}
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.authed(RoleViewer, s.logout))
	mux.HandleFunc("GET /{$}", s.authed(RoleViewer, s.overview))
	mux.HandleFunc("GET /spaces/{instance}/{space}", s.authed(RoleViewer, s.spaceDashboard))
	mux.HandleFunc("GET /deploy", s.authed(RoleOperator, s.deployForm))
	mux.HandleFunc("POST /deploy/confirm", s.authed(RoleOperator, s.deployConfirm))
	mux.HandleFunc("POST /deploy", s.authed(RoleOperator, s.deploy))
	mux.HandleFunc("POST /releases", s.authed(RoleOperator, s.createRelease))
	mux.HandleFunc("GET /runbook", s.authed(RoleOperator, s.runbookForm))
	mux.HandleFunc("POST /runbook/confirm", s.authed(RoleOperator, s.runbookConfirm))
	mux.HandleFunc("POST /runbook", s.authed(RoleOperator, s.runbook))
	mux.HandleFunc("GET /tasks", s.authed(RoleViewer, s.tasks))
	mux.HandleFunc("GET /tasks/{instance}/{task}", s.authed(RoleViewer, s.taskPage))
	mux.HandleFunc("GET /tasks/{instance}/{task}/events", s.authed(RoleViewer, s.taskEvents))
	mux.HandleFunc("POST /tasks/{instance}/{task}/cancel", s.authed(RoleOperator, s.cancelTask))
	mux.HandleFunc("GET /jobs/{id}", s.authed(RoleViewer, s.jobPage))
	mux.HandleFunc("GET /audit", s.authed(RoleViewer, s.auditPage))
	return securityHeaders(mux)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// reqCtx is a signed-in request.
type reqCtx struct {
	w    http.ResponseWriter
	r    *http.Request
	user *User
	sess Session
}

// authed checks the session (else: sign-in page for a GET, 401 for a
// POST), the role, and on every POST the CSRF token.
func (s *Server) authed(role string, h func(*reqCtx)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, u, ok := s.session(r)
		if !ok {
			if r.Method == http.MethodGet && r.Header.Get("Accept") != "text/event-stream" {
				http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && !validCSRF(ss, r) {
			s.deny(r.Context(), u, "csrf", "POST "+r.URL.Path+" without a valid CSRF token")
			http.Error(w, "invalid or missing CSRF token", http.StatusForbidden)
			return
		}
		if !u.AtLeast(role) {
			s.deny(r.Context(), u, "role", r.Method+" "+r.URL.Path+" needs the "+role+" role")
			http.Error(w, "your role does not allow this", http.StatusForbidden)
			return
		}
		h(&reqCtx{w: w, r: r, user: u, sess: ss})
	}
}

// deny audits a refused request.
func (s *Server) deny(ctx context.Context, u *User, action, detail string) {
	if err := s.store.AddAudit(ctx, AuditEntry{At: s.now(), User: u.Name, Action: "denied " + action, Detail: detail, Outcome: "403"}); err != nil {
		s.log.Error("audit log", slog.String("error", err.Error()))
	}
}

// instanceName is the configured name of the instance at url, or url when
// the UI does not front it.
func (s *Server) instanceName(url string) string {
	for _, in := range s.cfg.Instances {
		if fleet.NormalizeURL(in.URL) == fleet.NormalizeURL(url) {
			return in.Name
		}
	}
	return url
}
