package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Releases (ReleaseResource). A release freezes its project's deployment
// process and variables (ProjectDeploymentProcessSnapshotId,
// ProjectVariableSetSnapshotId, LibraryVariableSetSnapshotIds) and the
// package versions; deployments of the release execute the frozen copies.
// Versions are unique per project. Deployments follow the lifecycle's phase
// order (lifecycle_progression.go).

var releasesKind *Kind

func init() {
	releasesKind = registerKind(&Kind{
		Name:          "Releases",
		NoAll:         true, // the real server has no /all here
		Segment:       "releases",
		Scope:         SpaceScoped,
		ItemType:      "Release",
		TemplateQuery: "{?skip,ignoreChannelRules,take,ids}",
		Defaults: func(_ *Call, d Doc) error {
			ensure(d, "ReleaseNotes", nil)
			ensure(d, "SelectedPackages", []any{})
			ensure(d, "SelectedGitResources", []any{})
			ensure(d, "BuildInformation", []any{})
			ensure(d, "CustomFields", map[string]any{})
			ensure(d, "IgnoreChannelRules", false)
			ensure(d, "VersionControlReference", nil)
			return nil
		},
		Validate:     validateRelease,
		AfterCreate:  releaseCreated,
		BeforeUpdate: keepProps("ProjectId", "ProjectDeploymentProcessSnapshotId", "ProjectVariableSetSnapshotId", "LibraryVariableSetSnapshotIds", "Assembled", "SelectedPackages"),
		BeforeDelete: func(c *Call, d Doc) error {
			for _, rec := range c.srv.st.all(deploymentsKind.Name) {
				if strings.EqualFold(str(rec.doc, "ReleaseId"), str(d, "Id")) {
					c.srv.st.delete(deploymentsKind.Name, rec.space, str(rec.doc, "Id"))
				}
			}
			return nil
		},
		AfterDelete: func(c *Call, d Doc) error {
			c.srv.dropFrozen(c, d)
			return nil
		},
		Filter: func(c *Call, d Doc) bool { return matchesQuery(c, d, "projectId", "ProjectId") },
		// The newest release first, as the real lists show them.
		Less: newestFirst,
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"Project":            linkTo(d, "projects", "ProjectId"),
				"Channel":            linkTo(d, "channels", "ChannelId"),
				"Deployments":        self + "/deployments{?skip,take}",
				"DeploymentTemplate": self + "/deployments/template",
				"Progression":        self + "/progression",
				"Web":                "/app#/" + str(d, "SpaceId") + "/releases/" + str(d, "Id"),
			}
		},
	})
	addRoute(http.MethodGet, "projects/{projectId}/releases", RouteSpace, func(c *Call) (any, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		search := strings.ToLower(c.QueryValue("searchByVersion"))
		items := slices.DeleteFunc(c.srv.related(c, releasesKind, "ProjectId", str(p, "Id")), func(d Doc) bool {
			return !strings.Contains(strings.ToLower(str(d, "Version")), search)
		})
		return c.srv.page(c, releasesKind.ItemType, "projects/"+str(p, "Id")+"/releases", "{/version}{?skip,take,searchByVersion}", items)
	})
	addRoute(http.MethodGet, "projects/{projectId}/releases/{version}", RouteSpace, func(c *Call) (any, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		if rec := c.srv.releaseByVersion(c, str(p, "Id"), c.Param("version")); rec != nil {
			return c.srv.present(releasesKind, rec), nil
		}
		return nil, notFound(c.Param("version"))
	})
	addRoute(http.MethodPost, "releases/create/v1", RouteSpace, releaseCommand)
	channelReleases := func(c *Call) (any, error) {
		ch, err := c.srv.find(c, channelsKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		if pid := c.Param("projectId"); pid != "" {
			p, err := c.srv.projectFor(c)
			if err != nil {
				return nil, err
			}
			if !strings.EqualFold(str(p, "Id"), str(ch.doc, "ProjectId")) {
				return nil, notFound(c.Param("id"))
			}
		}
		return c.srv.relatedPage(c, releasesKind, "ChannelId", str(ch.doc, "Id"), "channels/"+str(ch.doc, "Id")+"/releases", "{?skip,take,searchByVersion}")
	}
	addRoute(http.MethodGet, "channels/{id}/releases", RouteSpace, channelReleases)
	addRoute(http.MethodGet, "projects/{projectId}/channels/{id}/releases", RouteSpace, channelReleases)
}

// releaseByVersion finds a project's release by version (or ID).
func (s *Server) releaseByVersion(c *Call, projectID, version string) *record {
	for _, rec := range s.st.all(releasesKind.Name) {
		if strings.EqualFold(rec.space, c.SpaceID) && strings.EqualFold(str(rec.doc, "ProjectId"), projectID) &&
			(strings.EqualFold(str(rec.doc, "Version"), version) || strings.EqualFold(str(rec.doc, "Id"), version)) {
			return rec
		}
	}
	return nil
}

func validateRelease(c *Call, d, old Doc) error {
	s := c.srv
	project := s.st.get(projectsKind.Name, c.SpaceID, str(d, "ProjectId"))
	if project == nil {
		return badRequest(fmt.Sprintf("The project '%s' does not exist.", str(d, "ProjectId")))
	}
	perm := "ReleaseCreate"
	if old != nil {
		perm = "ReleaseEdit"
	}
	if err := s.require(c, perm, c.SpaceID, resScope{restrictProjects: str(project.doc, "Id"), restrictProjectGroups: str(project.doc, "ProjectGroupId")}); err != nil {
		return err
	}
	version := strings.TrimSpace(str(d, "Version"))
	if version == "" {
		return badRequest("Please provide a value for Version.")
	}
	if other := s.releaseByVersion(c, str(project.doc, "Id"), version); other != nil && !strings.EqualFold(str(other.doc, "Id"), str(d, "Id")) {
		return badRequest(fmt.Sprintf("A release with the version '%s' already exists for the project '%s'.", version, str(project.doc, "Name")))
	}
	ch := str(d, "ChannelId")
	if ch == "" {
		for _, rec := range s.st.all(channelsKind.Name) {
			if strings.EqualFold(str(rec.doc, "ProjectId"), str(project.doc, "Id")) && boolean(rec.doc, "IsDefault") {
				ch = str(rec.doc, "Id")
			}
		}
		d["ChannelId"] = ch
	}
	if rec := s.st.get(channelsKind.Name, c.SpaceID, ch); rec == nil || !strings.EqualFold(str(rec.doc, "ProjectId"), str(project.doc, "Id")) {
		return badRequest(fmt.Sprintf("The channel '%s' does not belong to the project '%s'.", ch, str(project.doc, "Name")))
	}
	return nil
}

// releaseCreated freezes the deployment process and variables.
func releaseCreated(c *Call, d Doc) error {
	s := c.srv
	project := s.st.get(projectsKind.Name, c.SpaceID, str(d, "ProjectId")).doc
	proc := s.st.get(deploymentProcessesKind.Name, c.SpaceID, str(project, "DeploymentProcessId"))
	if proc == nil {
		return badRequest(fmt.Sprintf("The project '%s' has no deployment process.", str(project, "Name")))
	}
	s.assemble(c, d, proc, project, "ProjectDeploymentProcessSnapshotId", "ProjectVariableSetSnapshotId")
	return nil
}

// nextReleaseVersion is the version of a release created without one: the
// patch after the project's highest version ("0.0.1" for the first).
func (s *Server) nextReleaseVersion(c *Call, projectID string) string {
	best := ""
	for _, rec := range s.st.all(releasesKind.Name) {
		if strings.EqualFold(str(rec.doc, "ProjectId"), projectID) && (best == "" || compareVersions(str(rec.doc, "Version"), best) > 0) {
			best = str(rec.doc, "Version")
		}
	}
	if best == "" {
		return "0.0.1"
	}
	parts := strings.Split(strings.SplitN(strings.SplitN(best, "-", 2)[0], "+", 2)[0], ".")
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	n, err := strconv.Atoi(parts[len(parts)-1])
	if err != nil {
		n = 0 // not numeric ("1.0.beta"): start the counter again
	}
	parts[len(parts)-1] = strconv.Itoa(n + 1)
	return strings.Join(parts, ".")
}

// releaseCommand serves POST releases/create/v1 (the Octopus CLI's
// `release create`): names instead of IDs; packages as "PackageId:Version"
// or "Step:Version"; ignoreIfAlreadyExists answers with the existing release.
func releaseCommand(c *Call) (any, error) {
	s := c.srv
	body, project, err := commandProject(c)
	if err != nil {
		return nil, err
	}
	pid := str(project.doc, "Id")
	version := str(body, "releaseversion")
	if version == "" {
		version = s.nextReleaseVersion(c, pid)
	}
	if old := s.releaseByVersion(c, pid, version); old != nil && boolean(body, "ignoreifalreadyexists") {
		return Doc{"ReleaseId": old.doc["Id"], "ReleaseVersion": old.doc["Version"]}, nil
	}
	d := Doc{"ProjectId": pid, "Version": version, "ReleaseNotes": body["releasenotes"]}
	if ch := str(body, "channelname"); ch != "" {
		rec := s.resolve(c, channelsKind, ch, func(x Doc) bool { return strings.EqualFold(str(x, "ProjectId"), pid) })
		if rec == nil {
			return nil, badRequest(fmt.Sprintf("The channel '%s' does not exist in the project '%s'.", ch, str(project.doc, "Name")))
		}
		d["ChannelId"] = rec.doc["Id"]
	}
	proc := s.docCopy(deploymentProcessesKind, c.SpaceID, str(project.doc, "DeploymentProcessId"))
	var selected []any
	for _, spec := range anyStrings(toList(body["packages"])) {
		key, ver, ok := strings.Cut(spec, ":")
		if !ok {
			return nil, badRequest(fmt.Sprintf("The package '%s' must be written PackageId:Version or StepName:Version.", spec))
		}
		for _, ref := range packageRefs(proc) {
			if strings.EqualFold(ref.packageID, key) || strings.EqualFold(ref.action, key) || strings.EqualFold(ref.step, key) {
				selected = append(selected, map[string]any{"ActionName": ref.action, "PackageReferenceName": ref.name, "Version": ver})
			}
		}
	}
	if pv := str(body, "packageversion"); pv != "" {
		for _, ref := range packageRefs(proc) {
			selected = append(selected, map[string]any{"ActionName": ref.action, "PackageReferenceName": ref.name, "Version": pv})
		}
	}
	d["SelectedPackages"] = selected
	rel, err := s.create(c, releasesKind, d)
	if err != nil {
		return nil, err
	}
	return Doc{"ReleaseId": rel["Id"], "ReleaseVersion": rel["Version"]}, nil
}
