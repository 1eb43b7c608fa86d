package emulator

import (
	"fmt"
	"strings"
)

// execPlan is everything a task needs, collected under the store lock when
// the task is queued: its steps and their actions, the variables (with
// revealed secrets) and the package files.
type execPlan struct {
	what     string // "deployment" or "runbook run", for messages
	preamble []string
	vars     dictionary
	steps    []planStep
	// space, related and scope describe the execution to the interruptions
	// and artifacts it creates: its space, the IDs they are related to
	// (RelatedDocumentIds, "regarding") and its project, environment and
	// tenant (for permission restrictions).
	space   string
	related []string
	scope   map[string]any
	// guidedFailure holds a failed action for a person's guidance.
	guidedFailure bool
}

type planStep struct {
	name          string
	condition     string // Success, Failure, Always, Variable
	conditionExpr string
	actions       []planAction
}

type planAction struct {
	name       string
	actionType string
	skip       string // why the action does not run here ("" = it runs)
	props      map[string]any
	params     []variable // step template parameters
	packages   []planPackage
}

type planPackage struct {
	ref       string // the package reference name ("" for a primary package)
	dir       string // the folder below the work folder it is extracted to
	packageID string
	version   string
	ext       string
	data      []byte
	err       string // why the package cannot be used
}

// withOutputs returns the dictionary plus output variables of earlier actions.
func (d dictionary) withOutputs(outputs dictionary) dictionary {
	out := d.clone()
	for k, v := range outputs {
		out[k] = v
	}
	return out
}

// shouldRun applies the step's run condition.
func (st planStep) shouldRun(failed bool, vars dictionary) (bool, string) {
	switch strings.ToLower(st.condition) {
	case "always":
		return true, ""
	case "failure":
		if !failed {
			return false, "it runs only when a previous step failed"
		}
		return true, ""
	case "variable":
		v := strings.TrimSpace(vars.expand(st.conditionExpr))
		switch strings.ToLower(v) {
		case "", "false", "0", "no", "off":
			return false, fmt.Sprintf("its run condition %q is false", st.conditionExpr)
		}
		return true, ""
	}
	if failed {
		return false, "a previous step failed"
	}
	return true, ""
}

// planInput is what a runbook run or deployment executes.
type planInput struct {
	what         string
	project      Doc
	process      Doc   // revealed (frozen) process
	variableSets []Doc // revealed (frozen) library sets, then the project's
	environment  Doc
	tenant       Doc // nil when untenanted
	channelID    string
	ownerID      string // the runbook or the project (ProcessOwner scope)
	selected     []any  // SelectedPackages of the snapshot or release
	system       map[string]string
	prompted     map[string]string
	// guidedFailure: the run asked for it (UseGuidedFailure), or its
	// project or runbook's DefaultGuidedFailureMode is On, or
	// EnvironmentDefault with the environment's UseGuidedFailure.
	guidedFailure bool
}

// buildPlan resolves a process into a plan. Expects the store locked.
func (s *Server) buildPlan(c *Call, in planInput) *execPlan {
	space := c.SpaceID
	vars := dictionary{}
	sp := s.docCopy(spacesKind, "", space)
	sys := map[string]string{
		"Octopus.Space.Id":                      space,
		"Octopus.Space.Name":                    str(sp, "Name"),
		"Octopus.Project.Id":                    str(in.project, "Id"),
		"Octopus.Project.Name":                  str(in.project, "Name"),
		"Octopus.Project.Slug":                  str(in.project, "Slug"),
		"Octopus.Environment.Id":                str(in.environment, "Id"),
		"Octopus.Environment.Name":              str(in.environment, "Name"),
		"Octopus.Web.ServerUri":                 s.url,
		"Octopus.Web.BaseUrl":                   s.url,
		"Octopus.Machine.Name":                  "OctopusServer",
		"Octopus.Deployment.CreatedBy.Username": c.Username,
	}
	var tags []string
	if in.tenant != nil {
		tags = strs(in.tenant, "TenantTags")
		sys["Octopus.Tenant.Id"] = str(in.tenant, "Id")
		sys["Octopus.Tenant.Name"] = str(in.tenant, "Name")
		sys["Octopus.Tenant.Slug"] = str(in.tenant, "Slug")
		sys["Octopus.Tenant.Tags"] = strings.Join(tags, ",")
		sys["Octopus.Deployment.Tenant.Id"] = str(in.tenant, "Id")
		sys["Octopus.Deployment.Tenant.Name"] = str(in.tenant, "Name")
		sys["Octopus.Deployment.Tenant.Tags"] = strings.Join(tags, ",")
	}
	for k, v := range in.system {
		sys[k] = v
	}
	for k, v := range sys {
		vars.set(k, v, false)
	}
	sc := scopeContext{environmentID: str(in.environment, "Id"), tenantTags: tags, channelID: in.channelID, ownerIDs: []string{in.ownerID}}
	for _, set := range in.variableSets {
		vars.addVariableSet(set, sc)
	}
	if in.tenant != nil {
		s.addTenantVariables(c, vars, in.project, in.tenant, str(in.environment, "Id"))
	}
	for k, v := range in.prompted {
		vars.set(k, v, false)
	}

	p := &execPlan{what: in.what, vars: vars}
	for _, x := range toList(in.process["Steps"]) {
		step, ok := x.(map[string]any)
		if !ok {
			continue
		}
		props, _ := step["Properties"].(map[string]any)
		expr, _ := textOf(props["Octopus.Step.ConditionVariableExpression"])
		ps := planStep{name: str(step, "Name"), condition: str(step, "Condition"), conditionExpr: expr}
		for _, y := range toList(step["Actions"]) {
			action, ok := y.(map[string]any)
			if !ok {
				continue
			}
			ps.actions = append(ps.actions, s.planAction(c, in, vars, action))
		}
		p.steps = append(p.steps, ps)
	}
	return p
}

// addTenantVariables adds the tenant's values of the project's variable
// templates (per environment) and of its library sets' templates, falling
// back to each template's default value.
func (s *Server) addTenantVariables(c *Call, vars dictionary, project, tenant Doc, envID string) {
	doc, secrets := s.tenantValues(c.SpaceID, str(tenant, "Id"))
	vals := revealed(&record{doc: doc, secrets: secrets})
	add := func(tpl map[string]any, v any) {
		if v == nil {
			v = tpl["DefaultValue"]
		}
		text, sensitive := textOf(v)
		vars.set(str(tpl, "Name"), text, sensitive || isSensitiveTemplate(tpl))
	}
	for _, id := range strs(project, "IncludedLibraryVariableSetIds") {
		set := s.st.get(libraryVariableSetsKind.Name, c.SpaceID, id)
		if set == nil {
			continue
		}
		scopes, _ := lookup(vals, "Library", id).(map[string]any)
		for _, tpl := range templatesOf(revealed(set)) {
			var v any
			for scope, byTpl := range scopes {
				m, _ := byTpl.(map[string]any)
				if x := lookup(m, str(tpl, "Id")); x != nil && (scope == "" || containsFold(strings.Split(scope, ","), envID)) {
					if v == nil || scope != "" {
						v = x
					}
				}
			}
			add(tpl, v)
		}
	}
	for _, tpl := range templatesOf(project) {
		add(tpl, lookup(vals, "Project", str(project, "Id"), envID, str(tpl, "Id")))
	}
}

// planAction resolves one action: whether it runs here, its properties and
// step template parameters, and its packages.
func (s *Server) planAction(c *Call, in planInput, vars dictionary, action Doc) planAction {
	props, _ := action["Properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	a := planAction{name: str(action, "Name"), actionType: str(action, "ActionType"), props: props}
	a.skip = actionSkip(action, in.environment, in.channelID, in.tenant)
	if id, _ := textOf(props["Octopus.Action.Template.Id"]); id != "" {
		if rec := s.st.get(actionTemplatesKind.Name, c.SpaceID, id); rec != nil {
			tmpl := revealed(rec)
			tprops, _ := tmpl["Properties"].(map[string]any)
			for k, v := range tprops {
				if _, set := props[k]; !set {
					props[k] = v
				}
			}
			for _, x := range toList(tmpl["Parameters"]) {
				param, ok := x.(map[string]any)
				if !ok {
					continue
				}
				v, set := props[str(param, "Name")]
				if !set || v == nil {
					v = param["DefaultValue"]
				}
				text, sensitive := textOf(v)
				a.params = append(a.params, variable{Name: str(param, "Name"), Value: text, Sensitive: sensitive || isSensitiveTemplate(param)})
			}
		}
	}
	for _, x := range toList(action["Packages"]) {
		ref, ok := x.(map[string]any)
		if !ok {
			continue
		}
		a.packages = append(a.packages, s.planPackage(c, in, vars, str(action, "Name"), ref))
	}
	return a
}

func sharesTag(want, have []string) bool {
	for _, t := range have {
		if containsFold(want, t) {
			return true
		}
	}
	return false
}

// planPackage finds the file of a package reference: the version the
// snapshot or release selected, else the latest in the built-in feed.
func (s *Server) planPackage(c *Call, in planInput, vars dictionary, actionName string, ref Doc) planPackage {
	pp := planPackage{ref: str(ref, "Name"), packageID: vars.expand(str(ref, "PackageId"))}
	pp.dir = pp.ref
	if pp.dir == "" {
		pp.dir = pp.packageID
	}
	if feed := vars.expand(str(ref, "FeedId")); feed != "" && !strings.EqualFold(feed, builtInFeedID) {
		pp.err = fmt.Sprintf("the package %s comes from the feed %s: the emulator serves only the built-in feed", pp.packageID, feed)
		return pp
	}
	for _, x := range in.selected {
		sel, _ := x.(map[string]any)
		if strings.EqualFold(str(sel, "ActionName"), actionName) && strings.EqualFold(str(sel, "PackageReferenceName"), pp.ref) {
			pp.version = str(sel, "Version")
		}
	}
	pkg := s.findPackage(c.SpaceID, pp.packageID, pp.version)
	if pkg == nil {
		pp.err = fmt.Sprintf("the package %s %s is not in the built-in feed", pp.packageID, pp.version)
		return pp
	}
	pp.version, pp.ext = str(pkg, "Version"), str(pkg, "FileExtension")
	data, err := s.packageData(c.SpaceID, str(pkg, "Id"))
	if err != nil {
		pp.err = err.Error()
		return pp
	}
	pp.data = data
	return pp
}

// docCopy returns a copy of a stored document (nil when absent). space is
// ignored for system and mixed kinds.
func (s *Server) docCopy(k *Kind, space, id string) Doc {
	rec := s.st.get(k.Name, storeSpace(k, space), id)
	if rec == nil {
		return nil
	}
	return cloneDoc(rec.doc)
}

// actionSkip says why an action does not run in an environment, channel
// and for a tenant ("" when it runs). Previews use it too.
func actionSkip(action, env Doc, channelID string, tenant Doc) string {
	envID := str(env, "Id")
	switch {
	case boolean(action, "IsDisabled"):
		return "the step is disabled"
	case len(strs(action, "Environments")) > 0 && !containsFold(strs(action, "Environments"), envID):
		return "it is not scoped to " + str(env, "Name")
	case containsFold(strs(action, "ExcludedEnvironments"), envID):
		return "it excludes " + str(env, "Name")
	case channelID != "" && len(strs(action, "Channels")) > 0 && !containsFold(strs(action, "Channels"), channelID):
		return "it is not scoped to this channel"
	case len(strs(action, "TenantTags")) > 0 && !sharesTag(strs(action, "TenantTags"), strs(tenant, "TenantTags")):
		return "it is scoped to tenant tags this run's tenant does not have"
	}
	return ""
}
