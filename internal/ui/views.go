package ui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

var pages = []string{"login", "overview", "space", "deploy", "runbook", "confirm", "tasks", "task", "job", "audit", "error"}

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"stateClass": stateClass,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05")
		},
		"join": strings.Join,
		"has": func(l []octopus.NamedID, id string) bool {
			return slices.ContainsFunc(l, func(n octopus.NamedID) bool { return n.ID == id })
		},
	}
	s.tmpl = map[string]*template.Template{}
	for _, p := range pages {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return fmt.Errorf("parse template %s: %w", p, err)
		}
		s.tmpl[p] = t
	}
	return nil
}

// stateClass is the CSS class of a task or job state.
func stateClass(state string) string {
	switch strings.ToLower(state) {
	case "success", "done":
		return "ok"
	case "failed", "timedout", "interrupted":
		return "bad"
	case "canceled", "cancelling":
		return "warn"
	case "executing", "running", "starting":
		return "run"
	case "":
		return "none"
	}
	return "wait"
}

// page is what every template gets.
type page struct {
	Title string
	User  *User
	CSRF  string
	Data  any
	// Refresh, when set, reloads the page after that many seconds (a
	// meta refresh, no script).
	Refresh int
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.tmpl[name].Execute(w, p); err != nil {
		s.log.Error("render", slog.String("page", name), slog.String("error", err.Error()))
	}
}

func (rc *reqCtx) page(title string, data any) page {
	return page{Title: title, User: rc.user, CSRF: rc.sess.CSRF, Data: data}
}

// fail answers an error page; messages never carry secrets (the adapter's
// errors name the server and route, never the API key).
func (s *Server) fail(rc *reqCtx, status int, msg string) {
	s.render(rc.w, status, "error", rc.page(http.StatusText(status), msg))
}

const loginCookie = "octofleet_login"

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, http.StatusOK, "")
}

// showLogin renders the sign-in form with a login CSRF token, double
// submitted as a cookie and a form field (there is no session yet).
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.tls})
	next := r.FormValue("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/"
	}
	s.render(w, status, "login", page{Title: "Sign in", CSRF: tok, Data: map[string]string{"Next": next, "Error": msg}})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || r.PostFormValue("csrf") != c.Value {
		http.Error(w, "invalid or missing CSRF token", http.StatusForbidden)
		return
	}
	name := r.PostFormValue("name")
	u, ok := s.authenticate(name, r.PostFormValue("password"))
	if !ok {
		if err := s.store.AddAudit(r.Context(), AuditEntry{At: s.now(), User: name, Action: "sign-in", Outcome: "refused: wrong name or password"}); err != nil {
			s.log.Error("audit log", slog.String("error", err.Error()))
		}
		s.showLogin(w, r, http.StatusUnauthorized, "Wrong name or password.")
		return
	}
	if err := s.startSession(r.Context(), w, u); err != nil {
		http.Error(w, "cannot start a session", http.StatusInternalServerError)
		return
	}
	if err := s.store.AddAudit(r.Context(), AuditEntry{At: s.now(), User: u.Name, Action: "sign-in", Outcome: "ok"}); err != nil {
		s.log.Error("audit log", slog.String("error", err.Error()))
	}
	next := r.PostFormValue("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(rc *reqCtx) {
	if err := s.endSession(rc.w, rc.r); err != nil {
		s.fail(rc, http.StatusInternalServerError, "cannot end the session")
		return
	}
	http.Redirect(rc.w, rc.r, "/login", http.StatusSeeOther)
}

// visibleInstances returns the cached views of the instances the user sees.
func (s *Server) visibleInstances(u *User) []InstanceView {
	var out []InstanceView
	for _, in := range s.cfg.Instances {
		if !u.SeesInstance(in.Name) {
			continue
		}
		if v, ok := s.cache.instance(in.Name); ok {
			var sp []steps.Space
			for _, x := range v.Spaces {
				if u.SeesSpace(in.Name, x.Name) {
					sp = append(sp, x)
				}
			}
			v.Spaces = sp
			out = append(out, v)
		}
	}
	return out
}

const pageSize = 50

// pager is one page of a longer list.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string
}

func paginate[T any](items []T, r *http.Request, param string) ([]T, pager) {
	p, lo, hi := newPager(len(items), r, param)
	return items[lo:hi], p
}

// paginateFunc is paginate over the items keep accepts, without copying
// the list: the fleet's tenants can be tens of thousands, a page is 50.
func paginateFunc[T any](items []T, keep func(*T) bool, r *http.Request, param string) ([]T, pager) {
	total := 0
	for i := range items {
		if keep(&items[i]) {
			total++
		}
	}
	p, lo, hi := newPager(total, r, param)
	out := make([]T, 0, hi-lo)
	n := 0
	for i := range items {
		if n >= hi {
			break
		}
		if keep(&items[i]) {
			if n >= lo {
				out = append(out, items[i])
			}
			n++
		}
	}
	return out, p
}

// newPager is the pager of the page the request asks for (param) of total
// items, and that page's bounds.
func newPager(total int, r *http.Request, param string) (p pager, lo, hi int) {
	n, _ := strconv.Atoi(r.URL.Query().Get(param))
	pages := max(1, (total+pageSize-1)/pageSize)
	n = min(max(n, 1), pages)
	lo, hi = (n-1)*pageSize, min(n*pageSize, total)
	p = pager{Page: n, Pages: pages, Total: total}
	link := func(k int) string {
		q := r.URL.Query()
		q.Set(param, strconv.Itoa(k))
		return "?" + q.Encode()
	}
	if n > 1 {
		p.Prev = link(n - 1)
	}
	if n < pages {
		p.Next = link(n + 1)
	}
	return p, lo, hi
}

type spaceRow struct {
	Instance, ID, Name string
}

func (s *Server) overview(rc *reqCtx) {
	u, r := rc.user, rc.r
	insts := s.visibleInstances(u)
	var spaces []spaceRow
	for _, v := range insts {
		for _, sp := range v.Spaces {
			spaces = append(spaces, spaceRow{v.Name, sp.ID, sp.Name})
		}
	}
	if q := strings.ToLower(r.URL.Query().Get("spaces")); q != "" {
		spaces = slices.DeleteFunc(spaces, func(x spaceRow) bool { return !strings.Contains(strings.ToLower(x.Name), q) })
	}
	var tenants []TenantView
	if m := s.cfg.ManagementSpace; m != nil && u.SeesSpace(m.Instance, m.Space) {
		tenants = s.cache.fleetTenants()
	}
	q := strings.ToLower(r.URL.Query().Get("q"))
	spacePage, spacePager := paginate(spaces, r, "spage")
	tenantPage, tenantPager := paginateFunc(tenants, func(t *TenantView) bool {
		return u.SeesTenant(t.Name) && (q == "" || strings.Contains(t.lowerName, q) || strings.Contains(t.Pattern, q))
	}, r, "page")
	rows := s.taskRows(r.Context(), u, taskQuery{})
	recent := rows[:min(10, len(rows))]
	s.render(rc.w, http.StatusOK, "overview", rc.page("Fleet", map[string]any{
		"Instances": insts, "Spaces": spacePage, "SpacePager": spacePager, "SpaceQuery": r.URL.Query().Get("spaces"),
		"Tenants": tenantPage, "TenantPager": tenantPager, "Query": r.URL.Query().Get("q"),
		"Recent": recent, "PerDay": deploymentsPerDay(rows, s.now(), 14),
	}))
}

// spaceOf returns the cached instance view and space name, checking scope.
func (s *Server) spaceOf(rc *reqCtx, instance, spaceID string) (InstanceView, string, bool) {
	if !rc.user.SeesInstance(instance) {
		s.deny(rc.r.Context(), rc.user, "scope", "instance "+instance)
		s.fail(rc, http.StatusForbidden, "You cannot see this instance.")
		return InstanceView{}, "", false
	}
	v, ok := s.cache.instance(instance)
	if !ok {
		s.fail(rc, http.StatusNotFound, "No such instance.")
		return InstanceView{}, "", false
	}
	name := v.SpaceName(spaceID)
	if name == "" {
		s.fail(rc, http.StatusNotFound, "No such space (or the instance has not been read yet).")
		return InstanceView{}, "", false
	}
	if !rc.user.SeesSpace(instance, name) {
		s.deny(rc.r.Context(), rc.user, "scope", "space "+instance+"/"+name)
		s.fail(rc, http.StatusForbidden, "You cannot see this space.")
		return InstanceView{}, "", false
	}
	return v, name, true
}

// matrixRow is one row of the space dashboard: a project, or a project
// for one tenant.
type matrixRow struct {
	ProjectID, Project, Tenant, TenantID string
	Cells                                []matrixCell
}

type matrixCell struct {
	Version, State, TaskID string
	Shown                  bool
}

func (s *Server) spaceDashboard(rc *reqCtx) {
	instance, spaceID := rc.r.PathValue("instance"), rc.r.PathValue("space")
	_, spaceName, ok := s.spaceOf(rc, instance, spaceID)
	if !ok {
		return
	}
	d, err := s.cache.dashboard(rc.r.Context(), instance, spaceID)
	if err != nil {
		s.fail(rc, http.StatusBadGateway, "Reading the dashboard failed: "+err.Error())
		return
	}
	u := rc.user
	var envs []octopus.NamedID
	for _, e := range d.Environments {
		if u.SeesEnvironment(e.Name) {
			envs = append(envs, e)
		}
	}
	tenantName := map[string]string{}
	for _, t := range d.Tenants {
		if u.SeesTenant(t.Name) {
			tenantName[t.ID] = t.Name
		}
	}
	cur := map[[3]string]octopus.DashboardItem{}
	var visibleItems []octopus.DashboardItem
	for _, it := range d.Items {
		if !it.IsCurrent {
			continue
		}
		if it.TenantID != "" && tenantName[it.TenantID] == "" || it.TenantID == "" && u.TenantScoped() {
			continue
		}
		cur[[3]string{it.ProjectID, it.EnvironmentID, it.TenantID}] = it
		visibleItems = append(visibleItems, it)
	}
	pq := strings.ToLower(rc.r.URL.Query().Get("project"))
	tq := strings.ToLower(rc.r.URL.Query().Get("tenant"))
	var rows []matrixRow
	for _, p := range d.Projects {
		if pq != "" && !strings.Contains(strings.ToLower(p.Name), pq) {
			continue
		}
		tenants := []string{""}
		if p.Tenanted {
			tenants = nil
			for id := range tenantName {
				tenants = append(tenants, id)
			}
			sort.Slice(tenants, func(i, j int) bool { return tenantName[tenants[i]] < tenantName[tenants[j]] })
		} else if u.TenantScoped() {
			continue
		}
		for _, tid := range tenants {
			if tq != "" && !strings.Contains(strings.ToLower(tenantName[tid]), tq) {
				continue
			}
			row := matrixRow{ProjectID: p.ID, Project: p.Name, Tenant: tenantName[tid], TenantID: tid}
			for _, e := range envs {
				it, ok := cur[[3]string{p.ID, e.ID, tid}]
				row.Cells = append(row.Cells, matrixCell{Version: it.ReleaseVersion, State: it.State, TaskID: it.TaskID, Shown: ok})
			}
			rows = append(rows, row)
		}
	}
	rowPage, pg := paginate(rows, rc.r, "page")
	envName := map[string]string{}
	for _, e := range envs {
		envName[e.ID] = e.Name
	}
	s.render(rc.w, http.StatusOK, "space", rc.page(spaceName, map[string]any{
		"Instance": instance, "SpaceID": spaceID, "Space": spaceName, "Environments": envs, "Rows": rowPage, "Pager": pg,
		"Project": rc.r.URL.Query().Get("project"), "Tenant": rc.r.URL.Query().Get("tenant"),
		"CanDeploy": u.AtLeast(RoleOperator), "Chart": successRate(visibleItems, envName),
	}))
}

// target is a validated deploy or runbook request.
type target struct {
	Instance, SpaceID, Space    string
	ProjectID, Project          string
	EnvironmentID, Environment  string
	ReleaseID, Release          string
	RunbookID, Runbook          string
	Tenants                     []octopus.NamedID
	Releases                    []steps.Release
	Runbooks                    []steps.Runbook
	AllEnvironments, AllTenants []octopus.NamedID
	Key                         string
}

// errScope and errInput say why a request was refused: 403 and 400.
var (
	errScope = errors.New("outside your scope")
	errInput = errors.New("invalid request")
)

// resolve checks a deploy or runbook request against the user's scope
// and the cached space: every name and id is looked up, every tenant and
// the environment must be in scope. With partial, missing choices (no
// environment or tenants yet) are allowed: the form is being filled in.
func (s *Server) resolve(ctx context.Context, u *User, f url.Values, partial bool) (target, error) {
	t := target{Instance: f.Get("instance"), SpaceID: f.Get("space"), ProjectID: f.Get("project")}
	if !u.SeesInstance(t.Instance) {
		return t, fmt.Errorf("instance %q: %w", t.Instance, errScope)
	}
	v, ok := s.cache.instance(t.Instance)
	if !ok {
		return t, fmt.Errorf("no instance %q: %w", t.Instance, errInput)
	}
	if t.Space = v.SpaceName(t.SpaceID); t.Space == "" {
		return t, fmt.Errorf("no space %q: %w", t.SpaceID, errInput)
	}
	if !u.SeesSpace(t.Instance, t.Space) {
		return t, fmt.Errorf("space %q: %w", t.Space, errScope)
	}
	d, err := s.cache.dashboard(ctx, t.Instance, t.SpaceID)
	if err != nil {
		return t, err
	}
	var proj *octopus.DashboardProject
	for i := range d.Projects {
		if d.Projects[i].ID == t.ProjectID {
			proj = &d.Projects[i]
		}
	}
	if proj == nil {
		return t, fmt.Errorf("no project %q: %w", t.ProjectID, errInput)
	}
	t.Project = proj.Name
	for _, e := range d.Environments {
		if u.SeesEnvironment(e.Name) && (slices.Contains(proj.EnvironmentIDs, e.ID) || len(proj.EnvironmentIDs) == 0) {
			t.AllEnvironments = append(t.AllEnvironments, e)
		}
	}
	if id := f.Get("environment"); id != "" {
		for _, e := range d.Environments {
			if e.ID == id {
				t.EnvironmentID, t.Environment = e.ID, e.Name
			}
		}
		if t.Environment == "" {
			return t, fmt.Errorf("no environment %q: %w", id, errInput)
		}
		if !u.SeesEnvironment(t.Environment) {
			return t, fmt.Errorf("environment %q: %w", t.Environment, errScope)
		}
	} else if !partial {
		return t, fmt.Errorf("choose an environment: %w", errInput)
	}
	tenants, err := s.cache.spaceTenants(ctx, t.Instance, t.SpaceID)
	if err != nil {
		return t, err
	}
	byID := map[string]steps.Tenant{}
	for _, tn := range tenants {
		byID[tn.ID] = tn
		if _, connected := tn.ProjectEnvironments[t.ProjectID]; connected && u.SeesTenant(tn.Name) {
			t.AllTenants = append(t.AllTenants, octopus.NamedID{ID: tn.ID, Name: tn.Name})
		}
	}
	for _, id := range f["tenant"] {
		tn, ok := byID[id]
		if !ok {
			return t, fmt.Errorf("no tenant %q: %w", id, errInput)
		}
		if !u.SeesTenant(tn.Name) {
			return t, fmt.Errorf("tenant %q: %w", tn.Name, errScope)
		}
		t.Tenants = append(t.Tenants, octopus.NamedID{ID: tn.ID, Name: tn.Name})
	}
	if len(t.Tenants) == 0 && !partial {
		if proj.Tenanted || u.TenantScoped() {
			return t, fmt.Errorf("choose at least one tenant: %w", errInput)
		}
		t.Tenants = []octopus.NamedID{{}} // one untenanted deployment
	}
	t.Key = f.Get("key")
	return t, nil
}

// refuse answers a resolve error: 403 (audited) or 400.
func (s *Server) refuse(rc *reqCtx, err error) {
	switch {
	case errors.Is(err, errScope):
		s.deny(rc.r.Context(), rc.user, "scope", rc.r.Method+" "+rc.r.URL.Path+": "+err.Error())
		s.fail(rc, http.StatusForbidden, "Refused: "+err.Error()+".")
	case errors.Is(err, errInput):
		s.fail(rc, http.StatusBadRequest, err.Error())
	default:
		s.fail(rc, http.StatusBadGateway, err.Error())
	}
}

func (s *Server) deployForm(rc *reqCtx) {
	t, err := s.resolve(rc.r.Context(), rc.user, rc.r.URL.Query(), true)
	if err != nil {
		s.refuse(rc, err)
		return
	}
	if t.Releases, err = s.cache.releases(rc.r.Context(), t.Instance, t.SpaceID, t.ProjectID); err != nil {
		s.refuse(rc, err)
		return
	}
	t.Key = randomToken() // the release form's idempotency key
	p := rc.page("Deploy "+t.Project, t)
	s.render(rc.w, http.StatusOK, "deploy", p)
}

func (s *Server) deployConfirm(rc *reqCtx) {
	t, err := s.resolve(rc.r.Context(), rc.user, rc.r.PostForm, false)
	if err != nil {
		s.refuse(rc, err)
		return
	}
	if err := s.resolveRelease(rc.r.Context(), &t, rc.r.PostFormValue("release")); err != nil {
		s.refuse(rc, err)
		return
	}
	t.Key = randomToken() // one key per confirmation: resubmitting it starts nothing new
	s.render(rc.w, http.StatusOK, "confirm", rc.page("Confirm", map[string]any{"T": t, "Kind": KindDeploy, "Action": "/deploy"}))
}

func (s *Server) resolveRelease(ctx context.Context, t *target, id string) error {
	rels, err := s.cache.releases(ctx, t.Instance, t.SpaceID, t.ProjectID)
	if err != nil {
		return err
	}
	for _, r := range rels {
		if r.ID == id {
			t.ReleaseID, t.Release = r.ID, r.Version
			return nil
		}
	}
	return fmt.Errorf("no release %q of %s: %w", id, t.Project, errInput)
}

func (s *Server) deploy(rc *reqCtx) {
	t, err := s.resolve(rc.r.Context(), rc.user, rc.r.PostForm, false)
	if err == nil {
		err = s.resolveRelease(rc.r.Context(), &t, rc.r.PostFormValue("release"))
	}
	if err != nil {
		s.refuse(rc, err)
		return
	}
	s.enqueue(rc, t, KindDeploy)
}

// enqueue adds one job per tenant, keyed by the confirmation's key, and
// shows the first.
func (s *Server) enqueue(rc *reqCtx, t target, kind string) {
	if len(t.Key) < 16 {
		s.fail(rc, http.StatusBadRequest, "the request has no idempotency key: confirm it again")
		return
	}
	var first Job
	for i, tn := range t.Tenants {
		j := Job{Key: rc.user.Name + "/" + t.Key + "/" + tn.ID, User: rc.user.Name, Team: rc.user.TeamName(), Kind: kind,
			Instance: t.Instance, SpaceID: t.SpaceID, SpaceName: t.Space, ProjectID: t.ProjectID, ProjectName: t.Project,
			EnvironmentID: t.EnvironmentID, EnvironmentName: t.Environment, TenantID: tn.ID, TenantName: tn.Name,
			ReleaseID: t.ReleaseID, ReleaseVersion: t.Release, RunbookID: t.RunbookID, RunbookName: t.Runbook, Created: s.now()}
		got, added, err := s.store.Enqueue(rc.r.Context(), j)
		if err != nil {
			s.fail(rc, http.StatusInternalServerError, "the job queue refused the request")
			return
		}
		if added {
			s.audit(rc.r.Context(), got, "queued")
		}
		if i == 0 {
			first = got
		}
	}
	s.kick()
	http.Redirect(rc.w, rc.r, fmt.Sprintf("/jobs/%d", first.ID), http.StatusSeeOther)
}

func (s *Server) createRelease(rc *reqCtx) {
	t, err := s.resolve(rc.r.Context(), rc.user, rc.r.PostForm, true)
	if err != nil {
		s.refuse(rc, err)
		return
	}
	t.Release = strings.TrimSpace(rc.r.PostFormValue("version"))
	t.Tenants = []octopus.NamedID{{}}
	s.enqueue(rc, t, KindCreateRelease)
}

func (s *Server) runbookForm(rc *reqCtx) {
	t, err := s.resolve(rc.r.Context(), rc.user, rc.r.URL.Query(), true)
	if err == nil {
		t.Runbooks, err = s.projectRunbooks(rc.r.Context(), t)
	}
	if err != nil {
		s.refuse(rc, err)
		return
	}
	s.render(rc.w, http.StatusOK, "runbook", rc.page("Run a runbook of "+t.Project, t))
}

func (s *Server) projectRunbooks(ctx context.Context, t target) ([]steps.Runbook, error) {
	all, err := s.cache.runbooks(ctx, t.Instance, t.SpaceID)
	if err != nil {
		return nil, err
	}
	var out []steps.Runbook
	for _, r := range all {
		if r.ProjectID == t.ProjectID {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *Server) resolveRunbook(ctx context.Context, t *target, id string) error {
	rbs, err := s.projectRunbooks(ctx, *t)
	if err != nil {
		return err
	}
	for _, r := range rbs {
		if r.ID == id {
			t.RunbookID, t.Runbook = r.ID, r.Name
			return nil
		}
	}
	return fmt.Errorf("no runbook %q in %s: %w", id, t.Project, errInput)
}

func (s *Server) runbookConfirm(rc *reqCtx) {
	t, err := s.resolve(rc.r.Context(), rc.user, rc.r.PostForm, false)
	if err == nil {
		err = s.resolveRunbook(rc.r.Context(), &t, rc.r.PostFormValue("runbook"))
	}
	if err != nil {
		s.refuse(rc, err)
		return
	}
	t.Key = randomToken()
	s.render(rc.w, http.StatusOK, "confirm", rc.page("Confirm", map[string]any{"T": t, "Kind": KindRunbook, "Action": "/runbook"}))
}

func (s *Server) runbook(rc *reqCtx) {
	t, err := s.resolve(rc.r.Context(), rc.user, rc.r.PostForm, false)
	if err == nil {
		err = s.resolveRunbook(rc.r.Context(), &t, rc.r.PostFormValue("runbook"))
	}
	if err != nil {
		s.refuse(rc, err)
		return
	}
	s.enqueue(rc, t, KindRunbook)
}
