package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Projects, their deployment processes and their channels.
//
// Creating a project makes, as the real server does (octopus-api.md §3.5),
// its deployment process "deploymentprocess-Projects-N", its variable set
// "variableset-Projects-N" and a channel named "Default"; deleting the
// project deletes them again.

// The kinds of this file, assigned in init (see doc.go).
var (
	projectsKind            *Kind
	deploymentProcessesKind *Kind
	channelsKind            *Kind
)

func init() {
	projectsKind = registerKind(&Kind{
		Name:          "Projects",
		Segment:       "projects",
		Scope:         SpaceScoped,
		ItemType:      "Project",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?name,skip,ids,clone,take,partialName,clonedFromProjectId}",
		Defaults:      projectDefaults,
		Validate:      validateProject,
		AfterCreate:   projectCreated,
		BeforeUpdate:  keepProps("DeploymentProcessId", "VariableSetId", "ClonedFromProjectId"),
		AfterDelete:   projectDeleted,
		Links:         projectLinks,
		Lookup:        projectBySlug,
	})
	deploymentProcessesKind = registerKind(&Kind{
		Name:          "DeploymentProcesses",
		Segment:       "deploymentprocesses",
		Scope:         SpaceScoped,
		ItemType:      "DeploymentProcess",
		NoCreate:      true,
		NoDelete:      true,
		NoList:        true, // the real server has the paged list but no /all
		TemplateQuery: "{?skip,take,ids}",
		BeforeUpdate: func(c *Call, d, old Doc) error {
			keepOnly(d, deploymentProcessProps)
			return processBeforeUpdate(c, d, old)
		},
		Links: processLinks,
	})
	channelsKind = registerKind(&Kind{
		Name:          "Channels",
		Segment:       "channels",
		Scope:         SpaceScoped,
		ItemType:      "Channel",
		NameField:     "Name",
		Slugged:       true,
		TemplateQuery: "{?skip,take,ids,partialName}",
		Defaults:      channelDefaults,
		Validate:      validateChannel,
		BeforeUpdate:  keepProps("ProjectId", "IsDefault"),
		BeforeDelete:  channelBeforeDelete,
		Filter:        func(c *Call, d Doc) bool { return matchesQuery(c, d, "projectId", "ProjectId") },
	})
	addRoute(http.MethodGet, "deploymentprocesses", RouteSpace, func(c *Call) (any, error) {
		return c.srv.listHandler(c, deploymentProcessesKind)
	})
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		addRoute(method, "projects/{projectId}/deploymentprocesses", RouteSpace, projectOwned(method, deploymentProcessesKind, "DeploymentProcessId"))
	}
	addRoute(http.MethodGet, "projects/{projectId}/channels", RouteSpace, func(c *Call) (any, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		return c.srv.relatedPage(c, channelsKind, "ProjectId", str(p, "Id"), "projects/"+str(p, "Id")+"/channels", channelsKind.TemplateQuery)
	})
	addRoute(http.MethodPost, "projects/{projectId}/channels", RouteSpace, createInProject(channelsKind))
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		addRoute(method, "projects/{projectId}/channels/{id}", RouteSpace, projectScoped(method, channelsKind))
	}
	addRoute(http.MethodGet, "projects/{projectId}/summary", RouteSpace, projectSummary)
}

// The routes below /projects/{projectId}/ that serve documents a project
// owns (channels, runbooks, runbook processes and snapshots, the deployment
// process, the variable set) share these handlers.

// projectOwned serves GET or PUT of the one document of k the project points
// at through field (/projects/{projectId}/variables: VariableSetId).
func projectOwned(method string, k *Kind, field string) Handler {
	return func(c *Call) (any, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		return c.srv.serveItem(c, method, k, str(p, field))
	}
}

// projectScoped serves GET/PUT/DELETE of a document below
// /projects/{projectId}/…/{id}: it must belong to the project.
func projectScoped(method string, k *Kind) Handler {
	return func(c *Call) (any, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		rec, err := c.srv.find(c, k, c.Param("id"))
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(str(rec.doc, "ProjectId"), str(p, "Id")) {
			return nil, notFound(c.Param("id"))
		}
		return c.srv.serveItem(c, method, k, c.Param("id"))
	}
}

// createInProject serves POST /projects/{projectId}/…: a new document of k
// owned by the project.
func createInProject(k *Kind) Handler {
	return createHandler(k, func(c *Call) (Doc, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		return Doc{"ProjectId": p["Id"]}, nil
	})
}

// projectSummary serves /projects/{projectId}/summary
// (GetProjectSummaryInDatabaseResponse). The emulator runs no deployments,
// so HasBeenSuccessfullyDeployed is always false.
func projectSummary(c *Call) (any, error) {
	p, err := c.srv.projectFor(c)
	if err != nil {
		return nil, err
	}
	hasSteps := false
	if rec := c.srv.st.get(deploymentProcessesKind.Name, c.SpaceID, str(p, "DeploymentProcessId")); rec != nil {
		steps, _ := rec.doc["Steps"].([]any)
		hasSteps = len(steps) > 0
	}
	hasRunbooks := false
	if kinds["Runbooks"] != nil {
		for _, rb := range c.srv.docs("Runbooks", c.SpaceID) {
			if strings.EqualFold(str(rb, "ProjectId"), str(p, "Id")) {
				hasRunbooks = true
				break
			}
		}
	}
	return Doc{"HasDeploymentProcess": hasSteps, "HasRunbooks": hasRunbooks, "HasBeenSuccessfullyDeployed": false}, nil
}

// projectFor returns the project named by the {projectId} route parameter,
// by ID or slug (the real server resolves both: octopus-api.md §2).
func (s *Server) projectFor(c *Call) (Doc, error) {
	return s.projectByIDOrSlug(c, c.Param("projectId"))
}

func (s *Server) projectByIDOrSlug(c *Call, key string) (Doc, error) {
	rec, err := s.find(c, projectsKind, key)
	if err != nil {
		return nil, err
	}
	return rec.doc, nil
}

// projectBySlug is the projects kind's Lookup: a project also answers to its
// slug in the space the call addresses.
func projectBySlug(c *Call, key string) *record {
	for _, rec := range c.srv.st.all(projectsKind.Name) {
		if strings.EqualFold(rec.space, c.SpaceID) && strings.EqualFold(str(rec.doc, "Slug"), key) {
			return rec
		}
	}
	return nil
}

func projectDefaults(c *Call, d Doc) error {
	ensure(d, "Description", "")
	ensure(d, "IsDisabled", false)
	ensure(d, "AutoCreateRelease", false)
	ensure(d, "DefaultGuidedFailureMode", "EnvironmentDefault")
	ensure(d, "DefaultToSkipIfAlreadyInstalled", false)
	ensure(d, "DiscreteChannelRelease", false)
	ensure(d, "IncludedLibraryVariableSetIds", []any{})
	ensure(d, "TenantedDeploymentMode", "Untenanted")
	ensure(d, "Templates", []any{})
	ensure(d, "ExtensionSettings", []any{})
	ensure(d, "AutoDeployReleaseOverrides", []any{})
	ensure(d, "ProjectTags", []any{})
	ensure(d, "IsVersionControlled", false)
	ensure(d, "AllowIgnoreChannelRules", false)
	ensure(d, "CombineHealthAndSyncStatusInDashboardLiveStatus", false)
	ensure(d, "ForcePackageDownload", false)
	ensure(d, "ClonedFromProjectId", nil)
	ensure(d, "DeploymentChangesTemplate", nil)
	ensure(d, "ReleaseNotesTemplate", nil)
	ensure(d, "PersistenceSettings", map[string]any{"Type": "Database"})
	ensure(d, "ProjectConnectivityPolicy", map[string]any{
		"SkipMachineBehavior": "None", "TargetRoles": []any{},
		"AllowDeploymentsToNoTargets": false, "ExcludeUnhealthyTargets": false,
	})
	ensure(d, "VersioningStrategy", map[string]any{
		"Template":     "#{Octopus.Version.LastMajor}.#{Octopus.Version.LastMinor}.#{Octopus.Version.NextPatch}",
		"DonorPackage": nil,
	})
	ensure(d, "ReleaseCreationStrategy", map[string]any{"ChannelId": nil, "ReleaseCreationPackage": nil})
	return nil
}

// The property names of the real resources (swagger 2026.1 definitions).
var (
	projectProps = []string{"AllowIgnoreChannelRules", "AutoCreateRelease", "AutoDeployReleaseOverrides", "ClonedFromProjectId",
		"CombineHealthAndSyncStatusInDashboardLiveStatus", "DefaultGuidedFailureMode", "DefaultPowerShellEdition",
		"DefaultToSkipIfAlreadyInstalled", "DeploymentChangesTemplate", "DeploymentProcessId", "DeprovisioningRunbookId",
		"Description", "DiscreteChannelRelease", "ExecuteDeploymentsOnResilientPipeline", "ExtensionSettings",
		"ForcePackageDownload", "Icon", "Id", "IncludedLibraryVariableSetIds", "IsDisabled", "IsVersionControlled",
		"LastModifiedBy", "LastModifiedOn", "LifecycleId", "Name", "PersistenceSettings", "ProjectConnectivityPolicy",
		"ProjectGroupId", "ProjectTags", "ProjectTemplateDetails", "ProvisioningRunbookId", "ReleaseCreationStrategy",
		"ReleaseNotesTemplate", "Slug", "SpaceId", "Templates", "TenantedDeploymentMode", "VariableSetId", "VersioningStrategy"}
	channelProps = []string{"AutomaticEphemeralEnvironmentDeployments", "CustomFieldDefinitions", "Description",
		"EphemeralEnvironmentNameTemplate", "GitReferenceRules", "GitResourceRules", "Id", "IsDefault", "LastModifiedBy",
		"LastModifiedOn", "LifecycleId", "Name", "ParentEnvironmentId", "ProjectId", "Rules", "Slug", "SpaceId", "TenantTags", "Type"}
	deploymentProcessProps = []string{"Id", "LastModifiedBy", "LastModifiedOn", "LastSnapshotId", "ProjectId", "SpaceId", "Steps", "Version"}
)

// tenantedModes are the values of a project's TenantedDeploymentMode and of
// a runbook's MultiTenancyMode (the same enum in swagger 2026.1).
var tenantedModes = []string{"Untenanted", "TenantedOrUntenanted", "Tenanted"}

func validateProject(c *Call, d, old Doc) error {
	var errs []string
	// The owned documents are named after the project; the client cannot
	// choose them. (Defaults run before the ID is assigned.)
	if old == nil {
		d["DeploymentProcessId"] = "deploymentprocess-" + str(d, "Id")
		d["VariableSetId"] = "variableset-" + str(d, "Id")
	}
	if str(d, "Name") == "" {
		errs = append(errs, "Please provide a value for Name.")
	}
	if id := str(d, "LifecycleId"); id == "" {
		errs = append(errs, "Please provide a value for LifecycleId.")
	} else if !c.srv.exists("Lifecycles", c.SpaceID, id) {
		errs = append(errs, fmt.Sprintf("The lifecycle '%s' does not exist.", id))
	}
	if id := str(d, "ProjectGroupId"); id == "" {
		errs = append(errs, "Please provide a value for ProjectGroupId.")
	} else if !c.srv.exists("ProjectGroups", c.SpaceID, id) {
		errs = append(errs, fmt.Sprintf("The project group '%s' does not exist.", id))
	}
	if m := str(d, "TenantedDeploymentMode"); !containsFold(tenantedModes, m) {
		errs = append(errs, fmt.Sprintf("'%s' is not a valid TenantedDeploymentMode.", m))
	}
	for _, id := range strs(d, "IncludedLibraryVariableSetIds") {
		if !c.srv.exists(libraryVariableSetsKind.Name, c.SpaceID, id) {
			errs = append(errs, fmt.Sprintf("The library variable set '%s' does not exist.", id))
		}
	}
	if err := assignTemplateIDs(d, "Templates"); err != nil {
		return err
	}
	if len(errs) > 0 {
		return badRequest(errs...)
	}
	keepOnly(d, projectProps)
	return nil
}

// exists reports whether a document of a kind exists; a kind that is not
// registered counts as existing, so that a missing kind does not break
// validation of the kinds that refer to it.
func (s *Server) exists(kindName, space, id string) bool {
	k := kinds[kindName]
	if k == nil {
		return true
	}
	return s.st.get(k.Name, storeSpace(k, space), id) != nil
}

func projectCreated(c *Call, d Doc) error {
	id := str(d, "Id")
	c.srv.putOwned(c, deploymentProcessesKind, Doc{
		"Id":             str(d, "DeploymentProcessId"),
		"ProjectId":      id,
		"SpaceId":        c.SpaceID,
		"Version":        0,
		"Steps":          []any{},
		"LastSnapshotId": nil,
	})
	c.srv.putOwned(c, variableSetsKind, newVariableSet(str(d, "VariableSetId"), id, c.SpaceID))
	ch := Doc{"Name": "Default", "ProjectId": id, "IsDefault": true}
	if _, err := c.srv.create(c, channelsKind, ch); err != nil {
		return fmt.Errorf("create the default channel of %s: %w", id, err)
	}
	return nil
}

func projectDeleted(c *Call, d Doc) error {
	s := c.srv
	id := str(d, "Id")
	s.st.delete(deploymentProcessesKind.Name, c.SpaceID, str(d, "DeploymentProcessId"))
	s.st.delete(variableSetsKind.Name, c.SpaceID, str(d, "VariableSetId"))
	for _, rec := range s.st.all(channelsKind.Name) {
		if strings.EqualFold(str(rec.doc, "ProjectId"), id) {
			s.st.delete(channelsKind.Name, rec.space, str(rec.doc, "Id"))
		}
	}
	// What other files keep per project goes with it (the real server deletes
	// a project's runbooks, releases and deployments with the project).
	for _, name := range []string{"Runbooks", "RunbookProcesses", "RunbookSnapshots", "Releases", "Deployments", "ProjectTriggers"} {
		if kinds[name] == nil {
			continue
		}
		for _, rec := range s.st.all(name) {
			if strings.EqualFold(str(rec.doc, "ProjectId"), id) {
				s.st.delete(name, rec.space, str(rec.doc, "Id"))
			}
		}
	}
	// Tenants lose their connection to the project, as on the real server.
	for _, rec := range s.st.all(tenantsKind.Name) {
		pe, ok := rec.doc["ProjectEnvironments"].(map[string]any)
		if !ok {
			continue
		}
		for k := range pe {
			if strings.EqualFold(k, id) {
				delete(pe, k)
			}
		}
	}
	c.Changed()
	return nil
}

func projectLinks(d Doc, self string) map[string]string {
	base := linkTo(d, "projects", "Id")
	return map[string]string{
		"Web":                "/app#/" + str(d, "SpaceId") + "/projects/" + str(d, "Id"),
		"Logo":               base + "/logo",
		"DeploymentProcess":  base + "/deploymentprocesses",
		"Channels":           base + "/channels{/id}{?skip,take,partialName}",
		"Variables":          base + "/variables",
		"Releases":           base + "/releases{/version}{?skip,take,searchByVersion}",
		"Runbooks":           base + "/runbooks{?skip,take,partialName}",
		"RunbookSnapshots":   base + "/runbookSnapshots{/name}{?skip,take,searchByName}",
		"Triggers":           base + "/triggers{?skip,take,partialName,triggerActionType,triggerActionCategory,runbooks}",
		"Summary":            base + "/summary",
		"Progression":        base + "/progression",
		"DeploymentSettings": base + "/deploymentsettings",
		"Metadata":           base + "/metadata",
	}
}

// keepProps returns a BeforeUpdate hook that keeps server-owned properties
// whatever the client sends.
func keepProps(names ...string) func(c *Call, d, old Doc) error {
	return func(c *Call, d, old Doc) error {
		for _, n := range names {
			if v, ok := old[n]; ok {
				d[n] = v
			} else {
				delete(d, n)
			}
		}
		return nil
	}
}

// putOwned stores a document the server creates by itself (a project's
// process and variable set): no name checks and no audit event of its own.
func (s *Server) putOwned(c *Call, k *Kind, d Doc) {
	s.stamp(c, d)
	s.st.put(k.Name, &record{space: storeSpace(k, c.SpaceID), doc: d})
	c.Changed()
}

// processBeforeUpdate applies the deployment process rules: the body must
// carry Steps ("The Steps field is required.", 2023.2+) and the Version the
// client loaded (optimistic concurrency); the server increments Version and
// gives new steps and actions their IDs.
func processBeforeUpdate(c *Call, d, old Doc) error {
	for _, n := range []string{"ProjectId", "LastSnapshotId", "RunbookId"} {
		if v, ok := old[n]; ok {
			d[n] = v
		}
	}
	steps, ok := d["Steps"].([]any)
	if !ok {
		return badRequest("The Steps field is required.")
	}
	have, _ := integer(old, "Version")
	sent, ok := integer(d, "Version")
	if !ok {
		return badRequest("The Version field is required.")
	}
	if sent != have {
		// The real message is not published; the status and the idea
		// (reload and retry) are what clients rely on.
		return badRequest(fmt.Sprintf("The process has been modified since you loaded it (version %d, you sent %d). Please reload and try again.", have, sent))
	}
	var errs []string
	for i, x := range steps {
		step, ok := x.(map[string]any)
		if !ok {
			return badRequest(fmt.Sprintf("Steps[%d] must be an object.", i))
		}
		if str(step, "Name") == "" {
			errs = append(errs, fmt.Sprintf("Steps[%d]: Please provide a value for Name.", i))
		}
		if err := ensureID(step); err != nil {
			return err
		}
		ensure(step, "Slug", slugify(str(step, "Name")))
		ensure(step, "Properties", map[string]any{})
		ensure(step, "Condition", "Success")
		ensure(step, "StartTrigger", "StartAfterPrevious")
		ensure(step, "PackageRequirement", "LetOctopusDecide")
		actions, _ := step["Actions"].([]any)
		for j, y := range actions {
			action, ok := y.(map[string]any)
			if !ok {
				return badRequest(fmt.Sprintf("Steps[%d].Actions[%d] must be an object.", i, j))
			}
			if str(action, "Name") == "" {
				errs = append(errs, fmt.Sprintf("Steps[%d].Actions[%d]: Please provide a value for Name.", i, j))
			}
			if str(action, "ActionType") == "" {
				errs = append(errs, fmt.Sprintf("Steps[%d].Actions[%d]: Please provide a value for ActionType.", i, j))
			}
			if err := ensureID(action); err != nil {
				return err
			}
			ensure(action, "Slug", slugify(str(action, "Name")))
			ensure(action, "Properties", map[string]any{})
			for _, n := range []string{"Environments", "ExcludedEnvironments", "Channels", "TenantTags", "Packages", "GitDependencies"} {
				ensure(action, n, []any{})
			}
		}
		ensure(step, "Actions", []any{})
	}
	if len(errs) > 0 {
		return badRequest(errs...)
	}
	d["Version"] = have + 1
	return nil
}

func processLinks(d Doc, self string) map[string]string {
	return map[string]string{
		"Project":  linkTo(d, "projects", "ProjectId"),
		"Template": linkTo(d, "deploymentprocesses", "Id") + "/template{?channel,releaseId}",
	}
}

func channelDefaults(c *Call, d Doc) error {
	ensure(d, "Description", "")
	ensure(d, "IsDefault", false)
	ensure(d, "LifecycleId", nil)
	ensure(d, "Rules", []any{})
	ensure(d, "TenantTags", []any{})
	ensure(d, "Type", "Lifecycle")
	ensure(d, "GitReferenceRules", []any{})
	ensure(d, "GitResourceRules", []any{})
	ensure(d, "CustomFieldDefinitions", []any{})
	return nil
}

// validateChannel checks the project and that the name is unique within it
// (channel names are per project, not per space).
func validateChannel(c *Call, d, old Doc) error {
	keepOnly(d, channelProps)
	pid := str(d, "ProjectId")
	if pid == "" {
		return badRequest("Please provide a value for ProjectId.")
	}
	p, err := c.srv.projectByIDOrSlug(c, pid)
	if err != nil {
		return badRequest(fmt.Sprintf("The project '%s' does not exist.", pid))
	}
	d["ProjectId"] = p["Id"]
	if lc := str(d, "LifecycleId"); lc != "" && !c.srv.exists("Lifecycles", c.SpaceID, lc) {
		return badRequest(fmt.Sprintf("The lifecycle '%s' does not exist.", lc))
	}
	name := strings.TrimSpace(str(d, "Name"))
	for _, rec := range c.srv.st.all(channelsKind.Name) {
		o := rec.doc
		if strings.EqualFold(str(o, "Id"), str(d, "Id")) || !strings.EqualFold(str(o, "ProjectId"), str(d, "ProjectId")) {
			continue
		}
		if strings.EqualFold(str(o, "Name"), name) {
			return badRequest(fmt.Sprintf("The channel name '%s' is already in use by another channel in this project.", name))
		}
	}
	return nil
}

func channelBeforeDelete(c *Call, d Doc) error {
	if boolean(d, "IsDefault") {
		return badRequest("The default channel cannot be deleted.")
	}
	return nil
}

// matchesQuery applies an optional exact-match list filter (?projectId=...).
func matchesQuery(c *Call, d Doc, param, field string) bool {
	want := c.Query(param)
	if len(want) == 0 {
		return true
	}
	return containsFold(want, str(d, field))
}

// ensureID gives m a new UUID Id when it has none, the form Octopus gives
// steps, actions, variables and template parameters.
func ensureID(m map[string]any) error {
	if str(m, "Id") != "" {
		return nil
	}
	id, err := newUUID()
	if err != nil {
		return err
	}
	m["Id"] = id
	return nil
}
