package emulator

import (
	"fmt"
	"net/http"
	"net/url"
)

// Deployments (DeploymentResource): POST /deployments deploys a release to
// an environment, optionally for a tenant, as a server task that executes
// the release's frozen process. The command forms POST
// /deployments/create/tenanted/v1 and /untenanted/v1 (go-octopusdeploy's
// CreateDeploymentTenantedV1 and CreateDeploymentUntenantedV1) take names and
// start one deployment per environment and tenant.

var deploymentsKind *Kind

func init() {
	deploymentsKind = registerKind(&Kind{
		Name:          "Deployments",
		NoAll:         true, // the real server has no /all here
		Segment:       "deployments",
		Scope:         SpaceScoped,
		ItemType:      "Deployment",
		NameField:     "Name", // partialName and name filter on it
		NoUpdate:      true,
		TemplateQuery: "{?skip,take,ids,projects,environments,tenants,channels,taskState,partialName}",
		Defaults: func(c *Call, d Doc) error {
			ensure(d, "ForcePackageRedeployment", false)
			ensure(d, "Changes", []any{})
			ensure(d, "ChangesMarkdown", "")
			return executionDefaults(c, d)
		},
		Validate:    validateDeployment,
		AfterCreate: deploymentCreated,
		Filter: func(c *Call, d Doc) bool {
			return matchesQuery(c, d, "projects", "ProjectId") && matchesQuery(c, d, "environments", "EnvironmentId") &&
				matchesQuery(c, d, "tenants", "TenantId") && matchesQuery(c, d, "channels", "ChannelId")
		},
		Less: newestFirst,
		Links: func(d Doc, _ string) map[string]string {
			return map[string]string{
				"Task":        "/api/tasks/" + url.PathEscape(str(d, "TaskId")),
				"Release":     linkTo(d, "releases", "ReleaseId"),
				"Environment": linkTo(d, "environments", "EnvironmentId"),
				"Project":     linkTo(d, "projects", "ProjectId"),
				"Web":         "/app#/" + str(d, "SpaceId") + "/deployments/" + str(d, "Id"),
			}
		},
	})
	addRoute(http.MethodGet, "releases/{id}/deployments", RouteSpace, func(c *Call) (any, error) {
		rel, err := c.srv.find(c, releasesKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		return c.srv.relatedPage(c, deploymentsKind, "ReleaseId", str(rel.doc, "Id"), "releases/"+str(rel.doc, "Id")+"/deployments", "{?skip,take}")
	})
	addRoute(http.MethodPost, "deployments/create/tenanted/v1", RouteSpace, func(c *Call) (any, error) { return deploymentCommand(c, true) })
	addRoute(http.MethodPost, "deployments/create/untenanted/v1", RouteSpace, func(c *Call) (any, error) { return deploymentCommand(c, false) })
}

func validateDeployment(c *Call, d, _ Doc) error {
	s := c.srv
	rel := s.st.get(releasesKind.Name, c.SpaceID, str(d, "ReleaseId"))
	if rel == nil {
		return badRequest(fmt.Sprintf("The release '%s' does not exist.", str(d, "ReleaseId")))
	}
	project := s.st.get(projectsKind.Name, c.SpaceID, str(rel.doc, "ProjectId"))
	if project == nil {
		return badRequest(fmt.Sprintf("The project '%s' does not exist.", str(rel.doc, "ProjectId")))
	}
	env, tenant, err := s.executionTargets(c, d)
	if err != nil {
		return err
	}
	if err := checkTenant(str(project.doc, "TenantedDeploymentMode"), project.doc, tenant, env); err != nil {
		return err
	}
	// However the deployment is asked for (POST /deployments, the v1
	// commands), the caller needs DeploymentCreate for this project,
	// environment and tenant.
	if err := s.require(c, "DeploymentCreate", c.SpaceID, executionScope(project.doc, env, tenant)); err != nil {
		return err
	}
	if err := s.checkProgression(c.SpaceID, rel.doc, project.doc, env, tenant); err != nil {
		return err
	}
	d["ReleaseId"] = rel.doc["Id"]
	d["ProjectId"] = project.doc["Id"]
	d["ChannelId"] = rel.doc["ChannelId"]
	d["DeploymentProcessId"] = rel.doc["ProjectDeploymentProcessSnapshotId"]
	d["ManifestVariableSetId"] = rel.doc["ProjectVariableSetSnapshotId"]
	d["Name"] = "Deploy to " + str(env, "Name")
	return nil
}

// deploymentCreated queues the deployment's task.
func deploymentCreated(c *Call, d Doc) error {
	s := c.srv
	rel := s.st.get(releasesKind.Name, c.SpaceID, str(d, "ReleaseId")).doc
	project := s.st.get(projectsKind.Name, c.SpaceID, str(d, "ProjectId")).doc
	env, tenant, err := s.executionTargets(c, d)
	if err != nil {
		return err
	}
	channel := s.docCopy(channelsKind, c.SpaceID, str(rel, "ChannelId"))
	desc := fmt.Sprintf("Deploy %s release %s to %s", str(project, "Name"), str(rel, "Version"), str(env, "Name"))
	return s.queueExecution(c, d, "Deploy", desc, "DeploymentId", planInput{
		what:          "deployment",
		project:       project,
		process:       s.frozen(c.SpaceID, str(rel, "ProjectDeploymentProcessSnapshotId")),
		variableSets:  s.frozenVariableSets(c.SpaceID, rel, "ProjectVariableSetSnapshotId"),
		environment:   env,
		tenant:        tenant,
		channelID:     str(rel, "ChannelId"),
		ownerID:       str(project, "Id"),
		selected:      toList(rel["SelectedPackages"]),
		prompted:      promptedValues(d),
		guidedFailure: guidedFailureMode(str(project, "DefaultGuidedFailureMode"), env),
		system: map[string]string{
			"Octopus.Deployment.Id":        str(d, "Id"),
			"Octopus.Deployment.Name":      str(d, "Name"),
			"Octopus.Release.Id":           str(rel, "Id"),
			"Octopus.Release.Number":       str(rel, "Version"),
			"Octopus.Release.Notes":        str(rel, "ReleaseNotes"),
			"Octopus.Release.Channel.Id":   str(rel, "ChannelId"),
			"Octopus.Release.Channel.Name": str(channel, "Name"),
		},
	})
}

// deploymentCommand serves the create/tenanted/v1 and create/untenanted/v1
// commands.
func deploymentCommand(c *Call, tenanted bool) (any, error) {
	s := c.srv
	body, project, err := commandProject(c)
	if err != nil {
		return nil, err
	}
	rel := s.releaseByVersion(c, str(project.doc, "Id"), str(body, "releaseversion"))
	if rel == nil {
		return nil, badRequest(fmt.Sprintf("The release '%s' does not exist in the project '%s'.", str(body, "releaseversion"), str(project.doc, "Name")))
	}
	envNames := anyStrings(toList(body["environmentnames"]))
	if tenanted {
		envNames = []string{str(body, "environmentname")}
	}
	tenants := []Doc{nil}
	if tenanted {
		if tenants, err = s.commandTenants(c, body, project.doc); err != nil {
			return nil, err
		}
		if len(tenants) == 0 {
			return nil, badRequest("Please provide at least one tenant in tenants or tenantTags.")
		}
	}
	out, err := s.startPerTarget(c, deploymentsKind, project.doc, Doc{"ReleaseId": rel.doc["Id"]}, body, envNames, tenants, "DeploymentId")
	if err != nil {
		return nil, err
	}
	return Doc{"DeploymentServerTasks": out}, nil
}
