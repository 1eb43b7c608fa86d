package emulator

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Scope says where the documents of a kind live.
type Scope int

const (
	// SpaceScoped documents belong to one space (environments, projects...).
	// Their routes answer all three URL forms; the unscoped one is the
	// default space.
	SpaceScoped Scope = iota
	// SystemScoped documents are instance-wide (spaces, users, user roles).
	// Their routes exist only as /api/x.
	SystemScoped
	// MixedScoped documents carry a nullable SpaceId: null is a system-level
	// document (teams, scoped user roles, events). /api/x lists all of them;
	// /api/{spaceId}/x and /api/x?spaces=... list those of the spaces, plus
	// the system-level ones with includeSystem=true.
	MixedScoped
)

// Kind declares one resource collection. The generic handlers in this file
// serve every kind: a paged list, /all, POST, and GET/PUT/DELETE by ID. See
// doc.go for how to add one.
type Kind struct {
	// Name is the collection name, also the ID prefix unless IDPrefix is set
	// ("Environments" -> "Environments-1").
	Name string
	// Segment is the URL segment ("environments").
	Segment string
	// IDPrefix overrides Name as the ID prefix.
	IDPrefix string
	// Scope is where the documents live.
	Scope Scope
	// ItemType is the envelope's ItemType ("Environment").
	ItemType string
	// NameField is the property holding the name ("Name"; "Username" for
	// users); "" for kinds without a name. partialName and name filter on it.
	NameField string
	// UniqueNames makes a duplicate name a 400: per space for space-scoped
	// kinds, per SpaceId for mixed kinds, instance-wide for system kinds.
	UniqueNames bool
	// Slugged kinds get Slug = kebab-case(Name) when the client sends none.
	Slugged bool
	// WriteOnly lists top-level properties that are stored but always served
	// as null (User.Password). SensitiveValue objects anywhere in a document
	// are always masked and need no declaration.
	WriteOnly []string
	// NoCreate, NoUpdate, NoDelete, NoList switch the generic routes off;
	// NoAll leaves out /all only (the real server has no /all for some
	// paged collections).
	NoCreate, NoUpdate, NoDelete, NoList, NoAll bool
	// NoRoutes registers no generic routes at all: the kind is served by
	// custom routes only (API keys live below /api/users/{id}/apikeys).
	NoRoutes bool
	// NoEvents stops the audit log recording mutations of this kind.
	NoEvents bool
	// TemplateQuery is the query part of the link template
	// ("{?skip,take,ids,partialName}").
	TemplateQuery string

	// Defaults fills server-side defaults on create, before validation.
	Defaults func(c *Call, d Doc) error
	// Shape fills the defaults every write must leave in place (list
	// properties, nested objects): on create after Defaults, on update after
	// BeforeUpdate.
	Shape func(d Doc)
	// Validate checks a document on create (old nil) and update.
	Validate func(c *Call, d, old Doc) error
	// AfterCreate runs after the document is stored: side effects such as the
	// space managers team of a new space.
	AfterCreate func(c *Call, d Doc) error
	// BeforeUpdate may adjust the incoming document (keep server-owned
	// properties) before it replaces old.
	BeforeUpdate func(c *Call, d, old Doc) error
	// AfterUpdate runs after an update is stored.
	AfterUpdate func(c *Call, d, old Doc) error
	// BeforeDelete may refuse a delete (return badRequest).
	BeforeDelete func(c *Call, d Doc) error
	// AfterDelete removes dependent documents.
	AfterDelete func(c *Call, d Doc) error
	// Links adds links besides Self; self is the document's Self link.
	Links func(d Doc, self string) map[string]string
	// Present adjusts the served copy of a document after its links are set
	// (sensitive variables are served with Value null).
	Present func(d Doc)
	// Lookup finds a document by something other than its ID when the ID
	// does not match (projects by slug); nil means IDs only.
	Lookup func(c *Call, key string) *record
	// SelfLink overrides the default Self link.
	SelfLink func(d Doc) string
	// Filter applies kind-specific list query parameters (feedType,
	// contentType, projectId...): return false to leave d out.
	Filter func(c *Call, d Doc) bool
	// Less orders lists; insertion order when nil.
	Less func(a, b Doc) bool
	// NewID chooses the ID of a new document; "<IDPrefix>-<n>" when nil.
	NewID func(c *Call, d Doc) string
}

func (k *Kind) prefix() string {
	if k.IDPrefix != "" {
		return k.IDPrefix
	}
	return k.Name
}

// kinds is the registry, filled by registerKind from init functions.
var (
	kinds      = map[string]*Kind{}
	kindsOrder []*Kind
)

// registerKind adds a kind and its generic routes. Call it from an init
// function; the Kind must not change afterwards.
func registerKind(k *Kind) *Kind {
	if _, dup := kinds[k.Name]; dup {
		panic("emulator: kind registered twice: " + k.Name)
	}
	kinds[k.Name] = k
	kindsOrder = append(kindsOrder, k)
	return k
}

// kindRoutes returns the generic routes of a kind.
func kindRoutes(k *Kind) []*route {
	scope := RouteSpace
	switch k.Scope {
	case SystemScoped:
		scope = RouteSystem
	case MixedScoped:
		scope = RouteMixed
	}
	var rs []*route
	if k.NoRoutes {
		return nil
	}
	if !k.NoList {
		rs = append(rs, newRoute(http.MethodGet, k.Segment, scope, func(c *Call) (any, error) { return c.srv.listHandler(c, k) }))
		if !k.NoAll {
			rs = append(rs, newRoute(http.MethodGet, k.Segment+"/all", scope, func(c *Call) (any, error) { return c.srv.allHandler(c, k) }))
		}
	}
	rs = append(rs, newRoute(http.MethodGet, k.Segment+"/{id}", scope, itemHandler(http.MethodGet, k)))
	if !k.NoCreate {
		rs = append(rs, newRoute(http.MethodPost, k.Segment, scope, createHandler(k, nil)))
	}
	if !k.NoUpdate {
		rs = append(rs, newRoute(http.MethodPut, k.Segment+"/{id}", scope, itemHandler(http.MethodPut, k)))
	}
	if !k.NoDelete {
		rs = append(rs, newRoute(http.MethodDelete, k.Segment+"/{id}", scope, itemHandler(http.MethodDelete, k)))
	}
	return rs
}

// itemHandler serves GET, PUT or DELETE of the document of k the {id} route
// parameter names.
func itemHandler(method string, k *Kind) Handler {
	return func(c *Call) (any, error) { return c.srv.serveItem(c, method, k, c.Param("id")) }
}

// serveItem answers GET, PUT or DELETE of the document of k with ID id.
func (s *Server) serveItem(c *Call, method string, k *Kind, id string) (any, error) {
	switch method {
	case http.MethodPut:
		d, err := c.Body()
		if err != nil {
			return nil, err
		}
		return s.update(c, k, id, d)
	case http.MethodDelete:
		return s.remove(c, k, id)
	}
	rec, err := s.find(c, k, id)
	if err != nil {
		return nil, err
	}
	return s.present(k, rec), nil
}

// createHandler serves POST of a new document of k (201 with its served
// form). fixed, when not nil, returns properties the route decides (the
// owning project of /projects/{projectId}/channels); it runs before the body
// is read, and its properties override the body's.
func createHandler(k *Kind, fixed func(c *Call) (Doc, error)) Handler {
	return func(c *Call) (any, error) {
		var props Doc
		if fixed != nil {
			var err error
			if props, err = fixed(c); err != nil {
				return nil, err
			}
		}
		d, err := c.Body()
		if err != nil {
			return nil, err
		}
		for f, v := range props {
			d[f] = v
		}
		out, err := c.srv.create(c, k, d)
		if err != nil {
			return nil, err
		}
		c.Status = http.StatusCreated
		return out, nil
	}
}

// kind returns a registered kind; it panics on a programming error.
func kind(name string) *Kind {
	k := kinds[name]
	if k == nil {
		panic("emulator: unknown kind " + name)
	}
	return k
}

// storeSpace is the space key a document of k is stored under.
func storeSpace(k *Kind, space string) string {
	if k.Scope == SpaceScoped {
		return space
	}
	return ""
}

// find looks up a document by ID in the space the call addresses.
func (s *Server) find(c *Call, k *Kind, id string) (*record, error) {
	rec := s.st.get(k.Name, storeSpace(k, c.SpaceID), id)
	if rec == nil && k.Lookup != nil {
		rec = k.Lookup(c, id)
	}
	if rec == nil {
		return nil, notFound(id)
	}
	return rec, nil
}

// docs returns copies of the documents of a kind in a space (every space
// when space is "" for space-scoped kinds; for mixed kinds, those whose
// SpaceId is space).
func (s *Server) docs(kindName, space string) []Doc {
	k := kind(kindName)
	var out []Doc
	for _, rec := range s.st.all(k.Name) {
		switch {
		case space == "":
		case k.Scope == SpaceScoped && !strings.EqualFold(rec.space, space):
			continue
		case k.Scope == MixedScoped && !strings.EqualFold(str(rec.doc, "SpaceId"), space):
			continue
		}
		out = append(out, cloneDoc(rec.doc))
	}
	return out
}

// selfLink is the canonical Self link of a stored document.
func selfLink(k *Kind, d Doc) string {
	if k.SelfLink != nil {
		return k.SelfLink(d)
	}
	id := url.PathEscape(str(d, "Id"))
	if k.Scope == SpaceScoped {
		return "/api/" + str(d, "SpaceId") + "/" + k.Segment + "/" + id
	}
	return "/api/" + k.Segment + "/" + id
}

// linkTo is the link to the document of the space-scoped collection at
// segment whose ID d holds in field ("Project": linkTo(d, "projects",
// "ProjectId")).
func linkTo(d Doc, segment, field string) string {
	return "/api/" + str(d, "SpaceId") + "/" + segment + "/" + url.PathEscape(str(d, field))
}

// present returns the served form of a document: a copy with its Links and
// with write-only properties nulled.
func (s *Server) present(k *Kind, rec *record) Doc {
	d := cloneDoc(rec.doc)
	self := selfLink(k, d)
	links := map[string]any{"Self": self}
	if k.Links != nil {
		for name, l := range k.Links(d, self) {
			links[name] = l
		}
	}
	d["Links"] = links
	for _, f := range k.WriteOnly {
		d[f] = nil
	}
	if k.Present != nil {
		k.Present(d)
	}
	return d
}

// checkName enforces the presence and uniqueness of the name.
func (s *Server) checkName(k *Kind, space string, d Doc, selfID string) error {
	if k.NameField == "" {
		return nil
	}
	name := strings.TrimSpace(str(d, k.NameField))
	if name == "" {
		return badRequest(fmt.Sprintf("Please provide a value for %s.", k.NameField))
	}
	if !k.UniqueNames {
		return nil
	}
	if rec := s.st.byName(k.Name, &record{space: space, doc: d}); rec != nil && !strings.EqualFold(str(rec.doc, "Id"), selfID) {
		// Exact wording of the real server unknown; the shape (400,
		// ErrorMessage + Errors) is what clients rely on.
		return badRequest(fmt.Sprintf("The %s name '%s' is already in use. Please choose a different name.", strings.ToLower(k.ItemType), name))
	}
	return nil
}

// stamp sets the LastModified properties.
func (s *Server) stamp(c *Call, d Doc) {
	d["LastModifiedOn"] = s.now().Format(timeLayout)
	d["LastModifiedBy"] = c.Username
}

// create runs the whole create pipeline for a document of kind k in the
// call's space: defaults, ID, slug, validation, name check, secrets, store,
// after-create hook and audit event. It returns the served form.
func (s *Server) create(c *Call, k *Kind, d Doc) (Doc, error) {
	return s.createWithID(c, k, d, "")
}

// createWithID is create with a fixed ID (built-in documents such as
// "feeds-builtin" or "teams-spacemanagers-Spaces-2"); "" picks the next one.
func (s *Server) createWithID(c *Call, k *Kind, d Doc, id string) (Doc, error) {
	outer := c.enter()
	defer c.leave()
	space := storeSpace(k, c.SpaceID)
	delete(d, "Links")
	switch k.Scope {
	case SpaceScoped:
		d["SpaceId"] = c.SpaceID
	case MixedScoped:
		if str(d, "SpaceId") == "" {
			if c.Scoped {
				d["SpaceId"] = c.SpaceID
			} else {
				d["SpaceId"] = nil
			}
		}
	}
	if k.Defaults != nil {
		if err := k.Defaults(c, d); err != nil {
			return nil, err
		}
	}
	if k.Shape != nil {
		k.Shape(d)
	}
	switch {
	case id != "":
		d["Id"] = id
		if n := idNumber(id); strings.EqualFold(id, k.prefix()+"-"+strconv.Itoa(n)) {
			s.st.bump(k.prefix(), n)
		}
	case k.NewID != nil:
		d["Id"] = k.NewID(c, d)
	default:
		d["Id"] = s.st.nextID(k.prefix())
	}
	if s.st.get(k.Name, space, str(d, "Id")) != nil {
		return nil, badRequest(fmt.Sprintf("A document with the ID '%s' already exists.", str(d, "Id")))
	}
	if k.Slugged && str(d, "Slug") == "" {
		d["Slug"] = slugify(str(d, k.NameField))
	}
	if k.Validate != nil {
		if err := k.Validate(c, d, nil); err != nil {
			return nil, err
		}
	}
	if err := s.checkName(k, space, d, str(d, "Id")); err != nil {
		return nil, err
	}
	s.stamp(c, d)
	rec := &record{space: space, doc: d}
	rec.secrets = sealSecrets(d, k.WriteOnly, nil)
	s.st.put(k.Name, rec)
	c.Changed()
	if k.AfterCreate != nil {
		if err := k.AfterCreate(c, d); err != nil {
			return nil, err
		}
	}
	if outer {
		s.recordEvent(c, k, "Created", d)
	}
	return s.present(k, rec), nil
}

// update replaces a document (PUT semantics: the body is the new document;
// Id, SpaceId and unsent secrets are kept).
func (s *Server) update(c *Call, k *Kind, id string, d Doc) (Doc, error) {
	outer := c.enter()
	defer c.leave()
	old, err := s.find(c, k, id)
	if err != nil {
		return nil, err
	}
	if bid := str(d, "Id"); bid != "" && !strings.EqualFold(bid, str(old.doc, "Id")) {
		return nil, badRequest(fmt.Sprintf("The ID in the body ('%s') does not match the ID in the URL ('%s').", bid, id))
	}
	delete(d, "Links")
	d["Id"] = old.doc["Id"]
	if k.Scope == SpaceScoped {
		d["SpaceId"] = old.doc["SpaceId"]
	}
	if k.Slugged && str(d, "Slug") == "" {
		d["Slug"] = old.doc["Slug"]
	}
	if k.BeforeUpdate != nil {
		if err := k.BeforeUpdate(c, d, old.doc); err != nil {
			return nil, err
		}
	}
	if k.Shape != nil {
		k.Shape(d)
	}
	if k.Validate != nil {
		if err := k.Validate(c, d, old.doc); err != nil {
			return nil, err
		}
	}
	if err := s.checkName(k, old.space, d, str(d, "Id")); err != nil {
		return nil, err
	}
	rec := s.storeOver(c, k, old, d)
	if k.AfterUpdate != nil {
		if err := k.AfterUpdate(c, d, old.doc); err != nil {
			return nil, err
		}
	}
	if outer {
		s.recordEvent(c, k, "Modified", d)
	}
	return s.present(k, rec), nil
}

// storeOver stores d in place of old: stamped, with its secrets sealed (an
// unsent secret keeps old's), in old's place in the list order.
func (s *Server) storeOver(c *Call, k *Kind, old *record, d Doc) *record {
	s.stamp(c, d)
	rec := &record{space: old.space, doc: d, seq: old.seq}
	rec.secrets = sealSecrets(d, k.WriteOnly, old.secrets)
	s.st.put(k.Name, rec)
	c.Changed()
	return rec
}

// remove deletes a document and answers with its last served form (the SDK's
// legacy DeleteByID treats 204 as an error, so DELETE is a 200 with a body).
func (s *Server) remove(c *Call, k *Kind, id string) (Doc, error) {
	outer := c.enter()
	defer c.leave()
	rec, err := s.find(c, k, id)
	if err != nil {
		return nil, err
	}
	if k.BeforeDelete != nil {
		if err := k.BeforeDelete(c, rec.doc); err != nil {
			return nil, err
		}
	}
	out := s.present(k, rec)
	s.st.delete(k.Name, rec.space, str(rec.doc, "Id"))
	c.Changed()
	if k.AfterDelete != nil {
		if err := k.AfterDelete(c, rec.doc); err != nil {
			return nil, err
		}
	}
	if outer {
		s.recordEvent(c, k, "Deleted", rec.doc)
	}
	return out, nil
}

// patch sets server-owned properties of a stored document directly, without
// hooks or events (built-in documents' flags). It reports whether the
// document exists.
func (s *Server) patch(k *Kind, space, id string, fields Doc) bool {
	rec := s.st.get(k.Name, storeSpace(k, space), id)
	if rec == nil {
		return false
	}
	for f, v := range fields {
		rec.doc[f] = v
	}
	return true
}

// selected returns the records a list request asks for, filtered and ordered.
func (s *Server) selected(c *Call, k *Kind) []*record {
	ids := map[string]bool{}
	for _, id := range c.Query("ids") {
		ids[strings.ToLower(id)] = true
	}
	partial := strings.ToLower(c.QueryValue("partialName"))
	name := c.QueryValue("name")
	spaces := map[string]bool{}
	for _, sp := range c.Query("spaces") {
		spaces[strings.ToLower(sp)] = true
	}
	// Mixed kinds: the real default of includeSystem is not documented. The
	// legacy SDK cannot send includeSystem=false (omitempty) and SpaceCloner
	// sends includeSystem=true explicitly with spaces=..., so a request that
	// names spaces (in the URL or the query) gets system documents only when
	// asked; a bare /api/teams lists everything.
	includeSystem := c.queryBool("includeSystem", !c.Scoped && len(spaces) == 0)
	var out []*record
	recs := s.st.read(k.Name).order
	if k.Scope == SpaceScoped {
		recs = s.st.inSpace(k.Name, c.SpaceID)
	}
	for _, rec := range recs {
		d := rec.doc
		switch k.Scope {
		case MixedScoped:
			sp := strings.ToLower(str(d, "SpaceId"))
			switch {
			case sp == "":
				if !includeSystem {
					continue
				}
			case c.Scoped:
				if sp != strings.ToLower(c.SpaceID) {
					continue
				}
			case len(spaces) > 0:
				if !spaces[sp] {
					continue
				}
			}
		}
		if len(ids) > 0 && !ids[strings.ToLower(str(d, "Id"))] {
			continue
		}
		if k.NameField != "" {
			n := str(d, k.NameField)
			if partial != "" && !strings.Contains(strings.ToLower(n), partial) {
				continue
			}
			if name != "" && !strings.EqualFold(n, name) {
				continue
			}
		}
		if k.Filter != nil && !k.Filter(c, d) {
			continue
		}
		if !s.visible(c, k, rec) {
			continue
		}
		out = append(out, rec)
	}
	if k.Less != nil {
		sort.SliceStable(out, func(i, j int) bool { return k.Less(out[i].doc, out[j].doc) })
	}
	return out
}

// related returns the served documents of k, as a list request selects them,
// whose field refers to id: the items of a sub-collection such as
// /projects/{projectId}/channels.
func (s *Server) related(c *Call, k *Kind, field, id string) []Doc {
	items := []Doc{}
	for _, rec := range s.selected(c, k) {
		if strings.EqualFold(str(rec.doc, field), id) {
			items = append(items, s.present(k, rec))
		}
	}
	return items
}

// relatedPage serves related as the paged sub-collection at segment.
func (s *Server) relatedPage(c *Call, k *Kind, field, id, segment, templateQuery string) (any, error) {
	return s.page(c, k.ItemType, segment, templateQuery, s.related(c, k, field, id))
}

// newestFirst is the Less of the lists the real server serves newest first
// (tasks, events, releases, deployments, runs, snapshots).
func newestFirst(a, b Doc) bool { return idNumber(str(a, "Id")) > idNumber(str(b, "Id")) }

// allHandler serves GET x/all: a bare JSON array.
func (s *Server) allHandler(c *Call, k *Kind) (any, error) {
	recs := s.selected(c, k)
	items := make([]Doc, len(recs))
	for i, rec := range recs {
		items[i] = s.present(k, rec)
	}
	return items, nil
}

// listHandler serves GET x: the paged envelope.
func (s *Server) listHandler(c *Call, k *Kind) (any, error) {
	recs := s.selected(c, k)
	return s.pageOf(c, k.ItemType, k.Segment, k.TemplateQuery, len(recs), func(from, to int) []Doc {
		items := make([]Doc, 0, to-from)
		for _, rec := range recs[from:to] {
			items = append(items, s.present(k, rec))
		}
		return items
	})
}

// timeLayout is how Octopus writes times ("2024-03-01T10:00:00.000+00:00").
const timeLayout = "2006-01-02T15:04:05.000-07:00"

// defaultTake is the real server's page size.
const defaultTake = 30

// page cuts one page out of items and wraps it in the Octopus envelope.
// segment is the collection's URL path below the call's prefix, used to build
// the paging links; they keep the request's other query parameters so that
// following Page.Next keeps the filter.
func (s *Server) page(c *Call, itemType, segment, templateQuery string, items []Doc) (any, error) {
	return s.pageOf(c, itemType, segment, templateQuery, len(items), func(from, to int) []Doc { return items[from:to] })
}

// pageOf is page for callers that build only the items of the page: pick
// returns the items in [from, to) of the total.
func (s *Server) pageOf(c *Call, itemType, segment, templateQuery string, total int, pick func(from, to int) []Doc) (any, error) {
	skip, err := c.queryInt("skip", 0)
	if err != nil {
		return nil, err
	}
	take, err := c.queryInt("take", defaultTake)
	if err != nil {
		return nil, err
	}
	pageItems := []Doc{}
	if skip < total && take > 0 {
		end := total
		if take < total-skip {
			end = skip + take
		}
		pageItems = pick(skip, end)
	}
	pages := 0
	if take > 0 {
		pages = int(math.Ceil(float64(total) / float64(take)))
	}
	base := c.Prefix + "/" + segment
	link := func(skip, take int) string {
		q := url.Values{}
		for k, v := range c.query {
			if !strings.EqualFold(k, "skip") && !strings.EqualFold(k, "take") {
				q[k] = v
			}
		}
		q.Set("skip", strconv.Itoa(skip))
		q.Set("take", strconv.Itoa(take))
		return base + "?" + q.Encode()
	}
	links := map[string]string{
		"Self":         link(skip, take),
		"Template":     pageTemplate(base, segment, templateQuery),
		"Page.All":     link(0, math.MaxInt32),
		"Page.Current": link(skip, take),
		"Page.Last":    link(max(pages-1, 0)*take, take),
	}
	if take > 0 && skip+take < total {
		// Clients loop while Page.Next is present: it must be absent on the
		// last page.
		links["Page.Next"] = link(skip+take, take)
	}
	return map[string]any{
		"ItemType":       itemType,
		"TotalResults":   total,
		"ItemsPerPage":   take,
		"NumberOfPages":  pages,
		"LastPageNumber": pages - 1,
		"Items":          pageItems,
		"Links":          links,
	}, nil
}

// pageTemplate is the Template link of a paged list. A top-level collection
// takes "{/id}" before its query ("/api/Spaces-1/environments{/id}{?skip,take}");
// a sub-collection ("projectgroups/ProjectGroups-1/projects") has no route
// by ID below it, and a templateQuery that starts with its own path
// parameter ("{/version}") names it itself.
func pageTemplate(base, segment, templateQuery string) string {
	if strings.Contains(segment, "/") || strings.HasPrefix(templateQuery, "{/") {
		return base + templateQuery
	}
	return base + "{/id}" + templateQuery
}
