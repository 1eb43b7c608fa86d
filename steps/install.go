package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Change kinds install plans (besides those of create-space and seed-templates).
const (
	KindPackage          = "package"
	KindProjectVariables = "project variables"
	// KindRunbookSnapshot is the published snapshot of a runbook: runs
	// (trigger, the web portal for tenants) use it. It is published again
	// whenever anything it freezes may have changed in this run.
	KindRunbookSnapshot = "runbook snapshot"
)

// InstallInput says where octofleet is installed: the management space.
type InstallInput struct {
	// Space is the management space; created when missing.
	Space string
	// Environments the management space must have; the runbooks run in them.
	Environments []string
	// HubAPIKey is the API key the runbooks use on the management instance
	// (a secret): the project's sensitive variable, written when the project
	// has none or RotateSecrets.
	HubAPIKey     string
	RotateSecrets bool
	// SeedTemplates is the glob of management-space step templates the Seed
	// Templates runbook copies (a project variable; default "*").
	SeedTemplates string
	// ScriptSyntax is the syntax of the step templates' scripts (SyntaxBash
	// or SyntaxPowerShell); "" chooses from the worker pool.
	ScriptSyntax string
	// WorkerPool names the worker pool every runbook step runs on ("": the
	// space's default pool); it must exist.
	WorkerPool string
	// ContainerImage is the execution container every runbook step runs in
	// ("": none), pulled from the feed named ContainerFeed.
	ContainerImage string
	ContainerFeed  string
	// DriftSchedule is the cron expression of the trigger that runs the
	// bundle's DriftRunbook for every tenant ("": the trigger is left
	// alone, whether it exists or not).
	DriftSchedule string
	// Promotion, when set, is the promotion project install also keeps.
	Promotion *PromotionInput
}

// InstallBundle is what install puts into the space. Package runbooks builds
// it from the embedded JSON; steps does not import runbooks.
type InstallBundle struct {
	// Rendering is what install puts in: the templates and runbooks in one
	// script syntax, one of Renderings (Install picks it).
	Rendering InstallRendering
	// Renderings are the templates and runbooks by script syntax ("Bash",
	// "PowerShell"): the same parameters and steps, scripts in two syntaxes.
	Renderings map[string]InstallRendering
	// Project is the project in space-independent form: LifecycleID and
	// ProjectGroupID hold names.
	Project Project
	// TagSet is the tenant tag set register-tenant's tags come from.
	TagSet TagSetInput
	// Variables are the project's plain variables by name.
	Variables map[string]string
	// SensitiveVariable is the name of the project variable that holds HubAPIKey.
	SensitiveVariable string
	// Package is the package file carrying the binary; nil uploads nothing.
	Package *PackageFile
	// DriftRunbook is the runbook InstallInput.DriftSchedule runs.
	DriftRunbook string
}

// InstallRendering is the part of the bundle that depends on the script
// syntax of the step templates.
type InstallRendering struct {
	// Syntax is the templates' Octopus.Action.Script.Syntax.
	Syntax string
	// TemplatesDir holds the step templates as Library files, which
	// seed-templates reconciles.
	TemplatesDir string
	// Runbooks are the project's runbooks and their processes in
	// space-independent form (template, feed and worker pool names,
	// template version "latest").
	Runbooks []InstallRunbook
	// Promotion is the promotion project's deployment process in
	// space-independent form (InstallInput.Promotion).
	Promotion Process
}

// InstallRunbook is one runbook of the project and its process.
type InstallRunbook struct {
	Runbook Runbook
	Process Process
}

// PackageFile is a package file for the built-in feed, named
// <PackageId>.<Version>.<ext>.
type PackageFile struct {
	Name      string
	PackageID string
	Version   string
	Data      []byte
	// Hash is the SHA-1 of Data, hex encoded (what the feed reports).
	Hash string
}

// Install is `octofleet install`: the management space with its
// environments and tenant tag set (create-space), the step templates
// (seed-templates), the package, and the octofleet project with its
// variables, runbooks and processes. Each part converges: a second run
// writes nothing.
//
// Install's parts depend on each other's writes (a process refers to the Ids
// of templates created just before), so Apply applies the parts in order
// and plans each part again after the previous part was written; a part's
// changes then are what its plan showed, with the Ids now known.
type Install struct {
	In     InstallInput
	Bundle InstallBundle

	placed *placement // set by the first Plan
}

// Name returns "install".
func (s *Install) Name() string { return "install" }

func (s *Install) space() *CreateSpace {
	in := CreateSpaceInput{Name: s.In.Space, TenantTagSets: []TagSetInput{s.Bundle.TagSet}}
	for _, e := range s.In.Environments {
		in.Environments = append(in.Environments, EnvironmentInput{Name: e})
	}
	s.promotionSpace(&in)
	return &CreateSpace{In: in}
}

func (s *Install) seed() *SeedTemplates {
	return &SeedTemplates{In: SeedTemplatesInput{TargetSpace: s.In.Space, From: []string{s.Bundle.Rendering.TemplatesDir}}}
}

// Plan plans every part. When the space does not exist yet, the later parts
// are planned as creates without reading.
func (s *Install) Plan(ctx context.Context, oct Octopus) (Plan, error) {
	if strings.TrimSpace(s.In.Space) == "" {
		return Plan{}, &InputError{Field: "--space", Err: errors.New("no management space: set --space")}
	}
	if s.In.DriftSchedule != "" {
		if _, err := s.wantTrigger(); err != nil {
			return Plan{}, err
		}
	}
	if err := s.place(ctx, oct); err != nil {
		return Plan{}, err
	}
	plan := Plan{Step: s.Name()}
	sp, err := s.space().Plan(ctx, oct)
	if err != nil {
		return Plan{}, fmt.Errorf("plan space %q: %w", s.In.Space, err)
	}
	plan = plan.With(sp.Changes...)
	if _, err := spaceIDByName(ctx, oct, s.In.Space); errors.Is(err, ErrNotFound) {
		if s.In.Promotion != nil {
			if err := s.checkPromotionKeys(nil, nil); err != nil {
				return Plan{}, err // before the first write
			}
		}
		plan = plan.With(s.createAll()...)
		plan.Outputs = Outputs{"ScriptSyntax": s.placed.syntax}
		return plan, nil
	} else if err != nil {
		return Plan{}, err
	}
	rest, err := s.planRest(ctx, oct)
	if err != nil {
		return Plan{}, err
	}
	plan = plan.With(rest.Changes...)
	plan.Outputs = rest.Outputs
	plan.Outputs["ScriptSyntax"] = s.placed.syntax
	return plan, nil
}

// createAll lists what a fresh space gets.
func (s *Install) createAll() []Change {
	var out []Change
	if files, err := LoadLibraryTemplates([]string{s.Bundle.Rendering.TemplatesDir}); err == nil {
		for _, f := range files {
			out = append(out, Change{Action: Create, Kind: KindStepTemplate, Name: f.Template.Name})
		}
	}
	if p := s.Bundle.Package; p != nil {
		out = append(out, Change{Action: Create, Kind: KindPackage, Name: p.Name})
	}
	out = append(out, Change{Action: Create, Kind: KindProject, Name: s.Bundle.Project.Name}, s.newVariables())
	for _, rb := range s.Bundle.Rendering.Runbooks {
		out = append(out, Change{Action: Create, Kind: KindRunbook, Name: rb.Runbook.Name},
			Change{Action: Create, Kind: KindRunbookProcess, Name: rb.Runbook.Name},
			Change{Action: Create, Kind: KindRunbookSnapshot, Name: rb.Runbook.Name})
	}
	if s.In.DriftSchedule != "" {
		out = append(out, Change{Action: Create, Kind: KindRunbookTrigger, Name: DriftTriggerName})
	}
	if s.In.Promotion != nil {
		out = append(out, s.createPromotion()...)
	}
	return out
}

// planRest plans the parts after the space: templates, package, project.
func (s *Install) planRest(ctx context.Context, oct Octopus) (Plan, error) {
	plan := Plan{Step: s.Name()}
	tp, err := s.seed().Plan(ctx, oct)
	if err != nil {
		return Plan{}, fmt.Errorf("plan step templates: %w", err)
	}
	plan = plan.With(tp.Changes...)
	pending := map[string]bool{}
	for _, c := range tp.Changes {
		if c.Action != NoOp {
			pending[c.Name] = true
		}
	}
	spaceID := tp.Outputs["SpaceId"]
	if p := s.Bundle.Package; p != nil {
		c, err := s.planPackage(ctx, oct, spaceID)
		if err != nil {
			return Plan{}, err
		}
		plan = plan.With(c)
	}
	pp, err := s.planProject(ctx, oct, spaceID, pending)
	if err != nil {
		return Plan{}, err
	}
	plan = plan.With(pp.changes...)
	republish := false
	for _, c := range plan.Changes {
		republish = republish || (c.Action != NoOp && c.Kind != KindRunbookSnapshot)
	}
	if s.In.DriftSchedule != "" {
		// After the republish decision: a snapshot does not freeze triggers.
		c, _, err := s.planTrigger(ctx, oct, spaceID, pp.have.ID, pp.runbooks)
		if err != nil {
			return Plan{}, err
		}
		plan = plan.With(c)
	}
	for i, c := range plan.Changes {
		if c.Kind == KindRunbookSnapshot && c.Action == NoOp && republish {
			plan.Changes[i].Action = Create // a new snapshot freezes what this run changes
		}
	}
	if s.In.Promotion != nil {
		// After the republish decision: no runbook refers to the promotion project.
		cs, err := s.planPromotion(ctx, oct, spaceID, pp.refs)
		if err != nil {
			return Plan{}, err
		}
		plan = plan.With(cs...)
	}
	plan.Outputs = Outputs{"SpaceId": spaceID}
	if pp.have.ID != "" {
		plan.Outputs["ProjectId"] = pp.have.ID
	}
	return plan, nil
}

func (s *Install) planPackage(ctx context.Context, oct Octopus, spaceID string) (Change, error) {
	return s.Bundle.Package.plan(ctx, oct, spaceID)
}

// plan compares the package file with the same version in the space's
// built-in feed: create when missing, update when the hash differs (one
// read). install and create-facade-project share it.
func (p *PackageFile) plan(ctx context.Context, oct Octopus, spaceID string) (Change, error) {
	have, err := oct.BuiltInPackage(ctx, spaceID, p.PackageID, p.Version)
	switch {
	case errors.Is(err, ErrNotFound):
		return Change{Action: Create, Kind: KindPackage, Name: p.Name}, nil
	case err != nil:
		return Change{}, fmt.Errorf("look up package %s: %w", p.Name, err)
	case !strings.EqualFold(have.Hash, p.Hash):
		return Change{Action: Update, Kind: KindPackage, Name: p.Name, ID: have.ID, Fields: map[string][2]any{"hash": {have.Hash, p.Hash}}}, nil
	}
	return Change{Action: NoOp, Kind: KindPackage, Name: p.Name, ID: have.ID}, nil
}

// apply uploads the package when c (its plan) creates or updates it.
func (p *PackageFile) apply(ctx context.Context, oct Octopus, spaceID string, c Change) error {
	if c.Action == NoOp {
		return nil
	}
	if _, err := oct.UploadPackage(ctx, spaceID, p.Name, p.Data, c.Action == Update); err != nil {
		return fmt.Errorf("upload package %s: %w", p.Name, err)
	}
	return nil
}

// projectPlan is the plan of the project part, with what Apply needs.
type projectPlan struct {
	changes  []Change
	have     Project
	refs     *spaceRefs
	runbooks map[string]Runbook // the project's runbooks by name
}

func (s *Install) planProject(ctx context.Context, oct Octopus, spaceID string, pending map[string]bool) (*projectPlan, error) {
	templates, err := oct.ActionTemplates(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list step templates: %w", err)
	}
	refs, err := readRefs(ctx, oct, spaceID, s.In.Space, templates)
	if err != nil {
		return nil, err
	}
	refs.pending = pending
	pp := &projectPlan{refs: refs, runbooks: map[string]Runbook{}}
	want := s.Bundle.Project
	projects, err := oct.Projects(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	i := slices.IndexFunc(projects, func(p Project) bool { return p.Name == want.Name })
	if i < 0 {
		if _, err := projectFromNames(want, refs); err != nil {
			return nil, err
		}
		pp.changes = append(pp.changes, Change{Action: Create, Kind: KindProject, Name: want.Name}, s.newVariables())
		for _, rb := range s.Bundle.Rendering.Runbooks {
			pp.changes = append(pp.changes, Change{Action: Create, Kind: KindRunbook, Name: rb.Runbook.Name},
				Change{Action: Create, Kind: KindRunbookProcess, Name: rb.Runbook.Name},
				Change{Action: Create, Kind: KindRunbookSnapshot, Name: rb.Runbook.Name})
		}
		return pp, nil
	}
	pp.have = projects[i]
	haveNames, err := projectToNames(pp.have, refs, false)
	if err != nil {
		return nil, err
	}
	want.Templates = keepSensitiveParams(want.Templates, pp.have.Templates)
	c := Change{Kind: KindProject, Name: want.Name, ID: pp.have.ID, Fields: fieldDiffOf(flatProject(haveNames), flatProject(want))}
	pp.changes = append(pp.changes, settle(c, false))

	vc, err := s.planVariables(ctx, oct, spaceID, pp.have)
	if err != nil {
		return nil, err
	}
	pp.changes = append(pp.changes, vc)

	all, err := oct.Runbooks(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list runbooks: %w", err)
	}
	for _, rb := range all {
		if rb.ProjectID == pp.have.ID {
			pp.runbooks[rb.Name] = rb
		}
	}
	for _, irb := range s.Bundle.Rendering.Runbooks {
		have, ok := pp.runbooks[irb.Runbook.Name]
		if !ok {
			pp.changes = append(pp.changes, Change{Action: Create, Kind: KindRunbook, Name: irb.Runbook.Name},
				Change{Action: Create, Kind: KindRunbookProcess, Name: irb.Runbook.Name},
				Change{Action: Create, Kind: KindRunbookSnapshot, Name: irb.Runbook.Name})
			continue
		}
		hn, err := runbookToNames(have, refs, "runbook "+have.Name, false)
		if err != nil {
			return nil, err
		}
		pp.changes = append(pp.changes, settle(Change{Kind: KindRunbook, Name: have.Name, ID: have.ID, Fields: fieldDiffOf(flatRunbook(hn), flatRunbook(irb.Runbook))}, false))
		proc, err := oct.RunbookProcess(ctx, spaceID, have.RunbookProcessID)
		if err != nil {
			return nil, fmt.Errorf("read process of runbook %q: %w", have.Name, err)
		}
		pn, err := processToNames(proc, refs, "runbook "+have.Name, false)
		if err != nil {
			return nil, err
		}
		builtInFeedsByID(pn, refs)
		wantProc := withoutSensitive(irb.Process, proc)
		pp.changes = append(pp.changes, settle(Change{Kind: KindRunbookProcess, Name: have.Name, ID: proc.ID, Fields: fieldDiffOf(flatProcess(pn), flatProcess(wantProc))}, false))
		snap, err := oct.PublishedRunbookSnapshot(ctx, spaceID, have.ID)
		if err != nil {
			return nil, fmt.Errorf("read published snapshot of runbook %q: %w", have.Name, err)
		}
		c := Change{Action: NoOp, Kind: KindRunbookSnapshot, Name: have.Name, ID: snap}
		if snap == "" {
			c.Action = Create
		}
		pp.changes = append(pp.changes, c)
	}
	return pp, nil
}

// builtInFeedsByID names the built-in feed by its Id in a space-independent
// process, as the bundle does: the feed has that Id in every space, whatever
// its name.
func builtInFeedsByID(p Process, refs *spaceRefs) {
	for _, st := range p.Steps {
		for _, a := range st.Actions {
			for i, pk := range a.Packages {
				if id := refs.ids[refFeed][pk.FeedID]; isBuiltInFeed(id) {
					a.Packages[i].FeedID = id
				}
			}
		}
	}
}

// withoutSensitive drops from want the action properties the server holds
// as sensitive values in have: they cannot be read back, so they cannot be
// compared (and are kept on update).
func withoutSensitive(want, have Process) Process {
	sens := map[string][]string{}
	for _, st := range have.Steps {
		for _, a := range st.Actions {
			sens[st.Name+"/"+a.Name] = a.SensitiveProperties
		}
	}
	out := want
	out.Steps = slices.Clone(want.Steps)
	for i, st := range out.Steps {
		out.Steps[i].Actions = slices.Clone(st.Actions)
		for j, a := range out.Steps[i].Actions {
			drop := sens[st.Name+"/"+a.Name]
			if len(drop) == 0 {
				continue
			}
			props := copyProps(a.Properties)
			for _, k := range drop {
				delete(props, k)
			}
			out.Steps[i].Actions[j].Properties = props
		}
	}
	return out
}

// newVariables is the change that gives a new project its variables.
func (s *Install) newVariables() Change {
	c := Change{Action: Create, Kind: KindProjectVariables, Name: s.Bundle.Project.Name, Fields: map[string][2]any{}}
	for name, v := range s.Bundle.Variables {
		c.Fields[name] = [2]any{nil, v}
	}
	if s.Bundle.SensitiveVariable != "" && s.In.HubAPIKey != "" {
		c.Fields[s.Bundle.SensitiveVariable] = [2]any{nil, Sensitive}
	}
	return c
}

// planVariables diffs the project's variables octofleet owns.
func (s *Install) planVariables(ctx context.Context, oct Octopus, spaceID string, p Project) (Change, error) {
	c := Change{Kind: KindProjectVariables, Name: p.Name, ID: p.VariableSetID, Fields: map[string][2]any{}}
	vs, err := oct.VariableSet(ctx, spaceID, p.VariableSetID)
	if err != nil {
		return Change{}, fmt.Errorf("read variables of project %q: %w", p.Name, err)
	}
	have := map[string]Variable{}
	for _, v := range vs.Variables {
		if unscopedVariable(v.Scope) {
			have[v.Name] = v
		}
	}
	for _, name := range sortedKeys(s.Bundle.Variables) {
		want := s.Bundle.Variables[name]
		if h, ok := have[name]; !ok || h.IsSensitive || h.Value != want {
			var was any
			if ok {
				was = h.Value
			}
			c.Fields[name] = [2]any{was, want}
		}
	}
	if name := s.Bundle.SensitiveVariable; name != "" && s.In.HubAPIKey != "" {
		h, ok := have[name]
		if !ok || !h.IsSensitive || !h.HasValue || s.In.RotateSecrets {
			var was any
			if ok && h.HasValue {
				was = Sensitive
			}
			c.Fields[name] = [2]any{was, Sensitive}
		}
	}
	return settle(c, false), nil
}

func unscopedVariable(s VariableScope) bool {
	return len(s.Environments)+len(s.Roles)+len(s.TenantTags)+len(s.Machines)+len(s.Channels)+len(s.Actions)+len(s.ProcessOwners) == 0
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Apply applies the parts in order, planning each part again once the
// previous one is written.
func (s *Install) Apply(ctx context.Context, oct Octopus, p Plan) (Outputs, error) {
	if err := s.place(ctx, oct); err != nil {
		return nil, err
	}
	if _, err := applyIfChanged(ctx, oct, s.space()); err != nil {
		return nil, fmt.Errorf("space %q: %w", s.In.Space, err)
	}
	out, err := applyIfChanged(ctx, oct, s.seed())
	if err != nil {
		return nil, fmt.Errorf("step templates: %w", err)
	}
	spaceID := out["SpaceId"]
	if pk := s.Bundle.Package; pk != nil {
		c, err := s.planPackage(ctx, oct, spaceID)
		if err != nil {
			return nil, err
		}
		if err := pk.apply(ctx, oct, spaceID, c); err != nil {
			return nil, err
		}
	}
	projectID, err := s.applyProject(ctx, oct, spaceID)
	if err != nil {
		return nil, err
	}
	publish := map[string]bool{}
	for _, c := range p.Changes {
		if c.Kind == KindRunbookSnapshot && c.Action != NoOp {
			publish[c.Name] = true
		}
	}
	if len(publish) > 0 {
		all, err := oct.Runbooks(ctx, spaceID)
		if err != nil {
			return nil, fmt.Errorf("list runbooks: %w", err)
		}
		for _, rb := range all {
			if rb.ProjectID == projectID && publish[rb.Name] {
				if _, err := oct.PublishRunbookSnapshot(ctx, spaceID, rb); err != nil {
					return nil, fmt.Errorf("publish runbook %q: %w", rb.Name, err)
				}
			}
		}
	}
	if s.In.DriftSchedule != "" {
		if err := s.applyTrigger(ctx, oct, spaceID, projectID); err != nil {
			return nil, err
		}
	}
	if s.In.Promotion != nil {
		if err := s.applyPromotion(ctx, oct, spaceID); err != nil {
			return nil, err
		}
	}
	return Outputs{"SpaceId": spaceID, "ProjectId": projectID, "ScriptSyntax": s.placed.syntax}, nil
}

// applyIfChanged plans a step and applies the plan unless it is empty.
func applyIfChanged(ctx context.Context, oct Octopus, st Step) (Outputs, error) {
	plan, err := st.Plan(ctx, oct)
	if err != nil {
		return nil, err
	}
	outputs := Outputs{}
	for k, v := range plan.Outputs {
		outputs[k] = v
	}
	if plan.Empty() {
		return outputs, nil
	}
	_, applied, err := Converge(ctx, oct, st, plan)
	for k, v := range applied {
		outputs[k] = v
	}
	return outputs, err
}

// applyProject creates or updates the project, its variables, runbooks and
// processes, with the step templates' Ids as they are now.
func (s *Install) applyProject(ctx context.Context, oct Octopus, spaceID string) (string, error) {
	pp, err := s.planProject(ctx, oct, spaceID, nil)
	if err != nil {
		return "", err
	}
	want, err := projectFromNames(s.Bundle.Project, pp.refs)
	if err != nil {
		return "", err
	}
	project := pp.have
	kinds := map[string]Action{}
	for _, c := range pp.changes {
		kinds[c.Kind+"/"+c.Name] = c.Action
	}
	switch {
	case project.ID == "":
		if project, err = oct.CreateProject(ctx, spaceID, want); err != nil {
			return "", fmt.Errorf("create project %q: %w", want.Name, err)
		}
	case kinds[KindProject+"/"+want.Name] == Update:
		want.ID = project.ID
		want.Templates = keepSensitiveParams(want.Templates, project.Templates)
		ids := map[string]string{}
		for _, t := range project.Templates {
			ids[t.Name] = t.ID // tenant values refer to the template Ids: keep them
		}
		for i := range want.Templates {
			want.Templates[i].ID = ids[want.Templates[i].Name]
		}
		if project, err = oct.UpdateProject(ctx, spaceID, want); err != nil {
			return "", fmt.Errorf("update project %q: %w", want.Name, err)
		}
	}
	if pp.have.ID == "" || kinds[KindProjectVariables+"/"+want.Name] != NoOp {
		if err := s.applyVariables(ctx, oct, spaceID, project); err != nil {
			return "", err
		}
	}
	templates, err := oct.ActionTemplates(ctx, spaceID)
	if err != nil {
		return "", fmt.Errorf("list step templates: %w", err)
	}
	byName := map[string]ActionTemplate{}
	for _, t := range templates {
		byName[t.Name] = t
	}
	for _, irb := range s.Bundle.Rendering.Runbooks {
		name := irb.Runbook.Name
		rb, exists := pp.runbooks[name]
		wantRB := irb.Runbook
		wantRB.ProjectID = project.ID
		if wantRB.Environments, err = pp.refs.idsOf(refEnvironment, irb.Runbook.Environments, "runbook "+name); err != nil {
			return "", err
		}
		switch {
		case !exists:
			if rb, err = oct.CreateRunbook(ctx, spaceID, wantRB); err != nil {
				return "", fmt.Errorf("create runbook %q: %w", name, err)
			}
		case kinds[KindRunbook+"/"+name] == Update:
			wantRB.ID = rb.ID
			if rb, err = oct.UpdateRunbook(ctx, spaceID, wantRB); err != nil {
				return "", fmt.Errorf("update runbook %q: %w", name, err)
			}
		}
		if exists && kinds[KindRunbookProcess+"/"+name] == NoOp {
			continue
		}
		have, err := oct.RunbookProcess(ctx, spaceID, rb.RunbookProcessID)
		if err != nil {
			return "", fmt.Errorf("read process of runbook %q: %w", name, err)
		}
		proc, err := processFromNames(irb.Process, have, pp.refs, byName, nil)
		if err != nil {
			return "", err
		}
		if _, err := oct.UpdateRunbookProcess(ctx, spaceID, proc); err != nil {
			return "", fmt.Errorf("update process of runbook %q: %w", name, err)
		}
	}
	return project.ID, nil
}

// applyVariables sets the project variables octofleet owns and keeps every
// other variable.
func (s *Install) applyVariables(ctx context.Context, oct Octopus, spaceID string, p Project) error {
	vs, err := oct.VariableSet(ctx, spaceID, p.VariableSetID)
	if err != nil {
		return fmt.Errorf("read variables of project %q: %w", p.Name, err)
	}
	set := func(v Variable) {
		for i, h := range vs.Variables {
			if h.Name == v.Name && unscopedVariable(h.Scope) {
				v.ID = h.ID
				vs.Variables[i] = v
				return
			}
		}
		vs.Variables = append(vs.Variables, v)
	}
	for _, name := range sortedKeys(s.Bundle.Variables) {
		set(Variable{Name: name, Value: s.Bundle.Variables[name], Type: "String"})
	}
	if name := s.Bundle.SensitiveVariable; name != "" {
		for i, h := range vs.Variables {
			if h.Name == name && h.IsSensitive {
				vs.Variables[i].Value = "" // kept: HasValue with no value
			}
		}
		if s.In.HubAPIKey != "" {
			keep := false
			for _, h := range vs.Variables {
				keep = keep || (h.Name == name && h.IsSensitive && h.HasValue && !s.In.RotateSecrets)
			}
			if !keep {
				set(Variable{Name: name, Value: s.In.HubAPIKey, Type: "Sensitive", IsSensitive: true, HasValue: true})
			}
		}
	}
	if _, err := oct.UpdateVariableSet(ctx, spaceID, vs); err != nil {
		return fmt.Errorf("update variables of project %q: %w", p.Name, err)
	}
	return nil
}
