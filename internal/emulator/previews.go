package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Previews: what a deployment or runbook run would do before it is asked
// for. GET releases/{releaseId}/deployments/preview/{environmentId}[/{tenantId}]
// (DeploymentPreviewResource) and runbooks/{id}/runbookRuns/preview/
// {environment}[/{tenant}] or runbookSnapshots/{id}/runbookRuns/preview/
// {environmentId} (RunbookRunPreviewResource) list the actions that run
// there (StepsToExecute; disabled ones too with includeDisabledSteps), the
// prompted variables' form and whether guided failure is on by default.
// GET runbookSnapshots/{id}/runbookRuns/template (RunbookRunTemplateResource)
// lists where the snapshot may run, untenanted and per tenant.

func init() {
	addRoute(http.MethodGet, "releases/{releaseId}/deployments/preview/{environmentId}", RouteSpace, deploymentPreview)
	addRoute(http.MethodGet, "releases/{releaseId}/deployments/preview/{environmentId}/{tenantId}", RouteSpace, deploymentPreview)
	addRoute(http.MethodGet, "runbooks/{id}/runbookRuns/preview/{environment}", RouteSpace, runbookPreview)
	addRoute(http.MethodGet, "runbooks/{id}/runbookRuns/preview/{environment}/{tenant}", RouteSpace, runbookPreview)
	addRoute(http.MethodGet, "runbookSnapshots/{id}/runbookRuns/preview/{environmentId}", RouteSpace, snapshotPreview)
	addRoute(http.MethodGet, "runbookSnapshots/{id}/runbookRuns/template", RouteSpace, snapshotRunTemplate)
	addRoute(http.MethodGet, "runbooks/{id}/runbookRunTemplate", RouteSpace, func(c *Call) (any, error) {
		rb, err := c.srv.find(c, runbooksKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		return c.srv.runTemplate(c, rb.doc, "runbookruntemplate-"+str(rb.doc, "Id"), selfLink(runbooksKind, rb.doc)+"/runbookRunTemplate"), nil
	})
	addRoute(http.MethodGet, "runbookSnapshots/{id}/runbookRuns", RouteSpace, func(c *Call) (any, error) {
		snap, err := c.srv.find(c, runbookSnapshotsKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		return c.srv.relatedPage(c, runbookRunsKind, "RunbookSnapshotId", str(snap.doc, "Id"), "runbookSnapshots/"+str(snap.doc, "Id")+"/runbookRuns", "{?skip,take}")
	})
}

// previewTargets resolves the environment and tenant of a preview (by ID,
// name or slug).
func (s *Server) previewTargets(c *Call, envKey, tenantKey string) (env, tenant Doc, err error) {
	e := s.resolve(c, environmentsKind, envKey, nil)
	if e == nil {
		return nil, nil, notFound(envKey)
	}
	if tenantKey == "" {
		return e.doc, nil, nil
	}
	t := s.resolve(c, tenantsKind, tenantKey, nil)
	if t == nil {
		return nil, nil, notFound(tenantKey)
	}
	return e.doc, t.doc, nil
}

// stepsToExecute lists the actions of a process that run in env (for
// tenant, in channel) as DeploymentTemplateSteps.
func stepsToExecute(process, env, tenant Doc, channelID string, includeDisabled bool) []any {
	out := []any{}
	for i, x := range toList(process["Steps"]) {
		step, ok := x.(map[string]any)
		if !ok {
			continue
		}
		props, _ := step["Properties"].(map[string]any)
		roles := []any{}
		if r, _ := textOf(props["Octopus.Action.TargetRoles"]); r != "" {
			for _, role := range strings.Split(r, ",") {
				roles = append(roles, strings.TrimSpace(role))
			}
		}
		actions := toList(step["Actions"])
		for j, y := range actions {
			action, ok := y.(map[string]any)
			if !ok {
				continue
			}
			skip := actionSkip(action, env, channelID, tenant)
			disabled := boolean(action, "IsDisabled")
			if skip != "" && !(disabled && includeDisabled) {
				continue
			}
			number := fmt.Sprint(i + 1)
			if len(actions) > 1 {
				number = fmt.Sprintf("%d.%d", i+1, j+1)
			}
			out = append(out, Doc{
				"ActionId": action["Id"], "ActionName": action["Name"], "ActionNumber": number,
				"CanBeSkipped": !boolean(action, "IsRequired"), "IsDisabled": disabled, "Roles": roles,
				"HasNoApplicableMachines": false, "MachineNames": []any{}, "Machines": []any{},
				"ExcludedMachines": []any{}, "UnavailableMachines": []any{},
			})
		}
	}
	return out
}

// promptForm is the form of a run's prompted variables: one VariableValue
// element per variable with a Prompt, named by the variable's ID (the key
// FormValues take).
func promptForm(variableSets []Doc) Doc {
	elements := []any{}
	for _, set := range variableSets {
		for _, x := range toList(set["Variables"]) {
			v, ok := x.(map[string]any)
			if !ok {
				continue
			}
			prompt, ok := v["Prompt"].(map[string]any)
			if !ok {
				continue
			}
			elements = append(elements, map[string]any{"Name": v["Id"], "IsValueRequired": boolean(prompt, "Required"),
				"Control": map[string]any{"Type": "VariableValue", "Name": v["Name"], "Label": prompt["Label"],
					"Description": prompt["Description"], "IsSecure": boolean(v, "IsSensitive"), "IsRequired": boolean(prompt, "Required")}})
		}
	}
	return Doc{"Values": map[string]any{}, "Elements": elements}
}

func deploymentPreview(c *Call) (any, error) {
	s := c.srv
	rel, err := s.find(c, releasesKind, c.Param("releaseId"))
	if err != nil {
		return nil, err
	}
	tenantKey := c.Param("tenantId")
	if tenantKey == "" {
		tenantKey = c.QueryValue("tenantId")
	}
	env, tenant, err := s.previewTargets(c, c.Param("environmentId"), tenantKey)
	if err != nil {
		return nil, err
	}
	project := s.docCopy(projectsKind, c.SpaceID, str(rel.doc, "ProjectId"))
	process := s.frozen(c.SpaceID, str(rel.doc, "ProjectDeploymentProcessSnapshotId"))
	return Doc{
		"Id":                            "preview-" + str(rel.doc, "Id") + "-" + str(env, "Id"),
		"StepsToExecute":                stepsToExecute(process, env, tenant, str(rel.doc, "ChannelId"), c.queryBool("includeDisabledSteps", false)),
		"Form":                          promptForm(s.frozenVariableSets(c.SpaceID, rel.doc, "ProjectVariableSetSnapshotId")),
		"UseGuidedFailureModeByDefault": guidedFailureMode(str(project, "DefaultGuidedFailureMode"), env),
		"Changes":                       []any{map[string]any{"Version": rel.doc["Version"], "ReleaseNotes": rel.doc["ReleaseNotes"], "BuildInformation": []any{}, "Commits": []any{}, "WorkItems": []any{}}},
		"ChangesMarkdown":               "",
		"LastModifiedBy":                nil,
		"LastModifiedOn":                nil,
		"Links":                         map[string]any{"Self": c.R.URL.Path},
	}, nil
}

// runPreview is a RunbookRunPreviewResource for a snapshot or, without
// one, the runbook's current process.
func (s *Server) runPreview(c *Call, rb, snap Doc, envKey, tenantKey string) (any, error) {
	env, tenant, err := s.previewTargets(c, envKey, tenantKey)
	if err != nil {
		return nil, err
	}
	var process Doc
	var sets []Doc
	if snap != nil {
		process = s.frozen(c.SpaceID, str(snap, "FrozenRunbookProcessId"))
		sets = s.frozenVariableSets(c.SpaceID, snap, "FrozenProjectVariableSetId")
	} else {
		process = s.docCopy(runbookProcessesKind, c.SpaceID, str(rb, "RunbookProcessId"))
	}
	return Doc{
		"Id":                            "preview-" + str(rb, "Id") + "-" + str(env, "Id"),
		"StepsToExecute":                stepsToExecute(process, env, tenant, "", c.queryBool("includeDisabledSteps", false)),
		"Form":                          promptForm(sets),
		"UseGuidedFailureModeByDefault": guidedFailureMode(str(rb, "DefaultGuidedFailureMode"), env),
		"LastModifiedBy":                nil,
		"LastModifiedOn":                nil,
		"Links":                         map[string]any{"Self": c.R.URL.Path},
	}, nil
}

func runbookPreview(c *Call) (any, error) {
	s := c.srv
	rb, err := s.find(c, runbooksKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	var snap Doc
	if id := str(rb.doc, "PublishedRunbookSnapshotId"); id != "" {
		snap = s.docCopy(runbookSnapshotsKind, c.SpaceID, id)
	}
	tenant := c.Param("tenant")
	if tenant == "" {
		tenant = c.QueryValue("tenant")
	}
	return s.runPreview(c, rb.doc, snap, c.Param("environment"), tenant)
}

func snapshotPreview(c *Call) (any, error) {
	s := c.srv
	snap, err := s.find(c, runbookSnapshotsKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	rb := s.docCopy(runbooksKind, c.SpaceID, str(snap.doc, "RunbookId"))
	return s.runPreview(c, rb, snap.doc, c.Param("environmentId"), c.QueryValue("tenant"))
}

// snapshotRunTemplate lists the environments a snapshot's runbook may run
// in (its EnvironmentScope), untenanted when its MultiTenancyMode allows
// and per connected tenant.
func snapshotRunTemplate(c *Call) (any, error) {
	snap, err := c.srv.find(c, runbookSnapshotsKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	rb := c.srv.docCopy(runbooksKind, c.SpaceID, str(snap.doc, "RunbookId"))
	return c.srv.runTemplate(c, rb, "runbookruntemplate-"+str(snap.doc, "Id"), selfLink(runbookSnapshotsKind, snap.doc)+"/runbookRuns/template"), nil
}

// runTemplate is a RunbookRunTemplateResource: where the runbook may run.
func (s *Server) runTemplate(c *Call, rb Doc, id, self string) Doc {
	space := c.SpaceID
	project := s.docCopy(projectsKind, space, str(rb, "ProjectId"))
	mode := str(rb, "MultiTenancyMode")
	runsIn := func(tenant Doc) []Doc {
		var out []Doc
		for _, rec := range s.st.all(environmentsKind.Name) {
			e := rec.doc
			if !strings.EqualFold(rec.space, space) || !s.permitted(c, "EnvironmentView", space, s.scopeOf(space, environmentsKind, e)) {
				continue
			}
			if strings.EqualFold(str(rb, "EnvironmentScope"), "Specified") && !containsFold(strs(rb, "Environments"), str(e, "Id")) {
				continue
			}
			if checkTenant(mode, project, tenant, e) == nil {
				out = append(out, e)
			}
		}
		return out
	}
	promoteTo := []any{}
	if !strings.EqualFold(mode, "Tenanted") {
		promoteTo = promotionTargets(runsIn(nil))
	}
	tenants := []any{}
	if mode != "" && !strings.EqualFold(mode, "Untenanted") {
		for _, rec := range s.st.all(tenantsKind.Name) {
			if !strings.EqualFold(rec.space, space) || !connectedTo(rec.doc, str(project, "Id")) ||
				!s.permitted(c, "TenantView", space, s.scopeOf(space, tenantsKind, rec.doc)) {
				continue
			}
			tenants = append(tenants, Doc{"Id": rec.doc["Id"], "Name": rec.doc["Name"], "LastModifiedBy": nil, "LastModifiedOn": nil,
				"Links": map[string]any{"Self": selfLink(tenantsKind, rec.doc)}, "PromoteTo": promotionTargets(runsIn(rec.doc))})
		}
	}
	return Doc{
		"Id": id, "PromoteTo": promoteTo, "TenantPromotions": tenants,
		"IsRunbookProcessModified": false, "IsVariableSetModified": false, "IsLibraryVariableSetModified": false,
		"LastModifiedBy": nil, "LastModifiedOn": nil,
		"Links": map[string]any{"Self": self},
	}
}
