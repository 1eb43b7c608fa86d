package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// CreateFacadeProject is the create-facade-project step. In must already be
// rendered (CreateFacadeProjectInput.Render).
//
// Its plan is create-space's plan for the customer space (space,
// environments, project group, customer team and its roles) followed by the
// facade's own changes: project, runbook, step, variables and, for a runbook
// facade, a published snapshot. Apply hands the first part to
// CreateSpace.Apply and does the rest itself.
//
// The upstream coordinates are not looked up here: the management space may
// live on another instance that this step's API key cannot read. trigger
// resolves them on every run and names whatever is missing.
type CreateFacadeProject struct {
	In CreateFacadeProjectInput
	// Package, when set, is the octofleet package: it is uploaded to the
	// customer space's built-in feed (as install does for the management
	// space) and the facade step runs the binary from it; In.Command is then
	// not used. nil: the step runs In.Command from the worker's PATH.
	Package *PackageFile
}

var _ Step = CreateFacadeProject{}

// The kinds of change create-facade-project plans after create-space's.
const (
	KindFacadeProject  = "project"
	KindFacadeRunbook  = "runbook"
	KindFacadeStep     = "step"
	KindFacadeVariable = "variable"
	KindFacadeSnapshot = "runbook snapshot"
)

var facadeKinds = []string{KindPackage, KindFacadeProject, KindFacadeRunbook, KindFacadeStep, KindFacadeVariable, KindFacadeSnapshot}

// Outputs create-facade-project publishes besides create-space's SpaceId and SpaceName.
const (
	OutputProjectID = "ProjectId"
	OutputRunbookID = "RunbookId"
)

// Name returns "create-facade-project".
func (CreateFacadeProject) Name() string { return "create-facade-project" }

func (s CreateFacadeProject) space() CreateSpace { return CreateSpace{In: s.In.spaceInput()} }

// facadeState is the customer space as the facade's changes see it.
type facadeState struct {
	spaceID   string
	lcs       []Lifecycle
	pgs       []ProjectGroup
	envs      []Environment
	project   *Project
	runbook   *Runbook
	process   *Process
	vars      *VariableSet
	published string  // the facade runbook's published snapshot
	pkg       *Change // the package's plan, when the step carries one
}

// read loads the facade's part of the customer space; for a space that does
// not exist yet it reads nothing.
func (s CreateFacadeProject) read(ctx context.Context, oct Octopus, spaceID string) (*facadeState, error) {
	st := &facadeState{spaceID: spaceID}
	if p := s.Package; p != nil {
		c := Change{Action: Create, Kind: KindPackage, Name: p.Name}
		if spaceID != "" {
			var err error
			if c, err = p.plan(ctx, oct, spaceID); err != nil {
				return nil, err
			}
		}
		st.pkg = &c
	}
	if spaceID == "" {
		return st, nil
	}
	var err error
	if st.lcs, err = oct.Lifecycles(ctx, spaceID); err != nil {
		return nil, fmt.Errorf("list lifecycles: %w", err)
	}
	if st.pgs, err = oct.ProjectGroups(ctx, spaceID); err != nil {
		return nil, fmt.Errorf("list project groups: %w", err)
	}
	if st.envs, err = oct.Environments(ctx, spaceID); err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	projects, err := oct.Projects(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	i := slices.IndexFunc(projects, func(p Project) bool { return p.Name == s.In.Project.Name })
	if i < 0 {
		return st, nil
	}
	st.project = &projects[i]
	vs, err := oct.VariableSet(ctx, spaceID, st.project.VariableSetID)
	if err != nil {
		return nil, fmt.Errorf("read the variables of project %q: %w", st.project.Name, err)
	}
	st.vars = &vs
	if !s.In.IsRunbook() {
		p, err := oct.DeploymentProcess(ctx, spaceID, st.project.ID)
		if err != nil {
			return nil, fmt.Errorf("read the deployment process of project %q: %w", st.project.Name, err)
		}
		st.process = &p
		return st, nil
	}
	rbs, err := oct.Runbooks(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list runbooks: %w", err)
	}
	j := slices.IndexFunc(rbs, func(r Runbook) bool { return r.ProjectID == st.project.ID && r.Name == s.In.Project.Runbook })
	if j < 0 {
		return st, nil
	}
	st.runbook = &rbs[j]
	p, err := oct.RunbookProcess(ctx, spaceID, st.runbook.RunbookProcessID)
	if err != nil {
		return nil, fmt.Errorf("read the process of runbook %q: %w", st.runbook.Name, err)
	}
	st.process = &p
	if st.published, err = oct.PublishedRunbookSnapshot(ctx, spaceID, st.runbook.ID); err != nil {
		return nil, fmt.Errorf("read runbook %q: %w", st.runbook.Name, err)
	}
	return st, nil
}

// Plan returns create-space's changes for the customer space, then the
// facade's. It writes nothing.
func (s CreateFacadeProject) Plan(ctx context.Context, oct Octopus) (Plan, error) {
	sp, err := s.space().Plan(ctx, oct)
	if err != nil {
		return Plan{}, fmt.Errorf("customer space %q: %w", s.In.Space.Name, err)
	}
	st, err := s.read(ctx, oct, sp.Outputs[OutputSpaceID])
	if err != nil {
		return Plan{}, fmt.Errorf("space %q: %w", s.In.Space.Name, err)
	}
	changes, err := s.plan(st)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Step: s.Name(), Changes: sp.Changes, Outputs: maps.Clone(sp.Outputs)}
	if p.Outputs == nil {
		p.Outputs = Outputs{}
	}
	if st.project != nil {
		p.Outputs[OutputProjectID] = st.project.ID
	}
	if st.runbook != nil {
		p.Outputs[OutputRunbookID] = st.runbook.ID
	}
	return p.With(changes...), nil
}

func (st *facadeState) names(kind string) map[string]string {
	switch kind {
	case "lifecycle":
		return refNames(st.lcs, func(l Lifecycle) Ref { return Ref{ID: l.ID, Name: l.Name} })
	case "project group":
		return refNames(st.pgs, func(g ProjectGroup) Ref { return Ref{ID: g.ID, Name: g.Name} })
	case "environment":
		return refNames(st.envs, func(e Environment) Ref { return Ref{ID: e.ID, Name: e.Name} })
	}
	return map[string]string{}
}

// plan is the pure part of Plan for the facade's own changes.
func (s CreateFacadeProject) plan(st *facadeState) ([]Change, error) {
	in := s.In
	if st.spaceID != "" {
		if _, ok := st.names("lifecycle")[in.Project.Lifecycle]; !ok {
			return nil, fmt.Errorf("project.lifecycle: %w", unknownNamesError("lifecycle", []string{in.Project.Lifecycle}, st.names("lifecycle")))
		}
	} else if in.Project.Lifecycle != DefaultFacadeLifecycle {
		return nil, fmt.Errorf("project.lifecycle: a new space has only the %q lifecycle, not %q", DefaultFacadeLifecycle, in.Project.Lifecycle)
	}
	var out []Change
	if st.pkg != nil {
		out = append(out, *st.pkg)
	}
	out = append(out, s.planProject(st))
	if in.IsRunbook() {
		out = append(out, s.planRunbook(st))
	}
	stepChange := s.planStep(st)
	out = append(out, stepChange)
	vars, err := s.planVariables(st)
	if err != nil {
		return nil, err
	}
	out = append(out, vars...)
	if !in.IsRunbook() {
		return out, nil
	}
	reason := ""
	switch {
	case st.runbook == nil:
		reason = "new runbook"
	case st.published == "":
		reason = "the runbook has no published snapshot"
	case stepChange.Action != NoOp:
		reason = "the step changes"
	case st.pkg != nil && st.pkg.Action != NoOp:
		// A snapshot freezes the package version its runs use.
		reason = "the package changes"
	}
	for _, c := range vars {
		if reason == "" && c.Action != NoOp {
			reason = "the variables change"
		}
	}
	if reason == "" {
		return append(out, Change{Action: NoOp, Kind: KindFacadeSnapshot, Name: in.Project.Runbook, ID: st.published}), nil
	}
	return append(out, Change{Action: Create, Kind: KindFacadeSnapshot, Name: in.Project.Runbook,
		Fields: fieldDiff{"publish": {nil, reason}}}), nil
}

func (s CreateFacadeProject) planProject(st *facadeState) Change {
	in := s.In.Project
	f := fieldDiff{}
	if st.project == nil {
		f.set("description", nil, deref(in.Description), in.Description != nil)
		f.set("lifecycle", nil, in.Lifecycle, true)
		f.set("projectGroup", nil, in.Group, true)
		return Change{Action: Create, Kind: KindFacadeProject, Name: in.Name, Fields: f}
	}
	have := st.project
	lc := invert(st.names("lifecycle"))[have.LifecycleID]
	pg := invert(st.names("project group"))[have.ProjectGroupID]
	f.set("description", have.Description, deref(in.Description), in.Description != nil && *in.Description != have.Description)
	f.set("lifecycle", lc, in.Lifecycle, lc != in.Lifecycle)
	f.set("projectGroup", pg, in.Group, pg != in.Group)
	return change(KindFacadeProject, in.Name, have.ID, f)
}

func (s CreateFacadeProject) planRunbook(st *facadeState) Change {
	in := s.In.Project
	want := sortedUnique(in.Environments)
	f := fieldDiff{}
	if st.runbook == nil {
		f.set("environments", nil, want, true)
		return Change{Action: Create, Kind: KindFacadeRunbook, Name: in.Runbook, Fields: f}
	}
	have := namesOf(st.runbook.Environments, invert(st.names("environment")))
	if st.runbook.EnvironmentScope != "Specified" {
		have = []string{}
	}
	f.set("environments", have, want, !slices.Equal(have, want))
	return change(KindFacadeRunbook, in.Runbook, st.runbook.ID, f)
}

// ownedStep returns the facade's step in the process, or nil.
func (s CreateFacadeProject) ownedStep(st *facadeState) *ProcessStep {
	if st.process == nil {
		return nil
	}
	i := slices.IndexFunc(st.process.Steps, func(p ProcessStep) bool { return p.Name == s.In.Project.StepName })
	if i < 0 {
		return nil
	}
	return &st.process.Steps[i]
}

// planStep diffs the facade step by what it runs: action type, script
// syntax, source and body, and running on the server. Settings octofleet
// does not own (notes, conditions, worker pool) are left as they are.
func (s CreateFacadeProject) planStep(st *facadeState) Change {
	name := s.In.Project.StepName
	want := s.In.facadeStep(nil, s.Package).Actions[0]
	have := s.ownedStep(st)
	if have == nil {
		return Change{Action: Create, Kind: KindFacadeStep, Name: name, Fields: fieldDiff{
			"actionType": {nil, want.ActionType}, "script": {nil, want.Properties[propScriptBody]}, "packages": {nil, packageRefs(want.Packages)},
		}}
	}
	f := fieldDiff{}
	var ha ProcessAction
	if len(have.Actions) > 0 {
		ha = have.Actions[0]
	}
	f.set("actionType", ha.ActionType, want.ActionType, ha.ActionType != want.ActionType || len(have.Actions) != 1)
	for _, k := range []string{propScriptSource, propScriptSyntax, propRunOnServer} {
		f.set(k, ha.Properties[k], want.Properties[k], ha.Properties[k] != want.Properties[k])
	}
	f.set("script", ha.Properties[propScriptBody], want.Properties[propScriptBody], ha.Properties[propScriptBody] != want.Properties[propScriptBody])
	hp, wp := packageRefs(ha.Packages), packageRefs(want.Packages)
	f.set("packages", hp, wp, !slices.Equal(hp, wp))
	return change(KindFacadeStep, name, have.ID, f)
}

// packageRefs describes an action's package references for the plan, one
// "name: packageId from feed" each, sorted.
func packageRefs(ps []TemplatePackage) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s: %s from %s", p.Name, p.PackageID, p.FeedID))
	}
	slices.Sort(out)
	return out
}

// findVariable returns the unscoped variable name of the set, or nil.
func findVariable(vs *VariableSet, name string) *Variable {
	if vs == nil {
		return nil
	}
	for i, v := range vs.Variables {
		if v.Name == name && isUnscoped(v.Scope) {
			return &vs.Variables[i]
		}
	}
	return nil
}

func isUnscoped(s VariableScope) bool {
	return len(s.Environments)+len(s.Roles)+len(s.TenantTags)+len(s.Machines)+len(s.Channels)+len(s.Actions)+len(s.ProcessOwners) == 0
}

// planVariables diffs the facade's variables. The API key's value can never
// be read back: it is written when the variable has none (or is not
// sensitive), or when rotateApiKey asks for it; otherwise it is kept, so a
// re-run with the same key writes nothing. The plan shows it as Sensitive.
func (s CreateFacadeProject) planVariables(st *facadeState) ([]Change, error) {
	var out []Change
	for _, kv := range s.In.variables() {
		have := findVariable(st.vars, kv[0])
		switch {
		case have == nil:
			out = append(out, Change{Action: Create, Kind: KindFacadeVariable, Name: kv[0], Fields: fieldDiff{"value": {nil, kv[1]}}})
		case have.IsSensitive || have.Value != kv[1]:
			f := fieldDiff{"value": {have.Value, kv[1]}}
			if have.IsSensitive {
				f = fieldDiff{"value": {Sensitive, kv[1]}, "sensitive": {true, false}}
			}
			out = append(out, Change{Action: Update, Kind: KindFacadeVariable, Name: kv[0], ID: have.ID, Fields: f})
		default:
			out = append(out, Change{Action: NoOp, Kind: KindFacadeVariable, Name: kv[0], ID: have.ID})
		}
	}
	u := s.In.Upstream
	name := u.APIKeyVariable
	have := findVariable(st.vars, name)
	missing := fmt.Errorf("the project has no value for the sensitive variable %q and the input supplies none (upstream.apiKey)", name)
	switch {
	case have == nil:
		if u.APIKey == "" {
			return nil, &InputError{Field: "upstream.apiKey", Err: missing}
		}
		out = append(out, Change{Action: Create, Kind: KindFacadeVariable, Name: name, Fields: fieldDiff{"value": {nil, Sensitive}}})
	case !have.IsSensitive || !have.HasValue:
		if u.APIKey == "" {
			return nil, &InputError{Field: "upstream.apiKey", Err: missing}
		}
		var was any
		if have.IsSensitive {
			was = nil
		} else {
			was = "(not sensitive)"
		}
		out = append(out, Change{Action: Update, Kind: KindFacadeVariable, Name: name, ID: have.ID, Fields: fieldDiff{"value": {was, Sensitive}}})
	case u.RotateAPIKey && u.APIKey != "":
		out = append(out, Change{Action: Update, Kind: KindFacadeVariable, Name: name, ID: have.ID, Fields: fieldDiff{"value": {Sensitive, Sensitive}}})
	default:
		out = append(out, Change{Action: NoOp, Kind: KindFacadeVariable, Name: name, ID: have.ID})
	}
	return out, nil
}

// Apply makes the changes of p: create-space's through CreateSpace.Apply,
// then the facade's in plan order, resolving names to Ids against the space
// as it is now. It returns SpaceId, SpaceName, ProjectId and (runbook
// facades) RunbookId.
func (s CreateFacadeProject) Apply(ctx context.Context, oct Octopus, p Plan) (Outputs, error) {
	var spaceChanges, own []Change
	for _, c := range p.Changes {
		if slices.Contains(facadeKinds, c.Kind) {
			own = append(own, c)
		} else {
			spaceChanges = append(spaceChanges, c)
		}
	}
	outs, err := s.space().Apply(ctx, oct, Plan{Step: "create-space", Changes: spaceChanges})
	if err != nil {
		return outs, fmt.Errorf("customer space %q: %w", s.In.Space.Name, err)
	}
	outs = maps.Clone(outs)
	maps.Copy(outs, withoutSpace(p.Outputs))
	todo := map[string]Change{}
	for _, c := range own {
		if c.Action != NoOp {
			todo[c.Kind+"\x00"+c.Name] = c
		}
	}
	if len(todo) == 0 {
		return outs, nil
	}
	st, err := s.read(ctx, oct, outs[OutputSpaceID])
	if err != nil {
		return outs, fmt.Errorf("space %q: %w", s.In.Space.Name, err)
	}
	a := &facadeApplier{s: s, oct: oct, st: st, todo: todo}
	for _, step := range []func(context.Context) error{a.upload, a.project, a.runbook, a.step, a.variables, a.snapshot} {
		if err := step(ctx); err != nil {
			return a.outputs(outs), err
		}
	}
	return a.outputs(outs), nil
}

func withoutSpace(o Outputs) Outputs {
	out := maps.Clone(o)
	delete(out, OutputSpaceID)
	delete(out, OutputSpaceName)
	return out
}

// facadeApplier applies the facade's changes against the state it re-read.
type facadeApplier struct {
	s    CreateFacadeProject
	oct  Octopus
	st   *facadeState
	todo map[string]Change
}

func (a *facadeApplier) outputs(base Outputs) Outputs {
	out := maps.Clone(base)
	if out == nil {
		out = Outputs{}
	}
	if a.st.project != nil {
		out[OutputProjectID] = a.st.project.ID
	}
	if a.st.runbook != nil {
		out[OutputRunbookID] = a.st.runbook.ID
	}
	return out
}

func (a *facadeApplier) planned(kind, name string) bool {
	_, ok := a.todo[kind+"\x00"+name]
	return ok
}

func (a *facadeApplier) resolve(kind, name string) (string, error) {
	m := a.st.names(kind)
	id, ok := m[name]
	if !ok {
		return "", unknownNamesError(kind, []string{name}, m)
	}
	return id, nil
}

// upload puts the octofleet package into the space's built-in feed, as
// planned (install's code: create when missing, replace when the hash differs).
func (a *facadeApplier) upload(ctx context.Context) error {
	p := a.s.Package
	if p == nil {
		return nil
	}
	c, ok := a.todo[KindPackage+"\x00"+p.Name]
	if !ok {
		return nil
	}
	return p.apply(ctx, a.oct, a.st.spaceID, c)
}

func (a *facadeApplier) project(ctx context.Context) error {
	in := a.s.In.Project
	if !a.planned(KindFacadeProject, in.Name) {
		return nil
	}
	lc, err := a.resolve("lifecycle", in.Lifecycle)
	if err != nil {
		return fmt.Errorf("project %q: %w", in.Name, err)
	}
	pg, err := a.resolve("project group", in.Group)
	if err != nil {
		return fmt.Errorf("project %q: %w", in.Name, err)
	}
	var got Project
	if a.st.project == nil {
		got, err = a.oct.CreateProject(ctx, a.st.spaceID, Project{Name: in.Name, Description: deref(in.Description),
			LifecycleID: lc, ProjectGroupID: pg, TenantedDeploymentMode: "Untenanted"})
	} else {
		p := *a.st.project
		p.LifecycleID, p.ProjectGroupID = lc, pg
		if in.Description != nil {
			p.Description = *in.Description
		}
		got, err = a.oct.UpdateProject(ctx, a.st.spaceID, p)
	}
	if err != nil {
		return fmt.Errorf("project %q: %w", in.Name, err)
	}
	a.st.project = &got
	return nil
}

func (a *facadeApplier) runbook(ctx context.Context) error {
	in := a.s.In.Project
	if !a.s.In.IsRunbook() || !a.planned(KindFacadeRunbook, in.Runbook) {
		return nil
	}
	if a.st.project == nil {
		return fmt.Errorf("runbook %q: project %q: %w", in.Runbook, in.Name, ErrNotFound)
	}
	envs, err := resolveNames("environment", in.Environments, a.st.names("environment"))
	if err != nil {
		return fmt.Errorf("runbook %q: %w", in.Runbook, err)
	}
	var got Runbook
	if a.st.runbook == nil {
		got, err = a.oct.CreateRunbook(ctx, a.st.spaceID, Runbook{ProjectID: a.st.project.ID, Name: in.Runbook,
			Description:      "Runs the management space's runbook for this customer (octofleet create-facade-project).",
			EnvironmentScope: "Specified", Environments: envs, MultiTenancyMode: "Untenanted"})
	} else {
		r := *a.st.runbook
		r.EnvironmentScope, r.Environments = "Specified", envs
		got, err = a.oct.UpdateRunbook(ctx, a.st.spaceID, r)
	}
	if err != nil {
		return fmt.Errorf("runbook %q: %w", in.Runbook, err)
	}
	a.st.runbook = &got
	return nil
}

// step puts the facade step into the process, replacing the step of the same
// name in place (same Id and position) or appending it. The process is read
// again first: it is new when the project or runbook was just created, and
// its Version must be current.
func (a *facadeApplier) step(ctx context.Context) error {
	name := a.s.In.Project.StepName
	if !a.planned(KindFacadeStep, name) {
		return nil
	}
	var proc Process
	var err error
	switch {
	case a.st.project == nil:
		return fmt.Errorf("step %q: project %q: %w", name, a.s.In.Project.Name, ErrNotFound)
	case a.s.In.IsRunbook() && a.st.runbook == nil:
		return fmt.Errorf("step %q: runbook %q: %w", name, a.s.In.Project.Runbook, ErrNotFound)
	case a.s.In.IsRunbook():
		proc, err = a.oct.RunbookProcess(ctx, a.st.spaceID, a.st.runbook.RunbookProcessID)
	default:
		proc, err = a.oct.DeploymentProcess(ctx, a.st.spaceID, a.st.project.ID)
	}
	if err != nil {
		return fmt.Errorf("step %q: read the process: %w", name, err)
	}
	a.st.process = &proc
	steps := slices.Clone(proc.Steps)
	if have := a.s.ownedStep(a.st); have != nil {
		i := slices.IndexFunc(steps, func(p ProcessStep) bool { return p.Name == name })
		steps[i] = a.s.In.facadeStep(have, a.s.Package)
	} else {
		steps = append(steps, a.s.In.facadeStep(nil, a.s.Package))
	}
	proc.Steps = steps
	if a.s.In.IsRunbook() {
		proc, err = a.oct.UpdateRunbookProcess(ctx, a.st.spaceID, proc)
	} else {
		proc, err = a.oct.UpdateDeploymentProcess(ctx, a.st.spaceID, proc)
	}
	if err != nil {
		return fmt.Errorf("step %q: %w", name, err)
	}
	a.st.process = &proc
	return nil
}

// variables writes every planned variable change with one update of the
// project's variable set; variables the facade does not own are sent back
// as they are (sensitive ones without a value, which keeps theirs).
func (a *facadeApplier) variables(ctx context.Context) error {
	u := a.s.In.Upstream
	want := map[string]Variable{}
	for _, kv := range a.s.In.variables() {
		want[kv[0]] = Variable{Name: kv[0], Value: kv[1], Type: "String"}
	}
	want[u.APIKeyVariable] = Variable{Name: u.APIKeyVariable, Value: u.APIKey, Type: "Sensitive", IsSensitive: true}
	var names []string
	for n := range want {
		if a.planned(KindFacadeVariable, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	if a.st.project == nil {
		return fmt.Errorf("variables: project %q: %w", a.s.In.Project.Name, ErrNotFound)
	}
	vs, err := a.oct.VariableSet(ctx, a.st.spaceID, a.st.project.VariableSetID)
	if err != nil {
		return fmt.Errorf("variables of project %q: %w", a.st.project.Name, err)
	}
	slices.Sort(names)
	for _, n := range names {
		w := want[n]
		if n == u.APIKeyVariable && w.Value == "" {
			return &InputError{Field: "upstream.apiKey", Err: errors.New("the plan writes the API key but the input supplies none")}
		}
		if have := findVariable(&vs, n); have != nil {
			w.ID, w.Description = have.ID, have.Description
			*have = w
		} else {
			vs.Variables = append(vs.Variables, w)
		}
	}
	got, err := a.oct.UpdateVariableSet(ctx, a.st.spaceID, vs)
	if err != nil {
		// The adapter's errors never carry variable values.
		return fmt.Errorf("variables of project %q: %w", a.st.project.Name, err)
	}
	a.st.vars = &got
	return nil
}

func (a *facadeApplier) snapshot(ctx context.Context) error {
	name := a.s.In.Project.Runbook
	if !a.s.In.IsRunbook() || !a.planned(KindFacadeSnapshot, name) {
		return nil
	}
	if a.st.runbook == nil {
		return fmt.Errorf("publish runbook %q: %w", name, ErrNotFound)
	}
	id, err := a.oct.PublishRunbookSnapshot(ctx, a.st.spaceID, *a.st.runbook)
	if err != nil {
		return fmt.Errorf("publish runbook %q: %w", name, err)
	}
	a.st.published = id
	return nil
}
