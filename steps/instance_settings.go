package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// This file holds what clone-instance-settings and restore-instance-settings
// share: names for IDs (nameBook), the diff of a wanted instanceState against
// a target instance (reconciler) and the backup file.

// Kinds of named objects inside a space, for nameBook.names.
const (
	environmentsKind  = "environments"
	projectGroupsKind = "projectGroups"
	teamsKind         = "teams"
)

// nameBook maps one instance's IDs to names and back, reading each list once.
type nameBook struct {
	oct      Octopus
	spaces   []Space
	users    map[string]string // ID → username
	roles    map[string]string // ID → name
	perSpace map[string]map[string]map[string]string
}

func newNameBook(oct Octopus) *nameBook {
	return &nameBook{oct: oct, perSpace: map[string]map[string]map[string]string{}}
}

func (b *nameBook) spaceList(ctx context.Context) ([]Space, error) {
	if b.spaces == nil {
		s, err := b.oct.Spaces(ctx)
		if err != nil {
			return nil, fmt.Errorf("list spaces: %w", err)
		}
		b.spaces = s
	}
	return b.spaces, nil
}

func (b *nameBook) spaceByName(ctx context.Context, name string) (Space, error) {
	spaces, err := b.spaceList(ctx)
	if err != nil {
		return Space{}, err
	}
	for _, s := range spaces {
		if s.Name == name {
			return s, nil
		}
	}
	return Space{}, fmt.Errorf("no space %q: %w", name, ErrNotFound)
}

func (b *nameBook) spaceName(ctx context.Context, id string) (string, error) {
	spaces, err := b.spaceList(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range spaces {
		if s.ID == id {
			return s.Name, nil
		}
	}
	return id, nil
}

func (b *nameBook) userNames(ctx context.Context) (map[string]string, error) {
	if b.users == nil {
		users, err := b.oct.Users(ctx)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		b.users = map[string]string{}
		for _, u := range users {
			b.users[u.ID] = u.Username
		}
	}
	return b.users, nil
}

func (b *nameBook) roleNames(ctx context.Context) (map[string]string, error) {
	if b.roles == nil {
		roles, err := b.oct.UserRoles(ctx)
		if err != nil {
			return nil, fmt.Errorf("list user roles: %w", err)
		}
		b.roles = map[string]string{}
		for _, r := range roles {
			b.roles[r.ID] = r.Name
		}
	}
	return b.roles, nil
}

// names returns ID → name of kind in space spaceID ("" = system teams).
func (b *nameBook) names(ctx context.Context, spaceID, kind string) (map[string]string, error) {
	if m, ok := b.perSpace[spaceID][kind]; ok {
		return m, nil
	}
	m := map[string]string{}
	switch kind {
	case environmentsKind:
		envs, err := b.oct.Environments(ctx, spaceID)
		if err != nil {
			return nil, fmt.Errorf("list environments of %s: %w", spaceID, err)
		}
		for _, e := range envs {
			m[e.ID] = e.Name
		}
	case projectGroupsKind:
		groups, err := b.oct.ProjectGroups(ctx, spaceID)
		if err != nil {
			return nil, fmt.Errorf("list project groups of %s: %w", spaceID, err)
		}
		for _, g := range groups {
			m[g.ID] = g.Name
		}
	case teamsKind:
		teams, err := b.oct.Teams(ctx, spaceID)
		if err != nil {
			return nil, fmt.Errorf("list teams of %s: %w", spaceID, err)
		}
		for _, t := range teams {
			m[t.ID] = t.Name
		}
	default:
		got, err := b.oct.ResourceNames(ctx, spaceID, kind)
		if err != nil {
			return nil, fmt.Errorf("list %s of %s: %w", kind, spaceID, err)
		}
		m = got
	}
	if b.perSpace[spaceID] == nil {
		b.perSpace[spaceID] = map[string]map[string]string{}
	}
	b.perSpace[spaceID][kind] = m
	return m, nil
}

// nameList maps IDs of kind to sorted names; an ID without a name stays.
func (b *nameBook) nameList(ctx context.Context, spaceID, kind string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	m, err := b.names(ctx, spaceID, kind)
	if err != nil {
		return nil, err
	}
	return namesOf(ids, m), nil
}

// idList maps names of kind back to IDs; an unknown name is an error naming it.
func (b *nameBook) idList(ctx context.Context, spaceID, kind string, names []string) ([]string, error) {
	if len(names) == 0 {
		return []string{}, nil
	}
	m, err := b.names(ctx, spaceID, kind)
	if err != nil {
		return nil, err
	}
	return resolveNames(kind, names, invert(m))
}

func (b *nameBook) userIDs(ctx context.Context, usernames []string) ([]string, error) {
	if len(usernames) == 0 {
		return []string{}, nil
	}
	m, err := b.userNames(ctx)
	if err != nil {
		return nil, err
	}
	return resolveNames("users", usernames, invert(m))
}

func (b *nameBook) systemTeams(ctx context.Context) ([]Team, error) {
	teams, err := b.oct.Teams(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list system teams: %w", err)
	}
	var out []Team
	for _, t := range teams {
		if t.SpaceID == "" {
			out = append(out, t)
		}
	}
	return out, nil
}

func (b *nameBook) teamState(ctx context.Context, t Team, members bool) (teamState, error) {
	ts := teamState{Name: t.Name, Description: t.Description, Roles: []grantState{}}
	if members {
		users, err := b.userNames(ctx)
		if err != nil {
			return ts, err
		}
		ts.Members = namesOf(t.MemberUserIDs, users)
	}
	grants, err := b.oct.ScopedUserRoles(ctx, t.ID)
	if err != nil {
		return ts, fmt.Errorf("list roles of team %q: %w", t.Name, err)
	}
	for _, g := range grants {
		gs, err := b.grantState(ctx, g)
		if err != nil {
			return ts, fmt.Errorf("team %q: %w", t.Name, err)
		}
		ts.Roles = append(ts.Roles, gs)
	}
	sortGrants(ts.Roles)
	return ts, nil
}

func sortGrants(g []grantState) {
	sort.Slice(g, func(i, j int) bool { return g[i].String() < g[j].String() })
}

func (b *nameBook) grantState(ctx context.Context, r ScopedUserRole) (grantState, error) {
	roles, err := b.roleNames(ctx)
	if err != nil {
		return grantState{}, err
	}
	g := grantState{Role: roles[r.UserRoleID]}
	if g.Role == "" {
		g.Role = r.UserRoleID
	}
	if r.SpaceID == "" {
		return g, nil
	}
	if g.Space, err = b.spaceName(ctx, r.SpaceID); err != nil {
		return g, err
	}
	for _, f := range []struct {
		kind string
		ids  []string
		dst  *[]string
	}{
		{environmentsKind, r.EnvironmentIDs, &g.Environments},
		{projectGroupsKind, r.ProjectGroupIDs, &g.ProjectGroups},
		{ProjectsKind, r.ProjectIDs, &g.Projects},
		{TenantsKind, r.TenantIDs, &g.Tenants},
	} {
		if *f.dst, err = b.nameList(ctx, r.SpaceID, f.kind, f.ids); err != nil {
			return g, err
		}
	}
	return g, nil
}

// scopedRole resolves a grant's names to this instance's IDs.
func (b *nameBook) scopedRole(ctx context.Context, teamID string, g grantState) (ScopedUserRole, error) {
	roles, err := b.roleNames(ctx)
	if err != nil {
		return ScopedUserRole{}, err
	}
	roleIDs, err := resolveNames("user role", []string{g.Role}, invert(roles))
	if err != nil {
		return ScopedUserRole{}, err
	}
	r := ScopedUserRole{TeamID: teamID, UserRoleID: roleIDs[0],
		EnvironmentIDs: []string{}, ProjectGroupIDs: []string{}, ProjectIDs: []string{}, TenantIDs: []string{}}
	if g.Space == "" {
		return r, nil
	}
	sp, err := b.spaceByName(ctx, g.Space)
	if err != nil {
		return r, err
	}
	r.SpaceID = sp.ID
	for _, f := range []struct {
		kind  string
		names []string
		dst   *[]string
	}{
		{environmentsKind, g.Environments, &r.EnvironmentIDs},
		{projectGroupsKind, g.ProjectGroups, &r.ProjectGroupIDs},
		{ProjectsKind, g.Projects, &r.ProjectIDs},
		{TenantsKind, g.Tenants, &r.TenantIDs},
	} {
		if *f.dst, err = b.idList(ctx, sp.ID, f.kind, f.names); err != nil {
			return r, fmt.Errorf("space %q: %w", g.Space, err)
		}
	}
	return r, nil
}

func (b *nameBook) subscriptionState(ctx context.Context, sp Space, s Subscription) (subscriptionState, error) {
	st := subscriptionState{Space: sp.Name, Name: s.Name, IsDisabled: s.IsDisabled,
		Tags: sortedOrNil(s.Filter.Tags), EventGroups: sortedOrNil(s.Filter.EventGroups),
		EventCategories: sortedOrNil(s.Filter.EventCategories), EventAgents: sortedOrNil(s.Filter.EventAgents),
		DocumentTypes: sortedOrNil(s.Filter.DocumentTypes), EmailFrequencyPeriod: s.EmailFrequencyPeriod,
		EmailPriority: s.EmailPriority, EmailShowDatesInTimeZoneID: s.EmailShowDatesInTimeZoneID,
		WebhookURI: s.WebhookURI, WebhookTimeout: s.WebhookTimeout, WebhookHeaderKey: s.WebhookHeaderKey,
		HasWebhookHeaderValue: s.WebhookHeaderValue.Has}
	users, err := b.userNames(ctx)
	if err != nil {
		return st, err
	}
	if len(s.Filter.Users) > 0 {
		st.Users = namesOf(s.Filter.Users, users)
	}
	for _, f := range []struct {
		kind string
		ids  []string
		dst  *[]string
	}{
		{ProjectsKind, s.Filter.Projects, &st.Projects},
		{projectGroupsKind, s.Filter.ProjectGroups, &st.ProjectGroups},
		{environmentsKind, s.Filter.Environments, &st.Environments},
		{TenantsKind, s.Filter.Tenants, &st.Tenants},
		{teamsKind, s.EmailTeams, &st.EmailTeams},
		{teamsKind, s.WebhookTeams, &st.WebhookTeams},
	} {
		if *f.dst, err = b.nameList(ctx, sp.ID, f.kind, f.ids); err != nil {
			return st, fmt.Errorf("subscription %q in space %q: %w", s.Name, sp.Name, err)
		}
	}
	return st, nil
}

// subscription resolves a subscription's names to this instance's IDs.
func (b *nameBook) subscription(ctx context.Context, st subscriptionState) (Subscription, error) {
	sp, err := b.spaceByName(ctx, st.Space)
	if err != nil {
		return Subscription{}, err
	}
	s := Subscription{SpaceID: sp.ID, Name: st.Name, IsDisabled: st.IsDisabled,
		Filter: SubscriptionFilter{Tags: nonNil(st.Tags), EventGroups: nonNil(st.EventGroups),
			EventCategories: nonNil(st.EventCategories), EventAgents: nonNil(st.EventAgents), DocumentTypes: nonNil(st.DocumentTypes)},
		EmailFrequencyPeriod: st.EmailFrequencyPeriod, EmailPriority: st.EmailPriority,
		EmailShowDatesInTimeZoneID: st.EmailShowDatesInTimeZoneID, WebhookURI: st.WebhookURI,
		WebhookTimeout: st.WebhookTimeout, WebhookHeaderKey: st.WebhookHeaderKey}
	if s.Filter.Users, err = b.userIDs(ctx, st.Users); err != nil {
		return s, fmt.Errorf("subscription %q in space %q: %w", st.Name, st.Space, err)
	}
	for _, f := range []struct {
		kind  string
		names []string
		dst   *[]string
	}{
		{ProjectsKind, st.Projects, &s.Filter.Projects},
		{projectGroupsKind, st.ProjectGroups, &s.Filter.ProjectGroups},
		{environmentsKind, st.Environments, &s.Filter.Environments},
		{TenantsKind, st.Tenants, &s.Filter.Tenants},
		{teamsKind, st.EmailTeams, &s.EmailTeams},
		{teamsKind, st.WebhookTeams, &s.WebhookTeams},
	} {
		if *f.dst, err = b.idList(ctx, sp.ID, f.kind, f.names); err != nil {
			return s, fmt.Errorf("subscription %q in space %q: %w", st.Name, st.Space, err)
		}
	}
	return s, nil
}

func sortedOrNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return sortedUnique(s)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// reconcileOptions says how a reconciler treats secrets and members.
type reconcileOptions struct {
	secrets    map[string]string
	rotate     bool
	membership bool
	// spaces, when not nil, limits the team grants compared, granted and
	// revoked to system-wide ones and those in the named spaces: a grant in
	// a space only the target has is left alone.
	spaces map[string]bool
	// restore: the wanted secret states come from a backup; a secret the
	// backup did not have is cleared, one it had is kept.
	restore bool
}

// reconciler plans the changes that make a target match an instanceState
// and keeps, per change, the write that does it.
type reconciler struct {
	oct     Octopus
	book    *nameBook
	opts    reconcileOptions
	backup  instanceState
	actions map[string]func(context.Context) error
	used    map[string]bool
	missing []string
}

func newReconciler(oct Octopus, opts reconcileOptions) *reconciler {
	return &reconciler{oct: oct, book: newNameBook(oct), opts: opts,
		backup:  instanceState{Settings: map[string]settingsState{}, Created: &createdState{}},
		actions: map[string]func(context.Context) error{}, used: map[string]bool{}}
}

func changeKey(c Change) string { return c.Kind + "\x00" + c.Name }

// add appends c to the plan and remembers its write (for a change that is
// not a no-op).
func (r *reconciler) add(p *Plan, c Change, do func(context.Context) error) {
	if len(c.Fields) == 0 {
		c.Fields = nil
	}
	*p = p.With(c)
	if c.Action != NoOp {
		r.actions[changeKey(c)] = do
	}
}

// plan diffs want against the target. The writes are kept for apply.
func (r *reconciler) plan(ctx context.Context, step string, want instanceState) (Plan, error) {
	p := Plan{Step: step, Changes: []Change{}}
	if err := r.planSettings(ctx, &p, want.Settings); err != nil {
		return Plan{}, err
	}
	if err := r.planRoles(ctx, &p, want.UserRoles); err != nil {
		return Plan{}, err
	}
	if err := r.planTeams(ctx, &p, want.Teams); err != nil {
		return Plan{}, err
	}
	if err := r.planSubscriptions(ctx, &p, want.Subscriptions); err != nil {
		return Plan{}, err
	}
	if want.Created != nil {
		if err := r.planDeletes(ctx, &p, *want.Created); err != nil {
			return Plan{}, err
		}
	}
	if len(r.missing) > 0 {
		sort.Strings(r.missing)
		return Plan{}, &InputError{Field: "secrets", Err: fmt.Errorf(
			"the target has no value for %s and the input supplies none (Octopus never returns secrets, so they cannot be copied); nothing was written",
			quoteAll(r.missing))}
	}
	var unknown []string
	for k := range r.opts.secrets {
		if !r.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Plan{}, &InputError{Field: "secrets", Err: fmt.Errorf("no sensitive setting %s in the included groups", quoteAll(unknown))}
	}
	return p, nil
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// secret decides what to write for one sensitive field. It returns the
// write, the have → want pair when it changes something, or records a
// missing secret.
func (r *reconciler) secret(key string, wantHas, has bool) (SecretWrite, *[2]any) {
	haveShown := any(nil)
	if has {
		haveShown = Sensitive
	}
	if r.opts.restore {
		if !wantHas && has {
			return SecretWrite{}, &[2]any{Sensitive, nil}
		}
		return SecretWrite{Has: has}, nil
	}
	if v, ok := r.opts.secrets[key]; ok {
		r.used[key] = true
		if !has || r.opts.rotate {
			return SecretWrite{Has: true, NewValue: &v}, &[2]any{haveShown, Sensitive}
		}
		return SecretWrite{Has: true}, nil
	}
	if wantHas && !has {
		r.missing = append(r.missing, key)
	}
	return SecretWrite{Has: has}, nil
}

func (r *reconciler) planSettings(ctx context.Context, p *Plan, want map[string]settingsState) error {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		have, err := r.oct.Settings(ctx, key)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("the target does not serve settings %q: %w", key, err)
		}
		if err != nil {
			return fmt.Errorf("read target settings %q: %w", key, err)
		}
		w := want[key]
		skip := func(path string) bool {
			for _, n := range neverCopied[key] {
				if path == n || strings.HasPrefix(path, n+".") {
					return true
				}
			}
			return false
		}
		fields := map[string][2]any{}
		write := SettingsWrite{Values: map[string]any{}, Secrets: map[string]SecretWrite{}}
		for path, v := range have.Values {
			if skip(path) {
				write.Values[path] = v
			}
		}
		for path, v := range w.Values {
			if !skip(path) {
				write.Values[path] = v
			}
		}
		for _, path := range unionKeys(have.Values, w.Values) {
			if skip(path) {
				continue
			}
			hv, wv := have.Values[path], w.Values[path]
			if !reflect.DeepEqual(normJSON(hv), normJSON(wv)) {
				fields[path] = [2]any{hv, wv}
			}
		}
		for _, path := range unionKeys(have.Secrets, w.Secrets) {
			if skip(path) || replacedParent(write.Values, path) {
				continue
			}
			sw, f := r.secret(key+"."+path, w.Secrets[path], have.Secrets[path])
			write.Secrets[path] = sw
			if f != nil {
				fields[path] = *f
			}
		}
		c := Change{Action: NoOp, Kind: "settings", Name: key, Fields: fields}
		if len(fields) > 0 {
			c.Action = Update
			r.backup.Settings[key] = settingsState{Values: have.Values, Secrets: have.Secrets}
		}
		r.add(p, c, func(ctx context.Context) error { return r.oct.PutSettings(ctx, key, write) })
	}
	return nil
}

// replacedParent reports whether the write sets an ancestor of path to a
// plain value (an audit stream's StreamConfigurationResource set to null):
// the secret goes with it and must not be written below it.
func replacedParent(values map[string]any, path string) bool {
	parts := strings.Split(path, ".")
	for i := 1; i < len(parts); i++ {
		if _, ok := values[strings.Join(parts[:i], ".")]; ok {
			return true
		}
	}
	return false
}

// unionKeys returns the keys of a and b, sorted.
func unionKeys[A, B any](a map[string]A, b map[string]B) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// normJSON makes values that encode to the same JSON compare equal (an int
// from an override and a float64 read from the server, []string and []any).
func normJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

func (r *reconciler) planRoles(ctx context.Context, p *Plan, want []roleState) error {
	if len(want) == 0 {
		return nil
	}
	roles, err := r.oct.UserRoleDetails(ctx)
	if err != nil {
		return fmt.Errorf("list target user roles: %w", err)
	}
	have := byName(roles, func(x UserRoleDetail) string { return x.Name })
	for _, w := range want {
		detail := UserRoleDetail{UserRole: UserRole{Name: w.Name, Description: w.Description},
			SpacePermissions: nonNil(w.SpacePermissions), SystemPermissions: nonNil(w.SystemPermissions)}
		h, ok := have[w.Name]
		if !ok {
			c := Change{Action: Create, Kind: "user role", Name: w.Name, Fields: map[string][2]any{
				"description": {nil, w.Description}, "spacePermissions": {nil, w.SpacePermissions}, "systemPermissions": {nil, w.SystemPermissions}}}
			r.backup.Created.UserRoles = append(r.backup.Created.UserRoles, w.Name)
			r.add(p, c, func(ctx context.Context) error {
				_, err := r.oct.CreateUserRole(ctx, detail)
				r.book.roles = nil
				return err
			})
			continue
		}
		if h.BuiltIn {
			continue // built-in roles are the same everywhere and cannot change
		}
		hs := roleOf(h)
		d := fieldDiff{}
		d.set("description", hs.Description, w.Description, hs.Description != w.Description)
		d.set("spacePermissions", hs.SpacePermissions, w.SpacePermissions, !sameSet(hs.SpacePermissions, w.SpacePermissions))
		d.set("systemPermissions", hs.SystemPermissions, w.SystemPermissions, !sameSet(hs.SystemPermissions, w.SystemPermissions))
		c := Change{Action: NoOp, Kind: "user role", Name: w.Name, ID: h.ID, Fields: d}
		if len(d) > 0 {
			c.Action = Update
			r.backup.UserRoles = append(r.backup.UserRoles, hs)
		}
		detail.ID = h.ID
		r.add(p, c, func(ctx context.Context) error {
			_, err := r.oct.UpdateUserRole(ctx, detail)
			return err
		})
	}
	return nil
}

// knownRoles returns the role names that exist on the target once the role
// changes of p are applied, for checking grants while planning.
func (r *reconciler) knownRoles(ctx context.Context, p *Plan) (map[string]bool, error) {
	roles, err := r.book.roleNames(ctx)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, n := range roles {
		known[n] = true
	}
	for _, c := range p.Changes {
		if c.Kind == "user role" && c.Action == Create {
			known[c.Name] = true
		}
	}
	return known, nil
}

func (r *reconciler) planTeams(ctx context.Context, p *Plan, want []teamState) error {
	if len(want) == 0 {
		return nil
	}
	teams, err := r.book.systemTeams(ctx)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	known, err := r.knownRoles(ctx, p)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	have := byName(teams, func(t Team) string { return t.Name })
	for _, w := range want {
		w := w
		// Check every name now, so that a missing role, space, project or user
		// fails the plan instead of half an apply.
		for _, g := range w.Roles {
			if !known[g.Role] {
				return fmt.Errorf("team %q: no user role %q on the target", w.Name, g.Role)
			}
			if err := r.checkGrant(ctx, g); err != nil {
				return fmt.Errorf("team %q: %w", w.Name, err)
			}
		}
		if w.Members != nil {
			if _, err := r.book.userIDs(ctx, w.Members); err != nil {
				return fmt.Errorf("team %q: %w", w.Name, err)
			}
		}
		h, ok := have[w.Name]
		if !ok {
			c := Change{Action: Create, Kind: "team", Name: w.Name, Fields: map[string][2]any{
				"description": {nil, w.Description}, "roles": {nil, grantStrings(w.Roles)}}}
			if w.Members != nil {
				c.Fields["members"] = [2]any{nil, w.Members}
			}
			r.backup.Created.Teams = append(r.backup.Created.Teams, w.Name)
			r.add(p, c, func(ctx context.Context) error { return r.createTeam(ctx, w) })
			continue
		}
		hs, err := r.book.teamState(ctx, h, true)
		if err != nil {
			return fmt.Errorf("target: %w", err)
		}
		d := fieldDiff{}
		d.set("description", hs.Description, w.Description, hs.Description != w.Description)
		// Octopus keeps the members of "Everyone" itself (CanChangeMembers false).
		if w.Members != nil && h.ID != "teams-everyone" {
			d.set("members", hs.Members, w.Members, !sameSet(hs.Members, w.Members))
		}
		// Octopus fixes the roles of "Octopus Administrators" (CanChangeRoles
		// false): they are the same on every instance and cannot be changed.
		hg, wg := grantStrings(slices.DeleteFunc(slices.Clone(hs.Roles), r.leftAlone)), grantStrings(w.Roles)
		if h.ID != "teams-administrators" {
			d.set("roles", hg, wg, !slices.Equal(hg, wg))
		}
		c := Change{Action: NoOp, Kind: "team", Name: w.Name, ID: h.ID, Fields: d}
		if len(d) > 0 {
			c.Action = Update
			r.backup.Teams = append(r.backup.Teams, hs)
		}
		_, setMembers := d["members"]
		_, setRoles := d["roles"]
		r.add(p, c, func(ctx context.Context) error { return r.updateTeam(ctx, h, w, setMembers, setRoles) })
	}
	return nil
}

// leftAlone reports whether a target grant is outside what the reconciler
// manages (see reconcileOptions.spaces).
func (r *reconciler) leftAlone(g grantState) bool {
	return r.opts.spaces != nil && g.Space != "" && !r.opts.spaces[g.Space]
}

func grantStrings(g []grantState) []string {
	out := make([]string, 0, len(g))
	for _, x := range g {
		out = append(out, x.String())
	}
	sort.Strings(out)
	return out
}

// checkGrant checks that the grant's space and limits exist on the target.
func (r *reconciler) checkGrant(ctx context.Context, g grantState) error {
	if g.Space == "" {
		return nil
	}
	sp, err := r.book.spaceByName(ctx, g.Space)
	if err != nil {
		return fmt.Errorf("role %q: %w", g.Role, err)
	}
	for _, f := range []struct {
		kind  string
		names []string
	}{{environmentsKind, g.Environments}, {projectGroupsKind, g.ProjectGroups}, {ProjectsKind, g.Projects}, {TenantsKind, g.Tenants}} {
		if _, err := r.book.idList(ctx, sp.ID, f.kind, f.names); err != nil {
			return fmt.Errorf("role %q in space %q: %w", g.Role, g.Space, err)
		}
	}
	return nil
}

func (r *reconciler) createTeam(ctx context.Context, w teamState) error {
	members := []string{}
	if w.Members != nil {
		var err error
		if members, err = r.book.userIDs(ctx, w.Members); err != nil {
			return err
		}
	}
	t, err := r.oct.CreateTeam(ctx, Team{Name: w.Name, Description: w.Description, MemberUserIDs: members})
	if err != nil {
		return err
	}
	for _, g := range w.Roles {
		sr, err := r.book.scopedRole(ctx, t.ID, g)
		if err != nil {
			return err
		}
		if _, err := r.oct.CreateScopedUserRole(ctx, sr); err != nil {
			return fmt.Errorf("grant %s: %w", g, err)
		}
	}
	return nil
}

func (r *reconciler) updateTeam(ctx context.Context, h Team, w teamState, setMembers, setRoles bool) error {
	t := h
	t.Description = w.Description
	if setMembers {
		ids, err := r.book.userIDs(ctx, w.Members)
		if err != nil {
			return err
		}
		t.MemberUserIDs = ids
	}
	if _, err := r.oct.UpdateTeam(ctx, t); err != nil {
		return err
	}
	if !setRoles {
		return nil
	}
	grants, err := r.oct.ScopedUserRoles(ctx, h.ID)
	if err != nil {
		return fmt.Errorf("list roles: %w", err)
	}
	have := map[string]string{} // grant → scoped user role ID
	for _, g := range grants {
		gs, err := r.book.grantState(ctx, g)
		if err != nil {
			return err
		}
		if !r.leftAlone(gs) {
			have[gs.String()] = g.ID
		}
	}
	wanted := map[string]bool{}
	for _, g := range w.Roles {
		wanted[g.String()] = true
		if _, ok := have[g.String()]; ok {
			continue
		}
		sr, err := r.book.scopedRole(ctx, h.ID, g)
		if err != nil {
			return err
		}
		if _, err := r.oct.CreateScopedUserRole(ctx, sr); err != nil {
			return fmt.Errorf("grant %s: %w", g, err)
		}
	}
	for s, id := range have {
		if !wanted[s] {
			if err := r.oct.DeleteScopedUserRole(ctx, id); err != nil {
				return fmt.Errorf("revoke %s: %w", s, err)
			}
		}
	}
	return nil
}

func (r *reconciler) planSubscriptions(ctx context.Context, p *Plan, want []subscriptionState) error {
	haveBySpace := map[string]map[string]Subscription{}
	for _, w := range want {
		w := w
		sp, err := r.book.spaceByName(ctx, w.Space)
		if err != nil {
			return fmt.Errorf("target: %w", err)
		}
		if haveBySpace[w.Space] == nil {
			subs, err := r.oct.Subscriptions(ctx, sp.ID)
			if err != nil {
				return fmt.Errorf("list target subscriptions of space %q: %w", w.Space, err)
			}
			haveBySpace[w.Space] = byName(subs, func(s Subscription) string { return s.Name })
		}
		sub, err := r.book.subscription(ctx, w)
		if err != nil {
			return fmt.Errorf("target: %w", err)
		}
		name := w.Space + "/" + w.Name
		h, ok := haveBySpace[w.Space][w.Name]
		var hs subscriptionState
		if ok {
			if hs, err = r.book.subscriptionState(ctx, sp, h); err != nil {
				return fmt.Errorf("target: %w", err)
			}
		}
		sw, secretField := r.secret(w.secretKey(), w.HasWebhookHeaderValue, hs.HasWebhookHeaderValue)
		sub.WebhookHeaderValue = sw
		if !ok {
			c := Change{Action: Create, Kind: "subscription", Name: name, Fields: subscriptionFields(subscriptionState{}, w)}
			if secretField != nil {
				c.Fields["webhookHeaderValue"] = *secretField
			}
			r.backup.Created.Subscriptions = append(r.backup.Created.Subscriptions, [2]string{w.Space, w.Name})
			r.add(p, c, func(ctx context.Context) error {
				_, err := r.oct.CreateSubscription(ctx, sub)
				return err
			})
			continue
		}
		d := subscriptionFields(hs, w)
		if secretField != nil {
			d["webhookHeaderValue"] = *secretField
		}
		c := Change{Action: NoOp, Kind: "subscription", Name: name, ID: h.ID, Fields: d}
		if len(d) > 0 {
			c.Action = Update
			r.backup.Subscriptions = append(r.backup.Subscriptions, hs)
		}
		sub.ID = h.ID
		r.add(p, c, func(ctx context.Context) error {
			_, err := r.oct.UpdateSubscription(ctx, sub)
			return err
		})
	}
	return nil
}

// subscriptionFields diffs two subscriptions by names.
func subscriptionFields(h, w subscriptionState) fieldDiff {
	d := fieldDiff{}
	d.set("isDisabled", h.IsDisabled, w.IsDisabled, h.IsDisabled != w.IsDisabled)
	for _, f := range []struct {
		name string
		h, w []string
	}{
		{"users", h.Users, w.Users}, {"projects", h.Projects, w.Projects}, {"projectGroups", h.ProjectGroups, w.ProjectGroups},
		{"environments", h.Environments, w.Environments}, {"tenants", h.Tenants, w.Tenants}, {"tags", h.Tags, w.Tags},
		{"eventGroups", h.EventGroups, w.EventGroups}, {"eventCategories", h.EventCategories, w.EventCategories},
		{"eventAgents", h.EventAgents, w.EventAgents}, {"documentTypes", h.DocumentTypes, w.DocumentTypes},
		{"emailTeams", h.EmailTeams, w.EmailTeams}, {"webhookTeams", h.WebhookTeams, w.WebhookTeams},
	} {
		d.set(f.name, sortedUnique(f.h), sortedUnique(f.w), !sameSet(f.h, f.w))
	}
	for _, f := range []struct{ name, h, w string }{
		{"emailFrequencyPeriod", h.EmailFrequencyPeriod, w.EmailFrequencyPeriod}, {"emailPriority", h.EmailPriority, w.EmailPriority},
		{"emailShowDatesInTimeZoneId", h.EmailShowDatesInTimeZoneID, w.EmailShowDatesInTimeZoneID},
		{"webhookUri", h.WebhookURI, w.WebhookURI}, {"webhookTimeout", h.WebhookTimeout, w.WebhookTimeout},
		{"webhookHeaderKey", h.WebhookHeaderKey, w.WebhookHeaderKey},
	} {
		d.set(f.name, f.h, f.w, f.h != f.w)
	}
	return d
}

// planDeletes plans deleting what a clone created (restore only).
func (r *reconciler) planDeletes(ctx context.Context, p *Plan, created createdState) error {
	for _, s := range created.Subscriptions {
		sp, err := r.book.spaceByName(ctx, s[0])
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		subs, err := r.oct.Subscriptions(ctx, sp.ID)
		if err != nil {
			return fmt.Errorf("list subscriptions of space %q: %w", sp.Name, err)
		}
		for _, h := range subs {
			if h.Name == s[1] {
				spaceID, id := sp.ID, h.ID
				r.add(p, Change{Action: Delete, Kind: "subscription", Name: s[0] + "/" + s[1], ID: id},
					func(ctx context.Context) error { return r.oct.DeleteSubscription(ctx, spaceID, id) })
			}
		}
	}
	if len(created.Teams) > 0 {
		teams, err := r.book.systemTeams(ctx)
		if err != nil {
			return err
		}
		for _, t := range teams {
			if slices.Contains(created.Teams, t.Name) {
				id := t.ID
				r.add(p, Change{Action: Delete, Kind: "team", Name: t.Name, ID: id},
					func(ctx context.Context) error { return r.oct.DeleteTeam(ctx, id) })
			}
		}
	}
	if len(created.UserRoles) > 0 {
		roles, err := r.oct.UserRoleDetails(ctx)
		if err != nil {
			return fmt.Errorf("list user roles: %w", err)
		}
		for _, ro := range roles {
			if slices.Contains(created.UserRoles, ro.Name) && !ro.BuiltIn {
				id := ro.ID
				r.add(p, Change{Action: Delete, Kind: "user role", Name: ro.Name, ID: id},
					func(ctx context.Context) error { return r.oct.DeleteUserRole(ctx, id) })
			}
		}
	}
	return nil
}

// apply does the changes of p that the reconciler planned, in plan order.
func (r *reconciler) apply(ctx context.Context, p Plan) error {
	for _, c := range p.Changes {
		if c.Action == NoOp {
			continue
		}
		do, ok := r.actions[changeKey(c)]
		if !ok {
			return fmt.Errorf("%s %s %q: not in the plan this step made", c.Action, c.Kind, c.Name)
		}
		if err := do(ctx); err != nil {
			return fmt.Errorf("%s %s %q: %w", c.Action, c.Kind, c.Name, err)
		}
	}
	return nil
}

// backupFile is what a backup holds: the target's values before a clone, by
// names, without secrets (only whether each one was set).
type backupFile struct {
	Version int    `json:"version"`
	Server  string `json:"server"`
	TakenAt string `json:"takenAt"`
	instanceState
}

const backupVersion = 1

// writeBackup writes st to a new file in dir (mode 0600) and returns its path.
func writeBackup(dir, server string, now time.Time, st instanceState) (string, error) {
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create backup directory: %w", err)
	}
	host := "instance"
	if u, err := url.Parse(server); err == nil && u.Host != "" {
		host = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				return r
			}
			return '-'
		}, u.Host)
	}
	b, err := json.MarshalIndent(backupFile{Version: backupVersion, Server: redactURL(server), TakenAt: now.UTC().Format(time.RFC3339), instanceState: st}, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode backup: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("instance-settings-%s-%s.json", host, now.UTC().Format("20060102T150405.000000000Z")))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create backup: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return "", fmt.Errorf("write backup %s: %w", path, errors.Join(err, f.Close()))
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write backup %s: %w", path, err)
	}
	return path, nil
}

// readBackup reads a backup written by writeBackup.
func readBackup(path string) (backupFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return backupFile{}, fmt.Errorf("read backup: %w", err)
	}
	var bf backupFile
	if err := json.Unmarshal(b, &bf); err != nil {
		return backupFile{}, fmt.Errorf("read backup %s: %w", path, err)
	}
	if bf.Version != backupVersion {
		return backupFile{}, fmt.Errorf("read backup %s: version %d, want %d", path, bf.Version, backupVersion)
	}
	return bf, nil
}
