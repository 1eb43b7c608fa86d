package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

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
	// me is the API key's user, read only when a new space would otherwise
	// get no manager.
	me *User
}

func (st *spaceState) spaceID() string {
	if st.space == nil {
		return ""
	}
	return st.space.ID
}

// managerTeamIDs maps the names of the teams that may manage the space to
// their IDs; a space team wins over a system team of the same name. The
// space's own "Space Managers" team is not one of them: it manages the space
// by itself and Space.ManagerTeamIDs never lists it, so naming it would be a
// diff that no apply removes.
func (st *spaceState) managerTeamIDs() map[string]string {
	m := map[string]string{}
	for _, t := range st.teams {
		if t.SpaceID == "" {
			m[t.Name] = t.ID
		}
	}
	for _, t := range st.spaceTeams() {
		if !isSpaceManagersTeam(t) {
			m[t.Name] = t.ID
		}
	}
	return m
}

// isSpaceManagersTeam reports whether t is the teams-spacemanagers-<space>
// team Octopus creates with every space.
func isSpaceManagersTeam(t Team) bool {
	return t.SpaceID != "" && t.ID == "teams-spacemanagers-"+t.SpaceID
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
	return refNames(st.users, func(u User) Ref { return Ref{ID: u.ID, Name: u.Username} })
}

func (st *spaceState) roleIDs() map[string]string {
	return refNames(st.roles, func(r UserRole) Ref { return Ref{ID: r.ID, Name: r.Name} })
}

func (st *spaceState) envIDs() map[string]string {
	return refNames(st.envs, func(e Environment) Ref { return Ref{ID: e.ID, Name: e.Name} })
}

func (st *spaceState) pgIDs() map[string]string {
	return refNames(st.pgs, func(g ProjectGroup) Ref { return Ref{ID: g.ID, Name: g.Name} })
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
		if s.needsDefaultManager(st) {
			me, err := oct.CurrentUser(ctx)
			if err != nil {
				return nil, fmt.Errorf("read the current user: %w", err)
			}
			st.me = &me
		}
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
	for _, t := range st.spaceTeams() {
		if _, ok := teams[t.Name]; !ok && isSpaceManagersTeam(t) && slices.Contains(in.ManagerTeams, t.Name) {
			errs = append(errs, fmt.Errorf("managerTeams: %q is the space's own managers team, which always manages the space: leave it out", t.Name))
			in.ManagerTeams = slices.DeleteFunc(slices.Clone(in.ManagerTeams), func(n string) bool { return n == t.Name })
		}
	}
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

// needsDefaultManager reports whether the space must be created and the
// input names no manager the space can have at creation: Octopus refuses a
// space without a manager ("you must supply either one, or both of Teams or
// Users as the space manager", OctopusDeploy/Issues#9643), so the API key's
// user manages it, as in the web portal, until the input says otherwise.
func (s CreateSpace) needsDefaultManager(st *spaceState) bool {
	if st.space != nil || len(s.In.ManagerUsers) > 0 {
		return false
	}
	known := st.managerTeamIDs()
	for _, t := range s.In.ManagerTeams {
		if _, ok := known[t]; ok {
			return false
		}
	}
	return true
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
		if st.me != nil {
			f.set("managerUsers", nil, []string{st.me.Username}, true)
		}
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
	f = fieldDiff{}
	f.set("managerTeams", sortedUnique(now), sortedUnique(in.ManagerTeams), len(later) > 0)
	// The API key's user managed the new space only because Octopus needs a
	// manager at creation; an input that lists the manager users (none of
	// them, since the default applied) gets exactly those once the teams exist.
	f.set("managerUsers", []string{deref(st.me).Username}, sortedUnique(in.ManagerUsers), st.me != nil && in.ManagerUsers != nil)
	if len(f) == 0 {
		return c, nil
	}
	return c, &Change{Action: Update, Kind: KindSpace, Name: in.Name, ID: c.ID, Fields: f}
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
