package emulator

import (
	"fmt"
	"strings"
)

// The audit log: one Events-N per mutation, served read-only at /api/events
// and /api/{spaceId}/events (EventResource in the swagger).
var eventsKind *Kind

func init() {
	eventsKind = registerKind(&Kind{
		Name:     "Events",
		Segment:  "events",
		Scope:    MixedScoped,
		ItemType: "Event",
		NoCreate: true, NoUpdate: true, NoDelete: true, NoEvents: true, NoAll: true,
		TemplateQuery: "{?skip,regarding,regardingAny,user,users,projects,projectGroups,environments,eventGroups,eventCategories,eventAgents,tags,tenants,from,to,internal,fromAutoId,toAutoId,documentTypes,asCsv,take,ids,spaces,includeSystem,excludeDifference}",
		Filter:        eventFilter,
		// The real audit log lists the newest event first.
		Less: newestFirst,
	})
}

// eventFilter applies the common audit-log filters.
func eventFilter(c *Call, d Doc) bool {
	related := strs(d, "RelatedDocumentIds")
	has := func(id string) bool {
		for _, r := range related {
			if strings.EqualFold(r, id) {
				return true
			}
		}
		return false
	}
	if r := c.QueryValue("regarding"); r != "" && !has(r) {
		return false
	}
	if anyOf := c.Query("regardingAny"); len(anyOf) > 0 {
		found := false
		for _, id := range anyOf {
			found = found || has(id)
		}
		if !found {
			return false
		}
	}
	if users := c.Query("users"); len(users) > 0 && !containsFold(users, str(d, "UserId")) {
		return false
	}
	if u := c.QueryValue("user"); u != "" && !strings.EqualFold(u, str(d, "UserId")) {
		return false
	}
	if cats := c.Query("eventCategories"); len(cats) > 0 && !containsFold(cats, str(d, "Category")) {
		return false
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// recordEvent appends the audit event of a mutation of d (a document of k).
// category is one of Octopus's event categories: Created, Modified, Deleted.
func (s *Server) recordEvent(c *Call, k *Kind, category string, d Doc) {
	if k.NoEvents || c.quiet {
		return
	}
	id := str(d, "Id")
	name := str(d, k.NameField)
	if name == "" {
		name = id
	}
	verb := map[string]string{"Created": "created", "Modified": "modified", "Deleted": "deleted"}[category]
	if verb == "" {
		verb = strings.ToLower(category)
	}
	// The real server's wording varies per document type; this follows its
	// "<Type> <name> was <verb>" pattern closely enough for an audit trail.
	msg := fmt.Sprintf("%s %s was %s", k.ItemType, name, verb)
	related := []any{id}
	if sp := str(d, "SpaceId"); sp != "" && k.Name != "Spaces" {
		related = append(related, sp)
	}
	s.addEvent(c, category, msg, str(d, "SpaceId"), related)
}

// addEvent stores one event. Handlers of custom routes call it for mutations
// the generic pipeline does not see (a task run, a template install...).
func (s *Server) addEvent(c *Call, category, message, spaceID string, related []any) {
	if c.quiet {
		return
	}
	ev := Doc{
		"Id":                      s.st.nextID(eventsKind.prefix()),
		"Category":                category,
		"UserId":                  c.UserID,
		"Username":                c.Username,
		"IsService":               false,
		"IdentityEstablishedWith": "API key",
		"UserAgent":               c.R.UserAgent(),
		"Occurred":                s.now().Format(timeLayout),
		"Message":                 message,
		"MessageHtml":             message,
		"MessageReferences":       []any{},
		"RelatedDocumentIds":      related,
		"Comments":                nil,
		"Details":                 nil,
		"ChangeDetails":           nil,
		"IpAddress":               remoteIP(c.R.RemoteAddr),
		"SpaceId":                 nilIfEmpty(spaceID),
	}
	ev["LastModifiedOn"] = ev["Occurred"]
	ev["LastModifiedBy"] = c.Username
	s.st.put(eventsKind.Name, &record{doc: ev})
	c.Changed()
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func remoteIP(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}
