package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Octopus Server's own limits (swagger 2026.1.9674: CreateSpaceCommandV1 and
// ModifySpaceCommandV1 Name/Slug maxLength 50, CreateEnvironmentCommand Name
// maxLength 50, CreateTeamCommand Name maxLength 200; go-octopusdeploy
// v2.115.0 spaces.Space Name `validate:"required,max=50"`). The schema checks
// them too; Render checks them again after templates have been expanded.
const (
	maxSpaceName       = 50
	maxSpaceSlug       = 50
	maxEnvironmentName = 50
	maxTeamName        = 200
)

// CreateSpaceInput is the desired state of a space: the space itself, its
// managers, and the environments, lifecycles, project groups, tenant tag sets
// and teams it should have. Its JSON form is schemas/create-space.schema.json.
//
// Anything left out is left alone on the server, and nothing the input does
// not name is deleted: a nil slice or pointer means "do not manage this", an
// empty slice means "manage it: none". Inside a named tag set, tags the input
// does not name stay; inside a named lifecycle, phases the input does not
// name stay after the named ones.
type CreateSpaceInput struct {
	Name             string   `json:"name,omitempty" help:"Space name (at most 50 characters); may be a template." placeholder:"NAME"`
	Description      *string  `json:"description,omitempty" help:"Space description; left alone when not given."`
	Slug             string   `json:"slug,omitempty" help:"Space slug (at most 50 characters); Octopus derives it from the name when not given."`
	ManagerTeams     []string `json:"managerTeams,omitempty" name:"manager-team" sep:"none" help:"Team (system or space team, by name) that manages the space; repeatable." placeholder:"TEAM"`
	ManagerUsers     []string `json:"managerUsers,omitempty" name:"manager-user" sep:"none" help:"User (by username) that manages the space; repeatable." placeholder:"USERNAME"`
	TaskQueueStopped *bool    `json:"taskQueueStopped,omitempty" negatable:"" help:"Stop (or, negated, start) the space's task queue; left alone when not given."`

	Environments  []EnvironmentInput  `json:"environments,omitempty" kong:"-"`
	Lifecycles    []LifecycleInput    `json:"lifecycles,omitempty" kong:"-"`
	ProjectGroups []ProjectGroupInput `json:"projectGroups,omitempty" kong:"-"`
	TenantTagSets []TagSetInput       `json:"tenantTagSets,omitempty" kong:"-"`
	Teams         []TeamInput         `json:"teams,omitempty" kong:"-"`
}

// EnvironmentInput is one environment of the space. The order of the
// environments in the input is their sort order relative to each other.
type EnvironmentInput struct {
	Name             string  `json:"name"`
	Description      *string `json:"description,omitempty"`
	UseGuidedFailure *bool   `json:"useGuidedFailure,omitempty"`
}

// LifecycleInput is one lifecycle of the space. Phases, when given, are the
// lifecycle's first phases in that order.
type LifecycleInput struct {
	Name                    string          `json:"name"`
	Description             *string         `json:"description,omitempty"`
	Phases                  []PhaseInput    `json:"phases,omitempty"`
	ReleaseRetentionPolicy  *RetentionInput `json:"releaseRetentionPolicy,omitempty"`
	TentacleRetentionPolicy *RetentionInput `json:"tentacleRetentionPolicy,omitempty"`
}

// PhaseInput is one lifecycle phase; deployment targets are environment names.
type PhaseInput struct {
	Name                               string   `json:"name"`
	AutomaticDeploymentTargets         []string `json:"automaticDeploymentTargets,omitempty"`
	OptionalDeploymentTargets          []string `json:"optionalDeploymentTargets,omitempty"`
	MinimumEnvironmentsBeforePromotion int      `json:"minimumEnvironmentsBeforePromotion,omitempty"`
	IsOptionalPhase                    bool     `json:"isOptionalPhase,omitempty"`
}

// RetentionInput is a retention policy: keep QuantityToKeep Days or Items, or
// keep forever.
type RetentionInput struct {
	QuantityToKeep    int    `json:"quantityToKeep,omitempty"`
	Unit              string `json:"unit,omitempty"`
	ShouldKeepForever bool   `json:"shouldKeepForever,omitempty"`
}

// ProjectGroupInput is one project group of the space.
type ProjectGroupInput struct {
	Name        string  `json:"name"`
	Description *string `json:"description,omitempty"`
}

// TagSetInput is one tenant tag set of the space and the tags it must have.
type TagSetInput struct {
	Name        string     `json:"name"`
	Description *string    `json:"description,omitempty"`
	Tags        []TagInput `json:"tags,omitempty"`
}

// TagInput is one tag of a tag set.
type TagInput struct {
	Name        string  `json:"name"`
	Color       string  `json:"color"`
	Description *string `json:"description,omitempty"`
}

// TeamInput is one team of the space. Members and roles, when given, are
// managed; roles the input does not name are never revoked.
type TeamInput struct {
	Name        string      `json:"name"`
	Description *string     `json:"description,omitempty"`
	Members     []string    `json:"members,omitempty"`
	Roles       []RoleInput `json:"roles,omitempty"`
}

// RoleInput grants a user role (by name) to a team in the space, optionally
// limited to environments and project groups (by name).
type RoleInput struct {
	Role          string   `json:"role"`
	Environments  []string `json:"environments,omitempty"`
	ProjectGroups []string `json:"projectGroups,omitempty"`
}

// Render expands the templates in every string field of the input (see
// Render) and checks what the schema could not: lengths after rendering and
// names that appear twice. Errors are *InputError naming the field's JSON
// path.
func (in CreateSpaceInput) Render(data TemplateData) (CreateSpaceInput, error) {
	out := in.clone()
	r := renderer{data: data}
	r.str("name", &out.Name)
	r.ptr("description", out.Description)
	r.str("slug", &out.Slug)
	r.all("managerTeams", out.ManagerTeams)
	r.all("managerUsers", out.ManagerUsers)
	for i := range out.Environments {
		e := &out.Environments[i]
		p := fmt.Sprintf("environments[%d]", i)
		r.str(p+".name", &e.Name)
		r.ptr(p+".description", e.Description)
		r.maxLen(p+".name", e.Name, maxEnvironmentName)
	}
	for i := range out.Lifecycles {
		l := &out.Lifecycles[i]
		p := fmt.Sprintf("lifecycles[%d]", i)
		r.str(p+".name", &l.Name)
		r.ptr(p+".description", l.Description)
		for j := range l.Phases {
			ph := &l.Phases[j]
			pp := fmt.Sprintf("%s.phases[%d]", p, j)
			r.str(pp+".name", &ph.Name)
			r.all(pp+".automaticDeploymentTargets", ph.AutomaticDeploymentTargets)
			r.all(pp+".optionalDeploymentTargets", ph.OptionalDeploymentTargets)
		}
		r.unique(p+".phases", len(l.Phases), func(j int) string { return l.Phases[j].Name })
	}
	for i := range out.ProjectGroups {
		g := &out.ProjectGroups[i]
		p := fmt.Sprintf("projectGroups[%d]", i)
		r.str(p+".name", &g.Name)
		r.ptr(p+".description", g.Description)
	}
	for i := range out.TenantTagSets {
		ts := &out.TenantTagSets[i]
		p := fmt.Sprintf("tenantTagSets[%d]", i)
		r.str(p+".name", &ts.Name)
		r.ptr(p+".description", ts.Description)
		for j := range ts.Tags {
			t := &ts.Tags[j]
			tp := fmt.Sprintf("%s.tags[%d]", p, j)
			r.str(tp+".name", &t.Name)
			r.ptr(tp+".description", t.Description)
		}
		r.unique(p+".tags", len(ts.Tags), func(j int) string { return ts.Tags[j].Name })
	}
	for i := range out.Teams {
		t := &out.Teams[i]
		p := fmt.Sprintf("teams[%d]", i)
		r.str(p+".name", &t.Name)
		r.ptr(p+".description", t.Description)
		r.all(p+".members", t.Members)
		r.maxLen(p+".name", t.Name, maxTeamName)
		for j := range t.Roles {
			ro := &t.Roles[j]
			rp := fmt.Sprintf("%s.roles[%d]", p, j)
			r.str(rp+".role", &ro.Role)
			r.all(rp+".environments", ro.Environments)
			r.all(rp+".projectGroups", ro.ProjectGroups)
		}
	}
	r.maxLen("name", out.Name, maxSpaceName)
	r.maxLen("slug", out.Slug, maxSpaceSlug)
	if r.err == nil && strings.TrimSpace(out.Name) == "" {
		r.err = &InputError{Field: "name", Err: errors.New("renders to an empty name")}
	}
	r.unique("environments", len(out.Environments), func(i int) string { return out.Environments[i].Name })
	r.unique("lifecycles", len(out.Lifecycles), func(i int) string { return out.Lifecycles[i].Name })
	r.unique("projectGroups", len(out.ProjectGroups), func(i int) string { return out.ProjectGroups[i].Name })
	r.unique("tenantTagSets", len(out.TenantTagSets), func(i int) string { return out.TenantTagSets[i].Name })
	r.unique("teams", len(out.Teams), func(i int) string { return out.Teams[i].Name })
	if r.err != nil {
		return CreateSpaceInput{}, r.err
	}
	return out, nil
}

// renderer renders fields in place and keeps the first error.
type renderer struct {
	data TemplateData
	err  error
}

func (r *renderer) str(field string, s *string) {
	if r.err != nil {
		return
	}
	*s, r.err = Render(field, *s, r.data)
}

func (r *renderer) ptr(field string, s *string) {
	if r.err == nil {
		r.err = RenderPtr(field, s, r.data)
	}
}

func (r *renderer) all(field string, list []string) {
	if r.err == nil {
		r.err = RenderAll(field, list, r.data)
	}
}

func (r *renderer) maxLen(field, s string, limit int) {
	if r.err == nil && utf8.RuneCountInString(s) > limit {
		r.err = &InputError{Field: field, Err: fmt.Errorf("%q is longer than %d characters, the Octopus Server limit", s, limit)}
	}
}

// unique rejects a list in which two entries render to the same name.
func (r *renderer) unique(field string, n int, name func(int) string) {
	if r.err != nil {
		return
	}
	seen := map[string]int{}
	for i := range n {
		if j, ok := seen[name(i)]; ok {
			r.err = &InputError{Field: fmt.Sprintf("%s[%d].name", field, i), Err: fmt.Errorf("%q also names %s[%d]", name(i), field, j)}
			return
		}
		seen[name(i)] = i
	}
}

// clone deep-copies the slices and pointers Render writes to, so rendering
// never changes the caller's input.
func (in CreateSpaceInput) clone() CreateSpaceInput {
	out := in
	out.Description = clonePtr(in.Description)
	out.ManagerTeams = slices.Clone(in.ManagerTeams)
	out.ManagerUsers = slices.Clone(in.ManagerUsers)
	out.Environments = slices.Clone(in.Environments)
	for i, e := range out.Environments {
		out.Environments[i].Description = clonePtr(e.Description)
	}
	out.Lifecycles = slices.Clone(in.Lifecycles)
	for i, l := range out.Lifecycles {
		out.Lifecycles[i].Description = clonePtr(l.Description)
		out.Lifecycles[i].Phases = slices.Clone(l.Phases)
		for j, ph := range out.Lifecycles[i].Phases {
			out.Lifecycles[i].Phases[j].AutomaticDeploymentTargets = slices.Clone(ph.AutomaticDeploymentTargets)
			out.Lifecycles[i].Phases[j].OptionalDeploymentTargets = slices.Clone(ph.OptionalDeploymentTargets)
		}
	}
	out.ProjectGroups = slices.Clone(in.ProjectGroups)
	for i, g := range out.ProjectGroups {
		out.ProjectGroups[i].Description = clonePtr(g.Description)
	}
	out.TenantTagSets = slices.Clone(in.TenantTagSets)
	for i, ts := range out.TenantTagSets {
		out.TenantTagSets[i].Description = clonePtr(ts.Description)
		out.TenantTagSets[i].Tags = slices.Clone(ts.Tags)
		for j, t := range out.TenantTagSets[i].Tags {
			out.TenantTagSets[i].Tags[j].Description = clonePtr(t.Description)
		}
	}
	out.Teams = slices.Clone(in.Teams)
	for i, t := range out.Teams {
		out.Teams[i].Description = clonePtr(t.Description)
		out.Teams[i].Members = slices.Clone(t.Members)
		out.Teams[i].Roles = slices.Clone(t.Roles)
		for j, ro := range out.Teams[i].Roles {
			out.Teams[i].Roles[j].Environments = slices.Clone(ro.Environments)
			out.Teams[i].Roles[j].ProjectGroups = slices.Clone(ro.ProjectGroups)
		}
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// CreateSpace is the create-space step: it makes a space and what it owns
// match CreateSpaceInput. In must already be rendered (CreateSpaceInput.Render).
type CreateSpace struct {
	In CreateSpaceInput
}

var _ Step = CreateSpace{}

// The kinds of change create-space plans, in the order it applies them.
const (
	KindSpace            = "space"
	KindEnvironment      = "environment"
	KindEnvironmentOrder = "environment order"
	KindLifecycle        = "lifecycle"
	KindProjectGroup     = "project group"
	KindTagSet           = "tag set"
	KindTeam             = "team"
	KindScopedUserRole   = "scoped user role"
)

// Outputs create-space publishes.
const (
	OutputSpaceID   = "SpaceId"
	OutputSpaceName = "SpaceName"
)

// Name returns "create-space".
func (CreateSpace) Name() string { return "create-space" }

// spaceState is the live state create-space works from, read once per kind.
type spaceState struct {
	space   *Space // nil while the space does not exist
	teams   []Team // system teams and the space's teams
	users   []User
	roles   []UserRole
	envs    []Environment // in sort order
	lcs     []Lifecycle
	pgs     []ProjectGroup
	tagSets []TagSet
	scoped  map[string][]ScopedUserRole // team ID → its scoped roles in this space
}

func (st *spaceState) spaceID() string {
	if st.space == nil {
		return ""
	}
	return st.space.ID
}

// managerTeamIDs maps the names of the teams that may manage the space to
// their IDs; a space team wins over a system team of the same name.
func (st *spaceState) managerTeamIDs() map[string]string {
	m := map[string]string{}
	for _, t := range st.teams {
		if t.SpaceID == "" {
			m[t.Name] = t.ID
		}
	}
	for _, t := range st.spaceTeams() {
		m[t.Name] = t.ID
	}
	return m
}

// spaceTeams returns the teams that belong to the space (not system teams).
func (st *spaceState) spaceTeams() []Team {
	var out []Team
	for _, t := range st.teams {
		if t.SpaceID != "" && t.SpaceID == st.spaceID() {
			out = append(out, t)
		}
	}
	return out
}

func (st *spaceState) userIDs() map[string]string {
	m := make(map[string]string, len(st.users))
	for _, u := range st.users {
		m[u.Username] = u.ID
	}
	return m
}

func (st *spaceState) roleIDs() map[string]string {
	m := make(map[string]string, len(st.roles))
	for _, r := range st.roles {
		m[r.Name] = r.ID
	}
	return m
}

func (st *spaceState) envIDs() map[string]string {
	m := make(map[string]string, len(st.envs))
	for _, e := range st.envs {
		m[e.Name] = e.ID
	}
	return m
}

func (st *spaceState) pgIDs() map[string]string {
	m := make(map[string]string, len(st.pgs))
	for _, g := range st.pgs {
		m[g.Name] = g.ID
	}
	return m
}

// needs says which kinds the input refers to, so that Plan and Apply read
// only those.
type needs struct {
	teams, users, roles, envs, lcs, pgs, tagSets bool
}

func (in CreateSpaceInput) needs() needs {
	n := needs{
		teams:   in.ManagerTeams != nil || len(in.Teams) > 0,
		users:   in.ManagerUsers != nil,
		envs:    len(in.Environments) > 0 || len(in.Lifecycles) > 0,
		lcs:     len(in.Lifecycles) > 0,
		pgs:     len(in.ProjectGroups) > 0,
		tagSets: len(in.TenantTagSets) > 0,
	}
	for _, t := range in.Teams {
		n.users = n.users || t.Members != nil
		if t.Roles != nil {
			n.roles, n.envs, n.pgs = true, true, true
		}
	}
	return n
}

// read loads the live state: one read per kind the input refers to, plus the
// scoped roles of each existing team whose roles the input manages. For a
// space that does not exist yet the space-scoped reads are skipped.
func (s CreateSpace) read(ctx context.Context, oct Octopus) (*spaceState, error) {
	st := &spaceState{scoped: map[string][]ScopedUserRole{}}
	all, err := oct.Spaces(ctx)
	if err != nil {
		return nil, fmt.Errorf("list spaces: %w", err)
	}
	for _, sp := range all {
		if sp.Name == s.In.Name {
			st.space = &sp
			break
		}
	}
	n := s.In.needs()
	if n.teams {
		if st.teams, err = oct.Teams(ctx, st.spaceID()); err != nil {
			return nil, fmt.Errorf("list teams: %w", err)
		}
	}
	if n.users {
		if st.users, err = oct.Users(ctx); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
	}
	if n.roles {
		if st.roles, err = oct.UserRoles(ctx); err != nil {
			return nil, fmt.Errorf("list user roles: %w", err)
		}
	}
	id := st.spaceID()
	if id == "" {
		return st, nil
	}
	if n.envs {
		if st.envs, err = oct.Environments(ctx, id); err != nil {
			return nil, fmt.Errorf("list environments of %s: %w", id, err)
		}
	}
	if n.lcs {
		if st.lcs, err = oct.Lifecycles(ctx, id); err != nil {
			return nil, fmt.Errorf("list lifecycles of %s: %w", id, err)
		}
	}
	if n.pgs {
		if st.pgs, err = oct.ProjectGroups(ctx, id); err != nil {
			return nil, fmt.Errorf("list project groups of %s: %w", id, err)
		}
	}
	if n.tagSets {
		if st.tagSets, err = oct.TagSets(ctx, id); err != nil {
			return nil, fmt.Errorf("list tag sets of %s: %w", id, err)
		}
	}
	teams := byName(st.spaceTeams(), func(t Team) string { return t.Name })
	for _, ti := range s.In.Teams {
		t, ok := teams[ti.Name]
		if !ok || ti.Roles == nil {
			continue
		}
		if err := st.loadScoped(ctx, oct, t.ID); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// loadScoped reads the scoped roles team teamID has in this space.
func (st *spaceState) loadScoped(ctx context.Context, oct Octopus, teamID string) error {
	rs, err := oct.ScopedUserRoles(ctx, teamID)
	if err != nil {
		return fmt.Errorf("list scoped user roles of team %s: %w", teamID, err)
	}
	var in []ScopedUserRole
	for _, r := range rs {
		if r.SpaceID == st.spaceID() {
			in = append(in, r)
		}
	}
	st.scoped[teamID] = in
	return nil
}

// Plan reads the live state and returns the changes that make it match the
// input, in the order Apply makes them: space, environments, environment
// order, lifecycles, project groups, tag sets, teams, scoped user roles (and
// the space's managers again when a manager team is created by this plan).
// Every name the input refers to is resolved here: an unknown one is an
// error listing the names that exist, before anything is written.
func (s CreateSpace) Plan(ctx context.Context, oct Octopus) (Plan, error) {
	st, err := s.read(ctx, oct)
	if err != nil {
		return Plan{}, err
	}
	return s.plan(st)
}

// plan is the pure part of Plan: live state in, changes out.
func (s CreateSpace) plan(st *spaceState) (Plan, error) {
	in := s.In
	p := Plan{Step: s.Name()}
	if err := s.checkReferences(st); err != nil {
		return Plan{}, err
	}
	if st.space != nil {
		p.Outputs = Outputs{OutputSpaceID: st.space.ID, OutputSpaceName: st.space.Name}
	}
	spaceChange, managersLater := s.planSpace(st)
	p = p.With(spaceChange)

	// Environments, then their order.
	envs := byName(st.envs, func(e Environment) string { return e.Name })
	for _, ei := range in.Environments {
		have, ok := envs[ei.Name]
		if !ok {
			f := fieldDiff{}
			f.set("description", nil, deref(ei.Description), ei.Description != nil)
			f.set("useGuidedFailure", nil, deref(ei.UseGuidedFailure), ei.UseGuidedFailure != nil)
			p = p.With(Change{Action: Create, Kind: KindEnvironment, Name: ei.Name, Fields: f})
			continue
		}
		f := fieldDiff{}
		f.set("description", have.Description, deref(ei.Description), ei.Description != nil && *ei.Description != have.Description)
		f.set("useGuidedFailure", have.UseGuidedFailure, deref(ei.UseGuidedFailure), ei.UseGuidedFailure != nil && *ei.UseGuidedFailure != have.UseGuidedFailure)
		p = p.With(change(KindEnvironment, ei.Name, have.ID, f))
	}
	if c, ok := s.planEnvironmentOrder(st); ok {
		p = p.With(c)
	}

	lcs := byName(st.lcs, func(l Lifecycle) string { return l.Name })
	for _, li := range in.Lifecycles {
		p = p.With(s.planLifecycle(st, li, lcs))
	}

	pgs := byName(st.pgs, func(g ProjectGroup) string { return g.Name })
	for _, gi := range in.ProjectGroups {
		have, ok := pgs[gi.Name]
		f := fieldDiff{}
		if !ok {
			f.set("description", nil, deref(gi.Description), gi.Description != nil)
			p = p.With(Change{Action: Create, Kind: KindProjectGroup, Name: gi.Name, Fields: f})
			continue
		}
		f.set("description", have.Description, deref(gi.Description), gi.Description != nil && *gi.Description != have.Description)
		p = p.With(change(KindProjectGroup, gi.Name, have.ID, f))
	}

	tss := byName(st.tagSets, func(ts TagSet) string { return ts.Name })
	for _, tsi := range in.TenantTagSets {
		p = p.With(planTagSet(tsi, tss))
	}

	teams := byName(st.spaceTeams(), func(t Team) string { return t.Name })
	users := invert(st.userIDs())
	for _, ti := range in.Teams {
		have, ok := teams[ti.Name]
		f := fieldDiff{}
		if !ok {
			f.set("description", nil, deref(ti.Description), ti.Description != nil)
			f.set("members", nil, sortedUnique(ti.Members), ti.Members != nil)
			p = p.With(Change{Action: Create, Kind: KindTeam, Name: ti.Name, Fields: f})
			continue
		}
		f.set("description", have.Description, deref(ti.Description), ti.Description != nil && *ti.Description != have.Description)
		haveMembers := namesOf(have.MemberUserIDs, users)
		f.set("members", haveMembers, sortedUnique(ti.Members), ti.Members != nil && !sameSet(haveMembers, ti.Members))
		p = p.With(change(KindTeam, ti.Name, have.ID, f))
	}
	for _, ti := range in.Teams {
		p = p.With(s.planScopedRoles(st, ti, teams)...)
	}
	if managersLater != nil {
		p = p.With(*managersLater)
	}
	return p, nil
}

// change returns an update of the fields in f, or a no-op when f is empty.
func change(kind, name, id string, f fieldDiff) Change {
	if len(f) == 0 {
		return Change{Action: NoOp, Kind: kind, Name: name, ID: id}
	}
	return Change{Action: Update, Kind: kind, Name: name, ID: id, Fields: f}
}

// checkReferences resolves every name the input refers to and reports all the
// unknown ones at once.
func (s CreateSpace) checkReferences(st *spaceState) error {
	in := s.In
	var errs []error
	check := func(field, kind string, names []string, known map[string]string) {
		if _, err := resolveNames(kind, names, known); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
	}
	teams := st.managerTeamIDs()
	for _, t := range in.Teams { // teams this plan creates may manage the space
		if _, ok := teams[t.Name]; !ok {
			teams[t.Name] = ""
		}
	}
	check("managerTeams", "team", in.ManagerTeams, teams)
	users := st.userIDs()
	check("managerUsers", "user", in.ManagerUsers, users)
	envs := st.envIDs()
	for _, e := range in.Environments {
		envs[e.Name] = ""
	}
	pgs := st.pgIDs()
	for _, g := range in.ProjectGroups {
		pgs[g.Name] = ""
	}
	for i, l := range in.Lifecycles {
		for j, ph := range l.Phases {
			p := fmt.Sprintf("lifecycles[%d].phases[%d]", i, j)
			check(p+".automaticDeploymentTargets", "environment", ph.AutomaticDeploymentTargets, envs)
			check(p+".optionalDeploymentTargets", "environment", ph.OptionalDeploymentTargets, envs)
		}
	}
	roles := st.roleIDs()
	for i, t := range in.Teams {
		p := fmt.Sprintf("teams[%d]", i)
		check(p+".members", "user", t.Members, users)
		for j, r := range t.Roles {
			rp := fmt.Sprintf("%s.roles[%d]", p, j)
			check(rp+".role", "user role", []string{r.Role}, roles)
			check(rp+".environments", "environment", r.Environments, envs)
			check(rp+".projectGroups", "project group", r.ProjectGroups, pgs)
		}
	}
	return errors.Join(errs...)
}

// planSpace diffs the space's owned fields. When a manager team is one this
// plan creates, the space gets it in a second change after the teams.
func (s CreateSpace) planSpace(st *spaceState) (Change, *Change) {
	in := s.In
	known := st.managerTeamIDs()
	var now, later []string
	for _, t := range in.ManagerTeams {
		if _, ok := known[t]; ok {
			now = append(now, t)
		} else {
			later = append(later, t)
		}
	}
	if in.ManagerTeams != nil && now == nil {
		now = []string{}
	}
	teamNames := invert(known)
	userNames := invert(st.userIDs())
	f := fieldDiff{}
	var c Change
	if st.space == nil {
		f.set("description", nil, deref(in.Description), in.Description != nil)
		f.set("slug", nil, in.Slug, in.Slug != "")
		f.set("managerTeams", nil, sortedUnique(now), in.ManagerTeams != nil)
		f.set("managerUsers", nil, sortedUnique(in.ManagerUsers), in.ManagerUsers != nil)
		f.set("taskQueueStopped", nil, deref(in.TaskQueueStopped), in.TaskQueueStopped != nil)
		c = Change{Action: Create, Kind: KindSpace, Name: in.Name, Fields: f}
	} else {
		have := st.space
		f.set("description", have.Description, deref(in.Description), in.Description != nil && *in.Description != have.Description)
		f.set("slug", have.Slug, in.Slug, in.Slug != "" && in.Slug != have.Slug)
		haveTeams := namesOf(have.ManagerTeamIDs, teamNames)
		f.set("managerTeams", haveTeams, sortedUnique(now), in.ManagerTeams != nil && !sameSet(haveTeams, now))
		haveUsers := namesOf(have.ManagerUserIDs, userNames)
		f.set("managerUsers", haveUsers, sortedUnique(in.ManagerUsers), in.ManagerUsers != nil && !sameSet(haveUsers, in.ManagerUsers))
		f.set("taskQueueStopped", have.TaskQueueStopped, deref(in.TaskQueueStopped), in.TaskQueueStopped != nil && *in.TaskQueueStopped != have.TaskQueueStopped)
		c = change(KindSpace, have.Name, have.ID, f)
	}
	if len(later) == 0 {
		return c, nil
	}
	return c, &Change{Action: Update, Kind: KindSpace, Name: in.Name, ID: c.ID,
		Fields: fieldDiff{"managerTeams": {sortedUnique(now), sortedUnique(in.ManagerTeams)}}}
}

// projectedEnvOrder is the order of the space's environments once the
// input's missing environments have been created: Apply appends each new one
// after the existing ones.
func (s CreateSpace) projectedEnvOrder(envs []Environment) []string {
	names := make([]string, 0, len(envs)+len(s.In.Environments))
	have := map[string]bool{}
	for _, e := range envs {
		names = append(names, e.Name)
		have[e.Name] = true
	}
	for _, e := range s.In.Environments {
		if !have[e.Name] {
			names = append(names, e.Name)
		}
	}
	return names
}

// wantEnvOrder puts the named environments, in the order named, into the
// slots they occupy in order; environments not named keep their places.
func wantEnvOrder(order, named []string) []string {
	isNamed := map[string]bool{}
	for _, n := range named {
		isNamed[n] = true
	}
	out := slices.Clone(order)
	next := 0
	for i, n := range out {
		if isNamed[n] && next < len(named) {
			out[i] = named[next]
			next++
		}
	}
	return out
}

// namedOnly keeps the names the input names, in order.
func (s CreateSpace) namedOnly(order []string) []string {
	named := map[string]bool{}
	for _, e := range s.In.Environments {
		named[e.Name] = true
	}
	out := []string{}
	for _, n := range order {
		if named[n] {
			out = append(out, n)
		}
	}
	return out
}

func (s CreateSpace) planEnvironmentOrder(st *spaceState) (Change, bool) {
	if len(s.In.Environments) < 2 {
		return Change{}, false
	}
	order := s.projectedEnvOrder(st.envs)
	names := make([]string, len(s.In.Environments))
	for i, e := range s.In.Environments {
		names[i] = e.Name
	}
	want := wantEnvOrder(order, names)
	if slices.Equal(order, want) {
		return Change{}, false
	}
	return Change{Action: Update, Kind: KindEnvironmentOrder, Name: s.In.Name, ID: st.spaceID(),
		Fields: fieldDiff{"order": {s.namedOnly(order), s.namedOnly(want)}}}, true
}

// PhaseView is a lifecycle phase as a plan shows it: environment names,
// sorted.
type PhaseView struct {
	Name                               string   `json:"name"`
	AutomaticDeploymentTargets         []string `json:"automaticDeploymentTargets"`
	OptionalDeploymentTargets          []string `json:"optionalDeploymentTargets"`
	MinimumEnvironmentsBeforePromotion int      `json:"minimumEnvironmentsBeforePromotion"`
	IsOptionalPhase                    bool     `json:"isOptionalPhase"`
}

// String renders the phase on one line for text plans.
func (v PhaseView) String() string {
	s := fmt.Sprintf("%s(automatic: %s; optional: %s", v.Name, strings.Join(v.AutomaticDeploymentTargets, ", "), strings.Join(v.OptionalDeploymentTargets, ", "))
	if v.MinimumEnvironmentsBeforePromotion != 0 {
		s += fmt.Sprintf("; minimum %d", v.MinimumEnvironmentsBeforePromotion)
	}
	if v.IsOptionalPhase {
		s += "; optional phase"
	}
	return s + ")"
}

func phaseViewOf(ph Phase, envNames map[string]string) PhaseView {
	return PhaseView{
		Name:                               ph.Name,
		AutomaticDeploymentTargets:         namesOf(ph.AutomaticDeploymentTargets, envNames),
		OptionalDeploymentTargets:          namesOf(ph.OptionalDeploymentTargets, envNames),
		MinimumEnvironmentsBeforePromotion: ph.MinimumEnvironmentsBeforePromotion,
		IsOptionalPhase:                    ph.IsOptionalPhase,
	}
}

func phaseViewIn(ph PhaseInput) PhaseView {
	return PhaseView{
		Name:                               ph.Name,
		AutomaticDeploymentTargets:         sortedUnique(ph.AutomaticDeploymentTargets),
		OptionalDeploymentTargets:          sortedUnique(ph.OptionalDeploymentTargets),
		MinimumEnvironmentsBeforePromotion: ph.MinimumEnvironmentsBeforePromotion,
		IsOptionalPhase:                    ph.IsOptionalPhase,
	}
}

func samePhases(a, b []PhaseView) bool {
	return slices.EqualFunc(a, b, func(x, y PhaseView) bool {
		return x.Name == y.Name && slices.Equal(x.AutomaticDeploymentTargets, y.AutomaticDeploymentTargets) &&
			slices.Equal(x.OptionalDeploymentTargets, y.OptionalDeploymentTargets) &&
			x.MinimumEnvironmentsBeforePromotion == y.MinimumEnvironmentsBeforePromotion && x.IsOptionalPhase == y.IsOptionalPhase
	})
}

// RetentionView is a retention policy as a plan shows it.
type RetentionView struct {
	QuantityToKeep    int    `json:"quantityToKeep,omitempty"`
	Unit              string `json:"unit,omitempty"`
	ShouldKeepForever bool   `json:"shouldKeepForever,omitempty"`
}

// String renders the policy for text plans.
func (v RetentionView) String() string {
	if v.ShouldKeepForever {
		return "keep forever"
	}
	return fmt.Sprintf("keep %d %s", v.QuantityToKeep, strings.ToLower(v.Unit))
}

func retentionView(r *Retention) any {
	if r == nil {
		return nil
	}
	if r.ShouldKeepForever {
		return RetentionView{ShouldKeepForever: true}
	}
	return RetentionView{QuantityToKeep: r.QuantityToKeep, Unit: r.Unit}
}

func retentionViewIn(r RetentionInput) RetentionView {
	if r.ShouldKeepForever {
		return RetentionView{ShouldKeepForever: true}
	}
	return RetentionView{QuantityToKeep: r.QuantityToKeep, Unit: r.Unit}
}

func (r RetentionInput) domain() *Retention {
	return &Retention{QuantityToKeep: r.QuantityToKeep, Unit: r.Unit, ShouldKeepForever: r.ShouldKeepForever}
}

// wantPhases is the lifecycle's phase list the input asks for: the named
// phases in input order, then the phases it does not name, as they are.
func wantPhases(li LifecycleInput, have []Phase, envNames map[string]string) []PhaseView {
	named := map[string]bool{}
	out := make([]PhaseView, 0, len(li.Phases)+len(have))
	for _, ph := range li.Phases {
		named[ph.Name] = true
		out = append(out, phaseViewIn(ph))
	}
	for _, ph := range have {
		if !named[ph.Name] {
			out = append(out, phaseViewOf(ph, envNames))
		}
	}
	return out
}

func (s CreateSpace) planLifecycle(st *spaceState, li LifecycleInput, lcs map[string]Lifecycle) Change {
	envNames := invert(st.envIDs())
	have, ok := lcs[li.Name]
	f := fieldDiff{}
	if !ok {
		f.set("description", nil, deref(li.Description), li.Description != nil)
		f.set("phases", nil, wantPhases(li, nil, envNames), li.Phases != nil)
		if li.ReleaseRetentionPolicy != nil {
			f.set("releaseRetentionPolicy", nil, retentionViewIn(*li.ReleaseRetentionPolicy), true)
		}
		if li.TentacleRetentionPolicy != nil {
			f.set("tentacleRetentionPolicy", nil, retentionViewIn(*li.TentacleRetentionPolicy), true)
		}
		return Change{Action: Create, Kind: KindLifecycle, Name: li.Name, Fields: f}
	}
	f.set("description", have.Description, deref(li.Description), li.Description != nil && *li.Description != have.Description)
	if li.Phases != nil {
		havePhases := make([]PhaseView, len(have.Phases))
		for i, ph := range have.Phases {
			havePhases[i] = phaseViewOf(ph, envNames)
		}
		want := wantPhases(li, have.Phases, envNames)
		f.set("phases", havePhases, want, !samePhases(havePhases, want))
	}
	if r := li.ReleaseRetentionPolicy; r != nil {
		h := retentionView(have.ReleaseRetentionPolicy)
		f.set("releaseRetentionPolicy", h, retentionViewIn(*r), h != any(retentionViewIn(*r)))
	}
	if r := li.TentacleRetentionPolicy; r != nil {
		h := retentionView(have.TentacleRetentionPolicy)
		f.set("tentacleRetentionPolicy", h, retentionViewIn(*r), h != any(retentionViewIn(*r)))
	}
	return change(KindLifecycle, li.Name, have.ID, f)
}

// TagView is a tag as a plan shows it.
type TagView struct {
	Color       string `json:"color"`
	Description string `json:"description,omitempty"`
}

// String renders the tag for text plans.
func (v TagView) String() string {
	if v.Description == "" {
		return v.Color
	}
	return fmt.Sprintf("%s %q", v.Color, v.Description)
}

// planTagSet diffs a tag set and the tags the input names; each tag's
// fields are reported as "tags.<name>.<field>", a new tag as "tags.<name>".
func planTagSet(tsi TagSetInput, tss map[string]TagSet) Change {
	f := fieldDiff{}
	have, ok := tss[tsi.Name]
	if !ok {
		f.set("description", nil, deref(tsi.Description), tsi.Description != nil)
		for _, t := range tsi.Tags {
			f.set("tags."+t.Name, nil, TagView{Color: t.Color, Description: deref(t.Description)}, true)
		}
		return Change{Action: Create, Kind: KindTagSet, Name: tsi.Name, Fields: f}
	}
	f.set("description", have.Description, deref(tsi.Description), tsi.Description != nil && *tsi.Description != have.Description)
	tags := byName(have.Tags, func(t Tag) string { return t.Name })
	for _, t := range tsi.Tags {
		ht, ok := tags[t.Name]
		if !ok {
			f.set("tags."+t.Name, nil, TagView{Color: t.Color, Description: deref(t.Description)}, true)
			continue
		}
		f.set("tags."+t.Name+".color", ht.Color, t.Color, !strings.EqualFold(ht.Color, t.Color))
		f.set("tags."+t.Name+".description", ht.Description, deref(t.Description), t.Description != nil && *t.Description != ht.Description)
	}
	return change(KindTagSet, tsi.Name, have.ID, f)
}

// planScopedRoles matches each role entry of a team to the team's scoped
// roles in the space: an exact match (role and scope) is a no-op; otherwise a
// scoped role of the same user role that no entry matches exactly gets the
// entry's scope; otherwise the role is granted. Scoped roles the input does
// not name are never revoked.
func (s CreateSpace) planScopedRoles(st *spaceState, ti TeamInput, teams map[string]Team) []Change {
	if ti.Roles == nil {
		return nil
	}
	envNames := invert(st.envIDs())
	pgNames := invert(st.pgIDs())
	roleIDs := st.roleIDs()
	var existing []ScopedUserRole
	if t, ok := teams[ti.Name]; ok {
		existing = st.scoped[t.ID]
	}
	type view struct{ envs, pgs []string }
	views := make([]view, len(existing))
	for i, r := range existing {
		views[i] = view{namesOf(r.EnvironmentIDs, envNames), namesOf(r.ProjectGroupIDs, pgNames)}
	}
	adjustable := func(r ScopedUserRole) bool { return len(r.ProjectIDs) == 0 && len(r.TenantIDs) == 0 }
	used := make([]bool, len(existing))
	pending := make([]int, 0, len(ti.Roles))
	changes := make([]Change, len(ti.Roles))
	name := func(r RoleInput) string { return ti.Name + "/" + r.Role }
	for j, r := range ti.Roles {
		pending = append(pending, j)
		for i, e := range existing {
			if !used[i] && adjustable(e) && e.UserRoleID == roleIDs[r.Role] &&
				sameSet(views[i].envs, r.Environments) && sameSet(views[i].pgs, r.ProjectGroups) {
				used[i] = true
				changes[j] = Change{Action: NoOp, Kind: KindScopedUserRole, Name: name(r), ID: e.ID}
				pending = pending[:len(pending)-1]
				break
			}
		}
	}
	for _, j := range pending {
		r := ti.Roles[j]
		envs, pgs := sortedUnique(r.Environments), sortedUnique(r.ProjectGroups)
		for i, e := range existing {
			if used[i] || !adjustable(e) || e.UserRoleID != roleIDs[r.Role] {
				continue
			}
			used[i] = true
			f := fieldDiff{}
			f.set("environments", views[i].envs, envs, !sameSet(views[i].envs, envs))
			f.set("projectGroups", views[i].pgs, pgs, !sameSet(views[i].pgs, pgs))
			changes[j] = Change{Action: Update, Kind: KindScopedUserRole, Name: name(r), ID: e.ID, Fields: f}
			break
		}
		if changes[j].Kind == "" {
			changes[j] = Change{Action: Create, Kind: KindScopedUserRole, Name: name(r), Fields: fieldDiff{
				"team": {nil, ti.Name}, "userRole": {nil, r.Role}, "environments": {nil, envs}, "projectGroups": {nil, pgs},
			}}
		}
	}
	return changes
}

// Apply makes the changes of p, in order, and returns SpaceId and SpaceName.
// Values come from the plan's wanted fields; names are resolved to IDs now,
// so an environment or team created earlier in the same apply is found. A
// planned create of something that exists by now (a run that failed half-way
// and is repeated, or a concurrent run) updates it instead, so a re-run
// never makes duplicates.
func (s CreateSpace) Apply(ctx context.Context, oct Octopus, p Plan) (Outputs, error) {
	a := &applier{s: s, oct: oct, st: &spaceState{scoped: map[string][]ScopedUserRole{}}}
	for _, c := range p.Changes {
		if c.Kind == KindSpace && c.ID != "" && a.st.space == nil {
			a.st.space = &Space{ID: c.ID, Name: c.Name}
		}
	}
	for _, c := range p.Changes {
		if c.Action == NoOp {
			continue
		}
		if err := a.apply(ctx, c); err != nil {
			return a.outputs(), fmt.Errorf("%s %s %q: %w", c.Action, c.Kind, c.Name, err)
		}
	}
	if a.st.space == nil {
		return nil, fmt.Errorf("space %q: the plan has no space change", s.In.Name)
	}
	return a.outputs(), nil
}

// applier holds the state Apply reads lazily (once per kind) and keeps up to
// date with its own writes.
type applier struct {
	s      CreateSpace
	oct    Octopus
	st     *spaceState
	loaded map[string]bool
}

func (a *applier) outputs() Outputs {
	if a.st.space == nil {
		return nil
	}
	return Outputs{OutputSpaceID: a.st.space.ID, OutputSpaceName: a.st.space.Name}
}

// load runs read once per kind.
func (a *applier) load(kind string, read func() error) error {
	if a.loaded == nil {
		a.loaded = map[string]bool{}
	}
	if a.loaded[kind] {
		return nil
	}
	if err := read(); err != nil {
		return err
	}
	a.loaded[kind] = true
	return nil
}

func (a *applier) loadSpace(ctx context.Context) error {
	return a.load("spaces", func() error {
		all, err := a.oct.Spaces(ctx)
		if err != nil {
			return fmt.Errorf("list spaces: %w", err)
		}
		for _, sp := range all {
			if (a.st.space != nil && sp.ID == a.st.space.ID) || sp.Name == a.s.In.Name {
				a.st.space = &sp
				return nil
			}
		}
		return fmt.Errorf("space %q: %w", a.s.In.Name, ErrNotFound)
	})
}

func (a *applier) loadTeams(ctx context.Context) error {
	return a.load("teams", func() (err error) {
		a.st.teams, err = a.oct.Teams(ctx, a.st.spaceID())
		return wrap(err, "list teams")
	})
}

func (a *applier) loadUsers(ctx context.Context) error {
	return a.load("users", func() (err error) {
		a.st.users, err = a.oct.Users(ctx)
		return wrap(err, "list users")
	})
}

func (a *applier) loadRoles(ctx context.Context) error {
	return a.load("roles", func() (err error) {
		a.st.roles, err = a.oct.UserRoles(ctx)
		return wrap(err, "list user roles")
	})
}

func (a *applier) loadEnvs(ctx context.Context) error {
	return a.load("envs", func() (err error) {
		a.st.envs, err = a.oct.Environments(ctx, a.st.spaceID())
		return wrap(err, "list environments")
	})
}

func (a *applier) loadLifecycles(ctx context.Context) error {
	return a.load("lcs", func() (err error) {
		a.st.lcs, err = a.oct.Lifecycles(ctx, a.st.spaceID())
		return wrap(err, "list lifecycles")
	})
}

func (a *applier) loadPGs(ctx context.Context) error {
	return a.load("pgs", func() (err error) {
		a.st.pgs, err = a.oct.ProjectGroups(ctx, a.st.spaceID())
		return wrap(err, "list project groups")
	})
}

func (a *applier) loadTagSets(ctx context.Context) error {
	return a.load("tagSets", func() (err error) {
		a.st.tagSets, err = a.oct.TagSets(ctx, a.st.spaceID())
		return wrap(err, "list tag sets")
	})
}

func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// want returns the wanted value of field in c, and whether c changes it.
func want[T any](c Change, field string) (T, bool, error) {
	var zero T
	f, ok := c.Fields[field]
	if !ok {
		return zero, false, nil
	}
	v, ok := f[1].(T)
	if !ok {
		return zero, false, fmt.Errorf("field %s: want a %T, the plan holds a %T", field, zero, f[1])
	}
	return v, true, nil
}

// wantInto stores the wanted value of field in *dst when c changes it.
func wantInto[T any](c Change, field string, dst *T) error {
	v, ok, err := want[T](c, field)
	if ok {
		*dst = v
	}
	return err
}

func (a *applier) apply(ctx context.Context, c Change) error {
	if c.Kind != KindSpace && a.st.space == nil {
		return fmt.Errorf("space %q does not exist", a.s.In.Name)
	}
	switch c.Kind {
	case KindSpace:
		return a.applySpace(ctx, c)
	case KindEnvironment:
		return a.applyEnvironment(ctx, c)
	case KindEnvironmentOrder:
		return a.applyEnvironmentOrder(ctx, c)
	case KindLifecycle:
		return a.applyLifecycle(ctx, c)
	case KindProjectGroup:
		return a.applyProjectGroup(ctx, c)
	case KindTagSet:
		return a.applyTagSet(ctx, c)
	case KindTeam:
		return a.applyTeam(ctx, c)
	case KindScopedUserRole:
		return a.applyScopedRole(ctx, c)
	}
	return fmt.Errorf("unknown kind of change %q", c.Kind)
}

func (a *applier) applySpace(ctx context.Context, c Change) error {
	var sp Space
	if c.Action == Create {
		sp = Space{Name: c.Name}
	} else {
		if err := a.loadSpace(ctx); err != nil {
			return err
		}
		sp = *a.st.space
	}
	err := errors.Join(
		wantInto(c, "description", &sp.Description),
		wantInto(c, "slug", &sp.Slug),
		wantInto(c, "taskQueueStopped", &sp.TaskQueueStopped),
	)
	if err != nil {
		return err
	}
	if teams, ok, err := want[[]string](c, "managerTeams"); err != nil {
		return err
	} else if ok {
		if err := a.loadTeams(ctx); err != nil {
			return err
		}
		if sp.ManagerTeamIDs, err = resolveNames("team", teams, a.st.managerTeamIDs()); err != nil {
			return err
		}
	}
	if users, ok, err := want[[]string](c, "managerUsers"); err != nil {
		return err
	} else if ok {
		if err := a.loadUsers(ctx); err != nil {
			return err
		}
		if sp.ManagerUserIDs, err = resolveNames("user", users, a.st.userIDs()); err != nil {
			return err
		}
	}
	var got Space
	if c.Action == Create {
		got, err = a.oct.CreateSpace(ctx, sp)
	} else {
		got, err = a.oct.UpdateSpace(ctx, sp)
	}
	if err != nil {
		return err
	}
	a.st.space = &got
	if a.loaded == nil {
		a.loaded = map[string]bool{}
	}
	a.loaded["spaces"] = true
	if c.Action == Create {
		// A new space has no environments and no tag sets (Octopus seeds a
		// Default Lifecycle and Default Project Group, so those are read).
		a.st.envs, a.st.tagSets = nil, nil
		a.loaded["envs"], a.loaded["tagSets"] = true, true
	}
	return nil
}

func (a *applier) applyEnvironment(ctx context.Context, c Change) error {
	if err := a.loadEnvs(ctx); err != nil {
		return err
	}
	i := slices.IndexFunc(a.st.envs, func(e Environment) bool { return e.Name == c.Name })
	var e Environment
	if i >= 0 {
		e = a.st.envs[i]
	} else {
		e = Environment{SpaceID: a.st.spaceID(), Name: c.Name, SortOrder: 1}
		for _, x := range a.st.envs { // new environments go last
			e.SortOrder = max(e.SortOrder, x.SortOrder+1)
		}
	}
	if err := errors.Join(wantInto(c, "description", &e.Description), wantInto(c, "useGuidedFailure", &e.UseGuidedFailure)); err != nil {
		return err
	}
	if i >= 0 {
		got, err := a.oct.UpdateEnvironment(ctx, e)
		if err != nil {
			return err
		}
		a.st.envs[i] = got
		return nil
	}
	got, err := a.oct.CreateEnvironment(ctx, e)
	if err != nil {
		return err
	}
	a.st.envs = append(a.st.envs, got)
	return nil
}

func (a *applier) applyEnvironmentOrder(ctx context.Context, c Change) error {
	named, ok, err := want[[]string](c, "order")
	if err != nil || !ok {
		return err
	}
	// Read again: the server, not this client, decides where a new
	// environment lands.
	envs, err := a.oct.Environments(ctx, a.st.spaceID())
	if err != nil {
		return fmt.Errorf("list environments: %w", err)
	}
	a.st.envs = envs
	order := make([]string, len(envs))
	ids := map[string]string{}
	for i, e := range envs {
		order[i] = e.Name
		ids[e.Name] = e.ID
	}
	sorted, err := resolveNames("environment", wantEnvOrder(order, named), ids)
	if err != nil {
		return err
	}
	return a.oct.SortEnvironments(ctx, a.st.spaceID(), sorted)
}

func (a *applier) applyLifecycle(ctx context.Context, c Change) error {
	if err := a.loadLifecycles(ctx); err != nil {
		return err
	}
	i := slices.IndexFunc(a.st.lcs, func(l Lifecycle) bool { return l.Name == c.Name })
	l := Lifecycle{SpaceID: a.st.spaceID(), Name: c.Name}
	if i >= 0 {
		l = a.st.lcs[i]
	}
	if err := wantInto(c, "description", &l.Description); err != nil {
		return err
	}
	if views, ok, err := want[[]PhaseView](c, "phases"); err != nil {
		return err
	} else if ok {
		if err := a.loadEnvs(ctx); err != nil {
			return err
		}
		phases := make([]Phase, len(views))
		for j, v := range views {
			ph := Phase{Name: v.Name, MinimumEnvironmentsBeforePromotion: v.MinimumEnvironmentsBeforePromotion, IsOptionalPhase: v.IsOptionalPhase}
			for _, old := range l.Phases { // keep the phase's ID, and with it what this step does not own
				if old.Name == v.Name {
					ph.ID = old.ID
				}
			}
			var e1, e2 error
			ph.AutomaticDeploymentTargets, e1 = resolveNames("environment", v.AutomaticDeploymentTargets, a.st.envIDs())
			ph.OptionalDeploymentTargets, e2 = resolveNames("environment", v.OptionalDeploymentTargets, a.st.envIDs())
			if err := errors.Join(e1, e2); err != nil {
				return fmt.Errorf("phase %q: %w", v.Name, err)
			}
			phases[j] = ph
		}
		l.Phases = phases
	}
	for field, dst := range map[string]**Retention{"releaseRetentionPolicy": &l.ReleaseRetentionPolicy, "tentacleRetentionPolicy": &l.TentacleRetentionPolicy} {
		v, ok, err := want[RetentionView](c, field)
		if err != nil {
			return err
		}
		if ok {
			*dst = &Retention{QuantityToKeep: v.QuantityToKeep, Unit: v.Unit, ShouldKeepForever: v.ShouldKeepForever}
		}
	}
	if i >= 0 {
		got, err := a.oct.UpdateLifecycle(ctx, l)
		if err != nil {
			return err
		}
		a.st.lcs[i] = got
		return nil
	}
	got, err := a.oct.CreateLifecycle(ctx, l)
	if err != nil {
		return err
	}
	a.st.lcs = append(a.st.lcs, got)
	return nil
}

func (a *applier) applyProjectGroup(ctx context.Context, c Change) error {
	if err := a.loadPGs(ctx); err != nil {
		return err
	}
	i := slices.IndexFunc(a.st.pgs, func(g ProjectGroup) bool { return g.Name == c.Name })
	g := ProjectGroup{SpaceID: a.st.spaceID(), Name: c.Name}
	if i >= 0 {
		g = a.st.pgs[i]
	}
	if err := wantInto(c, "description", &g.Description); err != nil {
		return err
	}
	if i >= 0 {
		got, err := a.oct.UpdateProjectGroup(ctx, g)
		if err != nil {
			return err
		}
		a.st.pgs[i] = got
		return nil
	}
	got, err := a.oct.CreateProjectGroup(ctx, g)
	if err != nil {
		return err
	}
	a.st.pgs = append(a.st.pgs, got)
	return nil
}

func (a *applier) applyTagSet(ctx context.Context, c Change) error {
	if err := a.loadTagSets(ctx); err != nil {
		return err
	}
	i := slices.IndexFunc(a.st.tagSets, func(ts TagSet) bool { return ts.Name == c.Name })
	ts := TagSet{SpaceID: a.st.spaceID(), Name: c.Name}
	if i >= 0 {
		ts = a.st.tagSets[i]
		ts.Tags = slices.Clone(ts.Tags)
	}
	if err := wantInto(c, "description", &ts.Description); err != nil {
		return err
	}
	// Tags in input order; a tag the plan does not mention is left as it is.
	var order []string
	for _, in := range a.s.In.TenantTagSets {
		if in.Name == c.Name {
			for _, t := range in.Tags {
				order = append(order, t.Name)
			}
		}
	}
	for _, name := range order {
		j := slices.IndexFunc(ts.Tags, func(t Tag) bool { return t.Name == name })
		if v, ok, err := want[TagView](c, "tags."+name); err != nil {
			return err
		} else if ok {
			t := Tag{Name: name, Color: v.Color, Description: v.Description}
			if j >= 0 {
				t.ID = ts.Tags[j].ID
				ts.Tags[j] = t
			} else {
				ts.Tags = append(ts.Tags, t)
			}
			continue
		}
		if j < 0 {
			continue
		}
		if err := errors.Join(wantInto(c, "tags."+name+".color", &ts.Tags[j].Color), wantInto(c, "tags."+name+".description", &ts.Tags[j].Description)); err != nil {
			return err
		}
	}
	if i >= 0 {
		got, err := a.oct.UpdateTagSet(ctx, ts)
		if err != nil {
			return err
		}
		a.st.tagSets[i] = got
		return nil
	}
	got, err := a.oct.CreateTagSet(ctx, ts)
	if err != nil {
		return err
	}
	a.st.tagSets = append(a.st.tagSets, got)
	return nil
}

func (a *applier) applyTeam(ctx context.Context, c Change) error {
	if err := a.loadTeams(ctx); err != nil {
		return err
	}
	i := slices.IndexFunc(a.st.teams, func(t Team) bool { return t.Name == c.Name && t.SpaceID == a.st.spaceID() })
	t := Team{SpaceID: a.st.spaceID(), Name: c.Name}
	if i >= 0 {
		t = a.st.teams[i]
	}
	if err := wantInto(c, "description", &t.Description); err != nil {
		return err
	}
	if members, ok, err := want[[]string](c, "members"); err != nil {
		return err
	} else if ok {
		if err := a.loadUsers(ctx); err != nil {
			return err
		}
		if t.MemberUserIDs, err = resolveNames("user", members, a.st.userIDs()); err != nil {
			return err
		}
	}
	if i >= 0 {
		got, err := a.oct.UpdateTeam(ctx, t)
		if err != nil {
			return err
		}
		a.st.teams[i] = got
		return nil
	}
	got, err := a.oct.CreateTeam(ctx, t)
	if err != nil {
		return err
	}
	a.st.teams = append(a.st.teams, got)
	a.st.scoped[got.ID] = nil
	return nil
}

func (a *applier) applyScopedRole(ctx context.Context, c Change) error {
	if err := errors.Join(a.loadEnvs(ctx), a.loadPGs(ctx)); err != nil {
		return err
	}
	r := ScopedUserRole{ID: c.ID, SpaceID: a.st.spaceID()}
	if envs, ok, err := want[[]string](c, "environments"); err != nil {
		return err
	} else if ok {
		if r.EnvironmentIDs, err = resolveNames("environment", envs, a.st.envIDs()); err != nil {
			return err
		}
	}
	if pgs, ok, err := want[[]string](c, "projectGroups"); err != nil {
		return err
	} else if ok {
		if r.ProjectGroupIDs, err = resolveNames("project group", pgs, a.st.pgIDs()); err != nil {
			return err
		}
	}
	if c.Action == Update {
		_, err := a.oct.UpdateScopedUserRole(ctx, r)
		return err
	}
	team, _, err := want[string](c, "team")
	if err != nil {
		return err
	}
	role, _, err := want[string](c, "userRole")
	if err != nil {
		return err
	}
	if err := errors.Join(a.loadTeams(ctx), a.loadRoles(ctx)); err != nil {
		return err
	}
	teams := map[string]string{}
	for _, t := range a.st.spaceTeams() {
		teams[t.Name] = t.ID
	}
	ids, err := resolveNames("team", []string{team}, teams)
	if err != nil {
		return err
	}
	r.TeamID = ids[0]
	if ids, err = resolveNames("user role", []string{role}, a.st.roleIDs()); err != nil {
		return err
	}
	r.UserRoleID = ids[0]
	_, err = a.oct.CreateScopedUserRole(ctx, r)
	return err
}
