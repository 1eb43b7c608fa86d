package steps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// The setting groups clone-instance-settings copies; CloneInstanceSettingsInput.Include
// picks among them.
const (
	GroupAuthentication = "authentication"
	GroupSMTP           = "smtp"
	GroupAuditStream    = "auditStream"
	GroupWebPortal      = "webPortal"
	GroupRetention      = "retention"
	GroupTeams          = "teams"
	GroupSubscriptions  = "subscriptions"
)

// SettingGroups lists every setting group in the order a plan applies them.
var SettingGroups = []string{
	GroupAuthentication, GroupSMTP, GroupAuditStream, GroupWebPortal, GroupRetention, GroupTeams, GroupSubscriptions,
}

// neverCopied are the settings paths that belong to the target instance
// itself: its own OIDC issuer (the server's public URL) and its Octopus ID
// machine-to-machine registration. They are never compared, and a write keeps
// the target's values. ServerUri, node settings, the licence and the
// installation id live in documents this step never reads.
var neverCopied = map[string][]string{
	"authentication":           {"OidcIssuerUrl", "OidcConfigurationSettings.OidcIssuerUrl"},
	"authentication-octopusid": {"M2MClientId", "M2MResourceServerIdentifier", "M2MRegisteredAt"},
}

// Connection is one Octopus instance: its URL and an API key.
type Connection struct {
	Server string `json:"server"`
	APIKey string `json:"apiKey"`
}

// CloneInstanceSettingsInput is the input of clone-instance-settings. The
// kong tags make the simple fields flags; the connections, overrides and
// secrets come from the input document (the command adds --source-server,
// --target-server and their keys).
type CloneInstanceSettingsInput struct {
	// Source is the instance to copy from; nil means the global connection.
	Source *Connection `json:"source,omitempty" kong:"-"`
	// Target is the instance to change.
	Target *Connection `json:"target,omitempty" kong:"-"`
	// Include picks setting groups (SettingGroups); empty means all.
	Include []string `json:"include,omitempty" name:"include" sep:"," help:"Setting groups to copy: authentication, smtp, auditStream, webPortal, retention, teams, subscriptions (default all)." placeholder:"GROUP"`
	// Spaces names the spaces whose subscriptions are copied; empty means
	// every space of the source that the target has too (by name).
	Spaces []string `json:"spaces,omitempty" name:"subscription-space" sep:"none" help:"Space whose subscriptions are copied (repeatable; default every space both instances have)." placeholder:"NAME"`
	// TeamMembership copies the members of system teams (by username).
	TeamMembership bool `json:"teamMembership,omitempty" name:"team-membership" help:"Also copy the members of system teams (matched by username)."`
	// Overrides replaces values for this target: settings document key →
	// Octopus field path → value. String values may use templates.
	Overrides map[string]map[string]any `json:"overrides,omitempty" kong:"-"`
	// Secrets supplies values Octopus cannot return, keyed "<document>.<field
	// path>" (for example "authentication-aad.ClientSecret",
	// "smtp.Details.SmtpPassword", "subscriptions/Default/Deploys.WebhookHeaderValue").
	Secrets map[string]string `json:"secrets,omitempty" kong:"-"`
	// RotateSecrets writes supplied secrets even where the target has one.
	// Without it a supplied secret is written only where the target has none:
	// Octopus never returns secrets, so a value that is always written would
	// show as drift on every run.
	RotateSecrets bool `json:"rotateSecrets,omitempty" name:"rotate-secrets" help:"Write supplied secrets even where the target already has one."`
	// BackupDir receives the backup of the target's values before the first
	// write; empty means the current directory.
	BackupDir string `json:"backupDir,omitempty" name:"backup-dir" help:"Folder for the backup of the target's values, written before the first change (default: current folder)." placeholder:"DIR"`
}

// Dialer connects to an Octopus instance.
type Dialer func(ctx context.Context, url, apiKey string) (Octopus, error)

// CloneInstanceSettings makes a target instance's shared settings match a
// source instance: authentication providers, SMTP, audit log streaming, web
// portal, retention, system teams and custom user roles, and subscriptions.
type CloneInstanceSettings struct {
	In   CloneInstanceSettingsInput
	Data TemplateData
	// Dial connects to the source (when In.Source is set) and the target.
	Dial Dialer
	// Now stamps the backup file; nil means time.Now.
	Now func() time.Time

	rec *reconciler
}

// Name implements Step.
func (s *CloneInstanceSettings) Name() string { return "clone-instance-settings" }

// Plan reads both instances and returns, per setting group, the changes that
// make the target match the source. oct is the global connection: the
// source unless In.Source says otherwise.
func (s *CloneInstanceSettings) Plan(ctx context.Context, oct Octopus) (Plan, error) {
	groups, err := s.groups()
	if err != nil {
		return Plan{}, err
	}
	overrides, err := renderOverrides(s.In.Overrides, s.Data)
	if err != nil {
		return Plan{}, err
	}
	source, err := s.source(ctx, oct)
	if err != nil {
		return Plan{}, err
	}
	if s.In.Target == nil || s.In.Target.Server == "" {
		return Plan{}, &InputError{Field: "target", Err: errors.New("no target instance: set target.server or --target-server")}
	}
	target, err := s.dial(ctx, "target", *s.In.Target)
	if err != nil {
		return Plan{}, err
	}
	want, skipped, err := readSource(ctx, source, target, groups, s.In)
	if err != nil {
		return Plan{}, fmt.Errorf("read source instance: %w", err)
	}
	for key, fields := range overrides {
		doc, ok := want.Settings[key]
		if !ok {
			return Plan{}, &InputError{Field: "overrides." + key, Err: fmt.Errorf("no settings document %q in the included groups on both instances", key)}
		}
		for path, v := range fields {
			if _, secret := doc.Secrets[path]; secret {
				return Plan{}, &InputError{Field: "overrides." + key + "." + path, Err: errors.New("a sensitive setting: give it in secrets")}
			}
			doc.Values[path] = v
		}
	}
	rec := newReconciler(target, reconcileOptions{secrets: s.In.Secrets, rotate: s.In.RotateSecrets, membership: s.In.TeamMembership, spaces: want.sharedSpaces})
	plan, err := rec.plan(ctx, s.Name(), want)
	if err != nil {
		return Plan{}, err
	}
	if len(skipped) > 0 {
		plan.Outputs = Outputs{"SkippedSettings": strings.Join(skipped, ",")}
	}
	s.rec = rec
	return plan, nil
}

// Apply writes the target's current values of every document the plan
// touches to a backup file, then does the plan. It returns BackupFile.
func (s *CloneInstanceSettings) Apply(ctx context.Context, _ Octopus, p Plan) (Outputs, error) {
	if s.rec == nil {
		return nil, errors.New("apply before plan")
	}
	out := Outputs{}
	for k, v := range p.Outputs {
		out[k] = v
	}
	if p.Empty() {
		return out, nil
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	path, err := writeBackup(s.In.BackupDir, s.In.Target.Server, now(), s.rec.backup)
	if err != nil {
		return nil, err
	}
	out["BackupFile"] = path
	if err := s.rec.apply(ctx, p); err != nil {
		return out, err
	}
	return out, nil
}

func (s *CloneInstanceSettings) groups() ([]string, error) {
	if len(s.In.Include) == 0 {
		return SettingGroups, nil
	}
	for i, g := range s.In.Include {
		if !slices.Contains(SettingGroups, g) {
			return nil, &InputError{Field: fmt.Sprintf("include[%d]", i), Err: fmt.Errorf("unknown setting group %q (known: %s)", g, strings.Join(SettingGroups, ", "))}
		}
	}
	var out []string
	for _, g := range SettingGroups {
		if slices.Contains(s.In.Include, g) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (s *CloneInstanceSettings) source(ctx context.Context, oct Octopus) (Octopus, error) {
	if s.In.Source != nil && s.In.Source.Server != "" {
		return s.dial(ctx, "source", *s.In.Source)
	}
	if oct == nil {
		return nil, &InputError{Field: "source", Err: errors.New("no source instance: set --server or source.server")}
	}
	return oct, nil
}

func (s *CloneInstanceSettings) dial(ctx context.Context, role string, c Connection) (Octopus, error) {
	if s.Dial == nil {
		return nil, fmt.Errorf("connect to %s instance %s: no dialer", role, redactURL(c.Server))
	}
	if c.APIKey == "" {
		return nil, &InputError{Field: role + ".apiKey", Err: fmt.Errorf("no API key for the %s instance", role)}
	}
	oct, err := s.Dial(ctx, c.Server, c.APIKey)
	if err != nil {
		return nil, fmt.Errorf("connect to %s instance %s: %w", role, redactURL(c.Server), err)
	}
	return oct, nil
}

// redactURL drops any user information from a server URL before it is shown.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// renderOverrides expands templates in every string of the overrides.
func renderOverrides(in map[string]map[string]any, data TemplateData) (map[string]map[string]any, error) {
	out := make(map[string]map[string]any, len(in))
	for key, fields := range in {
		out[key] = make(map[string]any, len(fields))
		for path, v := range fields {
			r, err := renderValue("overrides."+key+"."+path, v, data)
			if err != nil {
				return nil, err
			}
			out[key][path] = r
		}
	}
	return out, nil
}

func renderValue(field string, v any, data TemplateData) (any, error) {
	switch t := v.(type) {
	case string:
		return Render(field, t, data)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			r, err := renderValue(fmt.Sprintf("%s[%d]", field, i), x, data)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case []string: // rendered as the []any of the same strings
		xs := make([]any, len(t))
		for i, x := range t {
			xs[i] = x
		}
		return renderValue(field, xs, data)
	case int:
		return float64(t), nil // settings values compare as decoded JSON
	default:
		return v, nil
	}
}

// instanceState is the part of an instance the two steps manage, with every
// ID replaced by a name so that it can be compared between instances and
// written to a backup.
type instanceState struct {
	Settings      map[string]settingsState `json:"settings,omitempty"`
	UserRoles     []roleState              `json:"userRoles,omitempty"`
	Teams         []teamState              `json:"teams,omitempty"`
	Subscriptions []subscriptionState      `json:"subscriptions,omitempty"`
	// Created lists what a clone created; a restore deletes it.
	Created *createdState `json:"created,omitempty"`
	// sharedSpaces names the spaces both instances have: a clone compares
	// and changes team grants only there (nil: everywhere, as a restore does).
	sharedSpaces map[string]bool
}

// settingsState is a settings document: its plain values and whether each
// sensitive field holds a value.
type settingsState struct {
	Values  map[string]any  `json:"values"`
	Secrets map[string]bool `json:"secrets,omitempty"`
}

// roleState is a custom user role.
type roleState struct {
	Name              string   `json:"name"`
	Description       string   `json:"description"`
	SpacePermissions  []string `json:"spacePermissions"`
	SystemPermissions []string `json:"systemPermissions"`
}

// teamState is a system team; Members (usernames) is nil when membership is
// not managed.
type teamState struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Members     []string     `json:"members"`
	Roles       []grantState `json:"roles"`
}

// grantState is a scoped user role by names: the role, its space ("" for a
// system-wide grant) and its limits in that space.
type grantState struct {
	Role          string   `json:"role"`
	Space         string   `json:"space,omitempty"`
	Environments  []string `json:"environments,omitempty"`
	ProjectGroups []string `json:"projectGroups,omitempty"`
	Projects      []string `json:"projects,omitempty"`
	Tenants       []string `json:"tenants,omitempty"`
}

// String is how a grant prints in a plan, and its identity.
func (g grantState) String() string {
	s := g.Role
	if g.Space != "" {
		s += " in " + g.Space
	}
	var lim []string
	for _, l := range []struct {
		n string
		v []string
	}{{"environments", g.Environments}, {"projectGroups", g.ProjectGroups}, {"projects", g.Projects}, {"tenants", g.Tenants}} {
		if len(l.v) > 0 {
			lim = append(lim, l.n+"="+strings.Join(sortedUnique(l.v), ","))
		}
	}
	if len(lim) > 0 {
		s += " (" + strings.Join(lim, "; ") + ")"
	}
	return s
}

// subscriptionState is a subscription by names.
type subscriptionState struct {
	Space                      string   `json:"space"`
	Name                       string   `json:"name"`
	IsDisabled                 bool     `json:"isDisabled"`
	Users                      []string `json:"users,omitempty"`
	Projects                   []string `json:"projects,omitempty"`
	ProjectGroups              []string `json:"projectGroups,omitempty"`
	Environments               []string `json:"environments,omitempty"`
	Tenants                    []string `json:"tenants,omitempty"`
	Tags                       []string `json:"tags,omitempty"`
	EventGroups                []string `json:"eventGroups,omitempty"`
	EventCategories            []string `json:"eventCategories,omitempty"`
	EventAgents                []string `json:"eventAgents,omitempty"`
	DocumentTypes              []string `json:"documentTypes,omitempty"`
	EmailTeams                 []string `json:"emailTeams,omitempty"`
	EmailFrequencyPeriod       string   `json:"emailFrequencyPeriod,omitempty"`
	EmailPriority              string   `json:"emailPriority,omitempty"`
	EmailShowDatesInTimeZoneID string   `json:"emailShowDatesInTimeZoneId,omitempty"`
	WebhookURI                 string   `json:"webhookUri,omitempty"`
	WebhookTeams               []string `json:"webhookTeams,omitempty"`
	WebhookTimeout             string   `json:"webhookTimeout,omitempty"`
	WebhookHeaderKey           string   `json:"webhookHeaderKey,omitempty"`
	HasWebhookHeaderValue      bool     `json:"hasWebhookHeaderValue,omitempty"`
}

// secretKey is the key of the subscription's header value in Secrets.
func (s subscriptionState) secretKey() string {
	return "subscriptions/" + s.Space + "/" + s.Name + ".WebhookHeaderValue"
}

// createdState names what a clone created.
type createdState struct {
	UserRoles     []string    `json:"userRoles,omitempty"`
	Teams         []string    `json:"teams,omitempty"`
	Subscriptions [][2]string `json:"subscriptions,omitempty"` // [space, name]
}

// readSource reads the source's state of the chosen groups. Settings
// documents are read only where the target serves them too (an
// authentication provider the target lacks is skipped and named in skipped).
func readSource(ctx context.Context, source, target Octopus, groups []string, in CloneInstanceSettingsInput) (instanceState, []string, error) {
	st := instanceState{Settings: map[string]settingsState{}}
	var skipped []string
	keys, skippedKeys, err := settingsKeys(ctx, source, target, groups)
	if err != nil {
		return st, nil, err
	}
	skipped = append(skipped, skippedKeys...)
	for _, key := range keys {
		doc, err := source.Settings(ctx, key)
		if errors.Is(err, ErrNotFound) {
			skipped = append(skipped, key)
			continue
		}
		if err != nil {
			return st, nil, fmt.Errorf("read settings %q: %w", key, err)
		}
		st.Settings[key] = settingsState{Values: doc.Values, Secrets: doc.Secrets}
	}
	book, tgtBook := newNameBook(source), newNameBook(target)
	if slices.Contains(groups, GroupTeams) {
		if st.UserRoles, err = readRoles(ctx, source); err != nil {
			return st, nil, err
		}
		if st.Teams, err = readTeams(ctx, book, nil, in.TeamMembership); err != nil {
			return st, nil, err
		}
		if st.sharedSpaces, err = sharedSpaces(ctx, book, tgtBook); err != nil {
			return st, nil, err
		}
		// A grant in a space the target lacks cannot be copied: skip it
		// rather than fail the teams group (instances per region have spaces
		// of their own; managing a space grants its managers' teams a role).
		for i, t := range st.Teams {
			kept := t.Roles[:0:0]
			for _, g := range t.Roles {
				if g.Space == "" || st.sharedSpaces[g.Space] {
					kept = append(kept, g)
				} else if k := "teams/" + t.Name + "/" + g.Space; !slices.Contains(skipped, k) {
					skipped = append(skipped, k)
				}
			}
			st.Teams[i].Roles = kept
		}
	}
	if slices.Contains(groups, GroupSubscriptions) {
		spaces, err := subscriptionSpaces(ctx, book, tgtBook, in.Spaces)
		if err != nil {
			return st, nil, err
		}
		for _, sp := range spaces {
			subs, err := readSubscriptions(ctx, book, sp)
			if err != nil {
				return st, nil, err
			}
			st.Subscriptions = append(st.Subscriptions, subs...)
		}
	}
	return st, skipped, nil
}

// settingsKeys returns the settings documents of the groups, in plan order.
// Configuration sections count only when both instances serve them.
func settingsKeys(ctx context.Context, source, target Octopus, groups []string) (keys, skipped []string, err error) {
	srcSections, err := source.SettingsSections(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list configuration sections: %w", err)
	}
	tgtSections, err := target.SettingsSections(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list target configuration sections: %w", err)
	}
	sort.Strings(srcSections)
	section := func(id string) {
		switch {
		case !slices.Contains(srcSections, id):
		case slices.Contains(tgtSections, id):
			keys = append(keys, id)
		default:
			skipped = append(skipped, id)
		}
	}
	for _, g := range groups {
		switch g {
		case GroupAuthentication:
			for _, id := range srcSections {
				if id == "authentication" || strings.HasPrefix(id, "authentication-") {
					section(id)
				}
			}
		case GroupSMTP:
			keys = append(keys, SMTPSettings)
		case GroupAuditStream:
			keys = append(keys, AuditStreamSettings)
		case GroupWebPortal:
			section("webportal")
		case GroupRetention:
			keys = append(keys, RetentionDefaultSettings)
			section("eventretention")
		}
	}
	return keys, skipped, nil
}

func readRoles(ctx context.Context, oct Octopus) ([]roleState, error) {
	roles, err := oct.UserRoleDetails(ctx)
	if err != nil {
		return nil, fmt.Errorf("list user roles: %w", err)
	}
	var out []roleState
	for _, r := range roles {
		if r.BuiltIn {
			continue
		}
		out = append(out, roleOf(r))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func roleOf(r UserRoleDetail) roleState {
	return roleState{Name: r.Name, Description: r.Description,
		SpacePermissions: sortedUnique(r.SpacePermissions), SystemPermissions: sortedUnique(r.SystemPermissions)}
}

// readTeams returns the system teams (only those named in only, when only is
// not nil) by names.
func readTeams(ctx context.Context, book *nameBook, only []string, members bool) ([]teamState, error) {
	teams, err := book.systemTeams(ctx)
	if err != nil {
		return nil, err
	}
	var out []teamState
	for _, t := range teams {
		if only != nil && !slices.Contains(only, t.Name) {
			continue
		}
		ts, err := book.teamState(ctx, t, members)
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// sharedSpaces returns the names of the spaces both instances have.
func sharedSpaces(ctx context.Context, src, tgt *nameBook) (map[string]bool, error) {
	srcSpaces, err := src.spaceList(ctx)
	if err != nil {
		return nil, err
	}
	tgtSpaces, err := tgt.spaceList(ctx)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	onTarget := byName(tgtSpaces, func(s Space) string { return s.Name })
	shared := map[string]bool{}
	for _, s := range srcSpaces {
		if _, ok := onTarget[s.Name]; ok {
			shared[s.Name] = true
		}
	}
	return shared, nil
}

// subscriptionSpaces returns the source spaces whose subscriptions are
// copied.
func subscriptionSpaces(ctx context.Context, src, tgt *nameBook, names []string) ([]Space, error) {
	srcSpaces, err := src.spaceList(ctx)
	if err != nil {
		return nil, err
	}
	tgtSpaces, err := tgt.spaceList(ctx)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	srcBy := byName(srcSpaces, func(s Space) string { return s.Name })
	tgtBy := byName(tgtSpaces, func(s Space) string { return s.Name })
	if len(names) == 0 {
		var out []Space
		for _, s := range srcSpaces {
			if _, ok := tgtBy[s.Name]; ok {
				out = append(out, s)
			}
		}
		return out, nil
	}
	var out []Space
	for i, n := range names {
		s, ok := srcBy[n]
		if !ok {
			return nil, &InputError{Field: fmt.Sprintf("spaces[%d]", i), Err: fmt.Errorf("no space %q on the source instance", n)}
		}
		if _, ok := tgtBy[n]; !ok {
			return nil, &InputError{Field: fmt.Sprintf("spaces[%d]", i), Err: fmt.Errorf("no space %q on the target instance", n)}
		}
		out = append(out, s)
	}
	return out, nil
}

func readSubscriptions(ctx context.Context, book *nameBook, sp Space) ([]subscriptionState, error) {
	subs, err := book.oct.Subscriptions(ctx, sp.ID)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions of space %q: %w", sp.Name, err)
	}
	out := make([]subscriptionState, 0, len(subs))
	for _, s := range subs {
		st, err := book.subscriptionState(ctx, sp, s)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
