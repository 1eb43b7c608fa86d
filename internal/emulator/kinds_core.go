package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Environments, lifecycles, project groups, tag sets and feeds: the
// space-scoped basics every space starts with (octopus-api.md §3.4-3.14).

var environmentsKind *Kind

func init() {
	environmentsKind = registerKind(&Kind{
		Name:          "Environments",
		Segment:       "environments",
		ItemType:      "Environment",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?name,skip,ids,take,partialName}",
		Less:          bySortOrder,
		Defaults:      placeLast("Environments"),
		BeforeUpdate:  keepPlace("Environments"),
		Shape:         environmentShape,
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"Machines":                    self + "/machines{?skip,take,partialName,roles,isDisabled,healthStatuses,commStyles,tenantIds,tenantTags,shellNames}",
				"SinglyScopedVariableDetails": self + "/singlyScopedVariableDetails",
				"Metadata":                    self + "/metadata",
				"Web":                         "/app#/" + str(d, "SpaceId") + "/infrastructure/environments/" + str(d, "Id"),
			}
		},
	})
}

func environmentShape(d Doc) {
	ensure(d, "Description", "")
	ensure(d, "UseGuidedFailure", false)
	ensure(d, "AllowDynamicInfrastructure", false)
	ensure(d, "EnvironmentTags", []any{})
	ensure(d, "ExtensionSettings", []any{})
}

// bySortOrder orders by SortOrder, then by name.
func bySortOrder(a, b Doc) bool {
	x, _ := integer(a, "SortOrder")
	y, _ := integer(b, "SortOrder")
	if x != y {
		return x < y
	}
	return byName(a, b)
}

// placeLast is the Defaults of a kind ordered by SortOrder: the server
// assigns it, and a new document goes last.
func placeLast(kindName string) func(c *Call, d Doc) error {
	return func(c *Call, d Doc) error {
		d["SortOrder"] = nextSortOrder(c, kindName)
		return nil
	}
}

// keepPlace is the BeforeUpdate of a kind ordered by SortOrder: an update
// without one keeps the stored SortOrder.
func keepPlace(kindName string) func(c *Call, d, old Doc) error {
	return func(c *Call, d, old Doc) error {
		if _, ok := integer(d, "SortOrder"); !ok {
			d["SortOrder"] = old["SortOrder"]
		}
		forgetSortOrder(c, kindName)
		return nil
	}
}

// nextSortOrder is one more than the highest SortOrder of the kind in the
// call's space. The answer is cached per kind and space (a create must not
// scan the collection); anything that sets SortOrder otherwise drops the
// cache with forgetSortOrder.
func nextSortOrder(c *Call, kindName string) int {
	key := kindName + "|" + strings.ToLower(c.SpaceID)
	hint := c.srv.extension("sortOrder", func() any { return map[string]int{} }).(map[string]int)
	n, ok := hint[key]
	if !ok {
		for _, r := range c.srv.st.read(kindName).order {
			if strings.EqualFold(r.space, c.SpaceID) {
				if o, ok := integer(r.doc, "SortOrder"); ok && o >= n {
					n = o + 1
				}
			}
		}
	}
	hint[key] = n + 1
	return n
}

// forgetSortOrder drops the cached next SortOrder of a kind in a space.
func forgetSortOrder(c *Call, kindName string) {
	hint := c.srv.extension("sortOrder", func() any { return map[string]int{} }).(map[string]int)
	delete(hint, kindName+"|"+strings.ToLower(c.SpaceID))
}

var lifecyclesKind *Kind

func init() {
	lifecyclesKind = registerKind(&Kind{
		Name:          "Lifecycles",
		Segment:       "lifecycles",
		ItemType:      "Lifecycle",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?skip,take,ids,partialName}",
		Less:          byName,
		Shape:         lifecycleShape,
		Validate: func(c *Call, d, _ Doc) error {
			phases, _ := d["Phases"].([]any)
			for i, p := range phases {
				ph, ok := p.(map[string]any)
				if !ok {
					return badRequest(fmt.Sprintf("Phases[%d] must be an object.", i))
				}
				if strings.TrimSpace(str(ph, "Name")) == "" {
					return badRequest(fmt.Sprintf("Please provide a value for Phases[%d].Name.", i))
				}
				for _, f := range []string{"AutomaticDeploymentTargets", "OptionalDeploymentTargets"} {
					for _, env := range strs(ph, f) {
						if c.srv.st.get(environmentsKind.Name, c.SpaceID, env) == nil {
							return badRequest(fmt.Sprintf("The environment '%s' in phase '%s' does not exist.", env, str(ph, "Name")))
						}
					}
				}
			}
			return nil
		},
		BeforeDelete: func(c *Call, d Doc) error {
			return refusedIfReferenced(c, d, "Projects", "LifecycleId", "lifecycle")
		},
		Links: func(_ Doc, self string) map[string]string {
			return map[string]string{"Preview": self + "/preview", "Projects": self + "/projects"}
		},
	})
}

// lifecycleShape fills defaults and gives each phase an Id (the real server
// uses GUIDs for phase IDs).
func lifecycleShape(d Doc) {
	ensure(d, "Description", "")
	ensure(d, "Phases", []any{})
	ensure(d, "ReleaseRetentionPolicy", retentionDefault())
	ensure(d, "TentacleRetentionPolicy", retentionDefault())
	phases, _ := d["Phases"].([]any)
	for _, p := range phases {
		ph, ok := p.(map[string]any)
		if !ok {
			continue
		}
		if str(ph, "Id") == "" {
			if id, err := newUUID(); err == nil {
				ph["Id"] = id
			}
		}
		ensure(ph, "AutomaticDeploymentTargets", []any{})
		ensure(ph, "OptionalDeploymentTargets", []any{})
		ensure(ph, "MinimumEnvironmentsBeforePromotion", 0)
		ensure(ph, "IsOptionalPhase", false)
		ensure(ph, "IsPriorityPhase", false)
		ensure(ph, "ReleaseRetentionPolicy", nil)
		ensure(ph, "TentacleRetentionPolicy", nil)
	}
}

// retentionDefault is a new lifecycle's retention: keep 30 days.
func retentionDefault() map[string]any {
	return map[string]any{"QuantityToKeep": 30, "ShouldKeepForever": false, "Unit": "Days", "Strategy": "Count"}
}

var projectGroupsKind *Kind

func init() {
	projectGroupsKind = registerKind(&Kind{
		Name:          "ProjectGroups",
		Segment:       "projectgroups",
		ItemType:      "ProjectGroup",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?skip,take,ids,partialName}",
		Less:          byName,
		Shape:         projectGroupShape,
		BeforeDelete: func(c *Call, d Doc) error {
			return refusedIfReferenced(c, d, "Projects", "ProjectGroupId", "project group")
		},
		Links: func(_ Doc, self string) map[string]string {
			return map[string]string{"Projects": self + "/projects{?skip,take}"}
		},
	})
}

func projectGroupShape(d Doc) {
	ensure(d, "Description", "")
	ensure(d, "EnvironmentIds", []any{})
	ensure(d, "RetentionPolicyId", nil)
}

// refusedIfReferenced refuses to delete d while documents of another kind
// (when that kind is registered) point at it through field.
func refusedIfReferenced(c *Call, d Doc, kindName, field, what string) error {
	if kinds[kindName] == nil {
		return nil
	}
	for _, r := range c.srv.st.all(kindName) {
		if strings.EqualFold(str(r.doc, field), str(d, "Id")) {
			return badRequest(fmt.Sprintf("The %s '%s' is in use by '%s' and cannot be deleted.", what, str(d, "Name"), str(r.doc, "Name")))
		}
	}
	return nil
}

var tagSetsKind *Kind

func init() {
	tagSetsKind = registerKind(&Kind{
		Name:          "TagSets",
		Segment:       "tagsets",
		ItemType:      "TagSet",
		NameField:     "Name",
		UniqueNames:   true,
		TemplateQuery: "{?skip,take,ids,partialName,scopes}",
		Less:          bySortOrder,
		Filter: func(c *Call, d Doc) bool {
			scopes := c.Query("scopes")
			if len(scopes) == 0 {
				return true
			}
			for _, sc := range strs(d, "Scopes") {
				if containsFold(scopes, sc) {
					return true
				}
			}
			return false
		},
		Defaults:     placeLast("TagSets"),
		Validate:     tagSetShape,
		BeforeUpdate: keepPlace("TagSets"),
	})
}

// tagSetShape fills defaults, gives new tags an Id (kept across updates: a
// tag sent without Id but with a known name keeps its Id) and sets each
// tag's CanonicalTagName to "<TagSet>/<Tag>".
func tagSetShape(c *Call, d, old Doc) error {
	ensure(d, "Description", "")
	ensure(d, "Scopes", []any{})
	ensure(d, "Type", "MultiSelect")
	ensure(d, "Tags", []any{})
	known := map[string]string{}
	if old != nil {
		oldTags, _ := old["Tags"].([]any)
		for _, t := range oldTags {
			if m, ok := t.(map[string]any); ok {
				known[strings.ToLower(str(m, "Name"))] = str(m, "Id")
			}
		}
	}
	tags, _ := d["Tags"].([]any)
	seen := map[string]bool{}
	for i, t := range tags {
		m, ok := t.(map[string]any)
		if !ok {
			return badRequest(fmt.Sprintf("Tags[%d] must be an object.", i))
		}
		name := strings.TrimSpace(str(m, "Name"))
		if name == "" {
			return badRequest(fmt.Sprintf("Please provide a value for Tags[%d].Name.", i))
		}
		if seen[strings.ToLower(name)] {
			return badRequest(fmt.Sprintf("The tag name '%s' is used more than once in tag set '%s'.", name, str(d, "Name")))
		}
		seen[strings.ToLower(name)] = true
		if str(m, "Id") == "" {
			if id := known[strings.ToLower(name)]; id != "" {
				m["Id"] = id
			} else {
				// Tag IDs are opaque to clients; the real format is unverified.
				m["Id"] = str(d, "Id") + "/" + c.srv.st.nextID("Tags")
			}
		}
		m["CanonicalTagName"] = str(d, "Name") + "/" + name
		ensure(m, "Color", "#333333")
		ensure(m, "Description", "")
		if _, ok := integer(m, "SortOrder"); !ok {
			m["SortOrder"] = i
		}
	}
	return nil
}

var feedsKind *Kind

func init() {
	feedsKind = registerKind(&Kind{
		Name:          "Feeds",
		Segment:       "feeds",
		ItemType:      "Feed",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?skip,take,ids,partialName,feedType,name}",
		Filter: func(c *Call, d Doc) bool {
			t := c.Query("feedType")
			return len(t) == 0 || containsFold(t, str(d, "FeedType"))
		},
		Defaults: func(_ *Call, d Doc) error {
			ensure(d, "PackageAcquisitionLocationOptions", []any{"Server", "ExecutionTarget"})
			return nil
		},
		Validate: func(_ *Call, d, old Doc) error {
			ft := str(d, "FeedType")
			if ft == "" {
				return badRequest("Please provide a value for FeedType.")
			}
			if old != nil && !strings.EqualFold(ft, str(old, "FeedType")) {
				return badRequest("The FeedType of a feed cannot be changed.")
			}
			if old == nil && (strings.EqualFold(ft, "BuiltIn") || strings.EqualFold(ft, "OctopusProject")) {
				return badRequest(fmt.Sprintf("Feeds of type %s are built in and cannot be created.", ft))
			}
			return nil
		},
		BeforeDelete: func(_ *Call, d Doc) error {
			if ft := str(d, "FeedType"); strings.EqualFold(ft, "BuiltIn") || strings.EqualFold(ft, "OctopusProject") {
				return badRequest("The built-in feeds cannot be deleted.")
			}
			return nil
		},
		Links: func(_ Doc, self string) map[string]string {
			return map[string]string{
				"Packages":                      self + "/packages{?packageId,partialMatch,includeMultipleVersions,includeNotes,includePreRelease,versionRange,preReleaseTag,take}",
				"SearchPackagesTemplate":        self + "/packages/search{?term,take,skip}",
				"SearchPackageVersionsTemplate": self + "/packages/versions{?packageId,take,skip,includePreRelease,versionRange,preReleaseTag,filter,includeNotes}",
			}
		},
	})
}

func init() {
	addRoute(http.MethodPut, "environments/sortorder", RouteSpace, func(c *Call) (any, error) {
		return sortOrder(c, environmentsKind)
	})
	addRoute(http.MethodPut, "tagsets/sortorder", RouteSpace, func(c *Call) (any, error) {
		return sortOrder(c, tagSetsKind)
	})
	addRoute(http.MethodGet, "lifecycles/{id}/projects", RouteSpace, func(c *Call) (any, error) {
		return referencing(c, lifecyclesKind, "LifecycleId", false)
	})
	addRoute(http.MethodGet, "projectgroups/{id}/projects", RouteSpace, func(c *Call) (any, error) {
		return referencing(c, projectGroupsKind, "ProjectGroupId", true)
	})
	onSpaceCreated(createSpaceDefaults)
}

// sortOrder serves PUT x/sortorder: the body is the IDs in their new order;
// listed documents get SortOrder 0, 1, 2...; unlisted ones keep theirs after
// them.
func sortOrder(c *Call, k *Kind) (any, error) {
	var ids []string
	if err := json.Unmarshal(c.RawBody(), &ids); err != nil {
		return nil, badRequest("The body must be a JSON array of IDs: " + err.Error())
	}
	for _, id := range ids {
		if c.srv.st.get(k.Name, c.SpaceID, id) == nil {
			return nil, badRequest(fmt.Sprintf("The resource '%s' was not found.", id))
		}
	}
	for i, id := range ids {
		rec := c.srv.st.get(k.Name, c.SpaceID, id)
		rec.doc["SortOrder"] = i
		c.srv.stamp(c, rec.doc)
	}
	next := len(ids)
	for _, rec := range c.srv.selected(c, k) {
		if !containsFold(ids, str(rec.doc, "Id")) {
			rec.doc["SortOrder"] = next
			next++
		}
	}
	forgetSortOrder(c, k.Name)
	c.Changed()
	c.srv.addEvent(c, "Modified", fmt.Sprintf("%s sort order was changed", k.ItemType), c.SpaceID, anySlice(ids))
	return map[string]any{}, nil
}

// referencing lists the projects that point at a document (lifecycle or
// project group), once a Projects kind is registered.
func referencing(c *Call, k *Kind, field string, paged bool) (any, error) {
	owner, err := c.srv.find(c, k, c.Param("id"))
	if err != nil {
		return nil, err
	}
	items := []Doc{}
	if pk := kinds["Projects"]; pk != nil {
		for _, r := range c.srv.st.all(pk.Name) {
			if strings.EqualFold(r.space, c.SpaceID) && strings.EqualFold(str(r.doc, field), str(owner.doc, "Id")) {
				items = append(items, c.srv.present(pk, r))
			}
		}
	}
	if !paged {
		return items, nil
	}
	return c.srv.page(c, "Project", k.Segment+"/"+str(owner.doc, "Id")+"/projects", "{?skip,take}", items)
}

// createSpaceDefaults creates what every new space starts with: the Default
// Lifecycle, the Default Project Group and the two built-in feeds (whose IDs
// are the same in every space).
func createSpaceDefaults(c *Call, _ Doc) error {
	s := c.srv
	if _, err := s.create(c, lifecyclesKind, Doc{"Name": "Default Lifecycle", "Description": "This is the default lifecycle."}); err != nil {
		return fmt.Errorf("create default lifecycle: %w", err)
	}
	if _, err := s.create(c, projectGroupsKind, Doc{"Name": "Default Project Group", "Description": ""}); err != nil {
		return fmt.Errorf("create default project group: %w", err)
	}
	for _, f := range []struct{ id, name, feedType string }{
		{"feeds-builtin", "Octopus Server (built-in)", "BuiltIn"},
		{"feeds-builtin-releases", "Octopus Server Releases (built-in)", "OctopusProject"},
	} {
		d := Doc{"Name": f.name, "FeedType": f.feedType, "PackageAcquisitionLocationOptions": []any{"Server", "ExecutionTarget"}}
		if err := s.insertBuiltIn(c, feedsKind, d, f.id); err != nil {
			return fmt.Errorf("create %s: %w", f.id, err)
		}
	}
	return nil
}

// insertBuiltIn stores a built-in document with a fixed ID, bypassing the
// kind's validation (which refuses client-created built-ins).
func (s *Server) insertBuiltIn(c *Call, k *Kind, d Doc, id string) error {
	space := storeSpace(k, c.SpaceID)
	d["Id"] = id
	if k.Scope == SpaceScoped {
		d["SpaceId"] = c.SpaceID
	}
	if k.Slugged && str(d, "Slug") == "" {
		d["Slug"] = slugify(str(d, k.NameField))
	}
	s.stamp(c, d)
	s.st.put(k.Name, &record{space: space, doc: d})
	c.Changed()
	return nil
}
