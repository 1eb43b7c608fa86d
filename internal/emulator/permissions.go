package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Permissions. A user's permissions come from the teams it belongs to
// (Everyone included) and their scoped user roles: a role scoped to a space
// grants its GrantedSpacePermissions there, narrowed by the scoped role's
// restrictions (ProjectIds, ProjectGroupIds, EnvironmentIds, TenantIds); a
// system-level one grants its GrantedSystemPermissions. Members of Octopus
// Administrators may do everything. The emulator enforces, for everyone
// else:
//   - anything inside a space needs a role in that space, and the
//     permission the route's resource needs (segmentPermissions: view for
//     GET, create for POST, edit for PUT, delete for DELETE) — so running a
//     runbook needs RunbookRunCreate and deploying DeploymentCreate;
//   - that permission for the documents the request addresses: the
//     document of the URL (and of its {projectId}), the project, release,
//     runbook, environment and tenant a created document names, and every
//     deployment, runbook run and release however it is created (the v1
//     commands included). A restriction applies only to the permissions
//     that support it (permissionRestrictions, as the real
//     PermissionDescription.SupportedRestrictions lists them) and only where
//     the document has that dimension: a tenant-restricted grant does not
//     allow an untenanted deployment;
//   - lists leave out what the caller may not view;
//   - GET /api/spaces lists only the spaces the caller has a role in;
//   - system-level writes need the matching system permission.
// Several grants are never combined: one of them must allow the whole
// request (OctopusDeploy/Issues #9991 shows the real server refusing a
// request that two differently restricted teams would only allow together).

// errForbidden is the real server's 403: the message and the detail line
// as quoted in OctopusDeploy/Issues #5401, #6787 and #9333.
func errForbidden(permission string) error {
	return &apiError{
		Status:  http.StatusForbidden,
		Message: "You do not have permission to perform this action. Please contact your Octopus administrator. Missing permission: " + permission,
		Errors:  []string{fmt.Sprintf("This action requires the %s permission. None of your teams have this permission.", permission)},
	}
}

// Restriction dimensions, as PermissionDescription.SupportedRestrictions
// names them.
const (
	restrictProjects      = "Projects"
	restrictProjectGroups = "ProjectGroups"
	restrictEnvironments  = "Environments"
	restrictTenants       = "Tenants"
)

// permissionRestrictions are the restrictions each permission supports
// (the real descriptions say "restrictable to Environments, Projects,
// Tenants" and so on; permissions not listed support none).
var permissionRestrictions = func() map[string][]string {
	m := map[string][]string{}
	set := func(dims []string, perms string) {
		for _, p := range strings.Fields(perms) {
			m[p] = dims
		}
	}
	envProjTenant := []string{restrictProjects, restrictProjectGroups, restrictEnvironments, restrictTenants}
	set(envProjTenant, `DeploymentCreate DeploymentDelete DeploymentView RunbookRunCreate RunbookRunDelete RunbookRunView
TaskView TaskCreate TaskCancel TaskEdit ArtifactView ArtifactCreate ArtifactEdit ArtifactDelete InterruptionView
InterruptionSubmit InterruptionViewSubmitResponsible VariableView VariableEdit VariableViewUnscoped VariableEditUnscoped
DefectReport DefectResolve`)
	set([]string{restrictProjects, restrictProjectGroups, restrictTenants}, `ReleaseCreate ReleaseView ReleaseEdit ReleaseDelete`)
	set([]string{restrictProjects, restrictProjectGroups}, `ProjectView ProjectEdit ProjectDelete ProjectCreate ProcessView
ProcessEdit RunbookView RunbookEdit TriggerView TriggerCreate TriggerEdit TriggerDelete`)
	set([]string{restrictProjectGroups}, `ProjectGroupView ProjectGroupEdit ProjectGroupDelete`)
	set([]string{restrictEnvironments}, `EnvironmentView EnvironmentEdit EnvironmentDelete MachineView MachineCreate MachineEdit
MachineDelete`)
	set([]string{restrictEnvironments, restrictTenants}, `AccountView AccountEdit AccountCreate AccountDelete CertificateView`)
	set([]string{restrictTenants}, `TenantView TenantEdit TenantDelete`)
	return m
}()

// supportedRestrictions indexes permissionRestrictions.
var supportedRestrictions = func() map[string]map[string]bool {
	m := map[string]map[string]bool{}
	for p, dims := range permissionRestrictions {
		m[p] = map[string]bool{}
		for _, d := range dims {
			m[p][d] = true
		}
	}
	return m
}()

// restriction narrows one grant; empty lists restrict nothing.
type restriction struct {
	projects, projectGroups, environments, tenants []string
}

func (r restriction) none() bool {
	return len(r.projects)+len(r.projectGroups)+len(r.environments)+len(r.tenants) == 0
}

// grant is what one scoped user role gives in one space.
type grant struct {
	roleID, teamID string
	perms          map[string]bool
	r              restriction
}

// grants are one user's permissions.
type grants struct {
	admin  bool
	system map[string]bool
	spaces map[string][]grant // by lower-cased space ID
	teams  []string           // the user's team IDs, Everyone included
}

// systemUserID is the caller of the server's own work (seeding, tasks).
const systemUserID = "users-system"

// callGrants returns the caller's permissions, computed once per request.
// Expects the store locked.
func (s *Server) callGrants(c *Call) *grants {
	if r := c.root(); r.perms != nil {
		return r.perms
	}
	g := s.grantsOf(c.UserID)
	c.root().perms = &g
	return &g
}

// grantsOf computes a user's permissions. Expects the store locked.
func (s *Server) grantsOf(userID string) grants {
	g := grants{system: map[string]bool{}, spaces: map[string][]grant{}}
	if userID == systemUserID {
		g.admin = true
		return g
	}
	teams := map[string]bool{strings.ToLower(everyoneTeamID): true}
	g.teams = []string{everyoneTeamID}
	for _, t := range s.st.all(teamsKind.Name) {
		if containsFold(strs(t.doc, "MemberUserIds"), userID) {
			teams[strings.ToLower(str(t.doc, "Id"))] = true
			g.teams = append(g.teams, str(t.doc, "Id"))
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
		gr := grant{roleID: str(role.doc, "Id"), teamID: str(r.doc, "TeamId"), perms: map[string]bool{}, r: restriction{
			projects: strs(r.doc, "ProjectIds"), projectGroups: strs(r.doc, "ProjectGroupIds"),
			environments: strs(r.doc, "EnvironmentIds"), tenants: strs(r.doc, "TenantIds"),
		}}
		for _, p := range strs(role.doc, "GrantedSpacePermissions") {
			gr.perms[p] = true
		}
		g.spaces[space] = append(g.spaces[space], gr)
	}
	g.admin = g.system["AdministerSystem"]
	return g
}

// canSeeSpace reports whether the caller may see a space: administrators,
// holders of the system SpaceView permission and anyone with a role in it.
func (s *Server) canSeeSpace(c *Call, spaceID string) bool {
	g := s.callGrants(c)
	return g.admin || g.system["SpaceView"] || len(g.spaces[strings.ToLower(spaceID)]) > 0
}

// resScope is what a document or request is about, for restrictions: a
// dimension present applies (an empty value is "none", an untenanted
// deployment's tenant; a comma-separated list means any of them, the
// environments of a machine); an absent one does not.
type resScope map[string]string

func (sc resScope) merge(o resScope) {
	for k, v := range o {
		if _, ok := sc[k]; !ok || sc[k] == "" {
			sc[k] = v
		}
	}
}

// allows reports whether one grant gives perm for sc.
func (gr grant) allows(perm string, sc resScope) bool {
	if !gr.perms[perm] {
		return false
	}
	if gr.r.none() {
		return true
	}
	supported := supportedRestrictions[perm]
	// Projects and project groups are one dimension: a project is allowed
	// when it or its group is listed.
	if supported[restrictProjects] && (len(gr.r.projects) > 0 || len(gr.r.projectGroups) > 0) {
		if p, ok := sc[restrictProjects]; ok {
			inGroup := len(gr.r.projectGroups) > 0 && containsFold(gr.r.projectGroups, sc[restrictProjectGroups])
			inProjects := len(gr.r.projects) > 0 && containsFold(gr.r.projects, p)
			if !inGroup && !inProjects {
				return false
			}
		}
	}
	if supported[restrictProjectGroups] && len(gr.r.projectGroups) > 0 {
		if _, isProject := sc[restrictProjects]; !isProject {
			if pg, ok := sc[restrictProjectGroups]; ok && !containsFold(gr.r.projectGroups, pg) {
				return false
			}
		}
	}
	for _, dim := range []struct {
		name string
		ids  []string
	}{{restrictEnvironments, gr.r.environments}, {restrictTenants, gr.r.tenants}} {
		if !supported[dim.name] || len(dim.ids) == 0 {
			continue
		}
		if v, ok := sc[dim.name]; ok && !containsAny(dim.ids, strings.Split(v, ",")) {
			return false
		}
	}
	return true
}

// containsAny reports whether list holds any of vals (case-insensitively).
func containsAny(list, vals []string) bool {
	for _, v := range vals {
		if containsFold(list, v) {
			return true
		}
	}
	return false
}

// permitted reports whether the caller holds perm in space for sc.
func (s *Server) permitted(c *Call, perm, space string, sc resScope) bool {
	g := s.callGrants(c)
	if g.admin {
		return true
	}
	for _, gr := range g.spaces[strings.ToLower(space)] {
		if gr.allows(perm, sc) {
			return true
		}
	}
	return false
}

// require is permitted as an error: the 403 naming perm.
func (s *Server) require(c *Call, perm, space string, sc resScope) error {
	if s.permitted(c, perm, space, sc) {
		return nil
	}
	return errForbidden(perm)
}

// scopeOf is what a stored document of k is about.
func (s *Server) scopeOf(space string, k *Kind, d Doc) resScope {
	sc := resScope{}
	switch k {
	case projectsKind:
		sc[restrictProjects] = str(d, "Id")
		sc[restrictProjectGroups] = str(d, "ProjectGroupId")
		return sc
	case projectGroupsKind:
		sc[restrictProjectGroups] = str(d, "Id")
		return sc
	case environmentsKind:
		sc[restrictEnvironments] = str(d, "Id")
		return sc
	case tenantsKind:
		sc[restrictTenants] = str(d, "Id")
		return sc
	case tasksKind:
		args, _ := d["Arguments"].(map[string]any)
		if sub := s.taskSubject(d, args); len(sub) > 0 {
			sc.merge(s.scopeOf(space, kind(subjectKind(args)), sub))
		}
		if _, ok := sc[restrictProjects]; !ok {
			s.projectScope(space, str(d, "ProjectId"), sc)
		}
		return sc
	}
	if _, ok := d["ProjectId"]; ok {
		s.projectScope(space, str(d, "ProjectId"), sc)
	} else if owner := str(d, "OwnerId"); strings.HasPrefix(strings.ToLower(owner), "projects-") {
		s.projectScope(space, owner, sc)
	}
	if _, ok := d["EnvironmentId"]; ok {
		sc[restrictEnvironments] = str(d, "EnvironmentId")
	} else if ids := strs(d, "EnvironmentIds"); len(ids) > 0 {
		sc[restrictEnvironments] = strings.Join(ids, ",") // machines, accounts, certificates: any of them
	}
	if _, ok := d["TenantId"]; ok {
		sc[restrictTenants] = str(d, "TenantId")
	} else if ids := strs(d, "TenantIds"); len(ids) > 0 {
		sc[restrictTenants] = strings.Join(ids, ",")
	}
	return sc
}

func subjectKind(args map[string]any) string {
	if str(args, "DeploymentId") != "" {
		return deploymentsKind.Name
	}
	return runbookRunsKind.Name
}

// projectScope adds a project and its group to sc.
func (s *Server) projectScope(space, projectID string, sc resScope) {
	sc[restrictProjects] = projectID
	if p := s.st.get(projectsKind.Name, space, projectID); p != nil {
		sc[restrictProjectGroups] = str(p.doc, "ProjectGroupId")
	}
}

// visible reports whether a list may show a document of k to the caller:
// the view permission of its kind for the document. Lists call it for every
// document (collection.go selected).
func (s *Server) visible(c *Call, k *Kind, rec *record) bool {
	perm := segmentPermissions[strings.ToLower(k.Segment)][0]
	if perm == "" || k.Scope == SystemScoped {
		return true
	}
	g := s.callGrants(c)
	if g.admin {
		return true
	}
	space := rec.space
	if k.Scope == MixedScoped {
		space = str(rec.doc, "SpaceId")
		if space == "" {
			return true
		}
	}
	// Most callers hold the permission unrestricted, or not at all: answer
	// those without working out what the document is about.
	held := false
	for _, gr := range g.spaces[strings.ToLower(space)] {
		if gr.perms[perm] {
			if gr.r.none() {
				return true
			}
			held = true
		}
	}
	return held && s.permitted(c, perm, space, s.scopeOf(space, k, rec.doc))
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
	"dashboard":           {"ProjectView", "", "", ""},
	"interruptions":       {"InterruptionView", "InterruptionSubmit", "InterruptionSubmit", "InterruptionSubmit"},
	"submit":              {"InterruptionView", "InterruptionSubmit", "InterruptionSubmit", "InterruptionSubmit"},
	"responsible":         {"InterruptionView", "InterruptionSubmit", "InterruptionSubmit", "InterruptionSubmit"},
	"artifacts":           {"ArtifactView", "ArtifactCreate", "ArtifactEdit", "ArtifactDelete"},
	"teammembership":      {"TeamView", "TeamView", "TeamView", "TeamView"},
	"progression":         {"ProjectView", "", "", ""},
	// Kinds other files serve or will serve.
	"accounts":               {"AccountView", "AccountCreate", "AccountEdit", "AccountDelete"},
	"machines":               {"MachineView", "MachineCreate", "MachineEdit", "MachineDelete"},
	"workers":                {"WorkerView", "WorkerEdit", "WorkerEdit", "WorkerEdit"},
	"machinepolicies":        {"MachinePolicyView", "MachinePolicyCreate", "MachinePolicyEdit", "MachinePolicyDelete"},
	"certificates":           {"CertificateView", "CertificateCreate", "CertificateEdit", "CertificateDelete"},
	"projecttriggers":        {"TriggerView", "TriggerCreate", "TriggerEdit", "TriggerDelete"},
	"triggers":               {"TriggerView", "TriggerCreate", "TriggerEdit", "TriggerDelete"},
	"deploymentfreezes":      {"", "DeploymentFreezeAdminister", "DeploymentFreezeAdminister", "DeploymentFreezeAdminister"},
	"proxies":                {"ProxyView", "ProxyCreate", "ProxyEdit", "ProxyDelete"},
	"build-information":      {"FeedView", "BuildInformationPush", "BuildInformationPush", "BuildInformationAdminister"},
	"git-credentials":        {"GitCredentialView", "GitCredentialEdit", "GitCredentialEdit", "GitCredentialEdit"},
	"deploymenttargettags":   {"TargetTagView", "TargetTagAdminister", "TargetTagAdminister", "TargetTagAdminister"},
	"rerun":                  {"TaskView", "", "", ""}, // the new deployment or run is checked itself
	"dashboardconfiguration": {"ProjectView", "", "", ""},
	"machineroles":           {"MachineView", "", "", ""},
	// The space default retention policies are edited beside the
	// lifecycles whose defaults they are (the portal's Library >
	// Lifecycles); the real permission is not documented.
	"retentionpolicies": {"LifecycleView", "LifecycleEdit", "LifecycleEdit", "LifecycleEdit"},
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
	if len(segs) > 2 && segs[0] == "certificates" && method == http.MethodPost {
		return "CertificateEdit" // archive, unarchive, replace an existing certificate
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

// requestScope is what a request's URL addresses: the documents its
// parameters name ("projects/{projectId}/...", "releases/{id}").
func (s *Server) requestScope(c *Call, space, pattern string) resScope {
	sc := resScope{}
	segs := strings.Split(pattern, "/")
	for i := 1; i < len(segs); i++ {
		p := segs[i]
		if !strings.HasPrefix(p, "{") {
			continue
		}
		k := kindBySegment(segs[i-1])
		switch p {
		case "{projectId}":
			k = projectsKind // projects/{projectId}/..., progression/{projectId}
		case "{releaseId}":
			k = releasesKind
		}
		if k == nil {
			continue
		}
		rec := s.st.get(k.Name, storeSpace(k, space), c.Param(p[1:len(p)-1]))
		if rec == nil && k.Lookup != nil {
			rec = k.Lookup(c, c.Param(p[1:len(p)-1]))
		}
		if rec != nil {
			sc.merge(s.scopeOf(space, k, rec.doc))
		}
	}
	return sc
}

// bodyScope is what a created document names: its project (directly or
// through its release or runbook), environment, tenant and project group.
func (s *Server) bodyScope(c *Call, space string) resScope {
	sc := resScope{}
	d, err := decodeDoc(c.RawBody())
	if err != nil || d == nil {
		return sc
	}
	get := func(name string) string {
		for k, v := range d {
			if strings.EqualFold(k, name) {
				s, _ := v.(string)
				return s
			}
		}
		return ""
	}
	if id := get("ReleaseId"); id != "" {
		if rel := s.st.get(releasesKind.Name, space, id); rel != nil {
			s.projectScope(space, str(rel.doc, "ProjectId"), sc)
		}
	}
	if id := get("RunbookId"); id != "" {
		if rb := s.st.get(runbooksKind.Name, space, id); rb != nil {
			s.projectScope(space, str(rb.doc, "ProjectId"), sc)
		}
	}
	if id := get("ProjectId"); id != "" {
		s.projectScope(space, id, sc)
	}
	if id := get("ProjectGroupId"); id != "" && sc[restrictProjectGroups] == "" {
		sc[restrictProjectGroups] = id
	}
	if id := get("EnvironmentId"); id != "" {
		sc[restrictEnvironments] = id
	}
	if _, isRun := sc[restrictProjects]; isRun && (get("ReleaseId") != "" || get("RunbookId") != "") {
		sc[restrictTenants] = get("TenantId") // an untenanted deployment is "no tenant"
	} else if id := get("TenantId"); id != "" {
		sc[restrictTenants] = id
	}
	return sc
}

// kindBySegment finds the kind served at a URL segment.
func kindBySegment(seg string) *Kind {
	for _, k := range kindsOrder {
		if strings.EqualFold(k.Segment, seg) {
			return k
		}
	}
	return nil
}

// authorize checks the caller's permission for a route. It runs under the
// store lock, after the space is resolved (server.go authorizeCall).
func (s *Server) authorize(c *Call, method, pattern string) error {
	g := s.callGrants(c)
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
		return s.authorizeSystem(c, *g, method, lower)
	}
	need := requiredPermission(method, pattern)
	if len(g.spaces[strings.ToLower(space)]) == 0 {
		if need == "" {
			need = "SpaceView"
		}
		return errForbidden(need)
	}
	if need == "" {
		return nil
	}
	if err := s.require(c, need, space, s.requestScope(c, space, pattern)); err != nil {
		return err
	}
	if method == http.MethodPost || method == http.MethodPut {
		return s.require(c, need, space, s.bodyScope(c, space))
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
	// Deployment freezes are instance-wide; DeploymentFreezeAdminister is a
	// space permission (Space manager), held in any space.
	"deploymentfreezes": {"DeploymentFreezeAdminister", "DeploymentFreezeAdminister", "DeploymentFreezeAdminister"},
}

func (s *Server) authorizeSystem(c *Call, g grants, method, pattern string) error {
	segs := strings.Split(pattern, "/")
	if method == http.MethodGet || method == http.MethodHead {
		if len(segs) >= 2 && segs[0] == "spaces" && segs[1] == "{id}" && !s.canSeeSpace(c, c.Param("id")) {
			return errForbidden("SpaceView")
		}
		// Other users and the user roles need UserView and UserRoleView,
		// held at the system level or in some space (the built-in System
		// manager and Space manager roles carry them); everyone reads
		// their own user.
		need := ""
		switch {
		case segs[0] == "users" && len(segs) == 1:
			need = "UserView"
		case segs[0] == "users" && segs[1] == "{id}" && !strings.EqualFold(c.Param("id"), c.UserID):
			need = "UserView"
		case segs[0] == "userroles":
			need = "UserRoleView"
		}
		if need != "" && !g.system[need] && !s.heldInSomeSpace(g, need) {
			return errForbidden(need)
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
	// Space managers edit their own space, and its teams and their roles
	// through the unscoped routes too (the team's or role's SpaceId says
	// which space: the document's, or the body's for a new one).
	if segs[0] == "spaces" && len(segs) >= 2 && s.permitted(c, need, c.Param("id"), resScope{}) {
		return nil
	}
	if segs[0] == "deploymentfreezes" && s.heldInSomeSpace(g, need) {
		return nil
	}
	if segs[0] == "teams" || segs[0] == "scopeduserroles" {
		space := ""
		if len(segs) >= 2 && segs[1] == "{id}" {
			k := teamsKind
			if segs[0] == "scopeduserroles" {
				k = scopedUserRolesKind
			}
			if rec := s.st.get(k.Name, "", c.Param("id")); rec != nil {
				space = str(rec.doc, "SpaceId")
			}
		}
		if body, err := decodeDoc(c.RawBody()); err == nil && body != nil {
			if bs := str(body, "SpaceId"); bs != "" {
				if space != "" && !strings.EqualFold(space, bs) {
					return errForbidden(need) // moving a team to another space is a system change
				}
				space = bs
			}
		}
		if space != "" && s.permitted(c, need, space, resScope{}) {
			return nil
		}
	}
	if !g.system[need] {
		return errForbidden(need)
	}
	return nil
}

// heldInSomeSpace reports whether any of the user's space grants holds perm.
func (s *Server) heldInSomeSpace(g grants, perm string) bool {
	for _, list := range g.spaces {
		for _, gr := range list {
			if gr.perms[perm] {
				return true
			}
		}
	}
	return false
}
