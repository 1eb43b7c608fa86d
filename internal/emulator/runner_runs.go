package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Runbook runs (RunbookRunResource): POST /runbookRuns runs a snapshot of a
// runbook (the published one when the body names none) in an environment,
// optionally for a tenant, as a server task. The command form POST
// /runbook-runs/create/v1 (go-octopusdeploy's runbooks.RunbookRunV1, the
// Octopus CLI's `runbook run`) takes names, and starts one run per
// environment and tenant.

var runbookRunsKind *Kind

func init() {
	runbookRunsKind = registerKind(&Kind{
		Name:          "RunbookRuns",
		NoAll:         true, // the real server has no /all here
		Segment:       "runbookRuns",
		Scope:         SpaceScoped,
		ItemType:      "RunbookRun",
		NameField:     "Name", // partialName and name filter on it
		NoUpdate:      true,
		TemplateQuery: "{?skip,take,ids,projects,environments,tenants,runbooks,taskState,partialName}",
		Defaults:      executionDefaults,
		Validate:      validateRunbookRun,
		AfterCreate:   runbookRunCreated,
		Filter: func(c *Call, d Doc) bool {
			return matchesQuery(c, d, "projects", "ProjectId") && matchesQuery(c, d, "environments", "EnvironmentId") &&
				matchesQuery(c, d, "tenants", "TenantId") && matchesQuery(c, d, "runbooks", "RunbookId")
		},
		Less: newestFirst,
		Links: func(d Doc, _ string) map[string]string {
			return map[string]string{
				"Task":            "/api/tasks/" + url.PathEscape(str(d, "TaskId")),
				"Runbook":         linkTo(d, "runbooks", "RunbookId"),
				"RunbookSnapshot": linkTo(d, "runbookSnapshots", "RunbookSnapshotId"),
				"Environment":     linkTo(d, "environments", "EnvironmentId"),
				"Project":         linkTo(d, "projects", "ProjectId"),
				"Web":             "/app#/" + str(d, "SpaceId") + "/projects/" + str(d, "ProjectId") + "/operations/runbooks/" + str(d, "RunbookId") + "/snapshots/" + str(d, "RunbookSnapshotId") + "/runs/" + str(d, "Id"),
			}
		},
	})
	addRoute(http.MethodPost, "runbook-runs/create/v1", RouteSpace, runbookRunCommand)
	addRoute(http.MethodGet, "projects/{projectId}/runbookRuns", RouteSpace, func(c *Call) (any, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		return c.srv.relatedPage(c, runbookRunsKind, "ProjectId", str(p, "Id"), "projects/"+str(p, "Id")+"/runbookRuns", "{?skip,take}")
	})
}

// executionDefaults fills the properties runbook runs and deployments share
// (DeploymentResource and RunbookRunResource).
func executionDefaults(c *Call, d Doc) error {
	ensure(d, "TenantId", nil)
	ensure(d, "Comments", nil)
	ensure(d, "FormValues", map[string]any{})
	ensure(d, "SkipActions", []any{})
	ensure(d, "SpecificMachineIds", []any{})
	ensure(d, "ExcludedMachineIds", []any{})
	ensure(d, "DeployedToMachineIds", []any{})
	ensure(d, "ForcePackageDownload", false)
	ensure(d, "UseGuidedFailure", false)
	ensure(d, "FailureEncountered", false)
	ensure(d, "DebugMode", false)
	ensure(d, "QueueTime", nil)
	ensure(d, "QueueTimeExpiry", nil)
	d["Created"] = c.srv.now().Format(timeLayout)
	d["DeployedBy"] = c.Username
	d["DeployedById"] = c.UserID
	return nil
}

// resolve finds a document of the space by ID, slug or name.
func (s *Server) resolve(c *Call, k *Kind, key string, within func(Doc) bool) *record {
	if key == "" {
		return nil
	}
	if rec := s.st.get(k.Name, storeSpace(k, c.SpaceID), key); rec != nil && (within == nil || within(rec.doc)) {
		return rec
	}
	for _, rec := range s.st.all(k.Name) {
		if k.Scope == SpaceScoped && !strings.EqualFold(rec.space, c.SpaceID) {
			continue
		}
		if within != nil && !within(rec.doc) {
			continue
		}
		if strings.EqualFold(str(rec.doc, "Name"), key) || (str(rec.doc, "Slug") != "" && strings.EqualFold(str(rec.doc, "Slug"), key)) {
			return rec
		}
	}
	return nil
}

// checkTenant enforces the tenancy rules of a run or deployment: mode is the
// runbook's MultiTenancyMode or the project's TenantedDeploymentMode, and a
// tenant must be connected to the project in that environment.
func checkTenant(mode string, project, tenant, env Doc) error {
	switch {
	case tenant == nil && strings.EqualFold(mode, "Tenanted"):
		return badRequest(fmt.Sprintf("The project '%s' can only be run for tenants: choose a tenant.", str(project, "Name")))
	case tenant != nil && (mode == "" || strings.EqualFold(mode, "Untenanted")):
		return badRequest(fmt.Sprintf("The project '%s' does not allow tenanted runs, so it cannot run for the tenant '%s'.", str(project, "Name"), str(tenant, "Name")))
	case tenant != nil:
		pe, _ := tenant["ProjectEnvironments"].(map[string]any)
		envs, _ := lookup(pe, str(project, "Id")).([]any)
		if !containsFold(anyStrings(envs), str(env, "Id")) {
			return badRequest(fmt.Sprintf("The tenant '%s' is not connected to the project '%s' in the environment '%s'.", str(tenant, "Name"), str(project, "Name"), str(env, "Name")))
		}
	}
	return nil
}

// executionScope is what a deployment or runbook run is about, for
// permission restrictions: no tenant is a value of its own.
func executionScope(project, env, tenant Doc) resScope {
	return resScope{restrictProjects: str(project, "Id"), restrictProjectGroups: str(project, "ProjectGroupId"),
		restrictEnvironments: str(env, "Id"), restrictTenants: str(tenant, "Id")}
}

// executionTargets resolves the environment and tenant of a run or deployment body.
func (s *Server) executionTargets(c *Call, d Doc) (env, tenant Doc, err error) {
	e := s.st.get(environmentsKind.Name, c.SpaceID, str(d, "EnvironmentId"))
	if e == nil {
		return nil, nil, badRequest(fmt.Sprintf("The environment '%s' does not exist.", str(d, "EnvironmentId")))
	}
	if id := str(d, "TenantId"); id != "" {
		t := s.st.get(tenantsKind.Name, c.SpaceID, id)
		if t == nil {
			return nil, nil, badRequest(fmt.Sprintf("The tenant '%s' does not exist.", id))
		}
		d["TenantId"] = t.doc["Id"]
		return e.doc, t.doc, nil
	}
	return e.doc, nil, nil
}

func validateRunbookRun(c *Call, d, _ Doc) error {
	s := c.srv
	rb := s.st.get(runbooksKind.Name, c.SpaceID, str(d, "RunbookId"))
	if rb == nil {
		return badRequest(fmt.Sprintf("The runbook '%s' does not exist.", str(d, "RunbookId")))
	}
	snapID := str(d, "RunbookSnapshotId")
	if snapID == "" {
		snapID = str(rb.doc, "PublishedRunbookSnapshotId")
	}
	if snapID == "" {
		return badRequest(fmt.Sprintf("The runbook '%s' has no published snapshot: publish one or name a RunbookSnapshotId.", str(rb.doc, "Name")))
	}
	snap := s.st.get(runbookSnapshotsKind.Name, c.SpaceID, snapID)
	if snap == nil || !strings.EqualFold(str(snap.doc, "RunbookId"), str(rb.doc, "Id")) {
		return badRequest(fmt.Sprintf("The runbook snapshot '%s' does not exist for the runbook '%s'.", snapID, str(rb.doc, "Name")))
	}
	env, tenant, err := s.executionTargets(c, d)
	if err != nil {
		return err
	}
	project := s.st.get(projectsKind.Name, c.SpaceID, str(rb.doc, "ProjectId"))
	if project == nil {
		return badRequest(fmt.Sprintf("The project '%s' does not exist.", str(rb.doc, "ProjectId")))
	}
	if strings.EqualFold(str(rb.doc, "EnvironmentScope"), "Specified") && !containsFold(strs(rb.doc, "Environments"), str(env, "Id")) {
		return badRequest(fmt.Sprintf("The runbook '%s' cannot run in the environment '%s'.", str(rb.doc, "Name"), str(env, "Name")))
	}
	if err := checkTenant(str(rb.doc, "MultiTenancyMode"), project.doc, tenant, env); err != nil {
		return err
	}
	if err := s.require(c, "RunbookRunCreate", c.SpaceID, executionScope(project.doc, env, tenant)); err != nil {
		return err
	}
	d["RunbookSnapshotId"] = snap.doc["Id"]
	d["RunbookId"] = rb.doc["Id"]
	d["ProjectId"] = project.doc["Id"]
	d["FrozenRunbookProcessId"] = snap.doc["FrozenRunbookProcessId"]
	d["Name"] = str(rb.doc, "Name")
	d["RunbookName"] = str(rb.doc, "Name")
	return nil
}

// runbookRunCreated queues the run's task.
func runbookRunCreated(c *Call, d Doc) error {
	s := c.srv
	rb := s.st.get(runbooksKind.Name, c.SpaceID, str(d, "RunbookId")).doc
	snap := s.st.get(runbookSnapshotsKind.Name, c.SpaceID, str(d, "RunbookSnapshotId")).doc
	project := s.st.get(projectsKind.Name, c.SpaceID, str(d, "ProjectId")).doc
	env, tenant, err := s.executionTargets(c, d)
	if err != nil {
		return err
	}
	desc := fmt.Sprintf("Run %s in %s", str(rb, "Name"), str(env, "Name"))
	return s.queueExecution(c, d, "RunbookRun", desc, "RunbookRunId", planInput{
		what:          "runbook run",
		project:       project,
		process:       s.frozen(c.SpaceID, str(snap, "FrozenRunbookProcessId")),
		variableSets:  s.frozenVariableSets(c.SpaceID, snap, "FrozenProjectVariableSetId"),
		environment:   env,
		tenant:        tenant,
		ownerID:       str(rb, "Id"),
		selected:      toList(snap["SelectedPackages"]),
		prompted:      promptedValues(d),
		guidedFailure: guidedFailureMode(str(rb, "DefaultGuidedFailureMode"), env),
		system: map[string]string{
			"Octopus.Runbook.Id":           str(rb, "Id"),
			"Octopus.Runbook.Name":         str(rb, "Name"),
			"Octopus.RunbookRun.Id":        str(d, "Id"),
			"Octopus.RunbookRun.Name":      str(d, "Name"),
			"Octopus.RunbookSnapshot.Id":   str(snap, "Id"),
			"Octopus.RunbookSnapshot.Name": str(snap, "Name"),
		},
	})
}

// queueExecution gives a new deployment or runbook run d its server task
// (name, with d's ID as the argument argName) and queues the plan of in. The
// task's description is desc, plus " for <tenant>" when tenanted; the plan
// gets Octopus.Task.Id.
func (s *Server) queueExecution(c *Call, d Doc, name, desc, argName string, in planInput) error {
	if in.tenant != nil {
		desc += " for " + str(in.tenant, "Name")
	}
	task, err := s.newTask(c, name, desc, str(in.project, "Id"), map[string]any{argName: d["Id"]})
	if err != nil {
		return err
	}
	taskID := str(task, "Id")
	d["TaskId"] = taskID
	d["QueueTime"] = task["QueueTime"]
	in.system["Octopus.Task.Id"] = taskID
	plan := s.buildPlan(c, in)
	plan.space = c.SpaceID
	plan.related = []string{str(d, "Id"), taskID, str(in.project, "Id"), str(in.environment, "Id")}
	plan.scope = map[string]any{"ProjectId": str(in.project, "Id"), "EnvironmentId": str(in.environment, "Id"), "TenantId": nil}
	if in.tenant != nil {
		plan.related = append(plan.related, str(in.tenant, "Id"))
		plan.scope["TenantId"] = str(in.tenant, "Id")
	}
	plan.guidedFailure = in.guidedFailure || boolean(d, "UseGuidedFailure")
	s.tasks().enqueue(taskID, desc, plan)
	return nil
}

// guidedFailureMode applies a DefaultGuidedFailureMode (On, Off,
// EnvironmentDefault) to an environment.
func guidedFailureMode(mode string, env Doc) bool {
	switch strings.ToLower(mode) {
	case "on":
		return true
	case "off":
		return false
	}
	return boolean(env, "UseGuidedFailure")
}

// promptedValues returns the values of prompted variables a body carries:
// FormValues, and the command form's "variables" (which the command
// handlers pass as FormValues). The real server keys FormValues by the
// prompted variable's control ID; the emulator takes the keys as variable
// names.
func promptedValues(d Doc) map[string]string {
	out := map[string]string{}
	fv, _ := d["FormValues"].(map[string]any)
	for k, v := range fv {
		if text, _ := textOf(v); k != "" {
			out[k] = text
		}
	}
	return out
}

// commandBody decodes a v1 command (camelCase properties).
func commandBody(c *Call) (Doc, error) {
	d, err := c.Body()
	if err != nil {
		return nil, err
	}
	out := Doc{}
	for k, v := range d {
		out[strings.ToLower(k)] = v
	}
	return out, nil
}

// commandProject decodes a v1 command and resolves its projectName.
func commandProject(c *Call) (body Doc, project *record, err error) {
	if body, err = commandBody(c); err != nil {
		return nil, nil, err
	}
	if project = c.srv.resolve(c, projectsKind, str(body, "projectname"), nil); project == nil {
		return nil, nil, badRequest(fmt.Sprintf("The project '%s' does not exist.", str(body, "projectname")))
	}
	return body, project, nil
}

// startPerTarget serves the tail of the deployment and runbook run
// commands: one document of k (base plus the environment, tenant and
// prompted values) per environment name and tenant (nil: untenanted). It
// answers with {idName: the document's Id, "ServerTaskId": its task} each.
func (s *Server) startPerTarget(c *Call, k *Kind, project, base, body Doc, envNames []string, tenants []Doc, idName string) ([]any, error) {
	out := []any{}
	var envs []*record
	for _, name := range envNames {
		env := s.resolve(c, environmentsKind, name, nil)
		if env == nil {
			return nil, badRequest(fmt.Sprintf("The environment '%s' does not exist.", name))
		}
		envs = append(envs, env)
	}
	// Every target is allowed or nothing starts: the real server refuses a
	// multi-tenant deployment that one of its tenants is not allowed for
	// (OctopusDeploy/Issues #9991).
	perm := "DeploymentCreate"
	if k == runbookRunsKind {
		perm = "RunbookRunCreate"
	}
	for _, env := range envs {
		for _, t := range tenants {
			if err := s.require(c, perm, c.SpaceID, executionScope(project, env.doc, t)); err != nil {
				return nil, err
			}
		}
	}
	for _, env := range envs {
		for _, t := range tenants {
			d := cloneDoc(base)
			d["EnvironmentId"] = env.doc["Id"]
			d["FormValues"] = commandVariables(body)
			if v, ok := body["useguidedfailure"].(bool); ok {
				d["UseGuidedFailure"] = v // null means "the default"
			}
			if t != nil {
				d["TenantId"] = t["Id"]
			}
			created, err := s.create(c, k, d)
			if err != nil {
				return nil, err
			}
			out = append(out, map[string]any{idName: created["Id"], "ServerTaskId": created["TaskId"]})
		}
	}
	return out, nil
}

// commandTenants resolves the tenants of a v1 command: by name or ID, plus
// every tenant with one of the tags, connected to the project.
func (s *Server) commandTenants(c *Call, body Doc, project Doc) ([]Doc, error) {
	var out []Doc
	seen := map[string]bool{}
	for _, key := range anyStrings(toList(body["tenants"])) {
		t := s.resolve(c, tenantsKind, key, nil)
		if t == nil {
			return nil, badRequest(fmt.Sprintf("The tenant '%s' does not exist.", key))
		}
		if !seen[strings.ToLower(str(t.doc, "Id"))] {
			seen[strings.ToLower(str(t.doc, "Id"))] = true
			out = append(out, t.doc)
		}
	}
	if tags := anyStrings(toList(body["tenanttags"])); len(tags) > 0 {
		for _, rec := range s.st.all(tenantsKind.Name) {
			if strings.EqualFold(rec.space, c.SpaceID) && connectedTo(rec.doc, str(project, "Id")) &&
				sharesTag(tags, strs(rec.doc, "TenantTags")) && !seen[strings.ToLower(str(rec.doc, "Id"))] {
				seen[strings.ToLower(str(rec.doc, "Id"))] = true
				out = append(out, rec.doc)
			}
		}
	}
	return out, nil
}

// commandVariables returns a v1 command's prompted variable values as FormValues.
func commandVariables(body Doc) map[string]any {
	out := map[string]any{}
	if vs, ok := body["variables"].(map[string]any); ok {
		for k, v := range vs {
			out[k] = v
		}
	}
	return out
}

// runbookRunCommand serves POST runbook-runs/create/v1.
func runbookRunCommand(c *Call) (any, error) {
	s := c.srv
	body, project, err := commandProject(c)
	if err != nil {
		return nil, err
	}
	pid := str(project.doc, "Id")
	rb := s.resolve(c, runbooksKind, str(body, "runbookname"), func(d Doc) bool { return strings.EqualFold(str(d, "ProjectId"), pid) })
	if rb == nil {
		return nil, badRequest(fmt.Sprintf("The runbook '%s' does not exist in the project '%s'.", str(body, "runbookname"), str(project.doc, "Name")))
	}
	snapID := ""
	if key := str(body, "snapshot"); key != "" {
		snap := s.resolve(c, runbookSnapshotsKind, key, func(d Doc) bool { return strings.EqualFold(str(d, "RunbookId"), str(rb.doc, "Id")) })
		if snap == nil {
			return nil, badRequest(fmt.Sprintf("The runbook snapshot '%s' does not exist.", key))
		}
		snapID = str(snap.doc, "Id")
	}
	envNames := anyStrings(toList(body["environmentnames"]))
	if len(envNames) == 0 {
		return nil, badRequest("Please provide at least one environment in environmentNames.")
	}
	tenants, err := s.commandTenants(c, body, project.doc)
	if err != nil {
		return nil, err
	}
	if len(tenants) == 0 {
		tenants = []Doc{nil}
	}
	out, err := s.startPerTarget(c, runbookRunsKind, project.doc, Doc{"RunbookId": rb.doc["Id"], "RunbookSnapshotId": snapID}, body, envNames, tenants, "RunbookRunId")
	if err != nil {
		return nil, err
	}
	return Doc{"RunbookRunServerTasks": out}, nil
}
