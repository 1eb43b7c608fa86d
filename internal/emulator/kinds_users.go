package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Users, their API keys, teams, user roles and scoped user roles: the
// instance's security model (octopus-api.md §3.12-3.13).

var usersKind *Kind

func init() {
	usersKind = registerKind(&Kind{
		Name:          "Users",
		Segment:       "users",
		Scope:         SystemScoped,
		ItemType:      "User",
		NameField:     "Username",
		UniqueNames:   true,
		WriteOnly:     []string{"Password"},
		TemplateQuery: "{?skip,take,ids,filter}",
		Filter: func(c *Call, d Doc) bool {
			f := strings.ToLower(c.QueryValue("filter"))
			return f == "" || strings.Contains(strings.ToLower(str(d, "Username")), f) ||
				strings.Contains(strings.ToLower(str(d, "DisplayName")), f) ||
				strings.Contains(strings.ToLower(str(d, "EmailAddress")), f)
		},
		Defaults: func(c *Call, d Doc) error {
			ensure(d, "IsActive", true)
			ensure(d, "IsService", false)
			ensure(d, "IsRequestor", false)
			ensure(d, "EmailAddress", "")
			ensure(d, "Identities", []any{})
			ensure(d, "Password", nil)
			d["CanPasswordBeEdited"] = !boolean(d, "IsService")
			d["Created"] = c.srv.now().Format(timeLayout)
			return nil
		},
		Validate: func(_ *Call, d, _ Doc) error {
			if strings.TrimSpace(str(d, "DisplayName")) == "" {
				return badRequest("Please provide a value for DisplayName.")
			}
			return nil
		},
		BeforeUpdate: func(_ *Call, d, old Doc) error {
			d["Created"] = old["Created"]
			d["CanPasswordBeEdited"] = old["CanPasswordBeEdited"]
			ensure(d, "Identities", []any{})
			return nil
		},
		BeforeDelete: func(c *Call, d Doc) error {
			if strings.EqualFold(str(d, "Id"), c.UserID) {
				return badRequest("You cannot delete your own user account.")
			}
			return nil
		},
		AfterDelete: func(c *Call, d Doc) error {
			id := str(d, "Id")
			for _, k := range c.srv.st.all(apiKeysKind.Name) {
				if strings.EqualFold(str(k.doc, "UserId"), id) {
					if _, err := c.srv.remove(c, apiKeysKind, str(k.doc, "Id")); err != nil {
						return err
					}
				}
			}
			for _, t := range c.srv.st.all(teamsKind.Name) {
				if members := strs(t.doc, "MemberUserIds"); containsFold(members, id) {
					t.doc["MemberUserIds"] = anySlice(without(members, id))
					c.Changed()
				}
			}
			for _, sp := range c.srv.st.all(spacesKind.Name) {
				if members := strs(sp.doc, "SpaceManagersTeamMembers"); containsFold(members, id) {
					sp.doc["SpaceManagersTeamMembers"] = anySlice(without(members, id))
					c.Changed()
				}
			}
			return nil
		},
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"Permissions":              self + "/permissions",
				"PermissionsConfiguration": self + "/permissions/configuration",
				"ApiKeys":                  self + "/apikeys{/id}{?skip,take}",
				"Avatar":                   "https://www.gravatar.com/avatar/?d=blank",
				"Spaces":                   self + "/spaces",
				"Teams":                    self + "/teams{?spaces,includeSystem}",
			}
		},
	})
}

// without returns list minus every entry equal (case-insensitively) to s.
func without(list []string, s string) []string {
	out := make([]string, 0, len(list))
	for _, x := range list {
		if !strings.EqualFold(x, s) {
			out = append(out, x)
		}
	}
	return out
}

// apiKeysKind holds API keys. Only a hash of each key is kept (as the
// ApiKey SensitiveValue's secret); the plaintext is returned once, by the POST
// that creates it.
var apiKeysKind *Kind

func init() {
	apiKeysKind = registerKind(&Kind{
		Name:     "ApiKeys",
		Segment:  "apikeys",
		IDPrefix: "APIKeys",
		Scope:    SystemScoped,
		ItemType: "ApiKey",
		NoRoutes: true,
		SelfLink: func(d Doc) string { return "/api/users/" + str(d, "UserId") + "/apikeys/" + str(d, "Id") },
		AfterCreate: func(c *Call, d Doc) error {
			rec := c.srv.st.get(apiKeysKind.Name, "", str(d, "Id"))
			if h, ok := rec.secrets["ApiKey"].(string); ok {
				c.srv.keyIndex[h] = str(d, "Id")
			}
			return nil
		},
		AfterDelete: func(c *Call, d Doc) error {
			for h, id := range c.srv.keyIndex {
				if strings.EqualFold(id, str(d, "Id")) {
					delete(c.srv.keyIndex, h)
				}
			}
			return nil
		},
	})
}

var teamsKind *Kind

func init() {
	teamsKind = registerKind(&Kind{
		Name:          "Teams",
		Segment:       "teams",
		Scope:         MixedScoped,
		ItemType:      "Team",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?skip,take,ids,partialName,spaces,includeSystem}",
		Less:          byName,
		Defaults: func(_ *Call, d Doc) error {
			ensure(d, "Description", "")
			ensure(d, "MemberUserIds", []any{})
			ensure(d, "ExternalSecurityGroups", []any{})
			// The Can* flags are the server's: clients send false for them (the
			// SDK's Team has no omitempty), and a team made through the API is
			// fully editable. Built-in teams get theirs from patch.
			for _, f := range []string{"CanBeDeleted", "CanBeRenamed", "CanChangeMembers", "CanChangeRoles"} {
				d[f] = true
			}
			return nil
		},
		Validate: func(c *Call, d, _ Doc) error {
			if sp := str(d, "SpaceId"); sp != "" && c.srv.st.get(spacesKind.Name, "", sp) == nil {
				return badRequest(fmt.Sprintf("The space '%s' does not exist.", sp))
			}
			for _, u := range strs(d, "MemberUserIds") {
				if c.srv.st.get(usersKind.Name, "", u) == nil {
					return badRequest(fmt.Sprintf("The user '%s' does not exist.", u))
				}
			}
			return nil
		},
		BeforeUpdate: func(_ *Call, d, old Doc) error {
			for _, f := range []string{"CanBeDeleted", "CanBeRenamed", "CanChangeMembers", "CanChangeRoles", "SpaceId"} {
				d[f] = old[f]
			}
			ensure(d, "MemberUserIds", []any{})
			ensure(d, "ExternalSecurityGroups", []any{})
			if !boolean(old, "CanBeRenamed") && str(d, "Name") != str(old, "Name") {
				return badRequest(fmt.Sprintf("The team '%s' cannot be renamed.", str(old, "Name")))
			}
			if !boolean(old, "CanChangeMembers") && !sameFold(strs(d, "MemberUserIds"), strs(old, "MemberUserIds")) {
				return badRequest(fmt.Sprintf("The members of the team '%s' cannot be changed.", str(old, "Name")))
			}
			return nil
		},
		AfterUpdate: func(c *Call, d, _ Doc) error {
			// The space's managers team and the space's SpaceManagersTeamMembers
			// are two views of the same list.
			id := str(d, "Id")
			if !strings.HasPrefix(strings.ToLower(id), spaceManagersTeamPrefix) {
				return nil
			}
			if sp := c.srv.st.get(spacesKind.Name, "", str(d, "SpaceId")); sp != nil {
				sp.doc["SpaceManagersTeamMembers"] = anySlice(strs(d, "MemberUserIds"))
				c.Changed()
			}
			return nil
		},
		BeforeDelete: func(_ *Call, d Doc) error {
			if b, ok := d["CanBeDeleted"].(bool); ok && !b {
				return badRequest(fmt.Sprintf("The team '%s' cannot be deleted.", str(d, "Name")))
			}
			return nil
		},
		AfterDelete: func(c *Call, d Doc) error {
			id := str(d, "Id")
			for _, r := range c.srv.st.all(scopedUserRolesKind.Name) {
				if strings.EqualFold(str(r.doc, "TeamId"), id) {
					c.srv.st.delete(scopedUserRolesKind.Name, "", str(r.doc, "Id"))
				}
			}
			for _, sp := range c.srv.st.all(spacesKind.Name) {
				if teams := strs(sp.doc, "SpaceManagersTeams"); containsFold(teams, id) {
					sp.doc["SpaceManagersTeams"] = anySlice(without(teams, id))
				}
			}
			c.Changed()
			return nil
		},
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"ScopedUserRoles": self + "/scopeduserroles{?skip,take}",
			}
		},
	})
}

// sameFold reports whether two lists hold the same strings, ignoring order
// and case.
func sameFold(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[strings.ToLower(x)]++
	}
	for _, x := range b {
		seen[strings.ToLower(x)]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

var userRolesKind *Kind

func init() {
	userRolesKind = registerKind(&Kind{
		Name:          "UserRoles",
		Segment:       "userroles",
		Scope:         SystemScoped,
		ItemType:      "UserRole",
		NameField:     "Name",
		UniqueNames:   true,
		TemplateQuery: "{?skip,take,ids,partialName}",
		Less:          byName,
		Defaults: func(_ *Call, d Doc) error {
			d["CanBeDeleted"] = true
			return nil
		},
		Shape: userRoleShape,
		Validate: func(_ *Call, d, _ Doc) error {
			for _, f := range []string{"GrantedSpacePermissions", "GrantedSystemPermissions"} {
				for _, p := range strs(d, f) {
					if !knownPermissions[p] {
						return badRequest(fmt.Sprintf("The permission '%s' in %s is not a known permission.", p, f))
					}
				}
			}
			return nil
		},
		BeforeUpdate: func(_ *Call, d, old Doc) error {
			d["CanBeDeleted"] = old["CanBeDeleted"]
			return nil
		},
		BeforeDelete: func(_ *Call, d Doc) error {
			if !boolean(d, "CanBeDeleted") {
				return badRequest(fmt.Sprintf("The built-in user role '%s' cannot be deleted.", str(d, "Name")))
			}
			return nil
		},
		AfterDelete: func(c *Call, d Doc) error {
			for _, r := range c.srv.st.all(scopedUserRolesKind.Name) {
				if strings.EqualFold(str(r.doc, "UserRoleId"), str(d, "Id")) {
					c.srv.st.delete(scopedUserRolesKind.Name, "", str(r.doc, "Id"))
				}
			}
			c.Changed()
			return nil
		},
	})
}

// userRoleShape fills the list properties of a user role.
func userRoleShape(d Doc) {
	ensure(d, "Description", "")
	for _, f := range []string{"GrantedSpacePermissions", "GrantedSystemPermissions", "SpacePermissionDescriptions", "SystemPermissionDescriptions", "SupportedRestrictions"} {
		ensure(d, f, []any{})
	}
}

var scopedUserRolesKind *Kind

func init() {
	scopedUserRolesKind = registerKind(&Kind{
		Name:          "ScopedUserRoles",
		Segment:       "scopeduserroles",
		Scope:         MixedScoped,
		ItemType:      "ScopedUserRole",
		NoAll:         true,
		TemplateQuery: "{?skip,take,ids,partialName,spaces,includeSystem}",
		Shape:         scopedRoleShape,
		Validate: func(c *Call, d, _ Doc) error {
			s := c.srv
			team := s.st.get(teamsKind.Name, "", str(d, "TeamId"))
			if team == nil {
				return badRequest(fmt.Sprintf("The team '%s' does not exist.", str(d, "TeamId")))
			}
			if s.st.get(userRolesKind.Name, "", str(d, "UserRoleId")) == nil {
				return badRequest(fmt.Sprintf("The user role '%s' does not exist.", str(d, "UserRoleId")))
			}
			sp := str(d, "SpaceId")
			if sp != "" && s.st.get(spacesKind.Name, "", sp) == nil {
				return badRequest(fmt.Sprintf("The space '%s' does not exist.", sp))
			}
			if ts := str(team.doc, "SpaceId"); ts != "" && !strings.EqualFold(ts, sp) {
				return badRequest(fmt.Sprintf("The team '%s' belongs to %s: its roles can only apply there.", str(team.doc, "Name"), ts))
			}
			return nil
		},
	})
}

// scopedRoleShape fills the restriction lists of a scoped user role.
func scopedRoleShape(d Doc) {
	for _, f := range []string{"ProjectIds", "EnvironmentIds", "TenantIds", "ProjectGroupIds"} {
		ensure(d, f, []any{})
	}
}

func init() {
	addRoute(http.MethodGet, "users/me", RouteSystem, func(c *Call) (any, error) {
		rec := c.srv.st.get(usersKind.Name, "", c.UserID)
		if rec == nil {
			return nil, notFound(c.UserID)
		}
		return c.srv.present(usersKind, rec), nil
	})
	addRoute(http.MethodGet, "users/{id}/apikeys", RouteSystem, listAPIKeys)
	addRoute(http.MethodPost, "users/{id}/apikeys", RouteSystem, createAPIKey)
	addRoute(http.MethodGet, "users/{id}/apikeys/{keyId}", RouteSystem, func(c *Call) (any, error) {
		rec, err := userAPIKey(c)
		if err != nil {
			return nil, err
		}
		return c.srv.present(apiKeysKind, rec), nil
	})
	addRoute(http.MethodDelete, "users/{id}/apikeys/{keyId}", RouteSystem, func(c *Call) (any, error) {
		rec, err := userAPIKey(c)
		if err != nil {
			return nil, err
		}
		return c.srv.remove(c, apiKeysKind, str(rec.doc, "Id"))
	})
	addRoute(http.MethodGet, "users/{id}/teams", RouteMixed, userTeams)
	addRoute(http.MethodGet, "users/{id}/spaces", RouteSystem, userSpaces)
	addRoute(http.MethodGet, "teams/{id}/scopeduserroles", RouteMixed, func(c *Call) (any, error) {
		team, err := c.srv.find(c, teamsKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		var items []Doc
		for _, r := range c.srv.st.all(scopedUserRolesKind.Name) {
			if strings.EqualFold(str(r.doc, "TeamId"), str(team.doc, "Id")) {
				items = append(items, c.srv.present(scopedUserRolesKind, r))
			}
		}
		return c.srv.page(c, scopedUserRolesKind.ItemType, "teams/"+str(team.doc, "Id")+"/scopeduserroles", "{?skip,take}", items)
	})
}

// userAPIKey finds /users/{id}/apikeys/{keyId}.
func userAPIKey(c *Call) (*record, error) {
	if _, err := c.srv.find(c, usersKind, c.Param("id")); err != nil {
		return nil, err
	}
	rec := c.srv.st.get(apiKeysKind.Name, "", c.Param("keyId"))
	if rec == nil || !strings.EqualFold(str(rec.doc, "UserId"), c.Param("id")) {
		return nil, notFound(c.Param("keyId"))
	}
	return rec, nil
}

func listAPIKeys(c *Call) (any, error) {
	user, err := c.srv.find(c, usersKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	uid := str(user.doc, "Id")
	var items []Doc
	for _, r := range c.srv.st.all(apiKeysKind.Name) {
		if strings.EqualFold(str(r.doc, "UserId"), uid) {
			items = append(items, c.srv.present(apiKeysKind, r))
		}
	}
	return c.srv.page(c, apiKeysKind.ItemType, "users/"+uid+"/apikeys", "{?skip,take}", items)
}

// createAPIKey answers 200 (not 201) with ApiKeyCreatedResource: the only
// time the plaintext key is ever sent (octopus-api.md §3.13).
func createAPIKey(c *Call) (any, error) {
	user, err := c.srv.find(c, usersKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	body, err := c.Body()
	if err != nil {
		return nil, err
	}
	key, err := newAPIKey()
	if err != nil {
		return nil, err
	}
	out, err := c.srv.addAPIKey(c, str(user.doc, "Id"), str(body, "Purpose"), key, body["Expires"])
	if err != nil {
		return nil, err
	}
	out["ApiKey"] = key
	return out, nil
}

// userTeams lists the teams a user belongs to (Everyone included) as
// ProjectedTeamReferenceDataItem.
func userTeams(c *Call) (any, error) {
	user, err := c.srv.find(c, usersKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	uid := str(user.doc, "Id")
	items := []Doc{}
	for _, r := range c.srv.st.all(teamsKind.Name) {
		if sp := str(r.doc, "SpaceId"); c.Scoped && sp != "" && !strings.EqualFold(sp, c.SpaceID) {
			continue
		}
		if strings.EqualFold(str(r.doc, "Id"), everyoneTeamID) || containsFold(strs(r.doc, "MemberUserIds"), uid) {
			items = append(items, Doc{
				"Id": str(r.doc, "Id"), "Name": str(r.doc, "Name"), "SpaceId": r.doc["SpaceId"],
				"IsDirectlyAssigned": containsFold(strs(r.doc, "MemberUserIds"), uid), "ExternalSecurityGroups": []any{},
			})
		}
	}
	return items, nil
}

// userSpaces lists the spaces a user can reach: every space for members of
// Octopus Administrators, else the spaces of the user's teams and of the
// scoped roles those teams hold.
func userSpaces(c *Call) (any, error) {
	s := c.srv
	user, err := s.find(c, usersKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	uid := str(user.doc, "Id")
	teams := map[string]bool{strings.ToLower(everyoneTeamID): true}
	admin := false
	for _, t := range s.st.all(teamsKind.Name) {
		if containsFold(strs(t.doc, "MemberUserIds"), uid) {
			teams[strings.ToLower(str(t.doc, "Id"))] = true
			admin = admin || strings.EqualFold(str(t.doc, "Id"), administratorsTeamID)
		}
	}
	reach := map[string]bool{}
	for _, t := range s.st.all(teamsKind.Name) {
		if teams[strings.ToLower(str(t.doc, "Id"))] && str(t.doc, "SpaceId") != "" {
			reach[strings.ToLower(str(t.doc, "SpaceId"))] = true
		}
	}
	for _, r := range s.st.all(scopedUserRolesKind.Name) {
		if teams[strings.ToLower(str(r.doc, "TeamId"))] && str(r.doc, "SpaceId") != "" {
			reach[strings.ToLower(str(r.doc, "SpaceId"))] = true
		}
	}
	items := []Doc{}
	for _, sp := range s.st.all(spacesKind.Name) {
		if admin || reach[strings.ToLower(str(sp.doc, "Id"))] {
			items = append(items, s.present(spacesKind, sp))
		}
	}
	return items, nil
}
