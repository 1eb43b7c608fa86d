package emulator

import (
	"fmt"
	"strings"
)

// spaceManagersTeamPrefix marks the team Octopus creates with every space.
const spaceManagersTeamPrefix = "teams-spacemanagers-"

// spaceManagerRoleID is the built-in "Space manager" role.
const spaceManagerRoleID = "userroles-spacemanager"

var spacesKind *Kind

func init() {
	spacesKind = registerKind(&Kind{
		Name:          "Spaces",
		Segment:       "spaces",
		Scope:         SystemScoped,
		ItemType:      "Space",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?skip,ids,take,partialName}",
		Defaults:      spaceDefaults,
		Validate:      validateSpace,
		AfterCreate:   afterSpaceCreate,
		BeforeUpdate:  beforeSpaceUpdate,
		AfterUpdate:   func(c *Call, d, _ Doc) error { return syncSpaceManagers(c, d) },
		BeforeDelete:  beforeSpaceDelete,
		AfterDelete:   afterSpaceDelete,
		Less:          byName,
		// Callers see only the spaces they may (when permissions.go provides
		// the check).
		Filter: func(c *Call, d Doc) bool { return c.srv.canSee(c, str(d, "Id")) },
		Links: func(d Doc, self string) map[string]string {
			id := str(d, "Id")
			return map[string]string{
				"SpaceHome": "/api/" + id,
				"Web":       "/app#/spaces/" + id,
				"Logo":      self + "/logo",
				"Search":    self + "/search",
			}
		},
	})
}

// byName orders documents by Name, case-insensitively.
func byName(a, b Doc) bool { return strings.ToLower(str(a, "Name")) < strings.ToLower(str(b, "Name")) }

func spaceDefaults(c *Call, d Doc) error {
	// Octopus ignores TaskQueueStopped on create: a space always starts with
	// its queue running (the Terraform provider works around this with a
	// second PUT; style.md §1D).
	d["TaskQueueStopped"] = false
	// Only the server's own seeding makes a default space.
	if !c.quiet {
		d["IsDefault"] = false
	}
	ensure(d, "Description", "")
	ensure(d, "IsPrivate", false)
	ensure(d, "Icon", nil)
	ensure(d, "ExtensionSettings", []any{})
	ensure(d, "SpaceManagersTeams", []any{})
	ensure(d, "SpaceManagersTeamMembers", []any{})
	return nil
}

func validateSpace(c *Call, d, old Doc) error {
	if old == nil && !c.quiet && len(strs(d, "SpaceManagersTeams"))+len(strs(d, "SpaceManagersTeamMembers")) == 0 {
		// "The rule for creating a space is that you must supply either one,
		// or both of Teams or Users as the space manager"
		// (OctopusDeploy/Issues#9643). The exact message is not public.
		return badRequest("At least one team or user must be assigned as a space manager: set SpaceManagersTeams or SpaceManagersTeamMembers.")
	}
	for _, t := range strs(d, "SpaceManagersTeams") {
		if strings.HasPrefix(strings.ToLower(t), spaceManagersTeamPrefix) {
			continue // the space's own team, created after the space
		}
		if c.srv.st.get(teamsKind.Name, "", t) == nil {
			return badRequest(fmt.Sprintf("The team '%s' does not exist.", t))
		}
	}
	for _, u := range strs(d, "SpaceManagersTeamMembers") {
		if c.srv.st.get(usersKind.Name, "", u) == nil {
			return badRequest(fmt.Sprintf("The user '%s' does not exist.", u))
		}
	}
	return nil
}

// afterSpaceCreate creates what the real server creates with a space: its
// "Space Managers" team (bound to the Space manager role and listed in
// SpaceManagersTeams), then every registered space initialiser (default
// lifecycle, project group, built-in feeds...).
func afterSpaceCreate(c *Call, d Doc) error {
	id := str(d, "Id")
	teamID := spaceManagersTeamPrefix + id
	if _, err := c.srv.createWithID(c.InSpace(""), teamsKind, Doc{
		"Name":                   "Space Managers",
		"Description":            "Members of this team have full control of this space.",
		"SpaceId":                id,
		"MemberUserIds":          anySlice(strs(d, "SpaceManagersTeamMembers")),
		"ExternalSecurityGroups": []any{},
	}, teamID); err != nil {
		return fmt.Errorf("create space managers team: %w", err)
	}
	c.srv.patch(teamsKind, "", teamID, Doc{"CanBeDeleted": false, "CanBeRenamed": false, "CanChangeMembers": true, "CanChangeRoles": false})
	teams := strs(d, "SpaceManagersTeams")
	if !containsFold(teams, teamID) {
		d["SpaceManagersTeams"] = anySlice(append(teams, teamID))
	}
	if err := syncSpaceManagers(c, d); err != nil {
		return err
	}
	sc := c.InSpace(id)
	for _, fn := range spaceInits {
		if err := fn(sc, d); err != nil {
			return fmt.Errorf("initialise space %s: %w", id, err)
		}
	}
	return nil
}

func beforeSpaceUpdate(c *Call, d, old Doc) error {
	d["IsDefault"] = old["IsDefault"]
	ensure(d, "SpaceManagersTeams", []any{})
	ensure(d, "SpaceManagersTeamMembers", []any{})
	ensure(d, "Description", "")
	ensure(d, "IsPrivate", false)
	ensure(d, "ExtensionSettings", []any{})
	// The space's own managers team is always listed, whatever the client
	// sends (clients that diff whole spaces see it come back: style.md §5.12).
	teamID := spaceManagersTeamPrefix + str(old, "Id")
	if teams := strs(d, "SpaceManagersTeams"); !containsFold(teams, teamID) {
		d["SpaceManagersTeams"] = anySlice(append(teams, teamID))
	}
	return nil
}

// syncSpaceManagers makes the space's teams and members match its
// SpaceManagersTeams and SpaceManagersTeamMembers: each listed team holds the
// Space manager role in the space, and the members are the members of the
// space's own managers team.
func syncSpaceManagers(c *Call, d Doc) error {
	s := c.srv
	spaceID := str(d, "Id")
	teamID := spaceManagersTeamPrefix + spaceID
	if t := s.st.get(teamsKind.Name, "", teamID); t != nil {
		t.doc["MemberUserIds"] = anySlice(strs(d, "SpaceManagersTeamMembers"))
		c.Changed()
	}
	want := map[string]bool{}
	for _, t := range strs(d, "SpaceManagersTeams") {
		want[strings.ToLower(t)] = true
	}
	have := map[string]bool{}
	sc := c.InSpace("")
	for _, r := range s.st.all(scopedUserRolesKind.Name) {
		if !strings.EqualFold(str(r.doc, "SpaceId"), spaceID) || !strings.EqualFold(str(r.doc, "UserRoleId"), spaceManagerRoleID) {
			continue
		}
		team := strings.ToLower(str(r.doc, "TeamId"))
		if want[team] {
			have[team] = true
			continue
		}
		if _, err := s.remove(sc, scopedUserRolesKind, str(r.doc, "Id")); err != nil {
			return err
		}
	}
	for _, t := range strs(d, "SpaceManagersTeams") {
		if have[strings.ToLower(t)] {
			continue
		}
		have[strings.ToLower(t)] = true
		if _, err := s.create(sc, scopedUserRolesKind, Doc{"TeamId": t, "UserRoleId": spaceManagerRoleID, "SpaceId": spaceID}); err != nil {
			return fmt.Errorf("grant space manager to %s: %w", t, err)
		}
	}
	return nil
}

func beforeSpaceDelete(_ *Call, d Doc) error {
	if boolean(d, "IsDefault") {
		return badRequest("The default space cannot be deleted.")
	}
	if !boolean(d, "TaskQueueStopped") {
		// The real server requires the task queue to be stopped first (SDK e2e
		// DeleteTestSpace and the Terraform provider PUT TaskQueueStopped:true
		// before DELETE).
		return badRequest("The task queue must be stopped before the space can be deleted. Set TaskQueueStopped to true first.")
	}
	return nil
}

// afterSpaceDelete removes everything that lived in the space. The audit
// log keeps its events.
func afterSpaceDelete(c *Call, d Doc) error {
	id := str(d, "Id")
	s := c.srv
	for _, k := range kindsOrder {
		if k == eventsKind {
			continue
		}
		for _, r := range s.st.all(k.Name) {
			inSpace := (k.Scope == SpaceScoped && strings.EqualFold(r.space, id)) ||
				(k.Scope == MixedScoped && strings.EqualFold(str(r.doc, "SpaceId"), id))
			if inSpace {
				s.st.delete(k.Name, r.space, str(r.doc, "Id"))
			}
		}
	}
	c.Changed()
	return nil
}
