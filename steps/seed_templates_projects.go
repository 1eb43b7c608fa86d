package steps

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kinds of space resources a template project refers to by Id.
const (
	refEnvironment  = "environment"
	refLifecycle    = "lifecycle"
	refProjectGroup = "project group"
	refWorkerPool   = "worker pool"
	refFeed         = "feed"
	refLibrarySet   = "library variable set"
	refStepTemplate = "step template"
)

// feedPackageProperty holds a feed Id in package-based actions.
const feedPackageProperty = "Octopus.Action.Package.FeedId"

// spaceRefs maps the Ids of one space to names and back, so that template
// projects can move between spaces and instances by name.
type spaceRefs struct {
	space     string
	names     map[string]map[string]string // kind -> id -> name
	ids       map[string]map[string]string // kind -> name -> id
	templates map[string]ActionTemplate    // by Id
	// pending names the templates this plan writes (target only): their
	// version after the run is not known yet.
	pending map[string]bool
}

func readRefs(ctx context.Context, oct Octopus, spaceID, spaceName string, templates []ActionTemplate) (*spaceRefs, error) {
	r := &spaceRefs{space: spaceName, names: map[string]map[string]string{}, ids: map[string]map[string]string{}, templates: map[string]ActionTemplate{}}
	put := func(kind, id, name string) {
		if r.names[kind] == nil {
			r.names[kind], r.ids[kind] = map[string]string{}, map[string]string{}
		}
		r.names[kind][id], r.ids[kind][name] = name, id
	}
	envs, err := oct.Environments(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list environments of space %q: %w", spaceName, err)
	}
	for _, e := range envs {
		put(refEnvironment, e.ID, e.Name)
	}
	lcs, err := oct.Lifecycles(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list lifecycles of space %q: %w", spaceName, err)
	}
	for _, l := range lcs {
		put(refLifecycle, l.ID, l.Name)
	}
	groups, err := oct.ProjectGroups(ctx, spaceID)
	if err != nil {
		return nil, fmt.Errorf("list project groups of space %q: %w", spaceName, err)
	}
	for _, g := range groups {
		put(refProjectGroup, g.ID, g.Name)
	}
	for _, k := range []struct {
		kind string
		list func(context.Context, string) ([]Ref, error)
	}{{refWorkerPool, oct.WorkerPools}, {refFeed, oct.Feeds}, {refLibrarySet, oct.LibraryVariableSets}} {
		refs, err := k.list(ctx, spaceID)
		if err != nil {
			return nil, fmt.Errorf("list %ss of space %q: %w", k.kind, spaceName, err)
		}
		for _, x := range refs {
			put(k.kind, x.ID, x.Name)
		}
	}
	for _, t := range templates {
		r.templates[t.ID] = t
		put(refStepTemplate, t.ID, t.Name)
	}
	return r, nil
}

// isBuiltInFeed reports whether id is one of the built-in feeds every space
// has under the same Id (feeds-builtin, feeds-builtin-releases).
func isBuiltInFeed(id string) bool { return strings.HasPrefix(id, "feeds-builtin") }

// name maps an Id of kind to its name. Unknown Ids are an error naming what
// uses them when strict (the source side), and kept recognisably otherwise
// (the target side, where they simply differ from what is wanted).
func (r *spaceRefs) name(kind, id, user string, strict bool) (string, error) {
	if id == "" {
		return "", nil
	}
	if n, ok := r.names[kind][id]; ok {
		return n, nil
	}
	if kind == refFeed && isBuiltInFeed(id) {
		return id, nil
	}
	if strict {
		return "", fmt.Errorf("%s refers to %s %q, which space %q does not have", user, kind, id, r.space)
	}
	return "?" + id, nil
}

// id maps a name of kind to its Id in this space; unknown names are an error
// naming the reference and what uses it.
func (r *spaceRefs) id(kind, name, user string) (string, error) {
	if name == "" {
		return "", nil
	}
	if id, ok := r.ids[kind][name]; ok {
		return id, nil
	}
	if kind == refFeed && isBuiltInFeed(name) {
		return name, nil
	}
	return "", fmt.Errorf("%s refers to %s %q, which the target space %q does not have", user, kind, name, r.space)
}

func (r *spaceRefs) namesOf(kind string, ids []string, user string, strict bool) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		n, err := r.name(kind, id, user, strict)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func (r *spaceRefs) idsOf(kind string, names []string, user string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		id, err := r.id(kind, n, user)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// processToNames rewrites a process into its space-independent form: every
// Id becomes the referenced resource's name, server Ids are dropped, and the
// template version becomes latestVersion when the action uses the current
// version. strict (the source side) makes a reference that cannot be mapped
// an error.
func processToNames(p Process, r *spaceRefs, owner string, strict bool) (Process, error) {
	out := Process{Steps: make([]ProcessStep, 0, len(p.Steps))}
	for _, st := range p.Steps {
		ns := st
		ns.ID = ""
		ns.Properties = copyProps(st.Properties)
		ns.Actions = make([]ProcessAction, 0, len(st.Actions))
		for _, a := range st.Actions {
			user := fmt.Sprintf("%s: action %q", owner, a.Name)
			na := a
			na.ID, na.SensitiveProperties = "", nil
			var err error
			if na.Environments, err = r.namesOf(refEnvironment, a.Environments, user, strict); err != nil {
				return Process{}, err
			}
			if na.ExcludedEnvironments, err = r.namesOf(refEnvironment, a.ExcludedEnvironments, user, strict); err != nil {
				return Process{}, err
			}
			if len(a.Channels) > 0 && strict {
				return Process{}, fmt.Errorf("%s is scoped to channels %v, which seed-templates does not copy", user, a.Channels)
			}
			if na.WorkerPoolID, err = r.name(refWorkerPool, a.WorkerPoolID, user, strict); err != nil {
				return Process{}, err
			}
			if na.ContainerFeedID, err = r.name(refFeed, a.ContainerFeedID, user, strict); err != nil {
				return Process{}, err
			}
			na.Packages = make([]TemplatePackage, len(a.Packages))
			for i, pk := range a.Packages {
				na.Packages[i] = pk
				if na.Packages[i].FeedID, err = r.name(refFeed, pk.FeedID, user, strict); err != nil {
					return Process{}, err
				}
			}
			na.Properties = copyProps(a.Properties)
			if id, ok := na.Properties[feedPackageProperty]; ok && !strings.Contains(id, "#{") {
				if na.Properties[feedPackageProperty], err = r.name(refFeed, id, user, strict); err != nil {
					return Process{}, err
				}
			}
			if id, ok := na.Properties[templateIDProperty]; ok {
				t, known := r.templates[id]
				switch {
				case !known && strict:
					return Process{}, fmt.Errorf("%s uses step template %q, which space %q does not have", user, id, r.space)
				case !known:
					na.Properties[templateIDProperty] = "?" + id
				default:
					na.Properties[templateIDProperty] = t.Name
					v := na.Properties[templateVersionProperty]
					if strict || (v == strconv.Itoa(t.Version) && !r.pending[t.Name]) {
						na.Properties[templateVersionProperty] = latestVersion
					}
				}
			}
			ns.Actions = append(ns.Actions, na)
		}
		out.Steps = append(out.Steps, ns)
	}
	return out, nil
}

// checkProcess makes sure every reference of a space-independent process
// exists in the target (or is a template this plan creates).
func checkProcess(p Process, r *spaceRefs, creating map[string]bool) error {
	_, err := processFromNames(p, Process{}, r, nil, creating)
	return err
}

// processFromNames turns a space-independent process into the target's Ids.
// Step and action Ids, and sensitive action properties, of the target's
// current process (have) are kept for steps and actions matched by name.
// templates are the target's templates by name; creating names templates
// that do not exist yet (planning only).
func processFromNames(p, have Process, r *spaceRefs, templates map[string]ActionTemplate, creating map[string]bool) (Process, error) {
	haveSteps := map[string]ProcessStep{}
	for _, st := range have.Steps {
		haveSteps[st.Name] = st
	}
	out := Process{ID: have.ID, ProjectID: have.ProjectID, Version: have.Version}
	for _, st := range p.Steps {
		ns := st
		hs := haveSteps[st.Name]
		ns.ID = hs.ID
		haveActions := map[string]ProcessAction{}
		for _, a := range hs.Actions {
			haveActions[a.Name] = a
		}
		ns.Actions = make([]ProcessAction, 0, len(st.Actions))
		for _, a := range st.Actions {
			user := fmt.Sprintf("action %q", a.Name)
			na := a
			ha := haveActions[a.Name]
			na.ID, na.SensitiveProperties = ha.ID, ha.SensitiveProperties
			var err error
			if na.Environments, err = r.idsOf(refEnvironment, a.Environments, user); err != nil {
				return Process{}, err
			}
			if na.ExcludedEnvironments, err = r.idsOf(refEnvironment, a.ExcludedEnvironments, user); err != nil {
				return Process{}, err
			}
			if na.WorkerPoolID, err = r.id(refWorkerPool, a.WorkerPoolID, user); err != nil {
				return Process{}, err
			}
			if na.ContainerFeedID, err = r.id(refFeed, a.ContainerFeedID, user); err != nil {
				return Process{}, err
			}
			na.Packages = make([]TemplatePackage, len(a.Packages))
			for i, pk := range a.Packages {
				na.Packages[i] = pk
				if na.Packages[i].FeedID, err = r.id(refFeed, pk.FeedID, user); err != nil {
					return Process{}, err
				}
			}
			na.Properties = copyProps(a.Properties)
			if n, ok := na.Properties[feedPackageProperty]; ok && !strings.Contains(n, "#{") {
				if na.Properties[feedPackageProperty], err = r.id(refFeed, n, user); err != nil {
					return Process{}, err
				}
			}
			if name, ok := na.Properties[templateIDProperty]; ok {
				switch t, known := templates[name]; {
				case known:
					na.Properties[templateIDProperty] = t.ID
					if na.Properties[templateVersionProperty] == latestVersion {
						na.Properties[templateVersionProperty] = strconv.Itoa(t.Version)
					}
				case creating[name]:
				default:
					if _, inTarget := r.ids[refStepTemplate][name]; !inTarget {
						return Process{}, fmt.Errorf("%s uses step template %q, which the target space %q does not have and no source provides", user, name, r.space)
					}
				}
			}
			ns.Actions = append(ns.Actions, na)
		}
		out.Steps = append(out.Steps, ns)
	}
	return out, nil
}

func copyProps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// flatProcess projects a space-independent process onto comparable fields.
func flatProcess(p Process) flat {
	f := flat{}
	names := make([]string, 0, len(p.Steps))
	for _, st := range p.Steps {
		names = append(names, st.Name)
		pre := "steps[" + st.Name + "]"
		f[pre+".condition"] = st.Condition
		f[pre+".startTrigger"] = st.StartTrigger
		f[pre+".packageRequirement"] = st.PackageRequirement
		for k, v := range st.Properties {
			f[pre+".properties["+k+"]"] = v
		}
		an := make([]string, 0, len(st.Actions))
		for _, a := range st.Actions {
			an = append(an, a.Name)
			ap := pre + ".actions[" + a.Name + "]"
			f[ap+".actionType"] = a.ActionType
			f[ap+".notes"] = a.Notes
			f[ap+".isDisabled"] = a.IsDisabled
			f[ap+".isRequired"] = a.IsRequired
			f[ap+".condition"] = a.Condition
			f[ap+".environments"] = strings.Join(a.Environments, ", ")
			f[ap+".excludedEnvironments"] = strings.Join(a.ExcludedEnvironments, ", ")
			f[ap+".channels"] = strings.Join(a.Channels, ", ")
			f[ap+".tenantTags"] = strings.Join(sortedCopy(a.TenantTags), ", ")
			f[ap+".workerPool"] = a.WorkerPoolID
			f[ap+".workerPoolVariable"] = a.WorkerPoolVariable
			f[ap+".container"] = strings.TrimSpace(a.ContainerImage + " " + a.ContainerFeedID)
			pk := make([]string, 0, len(a.Packages))
			for _, p := range a.Packages {
				pk = append(pk, flatPackage(p))
			}
			f[ap+".packages"] = strings.Join(pk, "; ")
			for k, v := range a.Properties {
				f[ap+".properties["+k+"]"] = v
			}
		}
		f[pre+".actions"] = strings.Join(an, ", ")
	}
	f["steps"] = strings.Join(names, ", ")
	return f
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// projectToNames returns a project's settings in space-independent form.
func projectToNames(p Project, r *spaceRefs, strict bool) (Project, error) {
	user := fmt.Sprintf("project %q", p.Name)
	var err error
	out := p
	out.ID, out.DeploymentProcessID, out.VariableSetID = "", "", ""
	if out.LifecycleID, err = r.name(refLifecycle, p.LifecycleID, user, strict); err != nil {
		return Project{}, err
	}
	if out.ProjectGroupID, err = r.name(refProjectGroup, p.ProjectGroupID, user, strict); err != nil {
		return Project{}, err
	}
	if out.IncludedLibraryVariableSetIDs, err = r.namesOf(refLibrarySet, p.IncludedLibraryVariableSetIDs, user, strict); err != nil {
		return Project{}, err
	}
	return out, nil
}

func projectFromNames(p Project, r *spaceRefs) (Project, error) {
	user := fmt.Sprintf("project %q", p.Name)
	var err error
	out := p
	if out.LifecycleID, err = r.id(refLifecycle, p.LifecycleID, user); err != nil {
		return Project{}, err
	}
	if out.ProjectGroupID, err = r.id(refProjectGroup, p.ProjectGroupID, user); err != nil {
		return Project{}, err
	}
	if out.IncludedLibraryVariableSetIDs, err = r.idsOf(refLibrarySet, p.IncludedLibraryVariableSetIDs, user); err != nil {
		return Project{}, err
	}
	return out, nil
}

func flatProject(p Project) flat {
	f := flat{
		"name": p.Name, "description": p.Description, "lifecycle": p.LifecycleID, "projectGroup": p.ProjectGroupID,
		"isDisabled": p.IsDisabled, "tenantedDeploymentMode": p.TenantedDeploymentMode,
		"defaultGuidedFailureMode": p.DefaultGuidedFailureMode, "defaultToSkipIfAlreadyInstalled": p.DefaultToSkipIfAlreadyInstalled,
		"discreteChannelRelease": p.DiscreteChannelRelease, "libraryVariableSets": strings.Join(p.IncludedLibraryVariableSetIDs, ", "),
	}
	names := make([]string, 0, len(p.Templates))
	for _, t := range p.Templates {
		names = append(names, t.Name)
		flatParameter(f, "templates["+t.Name+"]", t)
	}
	f["templates"] = strings.Join(names, ", ")
	return f
}

func runbookToNames(rb Runbook, r *spaceRefs, owner string, strict bool) (Runbook, error) {
	out := rb
	out.ID, out.ProjectID, out.RunbookProcessID = "", "", ""
	var err error
	out.Environments, err = r.namesOf(refEnvironment, rb.Environments, owner, strict)
	return out, err
}

func flatRunbook(rb Runbook) flat {
	return flat{
		"name": rb.Name, "description": rb.Description, "environmentScope": rb.EnvironmentScope,
		"environments": strings.Join(rb.Environments, ", "), "multiTenancyMode": rb.MultiTenancyMode,
		"defaultGuidedFailureMode": rb.DefaultGuidedFailureMode, "forcePackageDownload": rb.ForcePackageDownload,
	}
}

// variablesToNames returns the non-sensitive variables in space-independent
// form. Sensitive values cannot be read back, so they are never copied; the
// target keeps its own.
func variablesToNames(vs VariableSet, r *spaceRefs, owner string, strict bool) ([]Variable, error) {
	var out []Variable
	for _, v := range vs.Variables {
		if v.IsSensitive || v.Type == "Sensitive" {
			continue
		}
		user := fmt.Sprintf("%s: variable %q", owner, v.Name)
		if strict {
			switch {
			case v.Type != "" && v.Type != "String" && v.Type != "WorkerPool":
				return nil, fmt.Errorf("%s has type %s, whose value is an Id of a resource seed-templates does not copy", user, v.Type)
			case len(v.Scope.Machines)+len(v.Scope.Channels)+len(v.Scope.Actions)+len(v.Scope.ProcessOwners) > 0:
				return nil, fmt.Errorf("%s is scoped to machines, channels, actions or processes, which seed-templates cannot remap", user)
			}
		}
		nv := v
		nv.ID = ""
		var err error
		if nv.Scope.Environments, err = r.namesOf(refEnvironment, v.Scope.Environments, user, strict); err != nil {
			return nil, err
		}
		if v.Type == "WorkerPool" {
			if nv.Value, err = r.name(refWorkerPool, v.Value, user, strict); err != nil {
				return nil, err
			}
		}
		nv.Scope.Roles, nv.Scope.TenantTags = sortedCopy(v.Scope.Roles), sortedCopy(v.Scope.TenantTags)
		out = append(out, nv)
	}
	return out, nil
}

// variableKey identifies a variable by name and scope.
func variableKey(v Variable) string {
	s := v.Scope
	return fmt.Sprintf("%s @ env=%s role=%s tag=%s machine=%s channel=%s action=%s process=%s", v.Name,
		strings.Join(s.Environments, "|"), strings.Join(s.Roles, "|"), strings.Join(s.TenantTags, "|"),
		strings.Join(s.Machines, "|"), strings.Join(s.Channels, "|"), strings.Join(s.Actions, "|"), strings.Join(s.ProcessOwners, "|"))
}

func flatVariables(vars []Variable) flat {
	f := flat{}
	for _, v := range vars {
		k := "variables[" + variableKey(v) + "]"
		f[k+".value"] = v.Value
		f[k+".description"] = v.Description
		f[k+".type"] = v.Type
		if v.Prompt != nil {
			f[k+".prompt"] = fmt.Sprintf("%q %q required=%v %s", v.Prompt.Label, v.Prompt.Description, v.Prompt.Required, sortedPairs(v.Prompt.DisplaySettings))
		}
	}
	return f
}

// variablesFromNames builds the target variable set: its sensitive variables
// untouched, plus the wanted non-sensitive ones with target Ids.
func variablesFromNames(want []Variable, have VariableSet, r *spaceRefs) (VariableSet, error) {
	out := VariableSet{ID: have.ID, OwnerID: have.OwnerID, Version: have.Version}
	ids := map[string]string{}
	for _, v := range have.Variables {
		if v.IsSensitive || v.Type == "Sensitive" {
			out.Variables = append(out.Variables, v)
			continue
		}
		ids[variableKey(v)] = v.ID
	}
	for _, v := range want {
		user := fmt.Sprintf("variable %q", v.Name)
		nv := v
		var err error
		if nv.Scope.Environments, err = r.idsOf(refEnvironment, v.Scope.Environments, user); err != nil {
			return VariableSet{}, err
		}
		if v.Type == "WorkerPool" {
			if nv.Value, err = r.id(refWorkerPool, v.Value, user); err != nil {
				return VariableSet{}, err
			}
		}
		nv.ID = ids[variableKey(nv)]
		out.Variables = append(out.Variables, nv)
	}
	return out, nil
}

// projectCopy is one template project as the plan sees it.
type projectCopy struct {
	name        string
	want        Project // names form
	process     Process // names form
	runbooks    []runbookCopy
	variables   []Variable // names form
	have        *Project
	haveProcess Process
	haveVars    VariableSet
	// The target's current state in space-independent form (zero when the
	// project is new).
	haveNames        Project
	haveProcessNames Process
	haveVarNames     []Variable
}

type runbookCopy struct {
	want             Runbook // names form
	process          Process // names form
	have             *Runbook
	haveProcess      Process
	haveNames        Runbook // names form of have
	haveProcessNames Process // names form of haveProcess
}

// projectOps plans copying the template projects from the upstream space.
func (s *SeedTemplates) projectOps(ctx context.Context, oct Octopus, sp *seedPlan, up *upstream, targetTemplates []ActionTemplate, pending map[string]bool) ([]seedOp, error) {
	src := up.oct
	srcRefs, err := readRefs(ctx, src, up.spaceID, up.spaceName, up.templates)
	if err != nil {
		return nil, err
	}
	dstRefs, err := readRefs(ctx, oct, sp.spaceID, s.In.TargetSpace, targetTemplates)
	if err != nil {
		return nil, err
	}
	dstRefs.pending = pending
	sp.targetRefs = dstRefs

	srcProjects, err := src.Projects(ctx, up.spaceID)
	if err != nil {
		return nil, fmt.Errorf("list projects of upstream space %q: %w", up.spaceName, err)
	}
	srcRunbooks, err := src.Runbooks(ctx, up.spaceID)
	if err != nil {
		return nil, fmt.Errorf("list runbooks of upstream space %q: %w", up.spaceName, err)
	}
	dstProjects, err := oct.Projects(ctx, sp.spaceID)
	if err != nil {
		return nil, fmt.Errorf("list projects of space %q: %w", s.In.TargetSpace, err)
	}
	sp.projects = map[string]Project{}
	for _, p := range dstProjects {
		sp.projects[p.Name] = p
	}
	var dstRunbooks []Runbook
	if len(dstProjects) > 0 {
		if dstRunbooks, err = oct.Runbooks(ctx, sp.spaceID); err != nil {
			return nil, fmt.Errorf("list runbooks of space %q: %w", s.In.TargetSpace, err)
		}
	}
	srcByName := map[string]Project{}
	for _, p := range srcProjects {
		srcByName[p.Name] = p
	}
	creating := map[string]bool{}
	for name := range pending {
		if _, exists := dstRefs.ids[refStepTemplate][name]; !exists {
			creating[name] = true
		}
	}

	var ops []seedOp
	for _, name := range s.In.Projects {
		sproj, ok := srcByName[name]
		if !ok {
			return nil, fmt.Errorf("template project %q in upstream space %q: %w", name, up.spaceName, ErrNotFound)
		}
		pc, err := readProjectCopy(ctx, src, up.spaceID, sproj, srcRefs, srcRunbooks)
		if err != nil {
			return nil, err
		}
		if _, err := projectFromNames(pc.want, dstRefs); err != nil {
			return nil, err
		}
		if err := checkProcess(pc.process, dstRefs, creating); err != nil {
			return nil, fmt.Errorf("project %q deployment process: %w", name, err)
		}
		for _, rb := range pc.runbooks {
			if _, err := dstRefs.idsOf(refEnvironment, rb.want.Environments, fmt.Sprintf("runbook %q", rb.want.Name)); err != nil {
				return nil, fmt.Errorf("project %q: %w", name, err)
			}
			if err := checkProcess(rb.process, dstRefs, creating); err != nil {
				return nil, fmt.Errorf("project %q runbook %q: %w", name, rb.want.Name, err)
			}
		}
		if _, err := variablesFromNames(pc.variables, VariableSet{}, dstRefs); err != nil {
			return nil, fmt.Errorf("project %q: %w", name, err)
		}
		if err := readTargetProject(ctx, oct, sp.spaceID, &pc, sp.projects, dstRunbooks, dstRefs); err != nil {
			return nil, err
		}
		ops = append(ops, pc.ops(sp.spaceID, dstRefs)...)
	}
	return ops, nil
}

// readProjectCopy reads a source project with its process, runbooks and
// variables, in space-independent form.
func readProjectCopy(ctx context.Context, src Octopus, spaceID string, p Project, refs *spaceRefs, runbooks []Runbook) (projectCopy, error) {
	pc := projectCopy{name: p.Name}
	var err error
	if pc.want, err = projectToNames(p, refs, true); err != nil {
		return pc, err
	}
	proc, err := src.DeploymentProcess(ctx, spaceID, p.ID)
	if err != nil {
		return pc, fmt.Errorf("read deployment process of upstream project %q: %w", p.Name, err)
	}
	if pc.process, err = processToNames(proc, refs, fmt.Sprintf("project %q", p.Name), true); err != nil {
		return pc, err
	}
	vs, err := src.VariableSet(ctx, spaceID, p.VariableSetID)
	if err != nil {
		return pc, fmt.Errorf("read variables of upstream project %q: %w", p.Name, err)
	}
	if pc.variables, err = variablesToNames(vs, refs, fmt.Sprintf("project %q", p.Name), true); err != nil {
		return pc, err
	}
	for _, rb := range runbooks {
		if rb.ProjectID != p.ID {
			continue
		}
		owner := fmt.Sprintf("project %q runbook %q", p.Name, rb.Name)
		rc := runbookCopy{}
		if rc.want, err = runbookToNames(rb, refs, owner, true); err != nil {
			return pc, err
		}
		rp, err := src.RunbookProcess(ctx, spaceID, rb.RunbookProcessID)
		if err != nil {
			return pc, fmt.Errorf("read process of upstream %s: %w", owner, err)
		}
		if rc.process, err = processToNames(rp, refs, owner, true); err != nil {
			return pc, err
		}
		pc.runbooks = append(pc.runbooks, rc)
	}
	sort.Slice(pc.runbooks, func(i, j int) bool { return pc.runbooks[i].want.Name < pc.runbooks[j].want.Name })
	return pc, nil
}

// readTargetProject reads what the target already has of a project copy.
func readTargetProject(ctx context.Context, oct Octopus, spaceID string, pc *projectCopy, projects map[string]Project, runbooks []Runbook, refs *spaceRefs) error {
	h, ok := projects[pc.name]
	if !ok {
		return nil
	}
	pc.have = &h
	owner := fmt.Sprintf("project %q", h.Name)
	var err error
	if pc.haveNames, err = projectToNames(h, refs, false); err != nil {
		return err
	}
	if pc.haveProcess, err = oct.DeploymentProcess(ctx, spaceID, h.ID); err != nil {
		return fmt.Errorf("read deployment process of project %q: %w", h.Name, err)
	}
	if pc.haveProcessNames, err = processToNames(pc.haveProcess, refs, owner, false); err != nil {
		return err
	}
	if pc.haveVars, err = oct.VariableSet(ctx, spaceID, h.VariableSetID); err != nil {
		return fmt.Errorf("read variables of project %q: %w", h.Name, err)
	}
	if pc.haveVarNames, err = variablesToNames(pc.haveVars, refs, owner, false); err != nil {
		return err
	}
	byName := map[string]Runbook{}
	for _, rb := range runbooks {
		if rb.ProjectID == h.ID {
			byName[rb.Name] = rb
		}
	}
	for i := range pc.runbooks {
		rb, ok := byName[pc.runbooks[i].want.Name]
		if !ok {
			continue
		}
		rc := &pc.runbooks[i]
		rc.have = &rb
		rbOwner := fmt.Sprintf("%s runbook %q", owner, rb.Name)
		if rc.haveNames, err = runbookToNames(rb, refs, rbOwner, false); err != nil {
			return err
		}
		if rc.haveProcess, err = oct.RunbookProcess(ctx, spaceID, rb.RunbookProcessID); err != nil {
			return fmt.Errorf("read process of project %q runbook %q: %w", h.Name, rb.Name, err)
		}
		if rc.haveProcessNames, err = processToNames(rc.haveProcess, refs, rbOwner, false); err != nil {
			return err
		}
	}
	return nil
}

// ops turns a project copy into ordered changes: project, deployment
// process, runbooks with their processes, variables.
func (pc *projectCopy) ops(spaceID string, refs *spaceRefs) []seedOp {
	ops := []seedOp{pc.projectOp(spaceID, refs), pc.processOp(spaceID, refs)}
	for i := range pc.runbooks {
		ops = append(ops, pc.runbookOps(spaceID, refs, pc.runbooks[i])...)
	}
	return append(ops, pc.variablesOp(spaceID, refs))
}

// settle sets the action of c from its field differences.
func settle(c Change, isNew bool) Change {
	switch {
	case isNew:
		c.Action = Create
	case len(c.Fields) == 0:
		c.Action, c.Fields = NoOp, nil
	default:
		c.Action = Update
	}
	return c
}

func (pc *projectCopy) projectOp(spaceID string, refs *spaceRefs) seedOp {
	name, want := pc.name, pc.want
	var have Project
	if pc.have != nil {
		have = *pc.have
	}
	want.Templates = keepSensitiveParams(want.Templates, have.Templates)
	c := Change{Kind: KindProject, Name: name, ID: have.ID}
	if pc.have == nil {
		c.Fields = map[string][2]any{"lifecycle": {nil, want.LifecycleID}, "projectGroup": {nil, want.ProjectGroupID}}
	} else {
		c.Fields = fieldDiffOf(flatProject(pc.haveNames), flatProject(want))
	}
	c = settle(c, pc.have == nil)
	if c.Action == NoOp {
		return seedOp{change: c}
	}
	return seedOp{change: c, run: func(ctx context.Context, oct Octopus, ac *applyState) error {
		p, err := projectFromNames(want, refs)
		if err != nil {
			return err
		}
		ids := map[string]string{}
		for _, t := range have.Templates {
			ids[t.Name] = t.ID // tenant variable values refer to these Ids
		}
		for i := range p.Templates {
			p.Templates[i].ID = ids[p.Templates[i].Name]
		}
		var got Project
		if pc.have == nil {
			got, err = oct.CreateProject(ctx, spaceID, p)
		} else {
			p.ID, p.DeploymentProcessID, p.VariableSetID = have.ID, have.DeploymentProcessID, have.VariableSetID
			got, err = oct.UpdateProject(ctx, spaceID, p)
		}
		if err != nil {
			return err
		}
		ac.projects()[name] = got
		return nil
	}}
}

func (pc *projectCopy) processOp(spaceID string, refs *spaceRefs) seedOp {
	name, want := pc.name, pc.process
	c := Change{Kind: KindDeploymentProcess, Name: name, ID: pc.haveProcess.ID}
	c.Fields = fieldDiffOf(flatProcess(pc.haveProcessNames), flatProcess(want))
	c = settle(c, false)
	if c.Action == NoOp {
		return seedOp{change: c}
	}
	return seedOp{change: c, run: func(ctx context.Context, oct Octopus, ac *applyState) error {
		base := pc.haveProcess
		if pc.have == nil {
			proj, ok := ac.projects()[name]
			if !ok {
				return fmt.Errorf("project %q: %w", name, ErrNotFound)
			}
			var err error
			if base, err = oct.DeploymentProcess(ctx, spaceID, proj.ID); err != nil {
				return err
			}
		}
		templates, err := ac.targetTemplates(ctx, oct)
		if err != nil {
			return err
		}
		p, err := processFromNames(want, base, refs, templates, nil)
		if err != nil {
			return err
		}
		_, err = oct.UpdateDeploymentProcess(ctx, spaceID, p)
		return err
	}}
}

func (pc *projectCopy) runbookOps(spaceID string, refs *spaceRefs, rc runbookCopy) []seedOp {
	project, want := pc.name, rc.want
	key := project + "/" + want.Name
	var have Runbook
	if rc.have != nil {
		have = *rc.have
	}
	c := Change{Kind: KindRunbook, Name: key, ID: have.ID}
	if rc.have == nil {
		c.Fields = map[string][2]any{"environmentScope": {nil, want.EnvironmentScope}}
	} else {
		c.Fields = fieldDiffOf(flatRunbook(rc.haveNames), flatRunbook(want))
	}
	c = settle(c, rc.have == nil)
	settings := seedOp{change: c}
	if c.Action != NoOp {
		settings.run = func(ctx context.Context, oct Octopus, ac *applyState) error {
			rb := want
			var err error
			if rb.Environments, err = refs.idsOf(refEnvironment, want.Environments, fmt.Sprintf("runbook %q", key)); err != nil {
				return err
			}
			var got Runbook
			if rc.have == nil {
				proj, ok := ac.projects()[project]
				if !ok {
					return fmt.Errorf("project %q: %w", project, ErrNotFound)
				}
				rb.ProjectID = proj.ID
				got, err = oct.CreateRunbook(ctx, spaceID, rb)
			} else {
				rb.ID, rb.ProjectID, rb.RunbookProcessID = have.ID, have.ProjectID, have.RunbookProcessID
				got, err = oct.UpdateRunbook(ctx, spaceID, rb)
			}
			if err != nil {
				return err
			}
			ac.runbooks()[key] = got
			return nil
		}
	}

	pcChange := Change{Kind: KindRunbookProcess, Name: key, ID: rc.haveProcess.ID}
	pcChange.Fields = fieldDiffOf(flatProcess(rc.haveProcessNames), flatProcess(rc.process))
	pcChange = settle(pcChange, false)
	process := seedOp{change: pcChange}
	if pcChange.Action != NoOp {
		process.run = func(ctx context.Context, oct Octopus, ac *applyState) error {
			base := rc.haveProcess
			if rc.have == nil {
				rb, ok := ac.runbooks()[key]
				if !ok {
					return fmt.Errorf("runbook %q: %w", key, ErrNotFound)
				}
				var err error
				if base, err = oct.RunbookProcess(ctx, spaceID, rb.RunbookProcessID); err != nil {
					return err
				}
			}
			templates, err := ac.targetTemplates(ctx, oct)
			if err != nil {
				return err
			}
			p, err := processFromNames(rc.process, base, refs, templates, nil)
			if err != nil {
				return err
			}
			_, err = oct.UpdateRunbookProcess(ctx, spaceID, p)
			return err
		}
	}
	return []seedOp{settings, process}
}

func (pc *projectCopy) variablesOp(spaceID string, refs *spaceRefs) seedOp {
	name, want := pc.name, pc.variables
	c := Change{Kind: KindVariables, Name: name, ID: pc.haveVars.ID}
	c.Fields = fieldDiffOf(flatVariables(pc.haveVarNames), flatVariables(want))
	c = settle(c, false)
	if c.Action == NoOp {
		return seedOp{change: c}
	}
	return seedOp{change: c, run: func(ctx context.Context, oct Octopus, ac *applyState) error {
		base := pc.haveVars
		if pc.have == nil {
			proj, ok := ac.projects()[name]
			if !ok {
				return fmt.Errorf("project %q: %w", name, ErrNotFound)
			}
			var err error
			if base, err = oct.VariableSet(ctx, spaceID, proj.VariableSetID); err != nil {
				return err
			}
		}
		vs, err := variablesFromNames(want, base, refs)
		if err != nil {
			return err
		}
		_, err = oct.UpdateVariableSet(ctx, spaceID, vs)
		return err
	}}
}

// keepSensitiveParams keeps the target's value of sensitive tenant variable
// template defaults (write-only, so the source's cannot be copied).
func keepSensitiveParams(want, have []TemplateParameter) []TemplateParameter {
	hp := map[string]TemplateParameter{}
	for _, p := range have {
		hp[p.Name] = p
	}
	out := append([]TemplateParameter(nil), want...)
	for i, p := range out {
		if p.Default.Sensitive {
			h, ok := hp[p.Name]
			out[i].Default = PropertyValue{Sensitive: true, HasValue: ok && h.Default.HasValue}
		}
	}
	return out
}
