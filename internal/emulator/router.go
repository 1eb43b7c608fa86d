package emulator

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// RouteScope says which URL forms a route answers and what an unscoped URL
// means for it.
type RouteScope int

const (
	// RouteSystem routes exist only as /api/x (users, spaces, user roles...).
	RouteSystem RouteScope = iota
	// RouteSpace routes exist as /api/{spaceId}/x, /api/spaces/{spaceId}/x and
	// /api/x; the unscoped form addresses the default space, as on the real
	// server (octopus-api.md §2).
	RouteSpace
	// RouteMixed routes exist in all three forms, but the unscoped form means
	// "every space and the system level" (teams, scoped user roles, events).
	RouteMixed
)

// Handler answers one request. It returns the response body (sent as JSON
// with c.Status, 200 when unset) or an error (an apiError becomes its Octopus
// error body, anything else a 500). Handlers of non-GET requests run with the
// store locked for writing and the state is saved before the answer is sent;
// GET handlers run under a read lock and must not change the store.
type Handler func(c *Call) (any, error)

// route is one registered method + path pattern below /api.
type route struct {
	method  string
	pattern string   // "environments/{id}", as shown in Request.Route
	segs    []string // lower-cased literals or "{name}"
	scope   RouteScope
	handler Handler
	literal int // number of literal segments, for specificity
}

// extraRoutes are routes added by files of this package with addRoute.
var extraRoutes []*route

// addRoute registers a route; call it from an init function in the file that
// implements the handler. Patterns are relative to /api (and to the space
// prefix for RouteSpace and RouteMixed routes), "{name}" marks a parameter,
// and the most literal pattern wins when several match.
func addRoute(method, pattern string, scope RouteScope, h Handler) {
	extraRoutes = append(extraRoutes, newRoute(method, pattern, scope, h))
}

func newRoute(method, pattern string, scope RouteScope, h Handler) *route {
	rt := &route{method: method, pattern: pattern, scope: scope, handler: h}
	if pattern != "" {
		for _, s := range strings.Split(pattern, "/") {
			if strings.HasPrefix(s, "{") {
				rt.segs = append(rt.segs, s)
				continue
			}
			rt.segs = append(rt.segs, strings.ToLower(s))
			rt.literal++
		}
	}
	return rt
}

// match returns the parameters when segs matches the pattern.
func (rt *route) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range rt.segs {
		if strings.HasPrefix(p, "{") {
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-1]] = segs[i]
			continue
		}
		if !strings.EqualFold(p, segs[i]) {
			return nil, false
		}
	}
	return params, true
}

// router finds routes by their first segment.
type router struct {
	byFirst map[string][]*route // "" for the root and parameter-first patterns
}

func newRouter(routes []*route) *router {
	r := &router{byFirst: map[string][]*route{}}
	for _, rt := range routes {
		first := ""
		if len(rt.segs) > 0 && !strings.HasPrefix(rt.segs[0], "{") {
			first = rt.segs[0]
		}
		r.byFirst[first] = append(r.byFirst[first], rt)
	}
	return r
}

// find returns the best route for the method and segments; methodSeen is true
// when the path exists for another method.
func (r *router) find(method string, segs []string, scoped bool) (best *route, params map[string]string, methodSeen bool) {
	var candidates []*route
	if len(segs) > 0 {
		candidates = r.byFirst[strings.ToLower(segs[0])]
	}
	candidates = append(candidates[:len(candidates):len(candidates)], r.byFirst[""]...)
	for _, rt := range candidates {
		if scoped && rt.scope == RouteSystem {
			continue
		}
		p, ok := rt.match(segs)
		if !ok {
			continue
		}
		if rt.method != method {
			methodSeen = true
			continue
		}
		if best == nil || rt.literal > best.literal {
			best, params = rt, p
		}
	}
	return best, params, methodSeen
}

var spaceIDPattern = regexp.MustCompile(`(?i)^spaces-\d+$`)

// urlTarget is a request path split into its space part and its route part.
type urlTarget struct {
	spaceID string   // as written in the URL; "" for the unscoped form
	form    string   // "/api", "/api/{spaceId}" or "/api/spaces/{spaceId}"
	prefix  string   // the URL prefix actually used, e.g. "/api/Spaces-1"
	segs    []string // unescaped segments after the prefix
}

// parseTarget splits /api/..., /api/{spaceId}/... and /api/spaces/{spaceId}/...
// (octopus-api.md §2: the real server serves all three).
func parseTarget(u *url.URL) (urlTarget, bool) {
	p := u.EscapedPath()
	if p != "/api" && !strings.HasPrefix(p, "/api/") {
		return urlTarget{}, false
	}
	var segs []string
	for _, s := range strings.Split(strings.TrimPrefix(p, "/api"), "/") {
		if s == "" {
			continue
		}
		un, err := url.PathUnescape(s)
		if err != nil {
			return urlTarget{}, false
		}
		segs = append(segs, un)
	}
	t := urlTarget{form: "/api", prefix: "/api", segs: segs}
	switch {
	case len(segs) >= 1 && spaceIDPattern.MatchString(segs[0]):
		t.spaceID, t.form, t.prefix, t.segs = segs[0], "/api/{spaceId}", "/api/"+segs[0], segs[1:]
	case len(segs) >= 3 && strings.EqualFold(segs[0], "spaces") && spaceIDPattern.MatchString(segs[1]):
		t.spaceID, t.form, t.prefix, t.segs = segs[1], "/api/spaces/{spaceId}", "/api/spaces/"+segs[1], segs[2:]
	}
	return t, true
}

// Call is one request on its way through a handler.
type Call struct {
	srv *Server
	// W and R are the underlying request and response writer. Handlers return
	// their answer rather than writing to W.
	W http.ResponseWriter
	R *http.Request
	// SpaceID is the canonical ID of the space the request addresses: the one
	// in the URL, or the default space for an unscoped RouteSpace route, or ""
	// for system routes and unscoped RouteMixed routes.
	SpaceID string
	// Scoped is true when the URL named the space.
	Scoped bool
	// Prefix is the URL prefix the client used ("/api", "/api/Spaces-1",
	// "/api/spaces/Spaces-1"); paging links reuse it.
	Prefix string
	// UserID and Username identify the caller. Every request passes through
	// authenticate first, so this is the one place to ask "who is calling".
	UserID, Username string
	// Status is the response status; 0 means 200.
	Status int
	params map[string]string
	body   []byte
	query  url.Values
	// changed is set by every store mutation so that the dispatcher saves the
	// state before answering.
	changed bool
	// quiet suppresses audit events (seeding a fresh instance).
	quiet bool
	// parent is the call this one was derived from by InSpace.
	parent *Call
	// perms caches the caller's permissions for the request (permissions.go).
	perms *grants
	// depth counts nested store mutations on the root call: only the
	// outermost one is audited, side effects (a new space's team, a new
	// project's deployment process) are not separate events.
	depth int
}

// root returns the call this one derives from.
func (c *Call) root() *Call {
	for c.parent != nil {
		c = c.parent
	}
	return c
}

// enter and leave bracket one store mutation; enter reports whether it is
// the outermost one.
func (c *Call) enter() bool {
	r := c.root()
	r.depth++
	return r.depth == 1
}

func (c *Call) leave() { c.root().depth-- }

// InSpace returns a call like c that addresses another space, for side
// effects that create documents in a space other than the request's (a new
// space's defaults). Changes made through it count as c's.
func (c *Call) InSpace(spaceID string) *Call {
	d := *c
	d.SpaceID, d.Scoped, d.parent = spaceID, spaceID != "", c
	d.Prefix = "/api/" + spaceID
	if spaceID == "" {
		d.Prefix = "/api"
	}
	return &d
}

// Param returns a path parameter of the route pattern ("{id}" -> "id").
func (c *Call) Param(name string) string { return c.params[name] }

// Query returns every value of a query parameter, matched case-insensitively,
// accepting both the repeated form (ids=a&ids=b, go-querystring) and the
// comma-joined form (ids=a,b, RFC 6570 templates); empty values are dropped.
func (c *Call) Query(name string) []string {
	var out []string
	for k, vs := range c.query {
		if !strings.EqualFold(k, name) {
			continue
		}
		for _, v := range vs {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// QueryValue returns the first value of a query parameter ("" when absent),
// matched case-insensitively and without splitting on commas.
func (c *Call) QueryValue(name string) string {
	for k, vs := range c.query {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// queryInt returns an integer query parameter, def when absent.
func (c *Call) queryInt(name string, def int) (int, error) {
	v := c.QueryValue(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badRequest("The value '" + v + "' is not valid for " + name + ".")
	}
	return n, nil
}

// queryBool returns a boolean query parameter, def when absent.
func (c *Call) queryBool(name string, def bool) bool {
	v := c.QueryValue(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def
	}
	return b
}

// Body returns the request body decoded as a JSON object (400 otherwise),
// its property names in their canonical spelling (serializer.go).
func (c *Call) Body() (Doc, error) {
	d, err := decodeDoc(c.body)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	c.srv.st.vocab.canonicalize(d)
	return d, nil
}

// RawBody returns the request body bytes.
func (c *Call) RawBody() []byte { return c.body }

// Changed marks the store as modified by this request, so the state is saved
// before the answer is sent. The store helpers (create, update, remove) call
// it; handlers that edit documents in place must call it themselves.
func (c *Call) Changed() {
	for x := c; x != nil; x = x.parent {
		x.changed = true
	}
}

// readBody reads the whole request body (bounded, to keep a bad client from
// exhausting memory).
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	return io.ReadAll(io.LimitReader(r.Body, 64<<20))
}
