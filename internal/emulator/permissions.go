package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Permissions. A user's permissions come from the teams it belongs to
// (Everyone included) and their scoped user roles: a role scoped to a space
// grants its GrantedSpacePermissions there, a system-level one its
// GrantedSystemPermissions. Members of Octopus Administrators may do
// everything. The emulator enforces, for everyone else:
//   - anything inside a space needs a role in that space, and the
//     permission the route's resource needs (segmentPermissions: view for
//     GET, create for POST, edit for PUT, delete for DELETE) — so running a
//     runbook needs RunbookRunCreate and deploying DeploymentCreate;
//   - GET /api/spaces lists only the spaces the caller has a role in;
//   - system-level writes need the matching system permission.
// Role restrictions to projects, environments or tenants are not applied.

// errForbidden is the real server's 403: the message and the detail line
// as quoted in OctopusDeploy/Issues #5401, #6787 and #9333.
func errForbidden(permission string) error {
	return &apiError{
		Status:  http.StatusForbidden,
		Message: "You do not have permission to perform this action. Please contact your Octopus administrator. Missing permission: " + permission,
		Errors:  []string{fmt.Sprintf("This action requires the %s permission. None of your teams have this permission.", permission)},
	}
}

// grants are one user's permissions.
type grants struct {
	admin  bool
	system map[string]bool
	spaces map[string]map[string]bool // by lower-cased space ID
}

// systemUserID is the caller of the server's own work (seeding, tasks).
const systemUserID = "users-system"

// grantsOf computes a user's permissions. Expects the store locked.
func (s *Server) grantsOf(userID string) grants {
	g := grants{system: map[string]bool{}, spaces: map[string]map[string]bool{}}
	if userID == systemUserID {
		g.admin = true
		return g
	}
	teams := map[string]bool{strings.ToLower(everyoneTeamID): true}
	for _, t := range s.st.all(teamsKind.Name) {
		if containsFold(strs(t.doc, "MemberUserIds"), userID) {
			teams[strings.ToLower(str(t.doc, "Id"))] = true
		}
	}
	if teams[strings.ToLower(administratorsTeamID)] {
		g.admin = true
		return g
	}
	for _, r := range s.st.all(scopedUserRolesKind.Name) {
		if !teams[strings.ToLower(str(r.doc, "TeamId"))] {
			continue
		}
		role := s.st.get(userRolesKind.Name, "", str(r.doc, "UserRoleId"))
		if role == nil {
			continue
		}
		space := strings.ToLower(str(r.doc, "SpaceId"))
		if space == "" {
			for _, p := range strs(role.doc, "GrantedSystemPermissions") {
				g.system[p] = true
			}
			continue
		}
		if g.spaces[space] == nil {
			g.spaces[space] = map[string]bool{}
		}
		for _, p := range strs(role.doc, "GrantedSpacePermissions") {
			g.spaces[space][p] = true
		}
	}
	g.admin = g.system["AdministerSystem"]
	return g
}

// canSeeSpace reports whether the caller may see a space: administrators,
// holders of the system SpaceView permission and anyone with a role in it.
func (s *Server) canSeeSpace(c *Call, spaceID string) bool {
	g := s.grantsOf(c.UserID)
	return g.admin || g.system["SpaceView"] || len(g.spaces[strings.ToLower(spaceID)]) > 0
}

// segmentPermissions maps a route's resource segment (lower case) to the
// permissions for viewing, creating, editing and deleting it. "" needs no
// particular permission beyond a role in the space.
var segmentPermissions = map[string][4]string{
	"projects":            {"ProjectView", "ProjectCreate", "ProjectEdit", "ProjectDelete"},
	"channels":            {"ProjectView", "ProjectEdit", "ProjectEdit", "ProjectEdit"},
	"deploymentprocesses": {"ProcessView", "ProcessEdit", "ProcessEdit", "ProcessEdit"},
	"runbookprocesses":    {"RunbookView", "RunbookEdit", "RunbookEdit", "RunbookEdit"},
	"runbooks":            {"RunbookView", "RunbookEdit", "RunbookEdit", "RunbookEdit"},
	"runbooksnapshots":    {"RunbookView", "RunbookEdit", "RunbookEdit", "RunbookEdit"},
	"runbookruns":         {"RunbookRunView", "RunbookRunCreate", "RunbookRunCreate", "RunbookRunDelete"},
	"runbook-runs":        {"RunbookRunView", "RunbookRunCreate", "RunbookRunCreate", "RunbookRunDelete"},
	"releases":            {"ReleaseView", "ReleaseCreate", "ReleaseEdit", "ReleaseDelete"},
	"deployments":         {"DeploymentView", "DeploymentCreate", "DeploymentCreate", "DeploymentDelete"},
	"tasks":               {"TaskView", "TaskCreate", "TaskEdit", "TaskEdit"},
	"cancel":              {"TaskView", "TaskCancel", "TaskCancel", "TaskCancel"},
	"variables":           {"VariableView", "VariableEdit", "VariableEdit", "VariableEdit"},
	"libraryvariablesets": {"LibraryVariableSetView", "LibraryVariableSetCreate", "LibraryVariableSetEdit", "LibraryVariableSetDelete"},
	"environments":        {"EnvironmentView", "EnvironmentCreate", "EnvironmentEdit", "EnvironmentDelete"},
	"lifecycles":          {"LifecycleView", "LifecycleCreate", "LifecycleEdit", "LifecycleDelete"},
	"projectgroups":       {"ProjectGroupView", "ProjectGroupCreate", "ProjectGroupEdit", "ProjectGroupDelete"},
	"tenants":             {"TenantView", "TenantCreate", "TenantEdit", "TenantDelete"},
	"tenantvariables":     {"TenantView", "TenantEdit", "TenantEdit", "TenantEdit"},
	"tagsets":             {"", "TagSetCreate", "TagSetEdit", "TagSetDelete"},
	"feeds":               {"FeedView", "FeedEdit", "FeedEdit", "FeedEdit"},
	"packages":            {"FeedView", "BuiltInFeedPush", "BuiltInFeedPush", "BuiltInFeedAdminister"},
	"actiontemplates":     {"ActionTemplateView", "ActionTemplateCreate", "ActionTemplateEdit", "ActionTemplateDelete"},
	"workerpools":         {"WorkerView", "WorkerEdit", "WorkerEdit", "WorkerEdit"},
	"teams":               {"TeamView", "TeamCreate", "TeamEdit", "TeamDelete"},
	"scopeduserroles":     {"TeamView", "TeamEdit", "TeamEdit", "TeamEdit"},
	"events":              {"EventView", "EventView", "EventView", "EventView"},
	"subscriptions":       {"SubscriptionView", "SubscriptionCreate", "SubscriptionEdit", "SubscriptionDelete"},
}

// requiredPermission is the permission a space route needs ("" when a role
// in the space is enough).
func requiredPermission(method, pattern string) string {
	segs := strings.Split(strings.ToLower(pattern), "/")
	var perms [4]string
	found := false
	if len(segs) > 0 && segs[0] == "tenants" {
		perms, found = segmentPermissions["tenants"], true
	}
	for i := len(segs) - 1; i >= 0 && !found; i-- {
		perms, found = segmentPermissions[segs[i]]
	}
	if !found {
		return ""
	}
	switch method {
	case http.MethodPost:
		return perms[1]
	case http.MethodPut:
		return perms[2]
	case http.MethodDelete:
		return perms[3]
	}
	return perms[0]
}

// authorize checks the caller's permission for a route. It runs under the
// store lock, after the space is resolved (server.go authorizeCall).
func (s *Server) authorize(c *Call, method, pattern string) error {
	g := s.grantsOf(c.UserID)
	if g.admin {
		return nil
	}
	space := c.SpaceID
	lower := strings.ToLower(pattern)
	if space == "" && strings.HasPrefix(lower, "tasks/{id}") {
		// /api/tasks/{id}: the task's space decides.
		if rec := s.st.get(tasksKind.Name, "", c.Param("id")); rec != nil {
			space = str(rec.doc, "SpaceId")
		}
	}
	if space == "" {
		return s.authorizeSystem(c, g, method, lower)
	}
	need := requiredPermission(method, pattern)
	perms := g.spaces[strings.ToLower(space)]
	if len(perms) == 0 {
		if need == "" {
			need = "SpaceView"
		}
		return errForbidden(need)
	}
	if need != "" && !perms[need] {
		return errForbidden(need)
	}
	return nil
}

// systemWritePermissions are what system-level writes need, by first
// segment; anything else needs AdministerSystem.
var systemWritePermissions = map[string][3]string{ // create, edit, delete
	"spaces":          {"SpaceCreate", "SpaceEdit", "SpaceDelete"},
	"teams":           {"TeamCreate", "TeamEdit", "TeamDelete"},
	"scopeduserroles": {"TeamEdit", "TeamEdit", "TeamEdit"},
	"users":           {"UserInvite", "UserEdit", "UserEdit"},
	"userroles":       {"UserRoleEdit", "UserRoleEdit", "UserRoleEdit"},
}

func (s *Server) authorizeSystem(c *Call, g grants, method, pattern string) error {
	segs := strings.Split(pattern, "/")
	if method == http.MethodGet || method == http.MethodHead {
		if len(segs) >= 2 && segs[0] == "spaces" && segs[1] == "{id}" && !s.canSeeSpace(c, c.Param("id")) {
			return errForbidden("SpaceView")
		}
		return nil
	}
	// Users manage their own API keys.
	if len(segs) >= 3 && segs[0] == "users" && segs[2] == "apikeys" && strings.EqualFold(c.Param("id"), c.UserID) {
		return nil
	}
	perms, ok := systemWritePermissions[segs[0]]
	if !ok {
		if g.system["AdministerSystem"] {
			return nil
		}
		return errForbidden("AdministerSystem")
	}
	need := perms[1]
	switch method {
	case http.MethodPost:
		need = perms[0]
	case http.MethodDelete:
		need = perms[2]
	}
	// Space managers edit their own space.
	if segs[0] == "spaces" && len(segs) >= 2 && g.spaces[strings.ToLower(c.Param("id"))][need] {
		return nil
	}
	if !g.system[need] {
		return errForbidden(need)
	}
	return nil
}
