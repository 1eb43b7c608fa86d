package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Build information (swagger OctopusPackageVersionBuildInformationMappedResource):
// what a build server pushes about a package version with POST
// build-information (CreateBuildInformationCommand: PackageId, Version and
// OctopusBuildInformation {Branch, BuildNumber, VcsRoot, Commits...}), served
// flattened. One document per package ID and version; OverwriteMode (body
// or query) says what a second push does. There is no PUT.

var buildInformationKind *Kind

func init() {
	buildInformationKind = registerKind(&Kind{
		Name:          "BuildInformation",
		Segment:       "build-information",
		ItemType:      "OctopusPackageVersionBuildInformation",
		NoAll:         true,
		NoCreate:      true, // createBuildInformation: 200, not 201
		NoUpdate:      true,
		TemplateQuery: "{?packageId,filter,latest,skip,take,overwriteMode}",
		Less: func(a, b Doc) bool {
			if x, y := strings.ToLower(str(a, "PackageId")), strings.ToLower(str(b, "PackageId")); x != y {
				return x < y
			}
			return compareVersions(str(a, "Version"), str(b, "Version")) > 0
		},
		Filter: buildInformationFilter,
		// The mapped resource has no SpaceId.
		Present: func(d Doc) { delete(d, "SpaceId") },
	})
	addRoute(http.MethodPost, "build-information", RouteSpace, createBuildInformation)
	addRoute(http.MethodDelete, "build-information/bulk", RouteSpace, func(c *Call) (any, error) {
		ids := c.Query("ids")
		if len(c.RawBody()) > 0 {
			body, err := c.Body()
			if err != nil {
				return nil, err
			}
			ids = append(ids, strs(body, "Ids")...)
		}
		if len(ids) == 0 {
			return nil, badRequest("Please provide a value for Ids.")
		}
		for _, id := range ids {
			if c.srv.st.get(buildInformationKind.Name, c.SpaceID, id) == nil {
				return nil, notFound(id)
			}
		}
		for _, id := range ids {
			if _, err := c.srv.remove(c, buildInformationKind, id); err != nil {
				return nil, err
			}
		}
		return Doc{}, nil
	})
}

// buildInformationFilter applies ?packageId (exact), ?partialPackageId
// (substring), ?filter (the version) and ?latest (the highest version of
// each package).
func buildInformationFilter(c *Call, d Doc) bool {
	id := str(d, "PackageId")
	if want := c.QueryValue("packageId"); want != "" && !strings.EqualFold(want, id) {
		return false
	}
	if p := c.QueryValue("partialPackageId"); p != "" && !strings.Contains(strings.ToLower(id), strings.ToLower(p)) {
		return false
	}
	if f := c.QueryValue("filter"); f != "" && !strings.EqualFold(f, str(d, "Version")) {
		return false
	}
	if c.queryBool("latest", false) {
		for _, r := range c.srv.st.all(buildInformationKind.Name) {
			if strings.EqualFold(r.space, c.SpaceID) && strings.EqualFold(str(r.doc, "PackageId"), id) &&
				compareVersions(str(r.doc, "Version"), str(d, "Version")) > 0 {
				return false
			}
		}
	}
	return true
}

// createBuildInformation serves POST build-information.
func createBuildInformation(c *Call) (any, error) {
	s := c.srv
	body, err := c.Body()
	if err != nil {
		return nil, err
	}
	pkg, version := strings.TrimSpace(str(body, "PackageId")), strings.TrimSpace(str(body, "Version"))
	if pkg == "" {
		return nil, badRequest("Please provide a value for PackageId.")
	}
	if version == "" {
		return nil, badRequest("Please provide a value for Version.")
	}
	info, ok := body["OctopusBuildInformation"].(map[string]any)
	if !ok {
		return nil, badRequest("Please provide a value for OctopusBuildInformation.")
	}
	mode := str(body, "OverwriteMode")
	if q := c.QueryValue("overwriteMode"); q != "" {
		mode = q
	}
	if boolean(body, "Replace") {
		mode = "OverwriteExisting"
	}
	switch mode {
	case "":
		mode = "FailIfExists"
	case "FailIfExists", "OverwriteExisting", "IgnoreIfExists":
	default:
		return nil, badRequest(fmt.Sprintf("OverwriteMode '%s' is not one of FailIfExists, OverwriteExisting, IgnoreIfExists.", mode))
	}
	d := Doc{"PackageId": pkg, "Version": version}
	for _, f := range []string{"Branch", "BuildEnvironment", "BuildNumber", "BuildUrl", "VcsType", "VcsRoot", "VcsCommitNumber"} {
		d[f] = info[f]
	}
	commitURL := func(sha string) any {
		// Git roots on web hosts link to their commits, as the portal
		// shows them (".../commit/<sha>").
		root := strings.TrimSuffix(str(d, "VcsRoot"), ".git")
		if sha == "" || !strings.EqualFold(str(d, "VcsType"), "Git") || !strings.HasPrefix(root, "http") {
			return nil
		}
		return root + "/commit/" + sha
	}
	commits := []any{}
	list, _ := info["Commits"].([]any)
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, badRequest(fmt.Sprintf("OctopusBuildInformation.Commits[%d] must be an object.", i))
		}
		commits = append(commits, Doc{"Id": m["Id"], "Comment": m["Comment"], "LinkUrl": commitURL(str(m, "Id"))})
	}
	d["Commits"] = commits
	d["VcsCommitUrl"] = commitURL(str(d, "VcsCommitNumber"))
	d["WorkItems"] = []any{}
	d["IssueTrackerName"] = nil
	d["IncompleteDataWarning"] = nil
	d["Created"] = s.now().Format(timeLayout)
	for _, r := range s.st.all(buildInformationKind.Name) {
		if !strings.EqualFold(r.space, c.SpaceID) || !strings.EqualFold(str(r.doc, "PackageId"), pkg) || !strings.EqualFold(str(r.doc, "Version"), version) {
			continue
		}
		switch mode {
		case "IgnoreIfExists":
			return s.present(buildInformationKind, r), nil
		case "FailIfExists":
			return nil, badRequest(fmt.Sprintf("Build information for package '%s' version '%s' already exists.", pkg, version))
		}
		return s.update(c, buildInformationKind, str(r.doc, "Id"), d)
	}
	return s.create(c, buildInformationKind, d)
}
