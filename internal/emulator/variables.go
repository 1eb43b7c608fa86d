package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Variable sets and library variable sets.
//
// A variable set is owned by a project ("variableset-Projects-N") or a
// library variable set ("variableset-LibraryVariableSets-N") and is only ever
// read and replaced whole. Sensitive variables (IsSensitive) carry a plain
// string Value on the way in and come back with Value null. What a PUT does to
// a stored secret depends only on the variable's Id, as measured on a real
// 2026.x server (go-octopusdeploy#449 and #450): with the Id of an existing
// sensitive variable, an empty or null Value keeps the secret; without it the
// secret is replaced (an empty Value wipes it); a non-empty Value always
// replaces it.

// The kinds of this file, assigned in init (see doc.go).
var (
	variableSetsKind        *Kind
	libraryVariableSetsKind *Kind
)

func init() {
	variableSetsKind = registerKind(&Kind{
		Name:          "Variables",
		Segment:       "variables",
		Scope:         SpaceScoped,
		ItemType:      "VariableSet",
		NoCreate:      true,
		NoDelete:      true,
		NoList:        true, // only /variables/all and /variables/{id} exist
		TemplateQuery: "{?ids}",
		BeforeUpdate:  variableSetBeforeUpdate,
		Present:       maskSensitiveVariables,
	})
	libraryVariableSetsKind = registerKind(&Kind{
		Name:          "LibraryVariableSets",
		Segment:       "libraryvariablesets",
		Scope:         SpaceScoped,
		ItemType:      "LibraryVariableSet",
		NameField:     "Name",
		UniqueNames:   true,
		TemplateQuery: "{?skip,contentType,take,ids,partialName}",
		Defaults:      libraryVariableSetDefaults,
		Validate:      validateLibraryVariableSet,
		AfterCreate:   libraryVariableSetCreated,
		BeforeUpdate:  keepProps("VariableSetId", "ContentType", "Version"),
		AfterDelete:   libraryVariableSetDeleted,
		Filter:        func(c *Call, d Doc) bool { return matchesQuery(c, d, "contentType", "ContentType") },
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"Variables": linkTo(d, "variables", "VariableSetId"),
				"Usages":    self + "/usages",
			}
		},
	})
	addRoute(http.MethodGet, "variables/all", RouteSpace, func(c *Call) (any, error) {
		return c.srv.allHandler(c, variableSetsKind)
	})
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		addRoute(method, "projects/{projectId}/variables", RouteSpace, projectOwned(method, variableSetsKind, "VariableSetId"))
	}
}

// newVariableSet is the empty variable set the server creates with its owner.
func newVariableSet(id, ownerID, spaceID string) Doc {
	return Doc{
		"Id":          id,
		"OwnerId":     ownerID,
		"SpaceId":     spaceID,
		"Version":     0,
		"Variables":   []any{},
		"ScopeValues": emptyScopeValues(),
	}
}

// emptyScopeValues is VariableScopeValues with every list empty. The real
// server fills it with the names of what variables may be scoped to; the
// emulator refreshes the environments and channels on every write.
func emptyScopeValues() map[string]any {
	sv := map[string]any{}
	for _, n := range []string{"Environments", "Machines", "Actions", "Roles", "Channels", "TenantTags", "Processes"} {
		sv[n] = []any{}
	}
	return sv
}

// variableSetBeforeUpdate checks the Version the client loaded, gives new
// variables their Ids and turns sensitive values into SensitiveValue form so
// that the store seals them (see the file comment for the keep rules).
func variableSetBeforeUpdate(c *Call, d, old Doc) error {
	d["OwnerId"] = old["OwnerId"]
	have, _ := integer(old, "Version")
	if sent, ok := integer(d, "Version"); ok && sent != have {
		return badRequest(fmt.Sprintf("The variable set has been modified since you loaded it (version %d, you sent %d). Please reload and try again.", have, sent))
	}
	vars, ok := d["Variables"].([]any)
	if !ok {
		if d["Variables"] != nil {
			return badRequest("Variables must be a list.")
		}
		vars = []any{}
	}
	oldSensitive := map[string]bool{}
	if ov, ok := old["Variables"].([]any); ok {
		for _, x := range ov {
			if v, ok := x.(map[string]any); ok && boolean(v, "IsSensitive") {
				oldSensitive[strings.ToLower(str(v, "Id"))] = true
			}
		}
	}
	var errs []string
	seen := map[string]bool{}
	for i, x := range vars {
		v, ok := x.(map[string]any)
		if !ok {
			return badRequest(fmt.Sprintf("Variables[%d] must be an object.", i))
		}
		if strings.TrimSpace(str(v, "Name")) == "" {
			errs = append(errs, fmt.Sprintf("Variables[%d]: Please provide a value for Name.", i))
		}
		sentID := str(v, "Id")
		if err := ensureID(v); err != nil {
			return err
		}
		if seen[strings.ToLower(str(v, "Id"))] {
			errs = append(errs, fmt.Sprintf("Variables[%d]: the Id '%s' is used twice.", i, str(v, "Id")))
		}
		seen[strings.ToLower(str(v, "Id"))] = true
		ensure(v, "Description", nil)
		ensure(v, "Scope", map[string]any{})
		ensure(v, "IsEditable", true)
		ensure(v, "Prompt", nil)
		ensure(v, "IsSensitive", false)
		if boolean(v, "IsSensitive") {
			v["Type"] = "Sensitive"
			switch val := v["Value"].(type) {
			case string:
				if val != "" {
					v["Value"] = map[string]any{"HasValue": true, "NewValue": val}
					continue
				}
			case map[string]any:
				if isSensitiveValue(val) {
					continue
				}
			}
			keep := sentID != "" && oldSensitive[strings.ToLower(sentID)]
			v["Value"] = map[string]any{"HasValue": keep, "NewValue": nil}
			continue
		}
		ensure(v, "Type", "String")
		if _, isObj := v["Value"].(map[string]any); isObj {
			errs = append(errs, fmt.Sprintf("Variables[%d]: Value must be a string.", i))
		}
	}
	if len(errs) > 0 {
		return badRequest(errs...)
	}
	d["Variables"] = vars
	d["ScopeValues"] = scopeValues(c, str(d, "SpaceId"), str(d, "OwnerId"))
	d["Version"] = have + 1
	return nil
}

// scopeValues lists the environments (and, for a project, its channels) a
// variable can be scoped to, as {Id, Name} references.
func scopeValues(c *Call, spaceID, ownerID string) map[string]any {
	sv := emptyScopeValues()
	ref := func(d Doc) any { return map[string]any{"Id": d["Id"], "Name": d["Name"]} }
	if _, ok := kinds["Environments"]; ok {
		var envs []any
		for _, e := range c.srv.docs("Environments", spaceID) {
			envs = append(envs, ref(e))
		}
		if envs != nil {
			sv["Environments"] = envs
		}
	}
	var chs []any
	for _, ch := range c.srv.docs(channelsKind.Name, spaceID) {
		if strings.EqualFold(str(ch, "ProjectId"), ownerID) {
			chs = append(chs, ref(ch))
		}
	}
	if chs != nil {
		sv["Channels"] = chs
	}
	return sv
}

// maskSensitiveVariables serves sensitive variables with Value null: the
// store keeps them sealed in SensitiveValue form.
func maskSensitiveVariables(d Doc) {
	vars, _ := d["Variables"].([]any)
	for _, x := range vars {
		if v, ok := x.(map[string]any); ok && boolean(v, "IsSensitive") {
			v["Value"] = nil
		}
	}
}

var libraryContentTypes = []string{"Variables", "ScriptModule"}

func libraryVariableSetDefaults(c *Call, d Doc) error {
	ensure(d, "ContentType", "Variables")
	ensure(d, "Description", "")
	ensure(d, "Templates", []any{})
	ensure(d, "Version", 0)
	return nil
}

func validateLibraryVariableSet(c *Call, d, old Doc) error {
	if old == nil {
		d["VariableSetId"] = "variableset-" + str(d, "Id")
	}
	if ct := str(d, "ContentType"); !containsFold(libraryContentTypes, ct) {
		return badRequest(fmt.Sprintf("'%s' is not a valid ContentType: use Variables or ScriptModule.", ct))
	}
	if old != nil {
		n, _ := integer(old, "Version")
		d["Version"] = n + 1
	}
	keepOnly(d, libraryVariableSetProps)
	return assignTemplateIDs(d, "Templates")
}

func libraryVariableSetCreated(c *Call, d Doc) error {
	c.srv.putOwned(c, variableSetsKind, newVariableSet(str(d, "VariableSetId"), str(d, "Id"), c.SpaceID))
	return nil
}

func libraryVariableSetDeleted(c *Call, d Doc) error {
	s := c.srv
	s.st.delete(variableSetsKind.Name, c.SpaceID, str(d, "VariableSetId"))
	id := str(d, "Id")
	for _, rec := range s.st.all(projectsKind.Name) {
		ids, ok := rec.doc["IncludedLibraryVariableSetIds"].([]any)
		if !ok {
			continue
		}
		kept := []any{}
		for _, x := range ids {
			if xs, _ := x.(string); !strings.EqualFold(xs, id) {
				kept = append(kept, x)
			}
		}
		rec.doc["IncludedLibraryVariableSetIds"] = kept
	}
	c.Changed()
	return nil
}

// assignTemplateIDs gives every element of the list d[field] (action template
// parameters, project and library variable templates) an Id, and defaults
// the properties the real server always returns.
func assignTemplateIDs(d Doc, field string) error {
	list, ok := d[field].([]any)
	if !ok {
		if d[field] != nil {
			return badRequest(field + " must be a list.")
		}
		d[field] = []any{}
		return nil
	}
	for i, x := range list {
		p, ok := x.(map[string]any)
		if !ok {
			return badRequest(fmt.Sprintf("%s[%d] must be an object.", field, i))
		}
		if str(p, "Name") == "" {
			return badRequest(fmt.Sprintf("%s[%d]: Please provide a value for Name.", field, i))
		}
		if err := ensureID(p); err != nil {
			return err
		}
		ensure(p, "Label", "")
		ensure(p, "HelpText", "")
		ensure(p, "DefaultValue", nil)
		ensure(p, "DisplaySettings", map[string]any{})
	}
	return nil
}

// keepOnly drops top-level properties outside names: the real server binds
// the body to its resource type, so unknown properties are neither stored
// nor returned.
func keepOnly(d Doc, names []string) {
	for k := range d {
		if k == "Links" {
			continue
		}
		if !containsFold(names, k) {
			delete(d, k)
		}
	}
}

// The property names of the real resources (swagger 2026.1 definitions).
var (
	libraryVariableSetProps = []string{"ContentType", "Description", "Id", "LastModifiedBy", "LastModifiedOn", "Name", "SpaceId", "Templates", "VariableSetId", "Version"}
)
