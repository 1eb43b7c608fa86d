package emulatortest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
)

// Grant is one scoped user role of the team NewUser creates: a built-in or
// custom user role in a space (system level when SpaceID is ""), optionally
// restricted to projects, project groups, environments and tenants (IDs;
// empty means unrestricted), as a ScopedUserRoleResource carries them.
type Grant struct {
	// Role is a user role ID ("userroles-projectdeployer") or name
	// ("Project deployer"), matched case-insensitively.
	Role string
	// SpaceID is the space the role applies in; "" grants the role's
	// system permissions.
	SpaceID                                        string
	Projects, ProjectGroups, Environments, Tenants []string
}

// User is a user NewUser created, with the one API key it can call with
// and the team that carries its grants.
type User struct {
	ID, Username, APIKey, TeamID string
}

// NewUser creates, through the API with the admin key, an active user
// named username with an API key, and a team (named "<username> team")
// whose only member it is and whose scoped user roles are grants. The team
// belongs to the grants' space when they all name the same one, else it is
// a system team. With no grants the user is a member of Everyone only. It
// fails the test when anything is refused.
//
//	u := emulatortest.NewUser(t, srv, "contoso-ops", emulatortest.Grant{
//		Role: "Project deployer", SpaceID: "Spaces-1", Tenants: []string{contosoID}})
//	status := emulatortest.CallAs(t, srv, u.APIKey, "POST", "/api/Spaces-1/deployments", body, nil)
func NewUser(t testing.TB, srv *emulator.Server, username string, grants ...Grant) User {
	t.Helper()
	id, key, err := srv.CreateUser(username, username)
	if err != nil {
		t.Fatalf("new user %s: %v", username, err)
	}
	u := User{ID: id, Username: username, APIKey: key}
	if len(grants) == 0 {
		return u
	}
	var roles []map[string]any
	Call(t, srv, http.MethodGet, "/api/userroles/all", nil, &roles)
	roleID := func(key string) string {
		for _, r := range roles {
			if strings.EqualFold(str(r, "Id"), key) || strings.EqualFold(str(r, "Name"), key) {
				return str(r, "Id")
			}
		}
		t.Fatalf("new user %s: no user role %q", username, key)
		return ""
	}
	var teamSpace any = grants[0].SpaceID
	for _, g := range grants {
		if g.SpaceID == "" || !strings.EqualFold(g.SpaceID, grants[0].SpaceID) {
			teamSpace = nil
		}
	}
	var team map[string]any
	Call(t, srv, http.MethodPost, "/api/teams", map[string]any{"Name": username + " team", "SpaceId": teamSpace,
		"MemberUserIds": []string{id}, "ExternalSecurityGroups": []any{}}, &team)
	u.TeamID = str(team, "Id")
	for _, g := range grants {
		var space any
		if g.SpaceID != "" {
			space = g.SpaceID
		}
		Call(t, srv, http.MethodPost, "/api/scopeduserroles", map[string]any{
			"TeamId": u.TeamID, "UserRoleId": roleID(g.Role), "SpaceId": space,
			"ProjectIds": orEmpty(g.Projects), "ProjectGroupIds": orEmpty(g.ProjectGroups),
			"EnvironmentIds": orEmpty(g.Environments), "TenantIds": orEmpty(g.Tenants),
		}, nil)
	}
	return u
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}
