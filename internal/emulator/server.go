package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultAPIKey is the admin API key when Options.APIKey is empty. The SDK
// rejects keys that do not match ^API-[A-Z0-9]+$ before sending anything.
const DefaultAPIKey = "API-EMULATOR0000000000000000000"

// Options configure a Server.
type Options struct {
	// Listen is the TCP address to listen on; "127.0.0.1:0" when empty.
	Listen string
	// APIKey is the admin user's API key; DefaultAPIKey when empty. It also
	// derives the key that encrypts secrets in the state file.
	APIKey string
	// StatePath, when set, is loaded at start (if it exists) and saved
	// atomically after every change and on Close.
	StatePath string
	// CommunityTemplatesDir is a folder of Library-format step template JSON
	// files seeded as community action templates.
	CommunityTemplatesDir string
	// ServerVersion is the Version the API root claims (DefaultServerVersion
	// when empty), for version-skew tests.
	ServerVersion string
	// Faults injects failures for reliability tests.
	Faults Faults
	// Logger receives one debug line per request; discarded when nil.
	Logger *slog.Logger
}

// Faults describe injected failures. They apply to authenticated requests.
type Faults struct {
	// Latency delays every request.
	Latency time.Duration
	// ErrorRate is the probability (0..1) of answering 500 without applying
	// the request.
	ErrorRate float64
	// DropRate is the probability of applying the request and then closing
	// the connection without an answer.
	DropRate float64
	// ThrottleRate is the probability of answering 429 with Retry-After: 1
	// without applying the request, as an overloaded server does.
	ThrottleRate float64
	// RateLimitPerMinute, when positive, answers 429 with Retry-After to a
	// user's requests beyond this many in a minute (Octopus 2026.3+ limits
	// each user).
	RateLimitPerMinute int
	// Seed makes ErrorRate and DropRate decisions reproducible.
	Seed int64
}

// Request is one request the server received.
type Request struct {
	Method string
	// Path is the URL path without the query.
	Path string
	// Route is the matched route pattern, e.g. "/api/{spaceId}/environments/{id}";
	// "" when no route matched.
	Route string
	// Status is the status sent; 0 when the connection was dropped.
	Status int
	// At is when the request arrived (for tests of client-side pacing).
	At time.Time

	accounted bool
}

// Server is an in-memory Octopus Server API on a real listener.
type Server struct {
	opts   Options
	log    *slog.Logger
	ln     net.Listener
	srv    *http.Server
	url    string
	router *router
	faults *faultState

	// mu guards the store and everything derived from it.
	mu             sync.RWMutex
	st             *store
	keyIndex       map[string]string // API key hash -> ApiKeys ID
	installationID string
	secretKey      []byte

	acctMu   sync.Mutex
	requests []Request
	writes   []string

	closeOnce sync.Once
	closeErr  error

	extMu sync.Mutex
	ext   map[string]any
}

// closeHooks run when a server closes, before its state is saved (stop a
// task runner's workers). Register with onClose from init.
var closeHooks []func(s *Server) error

// onClose registers a function run by every Server.Close.
func onClose(fn func(s *Server) error) { closeHooks = append(closeHooks, fn) }

// extension returns the per-server state a file of the package keeps under
// key (a task runner's queue), creating it with create on first use. State
// that must survive a restart belongs in the store instead.
func (s *Server) extension(key string, create func() any) any {
	s.extMu.Lock()
	defer s.extMu.Unlock()
	if s.ext == nil {
		s.ext = map[string]any{}
	}
	v, ok := s.ext[key]
	if !ok {
		v = create()
		s.ext[key] = v
	}
	return v
}

// New starts a server: it loads Options.StatePath if the file exists (or
// seeds a fresh instance) and is listening when New returns. The admin user
// "admin" owns Options.APIKey.
func New(opts Options) (*Server, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if !apiKeyPattern.MatchString(opts.APIKey) {
		return nil, errors.New("new emulator: API key must look like API-[A-Z0-9]+ (the SDK refuses anything else)")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		opts:      opts,
		log:       logger,
		faults:    newFaultState(opts.Faults),
		st:        newStore(),
		keyIndex:  map[string]string{},
		secretKey: stateKey(opts.APIKey),
	}
	var routes []*route
	for _, k := range kindsOrder {
		routes = append(routes, kindRoutes(k)...)
	}
	routes = append(routes, extraRoutes...)
	s.router = newRouter(routes)

	if err := s.boot(); err != nil {
		return nil, fmt.Errorf("new emulator: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("new emulator: listen on %s: %w", opts.Listen, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("emulator stopped serving", "err", err)
		}
	}()
	return s, nil
}

// boot loads the state file or seeds a fresh instance, then makes sure the
// admin key works.
func (s *Server) boot() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	loaded, err := s.load()
	if err != nil {
		return err
	}
	c := s.systemCall()
	if !loaded {
		if err := s.seed(c); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	if err := s.ensureAdminKey(c); err != nil {
		return err
	}
	if s.opts.StatePath != "" {
		return s.save()
	}
	return nil
}

// ServerVersion is the Version the API root claims.
func (s *Server) ServerVersion() string {
	if s.opts.ServerVersion != "" {
		return s.opts.ServerVersion
	}
	return DefaultServerVersion
}

// URL is the server's base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.url }

// APIKey is the admin user's API key.
func (s *Server) APIKey() string { return s.opts.APIKey }

// Close stops the listener and in-flight connections and saves the state
// when StatePath is set.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// Give in-flight requests a moment, then cut whatever is left
		// (connections a client opened but never used keep Shutdown waiting
		// for seconds): an emulator has nothing to drain.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = s.srv.Close()
		}
		for _, fn := range closeHooks {
			err = errors.Join(err, fn(s))
		}
		if s.opts.StatePath != "" {
			s.mu.Lock()
			err = errors.Join(err, s.save())
			s.mu.Unlock()
		}
		if err != nil {
			s.closeErr = fmt.Errorf("close emulator: %w", err)
		}
	})
	return s.closeErr
}

// now is the server clock, in UTC as Octopus reports times.
func (s *Server) now() time.Time { return time.Now().UTC() }

// systemCall is a Call for work the server does by itself (seeding,
// background tasks): it acts as the system user.
func (s *Server) systemCall() *Call {
	r, _ := http.NewRequest(http.MethodGet, "/api", nil) // a constant URL always parses
	return &Call{srv: s, R: r, Prefix: "/api", UserID: "users-system", Username: "system", quiet: true}
}

// mutate runs fn with the store locked and a system Call, and saves the state
// afterwards if fn changed it. Background work (a task runner) uses it.
func (s *Server) mutate(fn func(c *Call) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.systemCall()
	c.quiet = false
	err := fn(c)
	if c.changed && s.opts.StatePath != "" {
		err = errors.Join(err, s.save())
	}
	return err
}

// ServeHTTP is the request pipeline: accounting, latency, authentication,
// rate limit, injected failures, routing, the handler under the store lock,
// saving, and finally the answer (or a dropped connection).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Path: r.URL.Path, At: time.Now()}
	status := s.serve(w, r, &rec)
	rec.Status = status
	if !rec.accounted {
		s.account(rec)
	}
	s.log.Debug("emulator request", "method", r.Method, "path", r.URL.Path, "route", rec.Route, "status", status)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rec *Request) int {
	// answer accounts the request before the client can see the answer:
	// a client that got its response finds the request in Requests().
	answer := func(status int, write func()) int {
		rec.Status = status
		s.account(*rec)
		rec.accounted = true
		write()
		return status
	}
	fail := func(err error) int {
		status := http.StatusInternalServerError
		var ae *apiError
		if errors.As(err, &ae) {
			status = ae.Status
		}
		return answer(status, func() { writeError(w, err) })
	}
	if d := s.faults.latency(); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return 0
		}
	}
	t, ok := parseTarget(r.URL)
	if !ok {
		return fail(errNoRoute)
	}
	userID, username, ok := s.authenticate(r)
	if !ok {
		return fail(errUnauthorized)
	}
	if wait, limited := s.faults.rateLimited(userID, time.Now()); limited {
		w.Header().Set("Retry-After", fmt.Sprint(wait))
		return fail(&apiError{Status: http.StatusTooManyRequests, Message: fmt.Sprintf("Rate limit exceeded: retry after %d seconds.", wait)})
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	mutating := method != http.MethodGet
	if mutating {
		s.accountWrite(r.Method + " " + r.URL.Path)
	}
	rt, params, methodSeen := s.router.find(method, t.segs, t.spaceID != "")
	if rt == nil {
		if methodSeen {
			return fail(&apiError{Status: http.StatusMethodNotAllowed, Message: "The requested HTTP method is not allowed for this resource."})
		}
		return fail(errNoRoute)
	}
	rec.Route = t.form
	if rt.pattern != "" {
		rec.Route += "/" + rt.pattern
	}
	if status, injected := s.faults.injectedFailure(r.Method, r.URL.Path); injected {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1") // the real server always sends it with a 429
		}
		return fail(&apiError{Status: status, Message: fmt.Sprintf("Injected failure (%d).", status)})
	}
	body, err := readBody(r)
	if err != nil {
		return fail(badRequest("read request body: " + err.Error()))
	}
	c := &Call{srv: s, W: w, R: r, Prefix: t.prefix, UserID: userID, Username: username, params: params, body: body, query: r.URL.Query()}

	var out any
	func() {
		if mutating {
			s.mu.Lock()
			defer s.mu.Unlock()
		} else {
			s.mu.RLock()
			defer s.mu.RUnlock()
		}
		if err = s.resolveSpace(c, t, rt); err != nil {
			return
		}
		if err = s.authorizeCall(c, method, rt.pattern); err != nil {
			return
		}
		defer func() {
			// A bug in a handler answers 500 with an error body instead of
			// net/http's silently closed connection.
			if p := recover(); p != nil {
				s.log.Error("emulator handler panicked", "route", rec.Route, "panic", p)
				err = fmt.Errorf("internal error in %s: %v", rec.Route, p)
			}
		}()
		out, err = rt.handler(c)
		if c.changed && s.opts.StatePath != "" {
			// Saved before the answer: a client that got a 2xx can rely on
			// the change surviving a crash of the emulator.
			if serr := s.save(); serr != nil {
				err = errors.Join(err, serr)
			}
		}
	}()
	if s.faults.dropped(r.Method, r.URL.Path) {
		return answer(0, func() { dropConnection(w) })
	}
	if err != nil {
		return fail(err)
	}
	status := c.Status
	if status == 0 {
		status = http.StatusOK
	}
	if raw, ok := out.(rawAnswer); ok {
		return answer(status, func() { raw.write(w, status) })
	}
	return answer(status, func() { writeJSON(w, status, out) })
}

// rawAnswer is a handler answer that is not JSON (a task's text log, a
// package download): it writes itself.
type rawAnswer interface {
	write(w http.ResponseWriter, status int)
}

// authorizeCall runs the permission check when a file of the package
// provides one (a method `authorize(c *Call, method, pattern string) error`
// on *Server); without it every authenticated caller may do everything.
// It runs under the store lock, after the space is resolved.
func (s *Server) authorizeCall(c *Call, method, pattern string) error {
	if a, ok := any(s).(interface {
		authorize(c *Call, method, pattern string) error
	}); ok {
		return a.authorize(c, method, pattern)
	}
	return nil
}

// canSee reports whether the caller may see a space, when a file of the
// package provides the check (a method `canSeeSpace(c *Call, spaceID string)
// bool` on *Server); true otherwise.
func (s *Server) canSee(c *Call, spaceID string) bool {
	if v, ok := any(s).(interface {
		canSeeSpace(c *Call, spaceID string) bool
	}); ok {
		return v.canSeeSpace(c, spaceID)
	}
	return true
}

// resolveSpace sets c.SpaceID from the URL or, for unscoped space routes,
// to the default space.
func (s *Server) resolveSpace(c *Call, t urlTarget, rt *route) error {
	if t.spaceID != "" {
		sp := s.st.get(spacesKind.Name, "", t.spaceID)
		if sp == nil {
			return notFound(t.spaceID)
		}
		c.SpaceID, c.Scoped = str(sp.doc, "Id"), true
		return nil
	}
	if rt.scope == RouteSpace {
		c.SpaceID = s.defaultSpaceID()
		if c.SpaceID == "" {
			return badRequest("There is no default space: name the space in the URL.")
		}
	}
	return nil
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http closes the connection quietly
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close() // the point is to break the connection; an error changes nothing
}

// account records a finished request.
func (s *Server) account(r Request) {
	s.acctMu.Lock()
	defer s.acctMu.Unlock()
	s.requests = append(s.requests, r)
}

func (s *Server) accountWrite(w string) {
	s.acctMu.Lock()
	defer s.acctMu.Unlock()
	s.writes = append(s.writes, w)
}

// Requests returns every request received since start or the last
// ResetRequests, in the order they finished.
func (s *Server) Requests() []Request {
	s.acctMu.Lock()
	defer s.acctMu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Writes returns "METHOD /path" for every authenticated non-GET request since
// start or the last ResetRequests, whether or not it succeeded.
func (s *Server) Writes() []string {
	s.acctMu.Lock()
	defer s.acctMu.Unlock()
	return append([]string(nil), s.writes...)
}

// ResetRequests clears Requests and Writes.
func (s *Server) ResetRequests() {
	s.acctMu.Lock()
	defer s.acctMu.Unlock()
	s.requests, s.writes = nil, nil
}

// RequestCounts returns the number of requests per "METHOD route" since
// start or the last ResetRequests.
func (s *Server) RequestCounts() map[string]int {
	out := map[string]int{}
	for _, r := range s.Requests() {
		out[r.Method+" "+r.Route]++
	}
	return out
}

// defaultSpaceID returns the ID of the space marked IsDefault ("" if none).
func (s *Server) defaultSpaceID() string {
	for _, rec := range s.st.all(spacesKind.Name) {
		if boolean(rec.doc, "IsDefault") {
			return str(rec.doc, "Id")
		}
	}
	return ""
}

// hasPrefixFold reports whether path starts with prefix, ignoring case.
func hasPrefixFold(path, prefix string) bool {
	return len(path) >= len(prefix) && strings.EqualFold(path[:len(prefix)], prefix)
}
