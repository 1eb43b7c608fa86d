package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The promotion project (install --promotion): a promotion of the
// configuration is an Octopus deployment. Its lifecycle goes Development ->
// Test -> Production; its deployment process runs the promote step template
// from the source instance to the instance of the environment deployed to,
// whose URL and API key are variables scoped to that environment.
const (
	PromotionProject   = "octofleet promotion"
	PromotionLifecycle = "octofleet promotion"
	// PromotionStep is the name of the process's step (and its action).
	PromotionStep = "Promote"
	// The promotion project's variables; the process's step refers to them.
	VarPromotionSourceURL    = "Octofleet.Promotion.SourceUrl"
	VarPromotionSourceAPIKey = "Octofleet.Promotion.SourceApiKey"
	VarPromotionInput        = "Octofleet.Promotion.Input"
	VarPromotionTargetURL    = "Octofleet.Promotion.TargetUrl"
	VarPromotionTargetAPIKey = "Octofleet.Promotion.TargetApiKey"
	// ThisServer is the source when none is given: the instance the
	// deployment runs on.
	ThisServer = "#{Octopus.Web.ServerUri}"
)

// PromotionEnvironments are the promotion lifecycle's environments, in
// order; install creates the ones the space lacks.
var PromotionEnvironments = []string{"Development", "Test", "Production"}

// PromotionInput is the promotion project install keeps.
type PromotionInput struct {
	// SourceURL is the instance promoted from ("": this server) and
	// SourceAPIKey its key (a secret; "": the hub API key).
	SourceURL, SourceAPIKey string
	// Spaces are the source spaces promoted (none: every space).
	Spaces []string
	// Targets are the instances promoted to, one per environment.
	Targets []PromotionTarget
}

// PromotionTarget is the instance an environment's deployment promotes to.
// APIKey is a secret: written when the project has none for the
// environment, or with RotateSecrets; "" keeps the one it has.
type PromotionTarget struct {
	Environment, URL, APIKey string
}

// promotionEnvironments are the environments the space needs for the
// promotion lifecycle, then the install's own.
func (s *Install) promotionSpace(in *CreateSpaceInput) {
	if s.In.Promotion == nil {
		return
	}
	var envs []EnvironmentInput
	for _, e := range PromotionEnvironments {
		envs = append(envs, EnvironmentInput{Name: e})
	}
	for _, e := range in.Environments {
		if !slices.Contains(PromotionEnvironments, e.Name) {
			envs = append(envs, e)
		}
	}
	in.Environments = envs
	lc := LifecycleInput{Name: PromotionLifecycle, Description: ptr("Promotes octofleet's configuration from instance to instance: Development, then Test, then Production.")}
	for _, e := range PromotionEnvironments {
		lc.Phases = append(lc.Phases, PhaseInput{Name: e, OptionalDeploymentTargets: []string{e}})
	}
	in.Lifecycles = append(in.Lifecycles, lc)
}

func ptr[T any](v T) *T { return &v }

// promotionProject is the project in names form.
func promotionProject() Project {
	return Project{
		Name:                     PromotionProject,
		Description:              "Promotes the configuration of one Octopus instance to the instance of each environment: a deployment to an environment runs octofleet promote to its instance (Octofleet.Promotion.TargetUrl, scoped). Installed and kept up to date by `octofleet install --promotion`.",
		LifecycleID:              PromotionLifecycle,
		ProjectGroupID:           "Default Project Group",
		TenantedDeploymentMode:   "Untenanted",
		DefaultGuidedFailureMode: "EnvironmentDefault",
	}
}

// promotionProcess is the deployment process in names form: the bundle's in
// the installed script syntax, its action limited to the environments that
// have a target and placed like the runbooks' (--worker-pool,
// --container-image).
func (s *Install) promotionProcess() Process {
	p := s.Bundle.Rendering.Promotion
	var envs []string
	for _, t := range s.In.Promotion.Targets {
		envs = append(envs, t.Environment)
	}
	slices.Sort(envs)
	out := Process{Steps: slices.Clone(p.Steps)}
	for i, st := range out.Steps {
		st.Actions = slices.Clone(st.Actions)
		for j := range st.Actions {
			a := &st.Actions[j]
			a.Environments = envs
			a.WorkerPoolID, a.ContainerImage, a.ContainerFeedID = s.In.WorkerPool, s.In.ContainerImage, s.In.ContainerFeed
		}
		out.Steps[i] = st
	}
	return out
}

// promotionInputDoc is the promote step's input document.
func (s *Install) promotionInputDoc() string {
	if len(s.In.Promotion.Spaces) == 0 {
		return `{"allSpaces": true}`
	}
	q := make([]string, len(s.In.Promotion.Spaces))
	for i, sp := range s.In.Promotion.Spaces {
		q[i] = fmt.Sprintf("%q", sp)
	}
	return `{"spaces": [` + strings.Join(q, ", ") + `]}`
}

// promotionVariable is one variable the promotion project owns: its value,
// or, for a secret, the value to write ("" keeps the one the project has).
type promotionVariable struct {
	name, env, value string
	sensitive        bool
}

func (s *Install) promotionVariables() []promotionVariable {
	src, srcKey := s.In.Promotion.SourceURL, s.In.Promotion.SourceAPIKey
	if src == "" {
		src = ThisServer
	}
	if srcKey == "" {
		srcKey = s.In.HubAPIKey
	}
	out := []promotionVariable{
		{name: VarPromotionSourceURL, value: src},
		{name: VarPromotionInput, value: s.promotionInputDoc()},
		{name: VarPromotionSourceAPIKey, value: srcKey, sensitive: true},
	}
	for _, t := range s.In.Promotion.Targets {
		out = append(out, promotionVariable{name: VarPromotionTargetURL, env: t.Environment, value: t.URL},
			promotionVariable{name: VarPromotionTargetAPIKey, env: t.Environment, value: t.APIKey, sensitive: true})
	}
	return out
}

func (v promotionVariable) key() string { return v.name + " @ " + v.env }

// promotionVariableKey is how a variable of the set matches one the
// project owns: its name and the environment (by name) it alone is scoped
// to; "" for a variable with another scope.
func promotionVariableKey(v Variable, refs *spaceRefs) string {
	sc := v.Scope
	if len(sc.Roles)+len(sc.TenantTags)+len(sc.Machines)+len(sc.Channels)+len(sc.Actions)+len(sc.ProcessOwners) > 0 || len(sc.Environments) > 1 {
		return ""
	}
	env := ""
	if len(sc.Environments) == 1 {
		env = refs.names[refEnvironment][sc.Environments[0]]
		if env == "" {
			return ""
		}
	}
	return v.Name + " @ " + env
}

// planPromotion plans the promotion project, its deployment process and
// variables (everything a create when the project is new).
func (s *Install) planPromotion(ctx context.Context, oct Octopus, spaceID string, refs *spaceRefs) ([]Change, error) {
	want := promotionProject()
	projects, err := oct.Projects(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	i := slices.IndexFunc(projects, func(p Project) bool { return p.Name == want.Name })
	if i < 0 {
		return s.createPromotion(), s.checkPromotionKeys(nil, refs)
	}
	have := projects[i]
	hn, err := projectToNames(have, refs, false)
	if err != nil {
		return nil, err
	}
	hn.Templates = nil // the promotion project has no tenant variable templates to own
	out := []Change{settle(Change{Kind: KindProject, Name: want.Name, ID: have.ID, Fields: fieldDiffOf(flatProject(hn), flatProject(want))}, false)}
	proc, err := oct.DeploymentProcess(ctx, spaceID, have.ID)
	if err != nil {
		return nil, fmt.Errorf("read the process of project %q: %w", want.Name, err)
	}
	pn, err := processToNames(proc, refs, "project "+want.Name, false)
	if err != nil {
		return nil, err
	}
	builtInFeedsByID(pn, refs)
	wantProc := withoutSensitive(s.promotionProcess(), proc)
	out = append(out, settle(Change{Kind: KindDeploymentProcess, Name: want.Name, ID: proc.ID, Fields: fieldDiffOf(flatProcess(pn), flatProcess(wantProc))}, false))
	vs, err := oct.VariableSet(ctx, spaceID, have.VariableSetID)
	if err != nil {
		return nil, fmt.Errorf("read variables of project %q: %w", want.Name, err)
	}
	if err := s.checkPromotionKeys(&vs, refs); err != nil {
		return nil, err
	}
	haveVars := map[string]Variable{}
	for _, v := range vs.Variables {
		if k := promotionVariableKey(v, refs); k != "" {
			haveVars[k] = v
		}
	}
	c := Change{Kind: KindProjectVariables, Name: want.Name, ID: vs.ID, Fields: map[string][2]any{}}
	for _, w := range s.promotionVariables() {
		h, ok := haveVars[w.key()]
		switch {
		case w.sensitive:
			if !ok || !h.IsSensitive || !h.HasValue || (w.value != "" && s.In.RotateSecrets) {
				var was any
				if ok && h.HasValue {
					was = Sensitive
				}
				if w.value != "" {
					c.Fields[w.key()] = [2]any{was, Sensitive}
				}
			}
		case !ok || h.IsSensitive || h.Value != w.value:
			var was any
			if ok {
				was = h.Value
			}
			c.Fields[w.key()] = [2]any{was, w.value}
		}
	}
	return append(out, settle(c, false)), nil
}

// checkPromotionKeys: every target needs an API key, given or already held
// by the project (vs nil: the project is new).
func (s *Install) checkPromotionKeys(vs *VariableSet, refs *spaceRefs) error {
	held := map[string]bool{}
	if vs != nil {
		for _, v := range vs.Variables {
			if v.IsSensitive && v.HasValue {
				held[promotionVariableKey(v, refs)] = true
			}
		}
	}
	var missing []string
	for _, w := range s.promotionVariables() {
		if w.sensitive && w.value == "" && !held[w.key()] {
			if w.env == "" {
				return &InputError{Field: "--hub-api-key", Err: errors.New("the promotion's source needs an API key (the hub API key: --hub-api-key or --api-key)")}
			}
			missing = append(missing, w.env)
		}
	}
	if len(missing) > 0 {
		return &InputError{Field: "--promotion-keys", Err: fmt.Errorf("no API key for the promotion target of %s, and the project holds none yet: give it in --promotion-keys FILE or OCTOFLEET_PROMOTION_API_KEY_<ENV>", strings.Join(missing, ", "))}
	}
	return nil
}

// createPromotion lists what a new promotion project gets.
func (s *Install) createPromotion() []Change {
	c := Change{Action: Create, Kind: KindProjectVariables, Name: PromotionProject, Fields: map[string][2]any{}}
	for _, v := range s.promotionVariables() {
		if v.sensitive {
			c.Fields[v.key()] = [2]any{nil, Sensitive}
		} else {
			c.Fields[v.key()] = [2]any{nil, v.value}
		}
	}
	return []Change{
		{Action: Create, Kind: KindProject, Name: PromotionProject},
		{Action: Create, Kind: KindDeploymentProcess, Name: PromotionProject},
		c,
	}
}

// applyPromotion creates or updates the promotion project, its process and
// its variables, where planPromotion (run again now that the space's
// templates and lifecycle exist) finds them different.
func (s *Install) applyPromotion(ctx context.Context, oct Octopus, spaceID string) error {
	templates, err := oct.ActionTemplates(ctx, spaceID)
	if err != nil {
		return fmt.Errorf("list step templates: %w", err)
	}
	refs, err := readRefs(ctx, oct, spaceID, s.In.Space, templates)
	if err != nil {
		return err
	}
	changes, err := s.planPromotion(ctx, oct, spaceID, refs)
	if err != nil {
		return err
	}
	action := map[string]Action{}
	for _, c := range changes {
		action[c.Kind] = c.Action
	}
	want, err := projectFromNames(promotionProject(), refs)
	if err != nil {
		return err
	}
	var project Project
	projects, err := oct.Projects(ctx, spaceID)
	if err != nil {
		return fmt.Errorf("list projects: %w", err)
	}
	if i := slices.IndexFunc(projects, func(p Project) bool { return p.Name == want.Name }); i >= 0 {
		project = projects[i]
	}
	switch {
	case project.ID == "":
		if project, err = oct.CreateProject(ctx, spaceID, want); err != nil {
			return fmt.Errorf("create project %q: %w", want.Name, err)
		}
	case action[KindProject] == Update:
		want.ID = project.ID
		want.Templates = project.Templates
		if project, err = oct.UpdateProject(ctx, spaceID, want); err != nil {
			return fmt.Errorf("update project %q: %w", want.Name, err)
		}
	}
	if a, ok := action[KindDeploymentProcess]; !ok || a != NoOp {
		have, err := oct.DeploymentProcess(ctx, spaceID, project.ID)
		if err != nil {
			return fmt.Errorf("read the process of project %q: %w", want.Name, err)
		}
		byName := map[string]ActionTemplate{}
		for _, t := range templates {
			byName[t.Name] = t
		}
		proc, err := processFromNames(s.promotionProcess(), have, refs, byName, nil)
		if err != nil {
			return err
		}
		if _, err := oct.UpdateDeploymentProcess(ctx, spaceID, proc); err != nil {
			return fmt.Errorf("update the process of project %q: %w", want.Name, err)
		}
	}
	if a, ok := action[KindProjectVariables]; !ok || a != NoOp {
		if err := s.applyPromotionVariables(ctx, oct, spaceID, project, refs); err != nil {
			return err
		}
	}
	return nil
}

// applyPromotionVariables writes the variables the project owns and keeps
// every other one (and the secrets held, unless given with RotateSecrets).
func (s *Install) applyPromotionVariables(ctx context.Context, oct Octopus, spaceID string, p Project, refs *spaceRefs) error {
	vs, err := oct.VariableSet(ctx, spaceID, p.VariableSetID)
	if err != nil {
		return fmt.Errorf("read variables of project %q: %w", p.Name, err)
	}
	index := map[string]int{}
	for i, v := range vs.Variables {
		if k := promotionVariableKey(v, refs); k != "" {
			index[k] = i
		}
		if v.IsSensitive {
			vs.Variables[i].Value = "" // kept: HasValue with no value
		}
	}
	for _, w := range s.promotionVariables() {
		nv := Variable{Name: w.name, Value: w.value, Type: "String"}
		if w.env != "" {
			id, err := refs.id(refEnvironment, w.env, "variable "+w.name)
			if err != nil {
				return err
			}
			nv.Scope.Environments = []string{id}
		}
		i, ok := index[w.key()]
		if w.sensitive {
			if ok && vs.Variables[i].IsSensitive && vs.Variables[i].HasValue && (w.value == "" || !s.In.RotateSecrets) {
				continue
			}
			if w.value == "" {
				return errors.New("no API key for " + w.key()) // checkPromotionKeys refused it already
			}
			nv.Type, nv.IsSensitive, nv.HasValue = "Sensitive", true, true
		}
		if ok {
			nv.ID = vs.Variables[i].ID
			vs.Variables[i] = nv
			continue
		}
		vs.Variables = append(vs.Variables, nv)
	}
	if _, err := oct.UpdateVariableSet(ctx, spaceID, vs); err != nil {
		return fmt.Errorf("update variables of project %q: %w", p.Name, err)
	}
	return nil
}
