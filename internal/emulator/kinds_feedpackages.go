package emulator

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// Package search in a feed: feeds/{feedId}/packages (PackageResource
// array), feeds/{id}/packages/search (PackageDescriptionResource page),
// feeds/{id}/packages/versions (PackageVersionResource page),
// feeds/{feedId}/packages/notes (the release notes, a string) and
// packages/notes (PackageNoteListResource). The built-in feed holds the
// space's uploaded packages; the built-in releases feed (OctopusProject)
// holds each project as a package whose versions are its releases. External
// feeds are not reachable from the emulator: they hold nothing.

func init() {
	addRoute(http.MethodGet, "feeds/{feedId}/packages", RouteSpace, feedPackages)
	addRoute(http.MethodGet, "feeds/{id}/packages/search", RouteSpace, feedPackageSearch)
	addRoute(http.MethodGet, "feeds/{id}/packages/versions", RouteSpace, feedPackageVersions)
	addRoute(http.MethodGet, "feeds/{feedId}/packages/notes", RouteSpace, func(c *Call) (any, error) {
		feed, err := c.srv.find(c, feedsKind, c.Param("feedId"))
		if err != nil {
			return nil, err
		}
		id, version := c.QueryValue("packageId"), c.QueryValue("version")
		for _, f := range [][2]string{{"packageId", id}, {"version", version}} {
			if f[1] == "" {
				return nil, badRequest("Please provide a value for " + f[0] + ".")
			}
		}
		for _, v := range feedVersions(c, feed.doc) {
			if strings.EqualFold(v.packageID, id) && strings.EqualFold(v.version, version) {
				return v.notes, nil
			}
		}
		return nil, notFound(id + " " + version)
	})
	addRoute(http.MethodGet, "packages/notes", RouteSpace, func(c *Call) (any, error) {
		// packageIds are built-in package IDs ("packages-<PackageId>.<Version>").
		notes := []any{}
		for _, id := range c.Query("packageIds") {
			rec := c.srv.st.get(packagesKind.Name, c.SpaceID, id)
			if rec == nil {
				notes = append(notes, Doc{"PackageId": id, "Version": nil, "FeedId": builtInFeedID,
					"Notes": Doc{"Succeeded": false, "FailureReason": "The package '" + id + "' was not found.", "Notes": nil, "Published": nil}})
				continue
			}
			notes = append(notes, Doc{"PackageId": rec.doc["PackageId"], "Version": rec.doc["Version"], "FeedId": builtInFeedID,
				"Notes": Doc{"Succeeded": true, "FailureReason": nil, "Notes": rec.doc["ReleaseNotes"], "Published": rec.doc["Published"]}})
		}
		return Doc{"Id": nil, "Packages": notes, "LastModifiedBy": nil, "LastModifiedOn": nil,
			"Links": Doc{"Self": c.Prefix + "/packages/notes"}}, nil
	})
}

// feedVersion is one version of one package in a feed.
type feedVersion struct {
	id, packageID, version, title, notes, published, ext string
	size                                                 int
}

// feedVersions lists the versions a feed holds, by package ID and then
// newest first.
func feedVersions(c *Call, feed Doc) []feedVersion {
	s := c.srv
	var out []feedVersion
	switch str(feed, "FeedType") {
	case "BuiltIn":
		for _, r := range s.st.all(packagesKind.Name) {
			if !strings.EqualFold(r.space, c.SpaceID) {
				continue
			}
			d := r.doc
			size, _ := integer(d, "PackageSizeBytes")
			out = append(out, feedVersion{id: str(d, "Id"), packageID: str(d, "PackageId"), version: str(d, "Version"),
				title: str(d, "Title"), notes: str(d, "ReleaseNotes"), published: str(d, "Published"), ext: str(d, "FileExtension"), size: size})
		}
	case "OctopusProject":
		for _, r := range s.st.all(releasesKind.Name) {
			if !strings.EqualFold(r.space, c.SpaceID) {
				continue
			}
			d := r.doc
			p := str(d, "ProjectId")
			out = append(out, feedVersion{id: p + "." + str(d, "Version"), packageID: p, version: str(d, "Version"),
				title: p, notes: str(d, "ReleaseNotes"), published: str(d, "Assembled")})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := strings.ToLower(out[i].packageID), strings.ToLower(out[j].packageID); a != b {
			return a < b
		}
		return compareVersions(out[i].version, out[j].version) > 0
	})
	return out
}

// versionFilter is the version criteria of a package query.
type versionFilter struct {
	preRelease bool
	tag        *regexp.Regexp
	inRange    func(v string) bool
}

func newVersionFilter(c *Call, preReleaseDefault bool) (versionFilter, error) {
	f := versionFilter{preRelease: c.queryBool("includePreRelease", preReleaseDefault), inRange: func(string) bool { return true }}
	if t := c.QueryValue("preReleaseTag"); t != "" {
		re, err := regexp.Compile(t)
		if err != nil {
			return f, badRequest(fmt.Sprintf("preReleaseTag '%s' is not a regular expression: %v", t, err))
		}
		f.tag = re
	}
	if r := c.QueryValue("versionRange"); r != "" {
		in, err := parseVersionRange(r)
		if err != nil {
			return f, badRequest(fmt.Sprintf("versionRange '%s' is not a version range: %v", r, err))
		}
		f.inRange = in
	}
	return f, nil
}

func (f versionFilter) match(version string) bool {
	_, pre, _ := strings.Cut(strings.SplitN(version, "+", 2)[0], "-")
	if pre != "" && !f.preRelease {
		return false
	}
	if f.tag != nil && !f.tag.MatchString(pre) {
		return false
	}
	return f.inRange(version)
}

// parseVersionRange reads NuGet version range notation
// (learn.microsoft.com/nuget/concepts/package-versioning#version-ranges):
// "1.0" (at least 1.0), "[1.0]" (exactly), "[1.0,2.0)", "(,2.0]"...
func parseVersionRange(r string) (func(string) bool, error) {
	r = strings.TrimSpace(r)
	if !strings.ContainsAny(r[:1], "[(") {
		return func(v string) bool { return compareVersions(v, r) >= 0 }, nil
	}
	last := r[len(r)-1:]
	if len(r) < 3 || !strings.ContainsAny(last, "])") {
		return nil, fmt.Errorf("a range is written [min,max], (min,max) or [version]")
	}
	minIncl, maxIncl := r[0] == '[', last == "]"
	lo, hi, comma := strings.Cut(r[1:len(r)-1], ",")
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	if !comma {
		if !minIncl || !maxIncl || lo == "" {
			return nil, fmt.Errorf("an exact version is written [version]")
		}
		return func(v string) bool { return compareVersions(v, lo) == 0 }, nil
	}
	return func(v string) bool {
		if lo != "" {
			if c := compareVersions(v, lo); c < 0 || (c == 0 && !minIncl) {
				return false
			}
		}
		if hi != "" {
			if c := compareVersions(v, hi); c > 0 || (c == 0 && !maxIncl) {
				return false
			}
		}
		return true
	}, nil
}

// feedPackages serves GET feeds/{feedId}/packages: the latest matching
// version of each matching package (every version with
// includeMultipleVersions=true), as PackageResource.
func feedPackages(c *Call) (any, error) {
	feed, err := c.srv.find(c, feedsKind, c.Param("feedId"))
	if err != nil {
		return nil, err
	}
	vf, err := newVersionFilter(c, false)
	if err != nil {
		return nil, err
	}
	take, err := c.queryInt("take", defaultTake)
	if err != nil {
		return nil, err
	}
	want := c.Query("packageIds")
	if id := c.QueryValue("packageId"); id != "" {
		want = append(want, id)
	}
	partial := c.queryBool("partialMatch", false)
	multiple := c.queryBool("includeMultipleVersions", false)
	notes := c.queryBool("includeNotes", false)
	out := []Doc{}
	seen := map[string]bool{}
	for _, v := range feedVersions(c, feed.doc) {
		if len(out) >= take {
			break
		}
		if len(want) > 0 && !slicesMatch(want, v.packageID, partial) {
			continue
		}
		if !vf.match(v.version) || (!multiple && seen[strings.ToLower(v.packageID)]) {
			continue
		}
		seen[strings.ToLower(v.packageID)] = true
		d := Doc{"Id": v.id, "PackageId": v.packageID, "Version": v.version, "Title": v.title, "Summary": nil, "Description": nil,
			"Published": nilIfEmpty(v.published), "ReleaseNotes": nil, "FeedId": feed.doc["Id"], "NuGetPackageId": v.packageID,
			"NuGetFeedId": feed.doc["Id"], "FileExtension": nilIfEmpty(v.ext), "LastModifiedBy": nil, "LastModifiedOn": nil,
			"PackageVersionBuildInformation": buildInformationOf(c, v.packageID, v.version),
			"Links":                          Doc{"Self": c.Prefix + "/feeds/" + str(feed.doc, "Id") + "/packages?packageId=" + v.packageID}}
		if notes {
			d["ReleaseNotes"] = v.notes
		}
		out = append(out, d)
	}
	return out, nil
}

func slicesMatch(want []string, id string, partial bool) bool {
	for _, w := range want {
		if strings.EqualFold(w, id) || (partial && strings.Contains(strings.ToLower(id), strings.ToLower(w))) {
			return true
		}
	}
	return false
}

// buildInformationOf is the served build information of a package version
// (nil when none was pushed).
func buildInformationOf(c *Call, packageID, version string) any {
	for _, r := range c.srv.st.all(buildInformationKind.Name) {
		if strings.EqualFold(r.space, c.SpaceID) && strings.EqualFold(str(r.doc, "PackageId"), packageID) && strings.EqualFold(str(r.doc, "Version"), version) {
			return c.srv.present(buildInformationKind, r)
		}
	}
	return nil
}

// feedPackageSearch serves GET feeds/{id}/packages/search?term=: the
// packages whose ID contains the term, with their latest version.
func feedPackageSearch(c *Call) (any, error) {
	feed, err := c.srv.find(c, feedsKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	term := strings.ToLower(c.QueryValue("term"))
	items := []Doc{}
	seen := map[string]bool{}
	for _, v := range feedVersions(c, feed.doc) {
		key := strings.ToLower(v.packageID)
		if seen[key] || !strings.Contains(key, term) {
			continue
		}
		seen[key] = true
		items = append(items, Doc{"Id": v.packageID, "Name": v.packageID, "Description": nil, "LatestVersion": v.version,
			"Links": Doc{"Versions": c.Prefix + "/feeds/" + str(feed.doc, "Id") + "/packages/versions?packageId=" + v.packageID}})
	}
	return c.srv.page(c, "PackageDescription", "feeds/"+str(feed.doc, "Id")+"/packages/search", "{?term,skip,take}", items)
}

// feedPackageVersions serves GET feeds/{id}/packages/versions?packageId=:
// the package's versions, newest first.
func feedPackageVersions(c *Call) (any, error) {
	feed, err := c.srv.find(c, feedsKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	id := c.QueryValue("packageId")
	if id == "" {
		return nil, badRequest("Please provide a value for packageId.")
	}
	vf, err := newVersionFilter(c, true) // "defaults to true" (swagger)
	if err != nil {
		return nil, err
	}
	filter := strings.ToLower(c.QueryValue("filter"))
	notes := c.queryBool("includeReleaseNotes", false)
	items := []Doc{}
	for _, v := range feedVersions(c, feed.doc) {
		if !strings.EqualFold(v.packageID, id) || !vf.match(v.version) || !strings.Contains(strings.ToLower(v.version), filter) {
			continue
		}
		d := Doc{"Id": v.id, "PackageId": v.packageID, "Version": v.version, "Title": v.title, "Published": nilIfEmpty(v.published),
			"SizeBytes": v.size, "FeedId": feed.doc["Id"], "ReleaseNotes": nil, "Links": Doc{}}
		if notes {
			d["ReleaseNotes"] = v.notes
		}
		items = append(items, d)
	}
	return c.srv.page(c, "PackageVersion", "feeds/"+str(feed.doc, "Id")+"/packages/versions",
		"{?packageId,take,skip,includePreRelease,versionRange,preReleaseTag,filter,includeReleaseNotes}", items)
}
