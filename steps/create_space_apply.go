package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Apply makes the changes of p, in order, and returns SpaceId and SpaceName.
// Values come from the plan's wanted fields; names are resolved to IDs now,
// so an environment or team created earlier in the same apply is found. A
// planned create of something in the space that exists by now (a concurrent
// run) updates it instead; a create whose answer was lost is found by name
// (the adapter's createOnce). Either way nothing is duplicated. A failure
// ends the apply; the next run's plan starts from what was written.
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
		Done(ctx, c)
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

// upsert writes v with update when it is list[i] (and replaces it there),
// or with create when i < 0 (and appends it), and returns what the server
// stored.
func upsert[T any](ctx context.Context, list *[]T, i int, v T, create, update func(context.Context, T) (T, error)) (T, error) {
	if i >= 0 {
		got, err := update(ctx, v)
		if err != nil {
			return got, err
		}
		(*list)[i] = got
		return got, nil
	}
	got, err := create(ctx, v)
	if err != nil {
		return got, err
	}
	*list = append(*list, got)
	return got, nil
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
	_, err := upsert(ctx, &a.st.envs, i, e, a.oct.CreateEnvironment, a.oct.UpdateEnvironment)
	return err
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
	_, err := upsert(ctx, &a.st.lcs, i, l, a.oct.CreateLifecycle, a.oct.UpdateLifecycle)
	return err
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
	_, err := upsert(ctx, &a.st.pgs, i, g, a.oct.CreateProjectGroup, a.oct.UpdateProjectGroup)
	return err
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
	_, err := upsert(ctx, &a.st.tagSets, i, ts, a.oct.CreateTagSet, a.oct.UpdateTagSet)
	return err
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
	got, err := upsert(ctx, &a.st.teams, i, t, a.oct.CreateTeam, a.oct.UpdateTeam)
	if err != nil {
		return err
	}
	if i < 0 { // a new team has no scoped roles yet
		a.st.scoped[got.ID] = nil
	}
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
