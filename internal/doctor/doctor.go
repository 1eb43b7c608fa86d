// Package doctor checks an Octopus instance before octofleet is pointed at
// it (or before an upgraded instance's configuration is promoted on): the
// server version and its skew against another instance, the API key's
// permissions for each step, the routes octofleet relies on, the worker
// pools its runbooks would run on, and optionally a smoke run in a scratch
// space. It reads through the port only; the smoke run writes, then deletes
// its space.
package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// Port is what doctor reads: the steps' port plus the API root, the key's
// permissions and raw GETs. *octopus.Client implements it.
type Port interface {
	steps.Octopus
	ServerVersion(ctx context.Context) (string, error)
	MyPermissions(ctx context.Context) (octopus.PermissionSet, error)
	GetJSON(ctx context.Context, path string, out any) error
}

// Status is a check's outcome.
type Status string

// The outcomes. Only Fail makes doctor exit non-zero.
const (
	OK   Status = "ok"
	Fail Status = "fail"
	Warn Status = "warn"
	Info Status = "info"
)

// Check is one line of the report.
type Check struct {
	Area   string `json:"area"` // server, version-skew, permissions, routes, worker-pools, smoke
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Report is what Run found.
type Report struct {
	Version string  `json:"version,omitempty"`
	Space   string  `json:"space,omitempty"`
	Checks  []Check `json:"checks"`
}

// Failed returns the checks that failed.
func (r Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

func (r *Report) add(area, name string, st Status, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Area: area, Name: name, Status: st, Detail: fmt.Sprintf(format, args...)})
}

// Options select what Run checks.
type Options struct {
	// Space is the space (name or ID) whose permissions, routes and worker
	// pools are checked; "" checks the instance level only.
	Space string
	// Steps limits the permission check to these steps (default: every
	// step in steps.StepPermissions).
	Steps []string
	// SourceVersion is the version of the instance configuration would be
	// promoted from ("" skips the skew check); AllowVersionSkew turns a
	// skew into a warning.
	SourceVersion    string
	AllowVersionSkew bool
	// Smoke runs create-space → seed-templates → plan again → delete in a
	// scratch space named SmokeSpace (default octofleet-doctor-<random>).
	Smoke      bool
	SmokeSpace string
}

// Run performs the checks. It returns an error only when the context ends;
// every finding is a Check.
func Run(ctx context.Context, p Port, o Options) (Report, error) {
	var r Report
	v, err := p.ServerVersion(ctx)
	if err != nil {
		r.add("server", "version", Fail, "read /api: %v", err)
		return r, ctx.Err()
	}
	r.Version = v
	r.add("server", "version", Info, "Octopus %s", v)
	if o.SourceVersion != "" {
		switch err := CheckSkew(o.SourceVersion, v); {
		case err == nil:
			r.add("version-skew", "source "+o.SourceVersion, OK, "configuration from %s can be promoted to %s", o.SourceVersion, v)
		case o.AllowVersionSkew:
			r.add("version-skew", "source "+o.SourceVersion, Warn, "%v (allowed by --allow-version-skew)", err)
		default:
			r.add("version-skew", "source "+o.SourceVersion, Fail, "%v", err)
		}
	}

	var space *steps.Space
	if o.Space != "" {
		all, err := p.Spaces(ctx)
		if err != nil {
			r.add("routes", "/api/spaces/all", Fail, "%v", err)
			return r, ctx.Err()
		}
		for i := range all {
			if strings.EqualFold(all[i].Name, o.Space) || strings.EqualFold(all[i].ID, o.Space) {
				space = &all[i]
			}
		}
		if space == nil {
			r.add("server", "space", Fail, "no space %q on this instance (or the key cannot see it)", o.Space)
		} else {
			r.Space = space.Name
		}
	}

	checkPermissions(ctx, p, o, space, &r)
	checkRoutes(ctx, p, space, &r)
	if space != nil {
		checkWorkerPools(ctx, p, space.ID, &r)
	}
	if o.Smoke {
		smoke(ctx, p, o.SmokeSpace, &r)
	}
	return r, ctx.Err()
}

// checkPermissions compares the key's effective permissions with what
// each step needs (steps.StepPermissions): system permissions at instance
// level, space permissions unrestricted in the space (a restricted grant
// may refuse some of a step's objects).
func checkPermissions(ctx context.Context, p Port, o Options, space *steps.Space, r *Report) {
	ps, err := p.MyPermissions(ctx)
	if err != nil {
		r.add("permissions", "read", Fail, "%v", err)
		return
	}
	names := o.Steps
	if len(names) == 0 {
		for n := range steps.StepPermissions {
			names = append(names, n)
		}
		slices.Sort(names)
	}
	admin := slices.Contains(ps.SystemPermissions, "AdministerSystem")
	for _, n := range names {
		need, ok := steps.StepPermissions[n]
		if !ok {
			r.add("permissions", n, Fail, "no such step")
			continue
		}
		var missing, restricted []string
		for _, perm := range need.System {
			if !admin && !slices.Contains(ps.SystemPermissions, perm) {
				missing = append(missing, perm+" (system)")
			}
		}
		if space != nil && !admin {
			for _, perm := range need.Space {
				switch grantIn(ps.SpacePermissions[perm], space.ID) {
				case grantNone:
					missing = append(missing, perm)
				case grantRestricted:
					restricted = append(restricted, perm)
				}
			}
		}
		switch {
		case len(missing) > 0:
			r.add("permissions", n, Fail, "missing %s", strings.Join(missing, ", "))
		case len(restricted) > 0:
			r.add("permissions", n, Warn, "restricted to some projects, environments or tenants: %s", strings.Join(restricted, ", "))
		case space == nil && len(need.Space) > 0 && !admin:
			r.add("permissions", n, OK, "system permissions held; give --space to check the space's")
		default:
			r.add("permissions", n, OK, "%d permissions held", len(need.System)+len(need.Space))
		}
	}
}

type grantKind int

const (
	grantNone grantKind = iota
	grantRestricted
	grantFull
)

func grantIn(rs []octopus.PermissionRestriction, spaceID string) grantKind {
	best := grantNone
	for _, x := range rs {
		if x.SpaceID != "" && !strings.EqualFold(x.SpaceID, spaceID) {
			continue
		}
		if len(x.RestrictedToProjectIDs)+len(x.RestrictedToProjectGroupIDs)+len(x.RestrictedToEnvironmentIDs)+len(x.RestrictedToTenantIDs) == 0 {
			return grantFull
		}
		best = grantRestricted
	}
	return best
}

// route is a GET octofleet relies on, and what its answer must be.
type route struct {
	path  string // "{space}" stands for the space ID
	shape string // "list" (a JSON array), "page" (Items and TotalResults), "doc" (an object)
}

// routes are the GETs the steps, fleet and install make (the /all lists
// the adapter reads, the paged lists, the documents).
var routes = []route{
	{"/api/", "doc"},
	{"/api/users/me", "doc"},
	{"/api/spaces/all", "list"},
	{"/api/userroles/all", "list"},
	{"/api/teams/all", "list"},
	{"/api/users/all", "list"},
	{"/api/tasks?take=1", "page"},
	{"/api/communityactiontemplates?take=1", "page"},
	{"/api/{space}/environments/all", "list"},
	{"/api/{space}/lifecycles/all", "list"},
	{"/api/{space}/projectgroups/all", "list"},
	{"/api/{space}/tagsets/all", "list"},
	{"/api/{space}/actiontemplates/all", "list"},
	{"/api/{space}/projects/all", "list"},
	{"/api/{space}/tenants/all", "list"},
	{"/api/{space}/feeds/all", "list"},
	{"/api/{space}/workerpools/all", "list"},
	{"/api/{space}/libraryvariablesets/all", "list"},
	{"/api/{space}/teams/all", "list"},
	{"/api/{space}/runbooks/all", "list"},
	{"/api/{space}/tenants?take=1", "page"},
	{"/api/{space}/tasks?take=1", "page"},
	{"/api/{space}/dashboard", "doc"},
}

// checkRoutes GETs every route and checks the answer's shape.
func checkRoutes(ctx context.Context, p Port, space *steps.Space, r *Report) {
	failed := 0
	for _, rt := range routes {
		path := rt.path
		if strings.Contains(path, "{space}") {
			if space == nil {
				continue
			}
			path = strings.ReplaceAll(path, "{space}", space.ID)
		}
		var raw json.RawMessage
		err := p.GetJSON(ctx, path, &raw)
		if err == nil {
			err = checkShape(raw, rt.shape)
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, steps.ErrForbidden):
			r.add("routes", "GET "+path, Fail, "forbidden: %v", err)
		case errors.Is(err, steps.ErrNotFound):
			r.add("routes", "GET "+path, Fail, "the server has no such route (404): octofleet needs it")
		default:
			r.add("routes", "GET "+path, Fail, "%v", err)
		}
		failed++
	}
	if failed == 0 {
		r.add("routes", "GET", OK, "every route octofleet reads answers as expected")
	}
}

func checkShape(raw json.RawMessage, shape string) error {
	switch shape {
	case "list":
		var l []json.RawMessage
		if err := json.Unmarshal(raw, &l); err != nil {
			return fmt.Errorf("answer is not a JSON array: %w", err)
		}
	case "page":
		var pg struct {
			Items        *[]json.RawMessage
			TotalResults *int
		}
		if err := json.Unmarshal(raw, &pg); err != nil || pg.Items == nil || pg.TotalResults == nil {
			return errors.New("answer is not a page (Items, TotalResults)")
		}
	default:
		var d map[string]json.RawMessage
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("answer is not a JSON object: %w", err)
		}
	}
	return nil
}

// checkWorkerPools reports each pool of the space with the script syntax
// its workers run (what install --script-syntax would choose for it).
func checkWorkerPools(ctx context.Context, p Port, spaceID string, r *Report) {
	pools, err := p.WorkerPoolDetails(ctx, spaceID)
	if err != nil {
		r.add("worker-pools", "list", Fail, "%v", err)
		return
	}
	if len(pools) == 0 {
		r.add("worker-pools", "list", Warn, "the space has no worker pools: runbook steps need a worker")
	}
	for _, wp := range pools {
		syntax, err := steps.PoolSyntax(ctx, p, spaceID, wp)
		if err != nil {
			r.add("worker-pools", wp.Name, Fail, "%v", err)
			continue
		}
		detail := wp.Type
		if wp.WorkerType != "" {
			detail += " (" + wp.WorkerType + ")"
		}
		if wp.IsDefault {
			detail += ", default"
		}
		r.add("worker-pools", wp.Name, Info, "%s: runbook steps in %s", detail, syntax)
	}
}

// smoke creates a scratch space, seeds octofleet's own step templates into
// it, plans both steps again (they must be empty), then deletes the space.
func smoke(ctx context.Context, p Port, name string, r *Report) {
	if name == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		name = "octofleet-doctor-" + hex.EncodeToString(b)
	}
	me, err := p.CurrentUser(ctx)
	if err != nil {
		r.add("smoke", "current user", Fail, "%v", err)
		return
	}
	dir, err := os.MkdirTemp("", "octofleet-doctor-")
	if err != nil {
		r.add("smoke", "templates", Fail, "%v", err)
		return
	}
	defer os.RemoveAll(dir)
	files, err := runbooks.Files()
	if err != nil {
		r.add("smoke", "templates", Fail, "%v", err)
		return
	}
	for path, b := range files {
		if filepath.Dir(path) != "step-templates" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(path)), b, 0o600); err != nil {
			r.add("smoke", "templates", Fail, "%v", err)
			return
		}
	}

	description := "Scratch space of octofleet doctor --smoke; safe to delete."
	run := []steps.Step{
		steps.CreateSpace{In: steps.CreateSpaceInput{Name: name, Description: &description, ManagerUsers: []string{me.Username}}},
		&steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: name, From: []string{dir}}},
	}
	created := false
	defer func() {
		if !created {
			return
		}
		if err := deleteSpace(ctx, p, name); err != nil {
			r.add("smoke", "delete "+name, Fail, "%v (delete the space by hand)", err)
			return
		}
		r.add("smoke", "delete "+name, OK, "scratch space deleted")
	}()
	for _, s := range run {
		plan, err := s.Plan(ctx, p)
		if err != nil {
			r.add("smoke", s.Name(), Fail, "plan: %v", err)
			return
		}
		created = true // from here on the space may exist
		if _, _, err := steps.Converge(ctx, p, s, plan); err != nil {
			r.add("smoke", s.Name(), Fail, "apply: %v", err)
			return
		}
		again, err := s.Plan(ctx, p)
		switch {
		case err != nil:
			r.add("smoke", s.Name(), Fail, "plan after apply: %v", err)
			return
		case !again.Empty():
			r.add("smoke", s.Name(), Fail, "plan after apply is not empty: %d changes", len(again.Changes))
			return
		}
		r.add("smoke", s.Name(), OK, "applied %d changes; a second plan is empty", writes(plan))
	}
}

func writes(p steps.Plan) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action != steps.NoOp {
			n++
		}
	}
	return n
}

// deleteSpace deletes the space called name, if it exists.
func deleteSpace(ctx context.Context, p Port, name string) error {
	all, err := p.Spaces(ctx)
	if err != nil {
		return err
	}
	for _, s := range all {
		if s.Name != name {
			continue
		}
		// Octopus refuses to delete a space whose task queue runs.
		if !s.TaskQueueStopped {
			s.TaskQueueStopped = true
			if _, err := p.UpdateSpace(ctx, s); err != nil {
				return fmt.Errorf("stop the task queue of %s: %w", s.ID, err)
			}
		}
		return p.DeleteSpace(ctx, s.ID)
	}
	return nil
}
