package steps

import (
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
		r.named(p, &e.Name, e.Description)
		r.maxLen(p+".name", e.Name, maxEnvironmentName)
	}
	for i := range out.Lifecycles {
		l := &out.Lifecycles[i]
		p := fmt.Sprintf("lifecycles[%d]", i)
		r.named(p, &l.Name, l.Description)
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
		r.named(p, &g.Name, g.Description)
	}
	for i := range out.TenantTagSets {
		ts := &out.TenantTagSets[i]
		p := fmt.Sprintf("tenantTagSets[%d]", i)
		r.named(p, &ts.Name, ts.Description)
		for j := range ts.Tags {
			t := &ts.Tags[j]
			tp := fmt.Sprintf("%s.tags[%d]", p, j)
			r.named(tp, &t.Name, t.Description)
		}
		r.unique(p+".tags", len(ts.Tags), func(j int) string { return ts.Tags[j].Name })
	}
	for i := range out.Teams {
		t := &out.Teams[i]
		p := fmt.Sprintf("teams[%d]", i)
		r.named(p, &t.Name, t.Description)
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

// named renders the name and description of the element at path p.
func (r *renderer) named(p string, name, description *string) {
	r.str(p+".name", name)
	r.ptr(p+".description", description)
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
