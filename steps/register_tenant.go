package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Change kinds register-tenant plans.
const (
	KindTenant          = "tenant"
	KindTenantVariables = "tenant variables"
)

// DefaultProject is the management-space project octofleet installs and
// tenants connect to.
const DefaultProject = "octofleet"

// RegisterTenantInput is the input of register-tenant
// (schemas/register-tenant.schema.json).
type RegisterTenantInput struct {
	// Space is the management space; the CLI fills it from --space.
	Space        string            `json:"-" kong:"-"`
	Name         string            `json:"name,omitempty" help:"Tenant name; may be a template." placeholder:"NAME"`
	Description  *string           `json:"description,omitempty" help:"Tenant description; left alone when not given."`
	Tags         []string          `json:"tags,omitempty" name:"tag" sep:"none" help:"Canonical tag (Tag set/Tag); repeatable; replaces the tenant's tags." placeholder:"TAG"`
	Project      string            `json:"project,omitempty" help:"Project the tenant connects to (default octofleet)." placeholder:"NAME"`
	Environments []string          `json:"environments,omitempty" name:"environment" sep:"none" help:"Environment of the project connection; repeatable (default: all, when not yet connected)." placeholder:"NAME"`
	Variables    map[string]string `json:"variables,omitempty" name:"variable" mapsep:"none" help:"Tenant variable value, template name=value; repeatable. Sensitive values are better given with --input." placeholder:"NAME=VALUE"`
	// RotateSecrets writes given sensitive values even where the tenant has one.
	RotateSecrets bool `json:"rotateSecrets,omitempty" help:"Write given sensitive values even where the tenant already has one."`
}

// Render expands the Go templates of the input's strings.
func (in RegisterTenantInput) Render(data TemplateData) (RegisterTenantInput, error) {
	out := in
	out.Tags = slices.Clone(in.Tags)
	out.Environments = slices.Clone(in.Environments)
	out.Variables = maps.Clone(in.Variables)
	if in.Description != nil {
		d := *in.Description
		out.Description = &d
	}
	for _, f := range []struct {
		name string
		text *string
	}{{"name", &out.Name}, {"project", &out.Project}} {
		if err := RenderPtr(f.name, f.text, data); err != nil {
			return in, err
		}
	}
	if err := RenderPtr("description", out.Description, data); err != nil {
		return in, err
	}
	if err := RenderAll("tags", out.Tags, data); err != nil {
		return in, err
	}
	if err := RenderAll("environments", out.Environments, data); err != nil {
		return in, err
	}
	for k, v := range out.Variables {
		r, err := Render(fmt.Sprintf("variables[%q]", k), v, data)
		if err != nil {
			return in, err
		}
		out.Variables[k] = r
	}
	if strings.TrimSpace(out.Name) == "" {
		return in, &InputError{Field: "name", Err: errors.New("is empty after rendering")}
	}
	return out, nil
}

// RegisterTenant is the register-tenant step: a tenant of the management
// space, its tags, its connection to the octofleet project's environments
// and its values for the project's tenant variable templates.
type RegisterTenant struct {
	In RegisterTenantInput

	planned *tenantPlan
}

// Name returns "register-tenant".
func (s *RegisterTenant) Name() string { return "register-tenant" }

// tenantPlan is what Plan learnt, for Apply.
type tenantPlan struct {
	plan    Plan
	spaceID string
	have    *Tenant // nil: create
	want    Tenant
	project Project
	// values to write: environment Id -> template Id -> value (secrets included)
	values map[string]map[string]PropertyValue
}

// Plan reads the space, the project, the tenant and its variables.
func (s *RegisterTenant) Plan(ctx context.Context, oct Octopus) (Plan, error) {
	tp, err := s.plan(ctx, oct)
	if err != nil {
		return Plan{}, err
	}
	s.planned = tp
	return tp.plan, nil
}

func (s *RegisterTenant) plan(ctx context.Context, oct Octopus) (*tenantPlan, error) {
	in := s.In
	if strings.TrimSpace(in.Space) == "" {
		return nil, &InputError{Field: "--space", Err: errors.New("no management space: set --space")}
	}
	projectName := in.Project
	if projectName == "" {
		projectName = DefaultProject
	}
	spaceID, err := spaceIDByName(ctx, oct, in.Space)
	if err != nil {
		return nil, err
	}
	projects, err := oct.Projects(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list projects of space %q: %w", in.Space, err)
	}
	pi := slices.IndexFunc(projects, func(p Project) bool { return p.Name == projectName })
	if pi < 0 {
		return nil, fmt.Errorf("project %q in space %q (run octofleet install first): %w", projectName, in.Space, ErrNotFound)
	}
	project := projects[pi]
	envs, err := oct.Environments(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list environments of space %q: %w", in.Space, err)
	}
	envID := map[string]string{}
	for _, e := range envs {
		envID[e.Name] = e.ID
	}
	if len(in.Tags) > 0 {
		sets, err := oct.TagSets(ctx, spaceID)
		if err != nil {
			return nil, fmt.Errorf("list tag sets of space %q: %w", in.Space, err)
		}
		known := map[string]bool{}
		for _, ts := range sets {
			for _, t := range ts.Tags {
				known[ts.Name+"/"+t.Name] = true
			}
		}
		for i, t := range in.Tags {
			if !known[t] {
				return nil, fmt.Errorf("tags[%d]: tag %q is not a tag of space %q: %w", i, t, in.Space, ErrNotFound)
			}
		}
	}
	tenants, err := oct.Tenants(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list tenants of space %q: %w", in.Space, err)
	}
	tp := &tenantPlan{plan: Plan{Step: s.Name()}, spaceID: spaceID, project: project}
	var have Tenant
	if i := slices.IndexFunc(tenants, func(t Tenant) bool { return t.Name == in.Name }); i >= 0 {
		have = tenants[i]
		tp.have = &have
		tp.plan.Outputs = Outputs{"TenantId": have.ID}
	}

	want := Tenant{ID: have.ID, Name: in.Name, Description: have.Description, Tags: slices.Clone(have.Tags), ProjectEnvironments: map[string][]string{}}
	maps.Copy(want.ProjectEnvironments, have.ProjectEnvironments)
	if in.Description != nil {
		want.Description = *in.Description
	}
	if in.Tags != nil {
		want.Tags = slices.Clone(in.Tags)
	}
	switch {
	case len(in.Environments) > 0:
		ids := make([]string, 0, len(in.Environments))
		for i, name := range in.Environments {
			id, ok := envID[name]
			if !ok {
				return nil, fmt.Errorf("environments[%d]: environment %q in space %q: %w", i, name, in.Space, ErrNotFound)
			}
			ids = append(ids, id)
		}
		want.ProjectEnvironments[project.ID] = ids
	case len(have.ProjectEnvironments[project.ID]) == 0:
		if len(envs) == 0 {
			return nil, fmt.Errorf("space %q has no environment to connect tenant %q to: %w", in.Space, in.Name, ErrNotFound)
		}
		ids := make([]string, 0, len(envs))
		for _, e := range envs {
			ids = append(ids, e.ID)
		}
		want.ProjectEnvironments[project.ID] = ids
	}
	tp.want = want

	envName := map[string]string{}
	for n, id := range envID {
		envName[id] = n
	}
	c := Change{Action: Create, Kind: KindTenant, Name: in.Name, ID: have.ID, Fields: map[string][2]any{}}
	fieldsOf := func(t Tenant) flat {
		f := flat{"description": t.Description, "tags": strings.Join(sortedCopy(t.Tags), ", ")}
		var names []string
		for _, id := range t.ProjectEnvironments[project.ID] {
			names = append(names, envName[id])
		}
		f["environments["+project.Name+"]"] = strings.Join(sortedCopy(names), ", ")
		return f
	}
	if tp.have == nil {
		c.Fields = fieldDiffOf(flat{}, fieldsOf(want))
	} else {
		c.Action, c.Fields = Update, fieldDiffOf(fieldsOf(have), fieldsOf(want))
		if len(c.Fields) == 0 {
			c.Action, c.Fields = NoOp, nil
		}
	}
	tp.plan = tp.plan.With(c)

	vc, err := s.planVariables(ctx, oct, tp, envName)
	if err != nil {
		return nil, err
	}
	if vc != nil {
		tp.plan = tp.plan.With(*vc)
	}
	return tp, nil
}

// planVariables diffs the given variable values for every connected
// environment; it returns nil when no variables were given.
func (s *RegisterTenant) planVariables(ctx context.Context, oct Octopus, tp *tenantPlan, envName map[string]string) (*Change, error) {
	if len(s.In.Variables) == 0 {
		return nil, nil
	}
	byName := map[string]TemplateParameter{}
	for _, t := range tp.project.Templates {
		byName[t.Name] = t
	}
	names := slices.Sorted(maps.Keys(s.In.Variables))
	for _, n := range names {
		if _, ok := byName[n]; !ok {
			return nil, &InputError{Field: fmt.Sprintf("variables[%q]", n), Err: fmt.Errorf("project %q has no tenant variable template %q", tp.project.Name, n)}
		}
	}
	have := map[string]map[string]PropertyValue{}
	if tp.have != nil && len(tp.have.ProjectEnvironments[tp.project.ID]) > 0 {
		var err error
		if have, err = oct.TenantProjectVariables(ctx, tp.spaceID, tp.have.ID, tp.project.ID); err != nil {
			return nil, fmt.Errorf("read variables of tenant %q: %w", s.In.Name, err)
		}
	}
	c := Change{Action: NoOp, Kind: KindTenantVariables, Name: s.In.Name, Fields: map[string][2]any{}}
	tp.values = map[string]map[string]PropertyValue{}
	for _, env := range tp.want.ProjectEnvironments[tp.project.ID] {
		for _, n := range names {
			tpl, val := byName[n], s.In.Variables[n]
			h, exists := have[env][tpl.ID]
			field := n + "[" + envName[env] + "]"
			if tpl.DisplaySettings[controlType] == "Sensitive" {
				if exists && h.HasValue && !s.In.RotateSecrets {
					continue // write-only: kept, since it cannot be compared
				}
				var was any
				if exists && h.HasValue {
					was = Sensitive
				}
				c.Fields[field] = [2]any{was, Sensitive}
				setValue(tp.values, env, tpl.ID, PropertyValue{Sensitive: true, Value: val, HasValue: true})
				continue
			}
			if exists && !h.Sensitive && h.Value == val {
				continue
			}
			var was any
			if exists {
				was = h.Value
			}
			c.Fields[field] = [2]any{was, val}
			setValue(tp.values, env, tpl.ID, PropertyValue{Value: val})
		}
	}
	if len(c.Fields) > 0 {
		c.Action = Update
	} else {
		c.Fields = nil
	}
	return &c, nil
}

func setValue(m map[string]map[string]PropertyValue, env, tpl string, v PropertyValue) {
	if m[env] == nil {
		m[env] = map[string]PropertyValue{}
	}
	m[env][tpl] = v
}

// Apply creates or updates the tenant, then writes the planned variables.
func (s *RegisterTenant) Apply(ctx context.Context, oct Octopus, p Plan) (Outputs, error) {
	tp := s.planned
	if tp == nil || !samePlan(tp.plan, p) {
		var err error
		if tp, err = s.plan(ctx, oct); err != nil {
			return nil, err
		}
		if !samePlan(tp.plan, p) {
			return nil, errors.New("the tenant changed since the plan was made; plan again")
		}
	}
	tenant := tp.want
	var err error
	switch {
	case tp.have == nil:
		if tenant, err = oct.CreateTenant(ctx, tp.spaceID, tenant); err != nil {
			return nil, fmt.Errorf("create tenant %q: %w", tenant.Name, err)
		}
	case p.Changes[0].Action == Update:
		if tenant, err = oct.UpdateTenant(ctx, tp.spaceID, tenant); err != nil {
			return nil, fmt.Errorf("update tenant %q: %w", tenant.Name, err)
		}
	}
	if len(tp.values) > 0 {
		if err := oct.SetTenantProjectVariables(ctx, tp.spaceID, tenant.ID, tp.project.ID, tp.values); err != nil {
			return nil, fmt.Errorf("set variables of tenant %q: %w", tenant.Name, err)
		}
	}
	return Outputs{"TenantId": tenant.ID}, nil
}
