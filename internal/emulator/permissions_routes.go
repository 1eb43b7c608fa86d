package emulator

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode"
)

// The permission routes: /api/permissions/all (PermissionDescription per
// permission), /api/users/{id}/permissions and .../permissions/configuration
// (UserPermissionSetResource: the user's space permissions with their
// restrictions, its system permissions and its teams; the space forms
// /api/{spaceId}/users/{id}/permissions narrow it to one space), and
// /api/teammembership?userId= (TeamMembership per team of the user). A user
// may read its own; anyone else's needs UserView (system) or TeamView.

func init() {
	addRoute(http.MethodGet, "permissions/all", RouteSystem, permissionsAll)
	addRoute(http.MethodGet, "users/{id}/permissions", RouteMixed, userPermissions)
	addRoute(http.MethodGet, "users/{id}/permissions/configuration", RouteMixed, userPermissions)
	addRoute(http.MethodGet, "teammembership", RouteMixed, teamMembership)
	addRoute(http.MethodPost, "teammembership/previewteam", RouteMixed, previewTeam)
}

// permissionDescription describes a permission the way the real texts are
// built: what it allows, then "(restrictable to …)". The real texts are
// not in the swagger; clients use SupportedRestrictions and the levels.
func permissionDescription(p string) string {
	var words []string
	start := 0
	for i, r := range p {
		if i > 0 && unicode.IsUpper(r) {
			words = append(words, strings.ToLower(p[start:i]))
			start = i
		}
	}
	words = append(words, strings.ToLower(p[start:]))
	// "ProjectView" -> "view project"; verbs come last in the names.
	if n := len(words); n > 1 {
		words = append([]string{words[n-1]}, words[:n-1]...)
	}
	text := strings.ToUpper(words[0][:1]) + words[0][1:] + " " + strings.Join(words[1:], " ")
	if dims := permissionRestrictions[p]; len(dims) > 0 {
		text += " (restrictable to " + strings.Join(dims, ", ") + ")"
	}
	return strings.TrimSpace(text)
}

func permissionsAll(_ *Call) (any, error) {
	sys := map[string]bool{}
	for _, p := range systemPermissions {
		sys[p] = true
	}
	space := map[string]bool{}
	for _, p := range spacePermissions {
		space[p] = true
	}
	out := Doc{}
	for _, p := range permissionNames {
		out[p] = Doc{
			"Description":           permissionDescription(p),
			"SupportedRestrictions": anySlice(orEmpty(permissionRestrictions[p])),
			"CanApplyAtSpaceLevel":  space[p],
			"CanApplyAtSystemLevel": sys[p],
		}
	}
	return out, nil
}

// mayReadUser lets a caller read a user's permissions or memberships: its
// own, or anyone's with UserView or TeamView at the system level.
func (s *Server) mayReadUser(c *Call, userID string) error {
	if strings.EqualFold(userID, c.UserID) {
		return nil
	}
	g := s.callGrants(c)
	if g.admin || g.system["UserView"] || g.system["TeamView"] {
		return nil
	}
	return errForbidden("UserView")
}

func userPermissions(c *Call) (any, error) {
	s := c.srv
	user, err := s.find(c, usersKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	uid := str(user.doc, "Id")
	if err := s.mayReadUser(c, uid); err != nil {
		return nil, err
	}
	includeSystem := c.queryBool("includeSystem", !c.Scoped)
	g := s.grantsOf(uid)
	inScope := func(space string) bool { return !c.Scoped || strings.EqualFold(space, c.SpaceID) }

	spacePerms := map[string][]any{}
	add := func(perm string, r Doc) { spacePerms[perm] = append(spacePerms[perm], r) }
	var spaceIDs []string
	for _, rec := range s.st.all(spacesKind.Name) {
		spaceIDs = append(spaceIDs, str(rec.doc, "Id"))
	}
	system := []string{}
	if g.admin {
		// Administrators hold everything, everywhere.
		for _, sp := range spaceIDs {
			if !inScope(sp) {
				continue
			}
			for _, p := range spacePermissions {
				add(p, restrictionDoc(sp, restriction{}))
			}
		}
		system = append(system, systemPermissions...)
	} else {
		for _, sp := range spaceIDs {
			if !inScope(sp) {
				continue
			}
			for _, gr := range g.spaces[strings.ToLower(sp)] {
				for _, p := range spacePermissions {
					if gr.perms[p] {
						add(p, restrictionDoc(sp, gr.r))
					}
				}
			}
		}
		for p := range g.system {
			system = append(system, p)
		}
		sort.Strings(system)
	}
	if !includeSystem {
		system = []string{}
	}
	sp := Doc{}
	for p, list := range spacePerms {
		sp[p] = list
	}
	teams := []any{}
	for _, rec := range s.st.all(teamsKind.Name) {
		id := str(rec.doc, "Id")
		direct := containsFold(strs(rec.doc, "MemberUserIds"), uid)
		if !direct && !strings.EqualFold(id, everyoneTeamID) {
			continue
		}
		if space := str(rec.doc, "SpaceId"); (space == "" && !includeSystem) || (space != "" && !inScope(space)) {
			continue
		}
		teams = append(teams, Doc{"Id": id, "Name": rec.doc["Name"], "SpaceId": rec.doc["SpaceId"],
			"IsDirectlyAssigned": direct, "ExternalSecurityGroups": []any{}})
	}
	self := c.Prefix + "/users/" + uid + "/permissions"
	return Doc{
		"Id":                    uid,
		"SpacePermissions":      sp,
		"SystemPermissions":     anySlice(system),
		"Teams":                 teams,
		"IsPermissionsComplete": true,
		"IsTeamsComplete":       true,
		"LastModifiedBy":        nil,
		"LastModifiedOn":        nil,
		"Links":                 Doc{"Self": self},
	}, nil
}

// restrictionDoc is a UserPermissionRestriction.
func restrictionDoc(space string, r restriction) Doc {
	return Doc{
		"SpaceId":                     space,
		"RestrictedToProjectIds":      anySlice(orEmpty(r.projects)),
		"RestrictedToProjectGroupIds": anySlice(orEmpty(r.projectGroups)),
		"RestrictedToEnvironmentIds":  anySlice(orEmpty(r.environments)),
		"RestrictedToTenantIds":       anySlice(orEmpty(r.tenants)),
	}
}

func teamMembership(c *Call) (any, error) {
	s := c.srv
	uid := c.QueryValue("userId")
	if uid == "" {
		return nil, badRequest("Please provide a value for userId.")
	}
	if err := s.mayReadUser(c, uid); err != nil {
		return nil, err
	}
	out := []any{}
	user := s.st.get(usersKind.Name, "", uid)
	if user == nil {
		return out, nil // no such user: a member of nothing
	}
	uid = str(user.doc, "Id")
	spaces := map[string]bool{}
	for _, sp := range c.Query("spaces") {
		spaces[strings.ToLower(sp)] = true
	}
	includeSystem := c.queryBool("includeSystem", !c.Scoped && len(spaces) == 0)
	for _, rec := range s.st.all(teamsKind.Name) {
		direct := containsFold(strs(rec.doc, "MemberUserIds"), uid)
		if !direct && !strings.EqualFold(str(rec.doc, "Id"), everyoneTeamID) {
			continue
		}
		space := strings.ToLower(str(rec.doc, "SpaceId"))
		switch {
		case space == "":
			if !includeSystem {
				continue
			}
		case c.Scoped && space != strings.ToLower(c.SpaceID):
			continue
		case len(spaces) > 0 && !spaces[space]:
			continue
		}
		out = append(out, Doc{"UserId": uid, "TeamId": rec.doc["Id"], "TeamName": rec.doc["Name"], "SpaceId": rec.doc["SpaceId"],
			"IsDirectlyAssigned": direct, "ExternalSecurityGroups": []any{}})
	}
	return out, nil
}

// previewTeam answers who a team (saved or not) would have as members
// (GetTeamMembershipPreviewRequest -> TeamMembershipPreview per member).
func previewTeam(c *Call) (any, error) {
	body, err := c.Body()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(str(body, "Name")) == "" {
		return nil, badRequest("Please provide a value for Name.")
	}
	out := []any{}
	for _, uid := range strs(body, "MemberUserIds") {
		u := c.srv.st.get(usersKind.Name, "", uid)
		if u == nil {
			return nil, badRequest(fmt.Sprintf("The user '%s' does not exist.", uid))
		}
		out = append(out, Doc{"UserId": u.doc["Id"], "TeamId": body["Id"], "TeamName": body["Name"], "SpaceId": body["SpaceId"],
			"IsDirectlyAssigned": true, "ExternalSecurityGroups": []any{}})
	}
	return out, nil
}
