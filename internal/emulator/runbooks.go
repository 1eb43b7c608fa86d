package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Runbooks and runbook processes.
//
// Creating a runbook makes, as the real server does (octopus-api.md §3.7),
// its process "RunbookProcess-<runbookId>" with Version 0 and no steps;
// deleting the runbook (or its project) deletes it again. A runbook belongs
// to a project, and its name is unique within that project only. Runbook
// processes follow the deployment process rules: PUT must carry Steps and the
// current Version, which the server increments.

var runbooksKind *Kind

var runbookProcessesKind *Kind

func init() {
	runbooksKind = registerKind(&Kind{
		Name:          "Runbooks",
		Segment:       "runbooks",
		Scope:         SpaceScoped,
		ItemType:      "Runbook",
		NameField:     "Name",
		Slugged:       true,
		TemplateQuery: "{?skip,take,ids,partialName,clone,projectIds}",
		Defaults:      runbookDefaults,
		Validate:      validateRunbook,
		AfterCreate:   runbookCreated,
		BeforeUpdate:  keepProps("ProjectId", "RunbookProcessId", "PublishedRunbookSnapshotId"),
		AfterDelete:   runbookDeleted,
		Links:         runbookLinks,
		Filter: func(c *Call, d Doc) bool {
			ids := c.Query("projectIds")
			if len(ids) == 0 {
				return matchesQuery(c, d, "projectId", "ProjectId")
			}
			for _, v := range ids {
				for _, id := range strings.Split(v, ",") {
					if strings.EqualFold(id, str(d, "ProjectId")) {
						return true
					}
				}
			}
			return false
		},
	})
	runbookProcessesKind = registerKind(&Kind{
		Name:          "RunbookProcesses",
		Segment:       "runbookProcesses",
		Scope:         SpaceScoped,
		ItemType:      "RunbookProcess",
		NoCreate:      true,
		NoDelete:      true,
		TemplateQuery: "{?skip,take,ids}",
		BeforeUpdate:  processBeforeUpdate,
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"Project":                 linkTo(d, "projects", "ProjectId"),
				"Runbook":                 linkTo(d, "runbooks", "RunbookId"),
				"RunbookSnapshotTemplate": self + "/runbookSnapshotTemplate",
			}
		},
	})
	// The project forms: /projects/{projectId}/runbooks… and
	// /projects/{projectId}/runbookProcesses/{id} (swagger 2026.1).
	addRoute(http.MethodGet, "projects/{projectId}/runbooks", RouteSpace, projectRunbooks)
	addRoute(http.MethodGet, "projects/{projectId}/runbooks/all", RouteSpace, func(c *Call) (any, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		return c.srv.related(c, runbooksKind, "ProjectId", str(p, "Id")), nil
	})
	addRoute(http.MethodPost, "projects/{projectId}/runbooks", RouteSpace, createInProject(runbooksKind))
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		addRoute(method, "projects/{projectId}/runbooks/{id}", RouteSpace, projectScoped(method, runbooksKind))
	}
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		addRoute(method, "projects/{projectId}/runbookProcesses/{id}", RouteSpace, projectScoped(method, runbookProcessesKind))
	}
}

func projectRunbooks(c *Call) (any, error) {
	p, err := c.srv.projectFor(c)
	if err != nil {
		return nil, err
	}
	id := str(p, "Id")
	return c.srv.relatedPage(c, runbooksKind, "ProjectId", id, "projects/"+id+"/runbooks", "{?skip,take,partialName}")
}

var (
	environmentScopes  = []string{"All", "Specified", "FromProjectLifecycles"}
	guidedFailureModes = []string{"EnvironmentDefault", "Off", "On"}
)

func runbookDefaults(_ *Call, d Doc) error {
	ensure(d, "Description", "")
	ensure(d, "EnvironmentScope", "All")
	ensure(d, "Environments", []any{})
	ensure(d, "MultiTenancyMode", "Untenanted")
	ensure(d, "DefaultGuidedFailureMode", "EnvironmentDefault")
	ensure(d, "ForcePackageDownload", false)
	ensure(d, "FailTargetDiscovery", false)
	ensure(d, "RunbookTags", []any{})
	ensure(d, "PublishedRunbookSnapshotId", nil)
	ensure(d, "ConnectivityPolicy", map[string]any{
		"SkipMachineBehavior": "None", "TargetRoles": []any{},
		"AllowDeploymentsToNoTargets": true, "ExcludeUnhealthyTargets": false,
	})
	ensure(d, "RunRetentionPolicy", map[string]any{"QuantityToKeep": 100, "ShouldKeepForever": false})
	return nil
}

func validateRunbook(c *Call, d, old Doc) error {
	var errs []string
	if old == nil {
		d["RunbookProcessId"] = "RunbookProcess-" + str(d, "Id")
	}
	name := str(d, "Name")
	if name == "" {
		errs = append(errs, "Please provide a value for Name.")
	}
	project := str(d, "ProjectId")
	if project == "" {
		errs = append(errs, "Please provide a value for ProjectId.")
	} else if !c.srv.exists(projectsKind.Name, c.SpaceID, project) {
		errs = append(errs, fmt.Sprintf("The project '%s' does not exist.", project))
	}
	for _, check := range []struct {
		field string
		valid []string
	}{{"EnvironmentScope", environmentScopes}, {"MultiTenancyMode", tenantedModes}, {"DefaultGuidedFailureMode", guidedFailureModes}} {
		if v := str(d, check.field); !containsFold(check.valid, v) {
			errs = append(errs, fmt.Sprintf("'%s' is not a valid %s.", v, check.field))
		}
	}
	for _, id := range strs(d, "Environments") {
		if !c.srv.exists("Environments", c.SpaceID, id) {
			errs = append(errs, fmt.Sprintf("The environment '%s' does not exist.", id))
		}
	}
	// Runbook names are unique within their project.
	for _, rec := range c.srv.st.all(runbooksKind.Name) {
		o := rec.doc
		if strings.EqualFold(rec.space, c.SpaceID) && !strings.EqualFold(str(o, "Id"), str(d, "Id")) &&
			strings.EqualFold(str(o, "ProjectId"), project) && strings.EqualFold(str(o, "Name"), name) {
			errs = append(errs, fmt.Sprintf("A runbook with the name '%s' already exists in this project.", name))
		}
	}
	if len(errs) > 0 {
		return badRequest(errs...)
	}
	return nil
}

func runbookCreated(c *Call, d Doc) error {
	c.srv.putOwned(c, runbookProcessesKind, Doc{
		"Id":             str(d, "RunbookProcessId"),
		"RunbookId":      str(d, "Id"),
		"ProjectId":      str(d, "ProjectId"),
		"SpaceId":        c.SpaceID,
		"Version":        0,
		"Steps":          []any{},
		"LastSnapshotId": nil,
	})
	return nil
}

func runbookDeleted(c *Call, d Doc) error {
	c.srv.st.delete(runbookProcessesKind.Name, c.SpaceID, str(d, "RunbookProcessId"))
	c.Changed()
	return nil
}

func runbookLinks(d Doc, self string) map[string]string {
	return map[string]string{
		"Project":                 linkTo(d, "projects", "ProjectId"),
		"RunbookProcess":          linkTo(d, "runbookProcesses", "RunbookProcessId"),
		"RunbookSnapshotTemplate": self + "/runbookSnapshotTemplate",
		"RunbookSnapshots":        self + "/runbookSnapshots{?skip,take,partialName}",
		"RunbookRunTemplate":      self + "/runbookRunTemplate",
		"Web":                     "/app#/" + str(d, "SpaceId") + "/projects/" + str(d, "ProjectId") + "/operations/runbooks/" + str(d, "Id"),
	}
}
