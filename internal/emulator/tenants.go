package emulator

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Tenants and tenant variables.
//
// A tenant's ProjectEnvironments map ({"Projects-1": ["Environments-1"]}) is
// its connections to projects; its TenantTags are canonical "Set/Tag" names
// of tag sets in the space. Tenant variables are the values of the variable
// templates of the connected projects (per environment) and of the library
// variable sets those projects include. They are served in two shapes: the
// legacy TenantVariables document at /tenants/{id}/variables and the 2024+
// lists at /tenants/{id}/projectvariables and /commonvariables
// (octopus-api.md §3.11). Sensitive values are SensitiveValue objects and are
// never served.

var tenantsKind *Kind

// tenantValuesTable holds one document per tenant with its variable values:
// {"Id": tenant, "Project": {project: {environment: {template: value}}},
// "Library": {set: {scope: {template: value}}}} where scope is "" for a
// value that applies to every environment. Values are strings or sealed
// SensitiveValues.
const tenantValuesTable = "TenantVariableValues"

var tenantProps = []string{"ClonedFromTenantId", "CustomFields", "Description", "Icon", "Id", "IsDisabled", "LastModifiedBy", "LastModifiedOn", "Name", "ProjectEnvironments", "Slug", "SpaceId", "TenantTags"}

func init() {
	tenantsKind = registerKind(&Kind{
		Name:          "Tenants",
		Segment:       "tenants",
		Scope:         SpaceScoped,
		ItemType:      "Tenant",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?skip,projectId,name,tags,take,ids,clone,partialName,isDisabled,clonedFromTenantId}",
		Defaults:      tenantDefaults,
		Validate:      validateTenant,
		BeforeUpdate:  keepProps("ClonedFromTenantId"),
		AfterDelete: func(c *Call, d Doc) error {
			c.srv.st.delete(tenantValuesTable, c.SpaceID, str(d, "Id"))
			c.Changed()
			return nil
		},
		Filter: tenantFilter,
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"Variables": self + "/variables",
				"Web":       "/app#/" + str(d, "SpaceId") + "/tenants/" + str(d, "Id") + "/overview",
				"Logo":      self + "/logo",
			}
		},
	})
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost} {
		addRoute(m, "tenants/{id}/variables", RouteSpace, legacyTenantVariables(m))
		addRoute(m, "tenants/{id}/projectvariables", RouteSpace, tenantVariableList(m, false))
		addRoute(m, "tenants/{id}/commonvariables", RouteSpace, tenantVariableList(m, true))
	}
	addRoute(http.MethodGet, "tenantvariables/all", RouteSpace, func(c *Call) (any, error) {
		out := []any{}
		project := c.QueryValue("projectId")
		for _, rec := range c.srv.selected(c, tenantsKind) {
			if project != "" && !connectedTo(rec.doc, project) {
				continue
			}
			out = append(out, c.srv.tenantVariables(c, rec.doc))
		}
		return out, nil
	})
}

func tenantDefaults(c *Call, d Doc) error {
	ensure(d, "Description", "")
	ensure(d, "IsDisabled", false)
	ensure(d, "ClonedFromTenantId", nil)
	ensure(d, "TenantTags", []any{})
	ensure(d, "ProjectEnvironments", map[string]any{})
	ensure(d, "CustomFields", []any{})
	return nil
}

// validateTenant checks the project connections and tags against the space.
// The exact texts of the real server's errors are not published.
func validateTenant(c *Call, d, old Doc) error {
	keepOnly(d, tenantProps)
	if err := tenantDefaults(c, d); err != nil {
		return err
	}
	var errs []string
	pe, ok := d["ProjectEnvironments"].(map[string]any)
	if !ok {
		return badRequest("ProjectEnvironments must be an object mapping project IDs to environment IDs.")
	}
	canon := map[string]any{}
	for pid, envs := range pe {
		p, err := c.srv.projectByIDOrSlug(c, pid)
		if err != nil {
			errs = append(errs, fmt.Sprintf("The project '%s' does not exist.", pid))
			continue
		}
		if str(p, "TenantedDeploymentMode") == "Untenanted" {
			errs = append(errs, fmt.Sprintf("The project '%s' does not allow tenanted deployments: set its TenantedDeploymentMode first.", str(p, "Name")))
		}
		list, ok := envs.([]any)
		if !ok && envs != nil {
			errs = append(errs, fmt.Sprintf("ProjectEnvironments['%s'] must be a list of environment IDs.", pid))
			continue
		}
		ids := []any{}
		for _, e := range list {
			eid, _ := e.(string)
			if !c.srv.exists("Environments", c.SpaceID, eid) {
				errs = append(errs, fmt.Sprintf("The environment '%s' does not exist.", eid))
				continue
			}
			if !containsFold(anyStrings(ids), eid) {
				ids = append(ids, eid)
			}
		}
		canon[str(p, "Id")] = ids
	}
	d["ProjectEnvironments"] = canon
	known := c.srv.tenantTagNames(c.SpaceID)
	tags := []any{}
	for _, tag := range strs(d, "TenantTags") {
		canonical, ok := known[strings.ToLower(tag)]
		if !ok {
			errs = append(errs, fmt.Sprintf("The tenant tag '%s' does not exist: tags are named 'Tag Set/Tag'.", tag))
			continue
		}
		if !containsFold(anyStrings(tags), canonical) {
			tags = append(tags, canonical)
		}
	}
	d["TenantTags"] = tags
	if len(errs) > 0 {
		sort.Strings(errs)
		return badRequest(errs...)
	}
	return nil
}

func anyStrings(xs []any) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// tenantTagNames maps the lower-cased canonical names ("Tag Set/Tag") of the
// tags of the space's tag sets to their canonical spelling.
func (s *Server) tenantTagNames(spaceID string) map[string]string {
	out := map[string]string{}
	if kinds["TagSets"] == nil {
		return out
	}
	for _, ts := range s.docs("TagSets", spaceID) {
		tags, _ := ts["Tags"].([]any)
		for _, t := range tags {
			if m, ok := t.(map[string]any); ok {
				name := str(ts, "Name") + "/" + str(m, "Name")
				out[strings.ToLower(name)] = name
			}
		}
	}
	return out
}

// connectedTo reports whether a tenant is connected to a project.
func connectedTo(t Doc, projectID string) bool {
	pe, _ := t["ProjectEnvironments"].(map[string]any)
	for k := range pe {
		if strings.EqualFold(k, projectID) {
			return true
		}
	}
	return false
}

// tenantFilter applies ?projectId, ?isDisabled and ?tags. Tags follow
// Octopus's rule: a tenant matches when, for every tag set named in the
// query, it has at least one of the queried tags of that set.
func tenantFilter(c *Call, d Doc) bool {
	if p := c.QueryValue("projectId"); p != "" && !connectedTo(d, p) {
		return false
	}
	if v := c.QueryValue("isDisabled"); v != "" && !strings.EqualFold(v, fmt.Sprint(boolean(d, "IsDisabled"))) {
		return false
	}
	bySet := map[string][]string{}
	for _, tag := range c.Query("tags") {
		set, _, _ := strings.Cut(tag, "/")
		bySet[strings.ToLower(set)] = append(bySet[strings.ToLower(set)], tag)
	}
	have := strs(d, "TenantTags")
	for _, want := range bySet {
		hit := false
		for _, w := range want {
			if containsFold(have, w) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// tenantValues returns the stored values document of a tenant (empty when
// none was stored yet) and its record's secrets.
func (s *Server) tenantValues(spaceID, tenantID string) (Doc, map[string]any) {
	rec := s.st.get(tenantValuesTable, spaceID, tenantID)
	if rec == nil {
		return Doc{"Id": tenantID, "Project": map[string]any{}, "Library": map[string]any{}}, nil
	}
	return cloneDoc(rec.doc), rec.secrets
}

// storeTenantValues seals and stores a tenant's values; a SensitiveValue
// with HasValue true and no NewValue keeps the stored secret at its place.
func (s *Server) storeTenantValues(c *Call, tenantID string, d Doc) {
	_, oldSecrets := s.tenantValues(c.SpaceID, tenantID)
	d["Id"] = tenantID
	rec := &record{space: c.SpaceID, doc: d}
	if old := s.st.get(tenantValuesTable, c.SpaceID, tenantID); old != nil {
		rec.seq = old.seq
	}
	rec.secrets = sealSecrets(d, nil, oldSecrets)
	s.st.put(tenantValuesTable, rec)
	c.Changed()
}

// tenantFor returns the tenant named by the {id} route parameter.
func (s *Server) tenantFor(c *Call) (*record, error) {
	return s.find(c, tenantsKind, c.Param("id"))
}

// connection is one project a tenant is connected to, with its templates.
type connection struct {
	project Doc
	envs    []string
}

func (s *Server) connections(c *Call, t Doc) []connection {
	pe, _ := t["ProjectEnvironments"].(map[string]any)
	ids := make([]string, 0, len(pe))
	for id := range pe {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return idNumber(ids[i]) < idNumber(ids[j]) })
	var out []connection
	for _, id := range ids {
		rec := s.st.get(projectsKind.Name, c.SpaceID, id)
		if rec == nil {
			continue
		}
		envs, _ := pe[id].([]any)
		out = append(out, connection{project: rec.doc, envs: anyStrings(envs)})
	}
	return out
}

// librarySets returns the library variable sets the tenant's projects
// include, in ID order.
func (s *Server) librarySets(c *Call, conns []connection) []Doc {
	seen := map[string]bool{}
	var out []Doc
	for _, cn := range conns {
		for _, id := range strs(cn.project, "IncludedLibraryVariableSetIds") {
			if seen[strings.ToLower(id)] {
				continue
			}
			seen[strings.ToLower(id)] = true
			if rec := s.st.get(libraryVariableSetsKind.Name, c.SpaceID, id); rec != nil {
				out = append(out, rec.doc)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return idNumber(str(out[i], "Id")) < idNumber(str(out[j], "Id")) })
	return out
}

func templatesOf(d Doc) []map[string]any {
	list, _ := d["Templates"].([]any)
	var out []map[string]any
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func lookup(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = nil
		for kk, x := range mm {
			if strings.EqualFold(kk, k) {
				v = x
				break
			}
		}
	}
	return v
}

func child(m map[string]any, key string) map[string]any {
	if x, ok := m[key].(map[string]any); ok {
		return x
	}
	x := map[string]any{}
	m[key] = x
	return x
}

// tenantVariables builds the legacy TenantVariables document.
func (s *Server) tenantVariables(c *Call, t Doc) Doc {
	vals, _ := s.tenantValues(c.SpaceID, str(t, "Id"))
	conns := s.connections(c, t)
	projects := map[string]any{}
	for _, cn := range conns {
		pid := str(cn.project, "Id")
		vars := map[string]any{}
		for _, env := range cn.envs {
			byTpl := map[string]any{}
			for _, tpl := range templatesOf(cn.project) {
				if v := lookup(vals, "Project", pid, env, str(tpl, "Id")); v != nil {
					byTpl[str(tpl, "Id")] = v
				}
			}
			vars[env] = byTpl
		}
		projects[pid] = map[string]any{
			"ProjectId":   pid,
			"ProjectName": cn.project["Name"],
			"Templates":   cloneValue(cn.project["Templates"]),
			"Variables":   vars,
			"Links":       map[string]any{"Project": selfLink(projectsKind, cn.project)},
		}
	}
	libraries := map[string]any{}
	for _, set := range s.librarySets(c, conns) {
		id := str(set, "Id")
		vars := map[string]any{}
		for _, tpl := range templatesOf(set) {
			if v := lookup(vals, "Library", id, "", str(tpl, "Id")); v != nil {
				vars[str(tpl, "Id")] = v
			}
		}
		libraries[id] = map[string]any{
			"LibraryVariableSetId":   id,
			"LibraryVariableSetName": set["Name"],
			"Templates":              cloneValue(set["Templates"]),
			"Variables":              vars,
			"Links":                  map[string]any{"LibraryVariableSet": selfLink(libraryVariableSetsKind, set)},
		}
	}
	self := selfLink(tenantsKind, t) + "/variables"
	return Doc{
		"Id":               "tenantvariables-" + str(t, "Id"),
		"TenantId":         t["Id"],
		"TenantName":       t["Name"],
		"SpaceId":          t["SpaceId"],
		"ConcurrencyToken": t["LastModifiedOn"],
		"ProjectVariables": projects,
		"LibraryVariables": libraries,
		"Links":            map[string]any{"Self": self},
	}
}

// legacyTenantVariables serves GET and PUT/POST /tenants/{id}/variables. A
// write replaces every value of the connected projects and their library
// sets; values of templates or environments the tenant is not connected to
// are ignored.
func legacyTenantVariables(method string) Handler {
	return func(c *Call) (any, error) {
		rec, err := c.srv.tenantFor(c)
		if err != nil {
			return nil, err
		}
		t := rec.doc
		if method == http.MethodGet {
			return c.srv.tenantVariables(c, t), nil
		}
		body, err := c.Body()
		if err != nil {
			return nil, err
		}
		vals, _ := c.srv.tenantValues(c.SpaceID, str(t, "Id"))
		conns := c.srv.connections(c, t)
		project := map[string]any{}
		for _, cn := range conns {
			pid := str(cn.project, "Id")
			for _, env := range cn.envs {
				for _, tpl := range templatesOf(cn.project) {
					v := lookup(body, "ProjectVariables", pid, "Variables", env, str(tpl, "Id"))
					if err := checkValue(v); err != nil {
						return nil, err
					}
					if v != nil {
						child(child(project, pid), env)[str(tpl, "Id")] = v
					}
				}
			}
		}
		library := map[string]any{}
		oldLibrary, _ := vals["Library"].(map[string]any)
		for _, set := range c.srv.librarySets(c, conns) {
			id := str(set, "Id")
			// Environment-scoped common values (2024+ API) are not part of the
			// legacy document: keep them.
			if old, ok := oldLibrary[id].(map[string]any); ok {
				for scope, x := range old {
					if scope != "" {
						child(library, id)[scope] = x
					}
				}
			}
			for _, tpl := range templatesOf(set) {
				v := lookup(body, "LibraryVariables", id, "Variables", str(tpl, "Id"))
				if err := checkValue(v); err != nil {
					return nil, err
				}
				if v != nil {
					child(child(library, id), "")[str(tpl, "Id")] = v
				}
			}
		}
		c.srv.storeTenantValues(c, str(t, "Id"), Doc{"Project": project, "Library": library})
		c.srv.addEvent(c, "Modified", fmt.Sprintf("Variables of tenant %s have been modified", str(t, "Name")), c.SpaceID, []any{t["Id"]})
		return c.srv.tenantVariables(c, t), nil
	}
}

// checkValue accepts a PropertyValue: a string, a SensitiveValue or null.
func checkValue(v any) error {
	switch t := v.(type) {
	case nil, string:
		return nil
	case map[string]any:
		if isSensitiveValue(t) {
			return nil
		}
	}
	return badRequest("A tenant variable value must be a string or a sensitive value.")
}

// tenantVariableList serves the 2024+ /tenants/{id}/projectvariables and
// /commonvariables: GET lists one item per value (project values are per
// environment), with ?includeMissingVariables the templates without one; PUT
// and POST replace the tenant's project (or common) values with the list
// sent.
func tenantVariableList(method string, common bool) Handler {
	return func(c *Call) (any, error) {
		rec, err := c.srv.tenantFor(c)
		if err != nil {
			return nil, err
		}
		t := rec.doc
		if method != http.MethodGet {
			body, err := c.Body()
			if err != nil {
				return nil, err
			}
			if err := c.srv.modifyTenantList(c, t, body, common); err != nil {
				return nil, err
			}
		}
		items, missing := c.srv.tenantVariableItems(c, t, common)
		out := Doc{"TenantId": t["Id"], "Variables": items}
		if method == http.MethodGet {
			if !c.queryBool("includeMissingVariables", false) {
				missing = []any{}
			}
			out["MissingVariables"] = missing
		}
		return out, nil
	}
}

// tenantItemID is the Id of one value in the 2024+ lists. The real IDs are
// opaque database keys; these are stable and unique per value.
func tenantItemID(tenantID, owner, scope, templateID string) string {
	id := tenantID + "-" + owner + "-" + templateID
	if scope != "" {
		id += "-" + scope
	}
	return id
}

func (s *Server) tenantVariableItems(c *Call, t Doc, common bool) (items, missing []any) {
	vals, _ := s.tenantValues(c.SpaceID, str(t, "Id"))
	tid := str(t, "Id")
	conns := s.connections(c, t)
	items, missing = []any{}, []any{}
	if !common {
		for _, cn := range conns {
			pid := str(cn.project, "Id")
			for _, tpl := range templatesOf(cn.project) {
				for _, env := range cn.envs {
					item := map[string]any{
						"ProjectId": pid, "ProjectName": cn.project["Name"], "TemplateId": tpl["Id"],
						"Template": cloneValue(tpl), "Scope": map[string]any{"EnvironmentIds": []any{env}},
					}
					v := lookup(vals, "Project", pid, env, str(tpl, "Id"))
					if v == nil {
						item["Value"] = cloneValue(tpl["DefaultValue"])
						missing = append(missing, item)
						continue
					}
					item["Id"], item["Value"] = tenantItemID(tid, pid, env, str(tpl, "Id")), cloneValue(v)
					items = append(items, item)
				}
			}
		}
		return items, missing
	}
	for _, set := range s.librarySets(c, conns) {
		id := str(set, "Id")
		scopes, _ := lookup(vals, "Library", id).(map[string]any)
		keys := slices.Sorted(maps.Keys(scopes))
		for _, tpl := range templatesOf(set) {
			found := false
			for _, scope := range keys {
				v := lookup(scopes, scope, str(tpl, "Id"))
				if v == nil {
					continue
				}
				found = true
				envs := []any{}
				for _, e := range strings.Split(scope, ",") {
					if e != "" {
						envs = append(envs, e)
					}
				}
				items = append(items, map[string]any{
					"Id": tenantItemID(tid, id, scope, str(tpl, "Id")), "LibraryVariableSetId": id, "LibraryVariableSetName": set["Name"],
					"TemplateId": tpl["Id"], "Template": cloneValue(tpl), "Value": cloneValue(v), "Scope": map[string]any{"EnvironmentIds": envs},
				})
			}
			if !found {
				missing = append(missing, map[string]any{
					"LibraryVariableSetId": id, "LibraryVariableSetName": set["Name"], "TemplateId": tpl["Id"],
					"Template": cloneValue(tpl), "Value": cloneValue(tpl["DefaultValue"]), "Scope": map[string]any{"EnvironmentIds": []any{}},
				})
			}
		}
	}
	return items, missing
}

// modifyTenantList applies a 2024+ modify command ({"Variables": [...]}).
func (s *Server) modifyTenantList(c *Call, t Doc, body Doc, common bool) error {
	list, ok := body["Variables"].([]any)
	if !ok {
		return badRequest("The Variables field is required.")
	}
	vals, _ := s.tenantValues(c.SpaceID, str(t, "Id"))
	conns := s.connections(c, t)
	fresh := map[string]any{}
	owners := map[string]Doc{} // by lower-cased owner ID
	if common {
		for _, set := range s.librarySets(c, conns) {
			owners[strings.ToLower(str(set, "Id"))] = set
		}
	} else {
		for _, cn := range conns {
			owners[strings.ToLower(str(cn.project, "Id"))] = cn.project
		}
	}
	ownerField := "ProjectId"
	if common {
		ownerField = "LibraryVariableSetId"
	}
	for i, x := range list {
		item, ok := x.(map[string]any)
		if !ok {
			return badRequest(fmt.Sprintf("Variables[%d] must be an object.", i))
		}
		owner := owners[strings.ToLower(str(item, ownerField))]
		if owner == nil {
			return badRequest(fmt.Sprintf("Variables[%d]: the tenant is not connected to '%s'.", i, str(item, ownerField)))
		}
		tplID := str(item, "TemplateId")
		known := false
		for _, tpl := range templatesOf(owner) {
			if strings.EqualFold(str(tpl, "Id"), tplID) {
				known, tplID = true, str(tpl, "Id")
			}
		}
		if !known {
			return badRequest(fmt.Sprintf("Variables[%d]: '%s' has no variable template '%s'.", i, str(owner, "Name"), tplID))
		}
		v := item["Value"]
		if err := checkValue(v); err != nil {
			return err
		}
		envs := anyStrings(toList(lookup(item, "Scope", "EnvironmentIds")))
		ownerID := str(owner, "Id")
		if common {
			sort.Strings(envs)
			child(child(fresh, ownerID), strings.Join(envs, ","))[tplID] = v
			continue
		}
		if len(envs) == 0 {
			for _, cn := range conns {
				if strings.EqualFold(str(cn.project, "Id"), ownerID) {
					envs = cn.envs
				}
			}
		}
		for _, env := range envs {
			child(child(fresh, ownerID), env)[tplID] = v
		}
	}
	if common {
		vals["Library"] = fresh
	} else {
		vals["Project"] = fresh
	}
	s.storeTenantValues(c, str(t, "Id"), vals)
	s.addEvent(c, "Modified", fmt.Sprintf("Variables of tenant %s have been modified", str(t, "Name")), c.SpaceID, []any{t["Id"]})
	return nil
}

func toList(v any) []any {
	l, _ := v.([]any)
	return l
}
