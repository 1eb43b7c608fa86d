package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Action templates (custom step templates) and community action templates.
//
// An action template's Version starts at 0 and goes up by one on every PUT
// that changes it; every version stays readable at
// /actiontemplates/{id}/versions/{version}. Community templates are an
// instance-wide, read-only catalogue (the real server syncs it from
// library.octopus.com; the emulator seeds it from a folder of Library-format
// JSON files). Installing one into a space makes an action template with
// CommunityActionTemplateId set, which only the installation endpoint may
// change (octopus-api.md §3.2, §3.3).

// The kinds of this file, assigned in init (see doc.go).
var (
	actionTemplatesKind    *Kind
	communityTemplatesKind *Kind
)

// Tables the emulator keeps beside the kinds (persisted with the state, never
// served directly).
const (
	// templateVersionsTable holds a copy of every version of every action
	// template, keyed "<templateId>/versions/<n>".
	templateVersionsTable = "ActionTemplateVersions"
	// communityMetaTable holds what the Library file says about a community
	// template that its API resource does not carry (Category, the Library
	// GUID): the 2026.1 CommunityActionTemplateResource has neither.
	communityMetaTable = "CommunityActionTemplateMeta"
)

// The property names of the real resources (swagger 2026.1 definitions).
var (
	actionTemplateProps = []string{"ActionType", "CommunityActionTemplateId", "Description", "GitDependencies", "Id", "LastModifiedBy", "LastModifiedOn", "Name", "Packages", "Parameters", "Properties", "SpaceId", "Version"}
)

func init() {
	actionTemplatesKind = registerKind(&Kind{
		Name:          "ActionTemplates",
		Segment:       "actiontemplates",
		Scope:         SpaceScoped,
		ItemType:      "ActionTemplate",
		NameField:     "Name",
		UniqueNames:   true,
		TemplateQuery: "{?skip,take,ids,partialName}",
		Defaults:      actionTemplateDefaults,
		Validate:      validateActionTemplate,
		AfterCreate:   func(c *Call, d Doc) error { c.srv.snapshotActionTemplate(c, d); return nil },
		BeforeUpdate:  actionTemplateBeforeUpdate,
		AfterUpdate:   actionTemplateAfterUpdate,
		AfterDelete:   actionTemplateDeleted,
		Links:         actionTemplateLinks,
	})
	communityTemplatesKind = registerKind(&Kind{
		Name:          "CommunityActionTemplates",
		Segment:       "communityactiontemplates",
		Scope:         SystemScoped,
		ItemType:      "CommunityActionTemplate",
		NameField:     "Name",
		NoCreate:      true,
		NoUpdate:      true,
		NoDelete:      true,
		NoEvents:      true,
		NoList:        true, // paged list only: the real server has no /all
		TemplateQuery: "{?skip,take,ids}",
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{"Logo": self + "/logo"}
		},
	})
	addSeeder(seedCommunityTemplates)
	addRoute(http.MethodGet, "communityactiontemplates", RouteSystem, func(c *Call) (any, error) {
		return c.srv.listHandler(c, communityTemplatesKind)
	})
	addRoute(http.MethodGet, "actiontemplates/categories", RouteSpace, templateCategories)
	addRoute(http.MethodGet, "actiontemplates/search", RouteSpace, templateSearch)
	addRoute(http.MethodGet, "actiontemplates/{id}/versions/{version}", RouteSpace, templateVersion)
	for _, method := range []string{http.MethodPost, http.MethodPut} {
		addRoute(method, "communityactiontemplates/{id}/installation", RouteSystem, installHandler(method))
		addRoute(method, "communityactiontemplates/{id}/installation/{spaceId}", RouteSystem, installHandler(method))
	}
	addRoute(http.MethodGet, "communityactiontemplates/{id}/actiontemplate", RouteSystem, installedTemplate)
	addRoute(http.MethodGet, "communityactiontemplates/{id}/actiontemplate/{spaceId}", RouteSystem, installedTemplate)
}

func actionTemplateDefaults(c *Call, d Doc) error {
	ensure(d, "Description", "")
	ensure(d, "Version", 0)
	ensure(d, "CommunityActionTemplateId", nil)
	ensure(d, "Packages", []any{})
	ensure(d, "GitDependencies", []any{})
	ensure(d, "Parameters", []any{})
	ensure(d, "Properties", map[string]any{})
	return nil
}

func validateActionTemplate(c *Call, d, old Doc) error {
	keepOnly(d, actionTemplateProps)
	if strings.TrimSpace(str(d, "ActionType")) == "" {
		return badRequest("Please provide a value for ActionType.")
	}
	if _, ok := integer(d, "Version"); !ok {
		return badRequest("Version must be a number.")
	}
	if err := checkProperties(d, "Properties"); err != nil {
		return err
	}
	return assignTemplateIDs(d, "Parameters")
}

// checkProperties accepts the PropertyValue shapes the SDK sends: a string or
// a SensitiveValue object (pkg/core/property_value.go).
func checkProperties(d Doc, field string) error {
	props, ok := d[field].(map[string]any)
	if !ok {
		if d[field] != nil {
			return badRequest(field + " must be an object.")
		}
		d[field] = map[string]any{}
		return nil
	}
	for k, v := range props {
		switch t := v.(type) {
		case string, nil:
		case map[string]any:
			if !isSensitiveValue(t) {
				return badRequest(fmt.Sprintf("%s['%s'] must be a string or a sensitive value.", field, k))
			}
		default:
			return badRequest(fmt.Sprintf("%s['%s'] must be a string or a sensitive value.", field, k))
		}
	}
	return nil
}

// actionTemplateBeforeUpdate refuses to edit an installed community template
// and works out the new Version: the old one when nothing changed, else one
// more. Secrets count: a new sensitive default is a change.
func actionTemplateBeforeUpdate(c *Call, d, old Doc) error {
	if str(old, "CommunityActionTemplateId") != "" {
		return badRequest("Only custom templates can be directly updated")
	}
	d["CommunityActionTemplateId"] = nil
	if err := actionTemplateDefaults(c, d); err != nil {
		return err
	}
	if err := validateActionTemplate(c, d, old); err != nil {
		return err
	}
	have, _ := integer(old, "Version")
	d["Version"] = have
	oldRec := c.srv.st.get(actionTemplatesKind.Name, c.SpaceID, str(old, "Id"))
	var oldSecrets map[string]any
	if oldRec != nil {
		oldSecrets = oldRec.secrets
	}
	probe := cloneDoc(d)
	probe["Id"], probe["SpaceId"] = old["Id"], old["SpaceId"]
	secrets := sealSecrets(probe, nil, oldSecrets)
	if !sameTemplate(probe, old) || !reflect.DeepEqual(jsonNormal(secrets), jsonNormal(oldSecrets)) {
		d["Version"] = have + 1
	}
	return nil
}

// sameTemplate compares two action templates, ignoring what the server sets.
func sameTemplate(a, b Doc) bool {
	strip := func(d Doc) any {
		x := cloneDoc(d)
		for _, k := range []string{"LastModifiedOn", "LastModifiedBy", "Links", "Version"} {
			delete(x, k)
		}
		return jsonNormal(x)
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

// jsonNormal round-trips v through JSON so that equal documents compare
// equal whatever Go types hold their numbers and lists.
func jsonNormal(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

func actionTemplateAfterUpdate(c *Call, d, old Doc) error {
	a, _ := integer(d, "Version")
	b, _ := integer(old, "Version")
	if a != b {
		c.srv.snapshotActionTemplate(c, d)
	}
	return nil
}

// snapshotActionTemplate keeps a copy of the template's current version, secrets
// included, for /versions/{version}.
func (s *Server) snapshotActionTemplate(c *Call, d Doc) {
	rec := s.st.get(actionTemplatesKind.Name, c.SpaceID, str(d, "Id"))
	if rec == nil {
		return
	}
	v, _ := integer(rec.doc, "Version")
	snap := &record{space: rec.space, doc: cloneDoc(rec.doc)}
	snap.doc["Id"] = str(rec.doc, "Id") + "/versions/" + strconv.Itoa(v)
	if rec.secrets != nil {
		snap.secrets = cloneDoc(rec.secrets)
	}
	s.st.put(templateVersionsTable, snap)
	c.Changed()
}

func actionTemplateDeleted(c *Call, d Doc) error {
	prefix := strings.ToLower(str(d, "Id") + "/versions/")
	for _, rec := range c.srv.st.all(templateVersionsTable) {
		if strings.EqualFold(rec.space, c.SpaceID) && strings.HasPrefix(strings.ToLower(str(rec.doc, "Id")), prefix) {
			c.srv.st.delete(templateVersionsTable, rec.space, str(rec.doc, "Id"))
		}
	}
	c.Changed()
	return nil
}

func actionTemplateLinks(d Doc, self string) map[string]string {
	sp := "/api/" + str(d, "SpaceId")
	return map[string]string{
		"Usage":         self + "/usage",
		"Logo":          self + "/logo",
		"ActionsUpdate": self + "/actionsUpdate",
		"Versions":      sp + "/actiontemplates/" + str(d, "Id") + "/versions/{version}",
	}
}

// templateVersion serves /actiontemplates/{id}/versions/{version}.
func templateVersion(c *Call) (any, error) {
	tmpl, err := c.srv.find(c, actionTemplatesKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	key := str(tmpl.doc, "Id") + "/versions/" + c.Param("version")
	snap := c.srv.st.get(templateVersionsTable, tmpl.space, key)
	if snap == nil {
		return nil, notFound(key)
	}
	rec := &record{space: snap.space, doc: cloneDoc(snap.doc), secrets: snap.secrets}
	rec.doc["Id"] = tmpl.doc["Id"]
	return c.srv.present(actionTemplatesKind, rec), nil
}

// templateCategories serves /actiontemplates/categories. Which categories the
// real server lists is not documented; the emulator lists the categories of
// the community catalogue plus "Other", in name order.
func templateCategories(c *Call) (any, error) {
	names := map[string]string{"other": "Other"}
	for _, rec := range c.srv.st.all(communityMetaTable) {
		if cat := str(rec.doc, "Category"); cat != "" {
			names[strings.ToLower(cat)] = cat
		}
	}
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]Doc, 0, len(ids))
	for i, id := range ids {
		out = append(out, Doc{"Id": id, "Name": names[id], "DisplayOrder": i, "Links": map[string]any{}})
	}
	return out, nil
}

// builtInSteps are a few of the step types a real server lists in
// /actiontemplates/search as IsBuiltIn.
var builtInSteps = []struct{ typ, name, category string }{
	{"Octopus.Script", "Run a Script", "Script"},
	{"Octopus.TentaclePackage", "Deploy a Package", "Package"},
	{"Octopus.Manual", "Manual Intervention Required", "Other"},
	{"Octopus.Email", "Send an Email", "Other"},
}

// templateSearch serves /actiontemplates/search{?type}: built-in steps, the
// space's templates and the community templates not installed in it.
func templateSearch(c *Call) (any, error) {
	typ := c.QueryValue("type")
	out := []Doc{}
	add := func(d Doc) {
		if typ == "" || strings.EqualFold(str(d, "Type"), typ) {
			out = append(out, d)
		}
	}
	for _, b := range builtInSteps {
		add(Doc{"Type": b.typ, "Name": b.name, "Id": b.typ, "IsBuiltIn": true, "IsInstalled": true, "HasUpdate": false,
			"Category": b.category, "Categories": []any{b.category}, "CommunityActionTemplateId": nil, "Links": map[string]any{}})
	}
	installed := map[string]bool{}
	for _, rec := range c.srv.selected(c, actionTemplatesKind) {
		d := rec.doc
		cid := str(d, "CommunityActionTemplateId")
		hasUpdate := false
		category := "Other"
		if cid != "" {
			installed[strings.ToLower(cid)] = true
			if comm := c.srv.st.get(communityTemplatesKind.Name, "", cid); comm != nil {
				cv, _ := integer(comm.doc, "Version")
				v, _ := integer(d, "Version")
				hasUpdate = cv > v
				category = communityCategory(c, cid)
			}
		}
		add(Doc{"Type": d["ActionType"], "Name": d["Name"], "Id": d["Id"], "Description": d["Description"],
			"IsBuiltIn": false, "IsInstalled": true, "HasUpdate": hasUpdate, "CommunityActionTemplateId": nilIfEmpty(cid),
			"Category": category, "Categories": []any{category}, "SpaceId": d["SpaceId"], "Version": d["Version"],
			"Links": map[string]any{"Self": selfLink(actionTemplatesKind, d)}})
	}
	for _, rec := range c.srv.st.all(communityTemplatesKind.Name) {
		d := rec.doc
		if installed[strings.ToLower(str(d, "Id"))] {
			continue
		}
		category := communityCategory(c, str(d, "Id"))
		add(Doc{"Type": d["Type"], "Name": d["Name"], "Id": d["Id"], "Description": d["Description"],
			"Author": d["Author"], "Website": d["Website"], "IsBuiltIn": false, "IsInstalled": false, "HasUpdate": false,
			"CommunityActionTemplateId": d["Id"], "Category": category, "Categories": []any{category}, "Version": d["Version"],
			"Links": map[string]any{"Self": selfLink(communityTemplatesKind, d)}})
	}
	return out, nil
}

func communityCategory(c *Call, id string) string {
	if m := c.srv.st.get(communityMetaTable, "", id); m != nil && str(m.doc, "Category") != "" {
		return str(m.doc, "Category")
	}
	return "Other"
}

// installation resolves an installation URL
// (/communityactiontemplates/{id}/…{/spaceId}): the community template, a
// Call for the space the URL names (the default space when it names none)
// and the action template installed from it there (nil when none).
func installation(c *Call) (comm *record, cs *Call, installed *record, err error) {
	comm, err = c.srv.find(c, communityTemplatesKind, c.Param("id"))
	if err != nil {
		return nil, nil, nil, err
	}
	id := c.Param("spaceId")
	if id == "" {
		id = c.srv.defaultSpaceID()
	}
	sp := c.srv.st.get(spacesKind.Name, "", id)
	if sp == nil {
		return nil, nil, nil, notFound(id)
	}
	cs = c.InSpace(str(sp.doc, "Id"))
	return comm, cs, c.srv.installedIn(cs, str(comm.doc, "Id")), nil
}

// installedIn returns the action template installed from community template
// cid in the call's space.
func (s *Server) installedIn(c *Call, cid string) *record {
	for _, rec := range s.st.all(actionTemplatesKind.Name) {
		if strings.EqualFold(rec.space, c.SpaceID) && strings.EqualFold(str(rec.doc, "CommunityActionTemplateId"), cid) {
			return rec
		}
	}
	return nil
}

// installHandler serves POST (install) and PUT (update to the catalogue's
// version) on /communityactiontemplates/{id}/installation{/spaceId}.
func installHandler(method string) Handler {
	return func(c *Call) (any, error) {
		comm, cs, existing, err := installation(c)
		if err != nil {
			return nil, err
		}
		cid := str(comm.doc, "Id")
		doc := Doc{
			"Name":                      comm.doc["Name"],
			"Description":               comm.doc["Description"],
			"ActionType":                comm.doc["Type"],
			"Version":                   comm.doc["Version"],
			"CommunityActionTemplateId": cid,
			"Packages":                  cloneValue(comm.doc["Packages"]),
			"Parameters":                cloneValue(comm.doc["Parameters"]),
			"Properties":                cloneValue(comm.doc["Properties"]),
			"GitDependencies":           []any{},
		}
		if method == http.MethodPost {
			if existing != nil {
				return nil, badRequest("Action Template already installed")
			}
			out, err := c.srv.create(cs, actionTemplatesKind, doc)
			if err != nil {
				return nil, err
			}
			c.Status = http.StatusCreated
			return out, nil
		}
		if existing == nil {
			return nil, badRequest("Action Template is not installed")
		}
		return c.srv.replaceInstalled(cs, existing, doc)
	}
}

// replaceInstalled overwrites an installed community template with the
// catalogue's version, bypassing the "only custom templates" rule of PUT.
func (s *Server) replaceInstalled(c *Call, old *record, d Doc) (Doc, error) {
	k := actionTemplatesKind
	d["Id"], d["SpaceId"] = old.doc["Id"], old.doc["SpaceId"]
	if err := validateActionTemplate(c, d, old.doc); err != nil {
		return nil, err
	}
	if err := s.checkName(k, old.space, d, str(d, "Id")); err != nil {
		return nil, err
	}
	rec := s.storeOver(c, k, old, d)
	if err := actionTemplateAfterUpdate(c, d, old.doc); err != nil {
		return nil, err
	}
	s.recordEvent(c, k, "Modified", d)
	return s.present(k, rec), nil
}

// installedTemplate serves /communityactiontemplates/{id}/actiontemplate{/spaceId}.
func installedTemplate(c *Call) (any, error) {
	comm, _, rec, err := installation(c)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, notFound(str(comm.doc, "Id"))
	}
	return c.srv.present(actionTemplatesKind, rec), nil
}

// libraryFile is the Library export format (OctopusDeploy/Library
// step-templates/*.json).
type libraryFile struct {
	ID             string                     `json:"Id"`
	Name           string                     `json:"Name"`
	Description    string                     `json:"Description"`
	ActionType     string                     `json:"ActionType"`
	Version        json.Number                `json:"Version"`
	Author         string                     `json:"Author"`
	LastModifiedBy string                     `json:"LastModifiedBy"`
	Category       string                     `json:"Category"`
	Packages       []map[string]any           `json:"Packages"`
	Properties     map[string]json.RawMessage `json:"Properties"`
	Parameters     []map[string]any           `json:"Parameters"`
}

// seedCommunityTemplates loads Options.CommunityTemplatesDir into the
// catalogue, in file name order.
func seedCommunityTemplates(c *Call) error {
	dir := c.srv.opts.CommunityTemplatesDir
	if dir == "" {
		return nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return fmt.Errorf("community templates: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("community templates: no *.json files in %s", dir)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := c.srv.addCommunityTemplate(c, f); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) addCommunityTemplate(c *Call, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("community template: %w", err)
	}
	var lf libraryFile
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&lf); err != nil {
		return fmt.Errorf("community template %s: %w", filepath.Base(path), err)
	}
	if lf.Name == "" || lf.ActionType == "" {
		return fmt.Errorf("community template %s: Name and ActionType are required", filepath.Base(path))
	}
	version, err := lf.Version.Int64()
	if err != nil && lf.Version != "" {
		return fmt.Errorf("community template %s: Version: %w", filepath.Base(path), err)
	}
	author := lf.Author
	if author == "" {
		author = lf.LastModifiedBy
	}
	props := map[string]any{}
	for k, v := range lf.Properties {
		if p, ok := propertyString(v); ok {
			props[k] = p
		}
	}
	params := []any{}
	for _, p := range lf.Parameters {
		if dv, ok := p["DefaultValue"]; ok && dv != nil {
			if _, isStr := dv.(string); !isStr {
				p["DefaultValue"] = fmt.Sprint(dv) // a few Library files use numbers
			}
		}
		params = append(params, map[string]any(p))
	}
	packages := []any{}
	for _, p := range lf.Packages {
		packages = append(packages, map[string]any(p))
	}
	id := s.st.nextID(communityTemplatesKind.Name)
	d := Doc{
		"Id":          id,
		"Name":        lf.Name,
		"Description": lf.Description,
		"Author":      author,
		"Website":     "https://library.octopus.com/step-templates/" + lf.ID,
		"HistoryUrl":  "https://github.com/OctopusDeploy/Library/commits/master/step-templates/" + filepath.Base(path),
		"Type":        lf.ActionType,
		"Version":     int(version),
		"Packages":    packages,
		"Parameters":  params,
		"Properties":  props,
	}
	if err := assignTemplateIDs(d, "Parameters"); err != nil {
		return fmt.Errorf("community template %s: %w", filepath.Base(path), err)
	}
	s.st.put(communityTemplatesKind.Name, &record{doc: d})
	s.st.put(communityMetaTable, &record{doc: Doc{"Id": id, "Category": lf.Category, "ExternalId": lf.ID}})
	c.Changed()
	return nil
}

// propertyString turns a Library property value into the string Octopus
// stores; null properties are dropped.
func propertyString(raw json.RawMessage) (string, bool) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil || v == nil {
		return "", false
	}
	if s, ok := v.(string); ok {
		return s, true
	}
	return strings.TrimSpace(string(raw)), true
}
