package steps

import (
	"context"
	"errors"
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// SourceProperty is the step template property that marks a template
// seed-templates created, with the source it came from as its value
// ("files" or "space:<name>"). Octopus has no labels or metadata on action
// templates: ActionTemplateResource (swagger 2026.1) carries only Name,
// Description, ActionType, Packages, GitDependencies, Parameters, Properties
// and server fields. Properties is a free-form dictionary the step template
// editor does not display (it renders only the properties its action type
// knows), it survives every update, and it is never shown as a parameter.
// Templates adopted by name (made by a user) never get the marker, so prune
// never deletes them.
const SourceProperty = "Octofleet.SeedTemplates.Source"

// Template property keys that refer to other resources in the same space.
const (
	templateIDProperty      = "Octopus.Action.Template.Id"
	templateVersionProperty = "Octopus.Action.Template.Version"
	// latestVersion stands for "the current version of the template in this
	// space" in the space-independent form of a process.
	latestVersion = "latest"
)

// Change kinds seed-templates plans.
const (
	KindStepTemplate      = "step template"
	KindCommunityTemplate = "community template"
	KindProject           = "project"
	KindDeploymentProcess = "deployment process"
	KindRunbook           = "runbook"
	KindRunbookProcess    = "runbook process"
	KindVariables         = "project variables"
)

// SeedTemplatesInput is the input of seed-templates (schemas/seed-templates.schema.json).
type SeedTemplatesInput struct {
	// TargetSpace is the space to seed; the CLI defaults it to --space.
	TargetSpace string `json:"targetSpace,omitempty" name:"target-space" help:"Space to seed (default: the global --space)." placeholder:"NAME"`
	// From lists step template files and folders in the Library JSON format.
	From []string `json:"from,omitempty" name:"from" sep:"none" help:"Step template file or folder in the Octopus Library JSON format (repeatable)." placeholder:"PATH"`
	// Source is the upstream space that templates and template projects are copied from.
	Source TemplateSource `json:"source,omitempty" embed:""`
	// Templates selects upstream templates by name or glob (path.Match); empty means all custom templates.
	Templates []string `json:"templates,omitempty" name:"template" sep:"none" help:"Upstream step template name or glob (repeatable; default all)." placeholder:"NAME"`
	// Community names community library templates to install and keep updated.
	Community []string `json:"community,omitempty" name:"community" sep:"none" help:"Community step template to install and keep updated (repeatable)." placeholder:"NAME"`
	// Projects names upstream template projects to copy.
	Projects []string `json:"projects,omitempty" name:"project" sep:"none" help:"Upstream template project to copy (repeatable)." placeholder:"NAME"`
	// Secrets holds sensitive parameter defaults: template name -> parameter name -> value.
	Secrets map[string]map[string]string `json:"secrets,omitempty" kong:"-"`
	// Prune deletes templates octofleet created from these sources that the sources no longer have.
	Prune bool `json:"prune,omitempty" name:"prune" help:"Delete templates octofleet seeded from these sources that no longer exist there."`
}

// TemplateSource is an upstream space, on the target instance or another one.
type TemplateSource struct {
	// Server is the upstream instance's URL; empty means the target instance.
	Server string `json:"server,omitempty" name:"source-server" help:"Upstream Octopus URL (default: the target instance)." placeholder:"URL"`
	// APIKey is the upstream instance's API key (a secret).
	APIKey string `json:"apiKey,omitempty" name:"source-api-key" env:"OCTOFLEET_SOURCE_API_KEY" help:"Upstream API key." placeholder:"KEY"`
	// Space is the upstream space's name.
	Space string `json:"space,omitempty" name:"from-space" help:"Upstream space to copy step templates and template projects from." placeholder:"NAME"`
}

// Render expands the Go templates in the names of the input (target and
// upstream space, template, community and project names), so that one
// runbook step can seed each tenant's space.
func (in SeedTemplatesInput) Render(data TemplateData) (SeedTemplatesInput, error) {
	out := in
	out.From = append([]string(nil), in.From...)
	out.Templates = append([]string(nil), in.Templates...)
	out.Community = append([]string(nil), in.Community...)
	out.Projects = append([]string(nil), in.Projects...)
	for _, f := range []struct {
		name string
		text *string
	}{{"targetSpace", &out.TargetSpace}, {"source.server", &out.Source.Server}, {"source.space", &out.Source.Space}} {
		if err := RenderPtr(f.name, f.text, data); err != nil {
			return in, err
		}
	}
	for _, l := range []struct {
		name string
		list []string
	}{{"from", out.From}, {"templates", out.Templates}, {"community", out.Community}, {"projects", out.Projects}} {
		if err := RenderAll(l.name, l.list, data); err != nil {
			return in, err
		}
	}
	return out, nil
}

// SeedTemplates is the seed-templates step: step templates from Library
// files, an upstream space and the community library, plus template projects,
// kept in sync in a target space.
type SeedTemplates struct {
	In SeedTemplatesInput
	// Source serves the upstream space. nil means the target instance; the
	// CLI dials it when In.Source.Server is set.
	Source Octopus

	planned *seedPlan
}

// Name returns the step name "seed-templates".
func (s *SeedTemplates) Name() string { return "seed-templates" }

// seedPlan is what Plan learnt, so that Apply does exactly that plan with no
// second round of reads.
type seedPlan struct {
	plan    Plan
	spaceID string
	ops     []seedOp
	// for template projects
	targetRefs *spaceRefs
	projects   map[string]Project
}

// seedOp is one planned write.
type seedOp struct {
	change Change
	run    func(ctx context.Context, oct Octopus, ac *applyState) error
}

// applyState is what Apply learns while writing: the target's templates and
// projects as they are after each write.
type applyState struct {
	sp        *seedPlan
	templates map[string]ActionTemplate // by name, refreshed after template writes
	stale     bool
	// rejected collects templates the server refused, reported together.
	rejected     []string
	rejectedErrs []error
	proj         map[string]Project // target projects by name
	rbs          map[string]Runbook // target runbooks by "project/runbook"
}

// projects returns the target projects by name, as planned and as created.
func (ac *applyState) projects() map[string]Project {
	if ac.proj == nil {
		ac.proj = map[string]Project{}
		for k, v := range ac.sp.projects {
			ac.proj[k] = v
		}
	}
	return ac.proj
}

// runbooks returns the runbooks this apply created or updated, by "project/runbook".
func (ac *applyState) runbooks() map[string]Runbook {
	if ac.rbs == nil {
		ac.rbs = map[string]Runbook{}
	}
	return ac.rbs
}

// Plan reads the sources and the target space and returns the changes.
func (s *SeedTemplates) Plan(ctx context.Context, oct Octopus) (Plan, error) {
	sp, err := s.plan(ctx, oct)
	if err != nil {
		return Plan{}, err
	}
	s.planned = sp
	return sp.plan, nil
}

// Apply does the changes of p. It continues past templates the server
// rejects and reports them all by name at the end.
func (s *SeedTemplates) Apply(ctx context.Context, oct Octopus, p Plan) (Outputs, error) {
	sp := s.planned
	if sp == nil || !samePlan(sp.plan, p) {
		var err error
		if sp, err = s.plan(ctx, oct); err != nil {
			return nil, err
		}
		if !samePlan(sp.plan, p) {
			return nil, errors.New("the target space changed since the plan was made; plan again")
		}
	}
	ac := &applyState{sp: sp}
	for _, op := range sp.ops {
		if op.change.Action == NoOp || op.run == nil {
			continue
		}
		rejected := len(ac.rejected)
		if err := op.run(ctx, oct, ac); err != nil {
			return nil, fmt.Errorf("%s %s %q: %w", op.change.Action, op.change.Kind, op.change.Name, err)
		}
		if len(ac.rejected) == rejected {
			Done(ctx, op.change)
		}
	}
	if len(ac.rejected) > 0 {
		return nil, &RejectedTemplatesError{Problems: ac.rejected, errs: ac.rejectedErrs}
	}
	return Outputs{"SpaceId": sp.spaceID}, nil
}

// RejectedTemplatesError lists the step templates the server refused; the
// others were seeded.
type RejectedTemplatesError struct {
	Problems []string
	errs     []error
}

// Unwrap returns the server's answers, so that errors.Is(err, ErrConflict)
// finds a template another run created meanwhile (steps.Converge plans
// again and adopts it).
func (e *RejectedTemplatesError) Unwrap() []error { return e.errs }

func (e *RejectedTemplatesError) Error() string {
	return fmt.Sprintf("the server rejected %d step template(s):\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// samePlan reports whether two plans list the same changes.
func samePlan(a, b Plan) bool {
	if len(a.Changes) != len(b.Changes) {
		return false
	}
	for i := range a.Changes {
		x, y := a.Changes[i], b.Changes[i]
		if x.Action != y.Action || x.Kind != y.Kind || x.Name != y.Name {
			return false
		}
	}
	return true
}

// desiredTemplate is a template some source wants in the target.
type desiredTemplate struct {
	t      ActionTemplate
	source string // marker value
	origin string // for messages: the file, or the upstream space
}

func (s *SeedTemplates) plan(ctx context.Context, oct Octopus) (*seedPlan, error) {
	in := s.In
	if strings.TrimSpace(in.TargetSpace) == "" {
		return nil, &InputError{Field: "targetSpace", Err: errors.New("no target space: set targetSpace or --space")}
	}
	if (len(in.Templates) > 0 || len(in.Projects) > 0) && in.Source.Space == "" {
		return nil, &InputError{Field: "source.space", Err: errors.New("templates and projects are copied from an upstream space: set source.space")}
	}
	if in.Source.Server != "" && s.Source == nil {
		return nil, errors.New("source.server is set but no upstream client was dialled")
	}
	// Files first: a malformed file stops the run before any request.
	files, err := LoadLibraryTemplates(in.From)
	if err != nil {
		return nil, err
	}

	spaceID, err := spaceIDByName(ctx, oct, in.TargetSpace)
	if err != nil {
		return nil, err
	}
	sp := &seedPlan{plan: Plan{Step: s.Name(), Outputs: Outputs{"SpaceId": spaceID}}, spaceID: spaceID}

	desired := map[string]desiredTemplate{}
	var order []string
	add := func(d desiredTemplate) error {
		if prev, dup := desired[d.t.Name]; dup {
			return &InputError{Field: "from", Err: fmt.Errorf("step template %q comes from both %s and %s", d.t.Name, prev.origin, d.origin)}
		}
		desired[d.t.Name] = d
		order = append(order, d.t.Name)
		return nil
	}
	for _, f := range files {
		if err := add(desiredTemplate{t: f.Template, source: "files", origin: f.Path}); err != nil {
			return nil, err
		}
	}

	community := append([]string(nil), in.Community...)
	var up *upstream
	if in.Source.Space != "" {
		if up, err = s.readUpstream(ctx, oct); err != nil {
			return nil, err
		}
		selected, err := selectTemplates(up.templates, in.Templates)
		if err != nil {
			return nil, err
		}
		for _, t := range selected {
			if t.CommunityTemplateID != "" {
				// An installed community template is installed again, not copied:
				// the server refuses direct edits of community templates.
				community = append(community, t.Name)
				continue
			}
			if err := add(desiredTemplate{t: t, source: "space:" + up.spaceName, origin: fmt.Sprintf("space %q", up.spaceName)}); err != nil {
				return nil, err
			}
		}
	}

	if err := checkSecrets(in.Secrets, desired); err != nil {
		return nil, err
	}

	have, err := oct.ActionTemplates(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list step templates of space %q: %w", in.TargetSpace, err)
	}
	haveByName := map[string]ActionTemplate{}
	for _, t := range have {
		haveByName[t.Name] = t
	}

	// pending records templates this plan writes, so that processes using
	// them are updated to the new version in the same run.
	pending := map[string]bool{}
	for _, name := range order {
		d := desired[name]
		op, err := s.templateOp(d, haveByName, spaceID)
		if err != nil {
			return nil, err
		}
		if op.change.Action != NoOp {
			pending[name] = true
		}
		sp.ops = append(sp.ops, op)
	}

	if len(community) > 0 {
		ops, err := s.communityOps(ctx, oct, spaceID, community, haveByName, desired)
		if err != nil {
			return nil, err
		}
		for _, op := range ops {
			if op.change.Action != NoOp {
				pending[op.change.Name] = true
			}
		}
		sp.ops = append(sp.ops, ops...)
	}

	if len(in.Projects) > 0 {
		ops, err := s.projectOps(ctx, oct, sp, up, have, pending)
		if err != nil {
			return nil, err
		}
		sp.ops = append(sp.ops, ops...)
	}

	if in.Prune {
		sp.ops = append(sp.ops, pruneOps(spaceID, have, desired, in.From, up)...)
	}
	for _, op := range sp.ops {
		sp.plan.Changes = append(sp.plan.Changes, op.change)
	}
	return sp, nil
}

// spaceIDByName finds a space by name (or Id, as --space accepts both)
// with one read.
func spaceIDByName(ctx context.Context, oct Octopus, name string) (string, error) {
	spaces, err := oct.Spaces(ctx)
	if err != nil {
		return "", fmt.Errorf("list spaces: %w", err)
	}
	for _, s := range spaces {
		if s.Name == name || s.ID == name {
			return s.ID, nil
		}
	}
	return "", fmt.Errorf("space %q: %w", name, ErrNotFound)
}

// upstream is what the plan read from the upstream space.
type upstream struct {
	oct       Octopus
	spaceID   string
	spaceName string
	templates []ActionTemplate
}

func (s *SeedTemplates) readUpstream(ctx context.Context, oct Octopus) (*upstream, error) {
	src := oct
	if s.Source != nil {
		src = s.Source
	}
	id, err := spaceIDByName(ctx, src, s.In.Source.Space)
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	ts, err := src.ActionTemplates(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("list step templates of upstream space %q: %w", s.In.Source.Space, err)
	}
	return &upstream{oct: src, spaceID: id, spaceName: s.In.Source.Space, templates: ts}, nil
}

// selectTemplates returns the templates whose names match a pattern (all
// when there is none). A pattern that matches nothing is an error: a typo
// must not silently seed nothing.
func selectTemplates(ts []ActionTemplate, patterns []string) ([]ActionTemplate, error) {
	if len(patterns) == 0 {
		var out []ActionTemplate
		for _, t := range ts {
			if t.CommunityTemplateID == "" {
				out = append(out, t)
			}
		}
		return out, nil
	}
	used := make([]bool, len(patterns))
	var out []ActionTemplate
	for _, t := range ts {
		for i, p := range patterns {
			ok, err := path.Match(p, t.Name)
			if err != nil {
				return nil, &InputError{Field: fmt.Sprintf("templates[%d]", i), Err: fmt.Errorf("bad glob %q: %w", p, err)}
			}
			if ok {
				used[i] = true
				out = append(out, t)
				break
			}
		}
	}
	for i, u := range used {
		if !u {
			return nil, fmt.Errorf("upstream space has no step template matching %q: %w", patterns[i], ErrNotFound)
		}
	}
	return out, nil
}

// templateOp plans one template from a file or the upstream space.
func (s *SeedTemplates) templateOp(d desiredTemplate, haveByName map[string]ActionTemplate, spaceID string) (seedOp, error) {
	want := withSecrets(d.t, s.In.Secrets)
	// An upstream template may carry the upstream's own marker: it says
	// nothing about who made the template here.
	delete(want.Properties, SourceProperty)
	h, exists := haveByName[want.Name]
	if !exists {
		c := Change{Action: Create, Kind: KindStepTemplate, Name: want.Name, Fields: map[string][2]any{"actionType": {nil, want.ActionType}}}
		return seedOp{change: c, run: func(ctx context.Context, oct Octopus, ac *applyState) error {
			t := want
			t.ID, t.Version, t.CommunityTemplateID, t.SensitiveProperties = "", 0, "", nil
			t.Properties = withProperty(t.Properties, SourceProperty, d.source)
			if _, err := oct.CreateActionTemplate(ctx, spaceID, t); err != nil {
				return ac.reject(want.Name, err)
			}
			ac.stale = true
			return nil
		}}, nil
	}
	if h.CommunityTemplateID != "" {
		return seedOp{}, fmt.Errorf("step template %q from %s: the target has a community template with that name", want.Name, d.origin)
	}
	want = keepSensitive(want, h)
	c := Change{Action: NoOp, Kind: KindStepTemplate, Name: want.Name, ID: h.ID}
	c.Fields = fieldDiffOf(flatTemplate(h), flatTemplate(want))
	if len(c.Fields) == 0 {
		c.Fields = nil
		return seedOp{change: c}, nil
	}
	c.Action = Update
	return seedOp{change: c, run: func(ctx context.Context, oct Octopus, ac *applyState) error {
		t := want
		t.ID, t.Version, t.CommunityTemplateID = h.ID, h.Version, ""
		t.SensitiveProperties = h.SensitiveProperties // write-only: keep what the target holds
		if m, ok := h.Properties[SourceProperty]; ok {
			t.Properties = withProperty(t.Properties, SourceProperty, m)
		}
		// Keep the parameter Ids: tenant and step values refer to them.
		ids := map[string]string{}
		for _, p := range h.Parameters {
			ids[p.Name] = p.ID
		}
		for i := range t.Parameters {
			t.Parameters[i].ID = ids[t.Parameters[i].Name]
		}
		if _, err := oct.UpdateActionTemplate(ctx, spaceID, t); err != nil {
			return ac.reject(want.Name, err)
		}
		ac.stale = true
		return nil
	}}, nil
}

// reject records a template write the server refused. Errors that concern
// the whole run (credentials, a cancelled context) stop it.
func (ac *applyState) reject(name string, err error) error {
	if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	ac.rejected = append(ac.rejected, fmt.Sprintf("%q: %v", name, err))
	ac.rejectedErrs = append(ac.rejectedErrs, err)
	return nil
}

// checkSecrets makes sure every secret names a sensitive parameter of a
// template this run seeds: a typo must not silently leave a default unset.
func checkSecrets(secrets map[string]map[string]string, desired map[string]desiredTemplate) error {
	for tname, params := range secrets {
		d, ok := desired[tname]
		if !ok {
			return &InputError{Field: fmt.Sprintf("secrets[%q]", tname), Err: fmt.Errorf("no source provides step template %q", tname)}
		}
		for pname := range params {
			i := slices.IndexFunc(d.t.Parameters, func(p TemplateParameter) bool { return p.Name == pname })
			switch {
			case i < 0:
				return &InputError{Field: fmt.Sprintf("secrets[%q][%q]", tname, pname), Err: fmt.Errorf("step template %q has no parameter %q", tname, pname)}
			case d.t.Parameters[i].DisplaySettings[controlType] != "Sensitive":
				return &InputError{Field: fmt.Sprintf("secrets[%q][%q]", tname, pname), Err: fmt.Errorf("parameter %q of step template %q is not sensitive: set its default in the template", pname, tname)}
			}
		}
	}
	return nil
}

// withSecrets returns t with the sensitive parameter defaults the input
// provides. The values stay inside the template: plans show Sensitive.
func withSecrets(t ActionTemplate, secrets map[string]map[string]string) ActionTemplate {
	t = cloneTemplate(t)
	for i, p := range t.Parameters {
		if p.DisplaySettings[controlType] != "Sensitive" {
			continue
		}
		// Without a secret there is no value to write: a source's HasValue
		// (an upstream space) cannot be copied. keepSensitive then keeps the
		// target's.
		t.Parameters[i].Default = PropertyValue{Sensitive: true, Value: p.Default.Value, HasValue: p.Default.Value != ""}
		if v, ok := secrets[t.Name][p.Name]; ok {
			t.Parameters[i].Default = PropertyValue{Sensitive: true, Value: v, HasValue: v != ""}
		}
	}
	return t
}

// keepSensitive makes sensitive parameters without a value from the input
// keep the target's value: the API cannot read it back, so there is nothing
// to compare or copy.
func keepSensitive(want, have ActionTemplate) ActionTemplate {
	hp := map[string]TemplateParameter{}
	for _, p := range have.Parameters {
		hp[p.Name] = p
	}
	for i, p := range want.Parameters {
		if !p.Default.Sensitive || p.Default.Value != "" {
			continue
		}
		if h, ok := hp[p.Name]; ok && h.Default.Sensitive {
			want.Parameters[i].Default.HasValue = h.Default.HasValue
		}
	}
	return want
}

func cloneTemplate(t ActionTemplate) ActionTemplate {
	t.Parameters = append([]TemplateParameter(nil), t.Parameters...)
	t.Packages = append([]TemplatePackage(nil), t.Packages...)
	props := make(map[string]string, len(t.Properties))
	for k, v := range t.Properties {
		props[k] = v
	}
	t.Properties = props
	return t
}

func withProperty(props map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(props)+1)
	for pk, pv := range props {
		out[pk] = pv
	}
	out[k] = v
	return out
}

// flat is a resource projected onto the fields seed-templates owns, one
// entry per comparable field, so that a plan can say exactly what differs.
type flat map[string]any

// flatTemplate projects a template onto its owned fields. Server-added
// fields (Id, Version, SpaceId, Links, parameter and package Ids), the
// octofleet marker and sensitive properties (write-only, so never copied and
// never compared) are left out; sensitive defaults become Sensitive.
func flatTemplate(t ActionTemplate) flat {
	f := flat{"name": t.Name, "description": t.Description, "actionType": t.ActionType}
	for k, v := range t.Properties {
		if k == SourceProperty {
			continue
		}
		f["properties["+k+"]"] = v
	}
	names := make([]string, 0, len(t.Parameters))
	for _, p := range t.Parameters {
		names = append(names, p.Name)
		flatParameter(f, "parameters["+p.Name+"]", p)
	}
	f["parameters"] = strings.Join(names, ", ")
	pk := make([]string, 0, len(t.Packages))
	for _, p := range t.Packages {
		pk = append(pk, flatPackage(p))
	}
	f["packages"] = strings.Join(pk, "; ")
	return f
}

func flatParameter(f flat, prefix string, p TemplateParameter) {
	f[prefix+".label"] = p.Label
	f[prefix+".helpText"] = p.HelpText
	f[prefix+".displaySettings"] = sortedPairs(p.DisplaySettings)
	switch {
	case p.Default.Sensitive && (p.Default.HasValue || p.Default.Value != ""):
		f[prefix+".defaultValue"] = Sensitive
	case p.Default.Sensitive:
		f[prefix+".defaultValue"] = ""
	default:
		f[prefix+".defaultValue"] = p.Default.Value
	}
}

func flatPackage(p TemplatePackage) string {
	return fmt.Sprintf("%s (package %s, feed %s, %s, %s)", p.Name, p.PackageID, p.FeedID, p.AcquisitionLocation, sortedPairs(p.Properties))
}

// sortedPairs renders a map deterministically: "a=1, b=2".
func sortedPairs(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}

// fieldDiffOf returns have → want for every field that differs; nil when
// none does.
func fieldDiffOf(have, want flat) map[string][2]any {
	d := map[string][2]any{}
	for k, w := range want {
		h, ok := have[k]
		if !ok {
			h = nil
		}
		if !reflect.DeepEqual(h, w) && !(h == nil && isZero(w)) {
			d[k] = [2]any{h, w}
		}
	}
	for k, h := range have {
		if _, ok := want[k]; !ok && !isZero(h) {
			d[k] = [2]any{h, nil}
		}
	}
	if len(d) == 0 {
		return nil
	}
	return d
}

func isZero(v any) bool {
	return v == nil || reflect.ValueOf(v).IsZero()
}

// communityOps plans community templates: install what is missing, update
// what the server has a newer version of.
func (s *SeedTemplates) communityOps(ctx context.Context, oct Octopus, spaceID string, names []string, haveByName map[string]ActionTemplate, desired map[string]desiredTemplate) ([]seedOp, error) {
	lib, err := oct.CommunityTemplates(ctx)
	if err != nil {
		return nil, fmt.Errorf("list community step templates: %w", err)
	}
	byName := map[string]CommunityTemplate{}
	for _, c := range lib {
		byName[c.Name] = c
	}
	installed := map[string]ActionTemplate{}
	for _, t := range haveByName {
		if t.CommunityTemplateID != "" {
			installed[t.CommunityTemplateID] = t
		}
	}
	var ops []seedOp
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if d, dup := desired[name]; dup {
			return nil, &InputError{Field: "community", Err: fmt.Errorf("step template %q comes from both the community library and %s", name, d.origin)}
		}
		ct, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("community step template %q: %w", name, ErrNotFound)
		}
		h, isInstalled := installed[ct.ID]
		switch {
		case !isInstalled:
			if other, taken := haveByName[name]; taken {
				return nil, fmt.Errorf("community step template %q: the target has a custom template with that name (%s)", name, other.ID)
			}
			c := Change{Action: Create, Kind: KindCommunityTemplate, Name: name, Fields: map[string][2]any{"version": {nil, ct.Version}}}
			ops = append(ops, seedOp{change: c, run: func(ctx context.Context, oct Octopus, ac *applyState) error {
				if _, err := oct.InstallCommunityTemplate(ctx, spaceID, ct.ID); err != nil {
					return ac.reject(name, err)
				}
				ac.stale = true
				return nil
			}})
		// Installing copies the community template's Version into the
		// installed template (as the installation endpoint answers it), so
		// a lower installed Version means the library has a newer one.
		case h.Version < ct.Version:
			c := Change{Action: Update, Kind: KindCommunityTemplate, Name: name, ID: h.ID, Fields: map[string][2]any{"version": {h.Version, ct.Version}}}
			ops = append(ops, seedOp{change: c, run: func(ctx context.Context, oct Octopus, ac *applyState) error {
				if _, err := oct.UpdateCommunityTemplate(ctx, spaceID, ct.ID); err != nil {
					return ac.reject(name, err)
				}
				ac.stale = true
				return nil
			}})
		default:
			ops = append(ops, seedOp{change: Change{Action: NoOp, Kind: KindCommunityTemplate, Name: name, ID: h.ID}})
		}
	}
	return ops, nil
}

// pruneOps plans deleting the templates octofleet seeded from the sources of
// this run that those sources no longer have. A source is only pruned when it
// is part of the run: files when From is set, the upstream space when it is.
func pruneOps(spaceID string, have []ActionTemplate, desired map[string]desiredTemplate, from []string, up *upstream) []seedOp {
	sources := map[string]bool{}
	if len(from) > 0 {
		sources["files"] = true
	}
	if up != nil {
		sources["space:"+up.spaceName] = true
	}
	var ops []seedOp
	for _, t := range have {
		marker, ok := t.Properties[SourceProperty]
		if !ok || !sources[marker] || t.CommunityTemplateID != "" {
			continue
		}
		if _, wanted := desired[t.Name]; wanted {
			continue
		}
		id, name := t.ID, t.Name
		c := Change{Action: Delete, Kind: KindStepTemplate, Name: name, ID: id, Fields: map[string][2]any{"source": {marker, nil}}}
		ops = append(ops, seedOp{change: c, run: func(ctx context.Context, oct Octopus, ac *applyState) error {
			if err := oct.DeleteActionTemplate(ctx, spaceID, id); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			return nil
		}})
	}
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].change.Name < ops[j].change.Name })
	return ops
}

// targetTemplates returns the target's templates by name, re-reading them
// once after template writes so that processes get the new Ids and versions.
func (ac *applyState) targetTemplates(ctx context.Context, oct Octopus) (map[string]ActionTemplate, error) {
	if ac.templates != nil && !ac.stale {
		return ac.templates, nil
	}
	ts, err := oct.ActionTemplates(ctx, ac.sp.spaceID)
	if err != nil {
		return nil, fmt.Errorf("list step templates: %w", err)
	}
	ac.templates = map[string]ActionTemplate{}
	for _, t := range ts {
		ac.templates[t.Name] = t
	}
	ac.stale = false
	return ac.templates, nil
}
