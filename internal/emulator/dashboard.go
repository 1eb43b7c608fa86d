package emulator

import (
	"net/http"
	"sort"
	"strings"
)

// The dashboard (DashboardResource): the space's projects, project groups,
// environments and tenants, and one item per project × environment × tenant
// with the latest deployment there (IsCurrent). GET /dashboard takes
// projectId, releaseId, selectedTenants, selectedTags (tenant tags) and
// showAll; GET /dashboard/dynamic takes projects, environments and
// includePrevious (swagger getDashboardBySpace, getDynamicDashboardBySpace).
// Where the current deployment did not succeed, the dashboard also carries
// the latest successful one before it (IsPrevious), as the real dashboard
// shows the last good release under a failed one; the dynamic dashboard
// only with includePrevious. Everything is filtered to what the caller may
// view (ProjectView, EnvironmentView, TenantView, DeploymentView).

func init() {
	addRoute(http.MethodGet, "dashboard", RouteSpace, func(c *Call) (any, error) { return c.srv.dashboard(c, false) })
	addRoute(http.MethodGet, "dashboard/dynamic", RouteSpace, func(c *Call) (any, error) { return c.srv.dashboard(c, true) })
}

// dashboardProjectLimit is the real DashboardResource's ProjectLimit
// default (the dashboard configuration's limit; not documented, 0 = none).
const dashboardProjectLimit = 0

func (s *Server) dashboard(c *Call, dynamic bool) (any, error) {
	space := c.SpaceID
	filtered := false
	only := func(param string) map[string]bool {
		vals := c.Query(param)
		if len(vals) == 0 {
			return nil
		}
		filtered = true
		m := map[string]bool{}
		for _, v := range vals {
			m[strings.ToLower(v)] = true
		}
		return m
	}
	var projectsWanted, envsWanted, tenantsWanted, groupsWanted map[string]bool
	var tagsWanted []string
	releaseWanted := ""
	includePrevious := true
	if dynamic {
		projectsWanted, envsWanted = only("projects"), only("environments")
		includePrevious = c.queryBool("includePrevious", false)
	} else {
		projectsWanted = only("projectId")
		tenantsWanted = only("selectedTenants")
		tagsWanted = c.Query("selectedTags")
		// The caller's dashboard configuration narrows what the request
		// does not.
		cfg := s.dashboardConfiguration(c)
		set := func(field string) map[string]bool {
			ids := strs(cfg, field)
			if len(ids) == 0 {
				return nil
			}
			filtered = true
			m := map[string]bool{}
			for _, id := range ids {
				m[strings.ToLower(id)] = true
			}
			return m
		}
		if projectsWanted == nil {
			projectsWanted = set("IncludedProjectIds")
		}
		if tenantsWanted == nil {
			tenantsWanted = set("IncludedTenantIds")
		}
		envsWanted = set("IncludedEnvironmentIds")
		groupsWanted = set("IncludedProjectGroupIds")
		if len(tagsWanted) == 0 {
			tagsWanted = strs(cfg, "IncludedTenantTags")
		}
		if len(tagsWanted) > 0 {
			filtered = true
		}
		if releaseWanted = c.QueryValue("releaseId"); releaseWanted != "" {
			filtered = true
		}
	}
	inSpace := func(kind string) []Doc {
		var out []Doc
		for _, rec := range s.st.all(kind) {
			if strings.EqualFold(rec.space, space) {
				out = append(out, rec.doc)
			}
		}
		return out
	}
	summary := func(k *Kind, d Doc, fields ...string) Doc {
		out := Doc{"Id": d["Id"], "Name": d["Name"], "Links": map[string]any{"Self": selfLink(k, d)}}
		for _, f := range fields {
			out[f] = d[f]
		}
		return out
	}

	envs := inSpace(environmentsKind.Name)
	sort.SliceStable(envs, func(i, j int) bool { return bySortOrder(envs[i], envs[j]) })
	envOut := []Doc{}
	envSeen := map[string]bool{}
	for _, e := range envs {
		id := strings.ToLower(str(e, "Id"))
		if (envsWanted != nil && !envsWanted[id]) || !s.permitted(c, "EnvironmentView", space, s.scopeOf(space, environmentsKind, e)) {
			continue
		}
		envSeen[id] = true
		envOut = append(envOut, summary(environmentsKind, e))
	}

	projects := inSpace(projectsKind.Name)
	sort.SliceStable(projects, func(i, j int) bool {
		return strings.ToLower(str(projects[i], "Name")) < strings.ToLower(str(projects[j], "Name"))
	})
	projOut := []Doc{}
	projSeen := map[string]bool{}
	groupEnvs := map[string][]string{}
	for _, p := range projects {
		id := strings.ToLower(str(p, "Id"))
		if (projectsWanted != nil && !projectsWanted[id] && !projectsWanted[strings.ToLower(str(p, "Slug"))]) ||
			(groupsWanted != nil && !groupsWanted[strings.ToLower(str(p, "ProjectGroupId"))]) ||
			!s.permitted(c, "ProjectView", space, s.scopeOf(space, projectsKind, p)) {
			continue
		}
		projSeen[id] = true
		var envIDs []string
		for _, e := range s.projectEnvironments(space, p) {
			if envSeen[strings.ToLower(e)] {
				envIDs = append(envIDs, e)
			}
		}
		mode := str(p, "TenantedDeploymentMode")
		if mode == "" {
			mode = "Untenanted"
		}
		d := summary(projectsKind, p, "Slug", "ProjectGroupId")
		d["IsDisabled"] = boolean(p, "IsDisabled")
		d["TenantedDeploymentMode"] = mode
		d["CanPerformUntenantedDeployment"] = !strings.EqualFold(mode, "Tenanted")
		d["EnvironmentIds"] = anySlice(orEmpty(envIDs))
		projOut = append(projOut, d)
		g := strings.ToLower(str(p, "ProjectGroupId"))
		for _, e := range envIDs {
			if !containsFold(groupEnvs[g], e) {
				groupEnvs[g] = append(groupEnvs[g], e)
			}
		}
	}
	groupOut := []Doc{}
	for _, g := range inSpace(projectGroupsKind.Name) {
		id := strings.ToLower(str(g, "Id"))
		if _, used := groupEnvs[id]; !used && !s.groupHasProject(g, projOut) {
			continue
		}
		d := summary(projectGroupsKind, g)
		d["EnvironmentIds"] = anySlice(orEmpty(groupEnvs[id]))
		groupOut = append(groupOut, d)
	}

	tenantOut := []Doc{}
	tenantSeen := map[string]bool{}
	for _, t := range inSpace(tenantsKind.Name) {
		id := strings.ToLower(str(t, "Id"))
		if tenantsWanted != nil && !tenantsWanted[id] {
			continue
		}
		if len(tagsWanted) > 0 && !sharesTag(tagsWanted, strs(t, "TenantTags")) {
			continue
		}
		if !s.permitted(c, "TenantView", space, s.scopeOf(space, tenantsKind, t)) {
			continue
		}
		tenantSeen[id] = true
		d := summary(tenantsKind, t, "TenantTags")
		d["IsDisabled"] = boolean(t, "IsDisabled")
		pe := map[string]any{}
		if m, ok := t["ProjectEnvironments"].(map[string]any); ok {
			for pid, envs := range m {
				if projSeen[strings.ToLower(pid)] {
					pe[pid] = envs
				}
			}
		}
		d["ProjectEnvironments"] = pe
		if d["TenantTags"] == nil {
			d["TenantTags"] = []any{}
		}
		tenantOut = append(tenantOut, d)
	}
	tenantFilter := tenantsWanted != nil || len(tagsWanted) > 0

	// The latest deployment per project × environment × tenant, and the
	// latest successful one before it.
	type cell struct{ current, previous Doc }
	cells := map[string]*cell{}
	var order []string
	deps := inSpace(deploymentsKind.Name)
	sort.SliceStable(deps, func(i, j int) bool { return newestFirst(deps[i], deps[j]) })
	for _, d := range deps {
		pid, eid, tid := strings.ToLower(str(d, "ProjectId")), strings.ToLower(str(d, "EnvironmentId")), strings.ToLower(str(d, "TenantId"))
		if !projSeen[pid] || !envSeen[eid] {
			continue
		}
		if tid != "" && !tenantSeen[tid] || tid == "" && tenantFilter {
			continue
		}
		if releaseWanted != "" && !strings.EqualFold(str(d, "ReleaseId"), releaseWanted) {
			continue
		}
		if !s.permitted(c, "DeploymentView", space, s.scopeOf(space, deploymentsKind, d)) {
			continue
		}
		key := pid + "|" + eid + "|" + tid
		x := cells[key]
		if x == nil {
			cells[key] = &cell{current: d}
			order = append(order, key)
			continue
		}
		if x.previous == nil && s.taskState(x.current) != taskSuccess && s.taskState(d) == taskSuccess {
			x.previous = d
		}
	}
	itemsOut := []Doc{}
	for _, key := range order {
		x := cells[key]
		itemsOut = append(itemsOut, s.dashboardItem(space, x.current, true))
		if includePrevious && x.previous != nil {
			itemsOut = append(itemsOut, s.dashboardItem(space, x.previous, false))
		}
	}
	self := c.Prefix + "/dashboard"
	if dynamic {
		self += "/dynamic"
	}
	return Doc{
		"Id":             "dashboard-" + space,
		"LastModifiedBy": nil,
		"LastModifiedOn": nil,
		"IsFiltered":     filtered,
		"ProjectLimit":   dashboardProjectLimit,
		"Environments":   envOut,
		"Projects":       projOut,
		"ProjectGroups":  groupOut,
		"Tenants":        tenantOut,
		"Items":          itemsOut,
		"Links":          map[string]any{"Self": self},
	}, nil
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func (s *Server) groupHasProject(g Doc, projects []Doc) bool {
	for _, p := range projects {
		if strings.EqualFold(str(p, "ProjectGroupId"), str(g, "Id")) {
			return true
		}
	}
	return false
}

// projectEnvironments are the environments a project's lifecycles (the
// project's and its channels') reach.
func (s *Server) projectEnvironments(space string, p Doc) []string {
	var out []string
	add := func(lcID string) {
		if lc := s.st.get(lifecyclesKind.Name, space, lcID); lc != nil {
			for _, e := range s.lifecycleEnvironments(space, lc.doc) {
				if !containsFold(out, e) {
					out = append(out, e)
				}
			}
		}
	}
	add(str(p, "LifecycleId"))
	for _, rec := range s.st.all(channelsKind.Name) {
		if strings.EqualFold(rec.space, space) && strings.EqualFold(str(rec.doc, "ProjectId"), str(p, "Id")) && str(rec.doc, "LifecycleId") != "" {
			add(str(rec.doc, "LifecycleId"))
		}
	}
	return out
}

// taskState is the state of a deployment's task ("" without one).
func (s *Server) taskState(dep Doc) string {
	if t := s.st.get(tasksKind.Name, "", str(dep, "TaskId")); t != nil {
		return str(t.doc, "State")
	}
	return ""
}

// dashboardItem is a DashboardItemResource for a deployment.
func (s *Server) dashboardItem(space string, dep Doc, current bool) Doc {
	task := Doc{}
	if t := s.st.get(tasksKind.Name, "", str(dep, "TaskId")); t != nil {
		task = t.doc
	}
	version := ""
	if rel := s.st.get(releasesKind.Name, space, str(dep, "ReleaseId")); rel != nil {
		version = str(rel.doc, "Version")
	}
	nullable := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	return Doc{
		"Id":                      dep["Id"],
		"DeploymentId":            dep["Id"],
		"ProjectId":               dep["ProjectId"],
		"EnvironmentId":           dep["EnvironmentId"],
		"TenantId":                nullable(str(dep, "TenantId")),
		"ReleaseId":               dep["ReleaseId"],
		"ReleaseVersion":          version,
		"ChannelId":               dep["ChannelId"],
		"TaskId":                  dep["TaskId"],
		"State":                   task["State"],
		"Created":                 dep["Created"],
		"QueueTime":               task["QueueTime"],
		"StartTime":               task["StartTime"],
		"CompletedTime":           task["CompletedTime"],
		"Duration":                task["Duration"],
		"ErrorMessage":            task["ErrorMessage"],
		"HasPendingInterruptions": boolean(task, "HasPendingInterruptions"),
		"HasWarningsOrErrors":     boolean(task, "HasWarningsOrErrors"),
		"IsCompleted":             boolean(task, "IsCompleted"),
		"IsCurrent":               current,
		"IsPrevious":              !current,
		"LastModifiedBy":          nil,
		"LastModifiedOn":          nil,
		"Links": map[string]any{
			"Self":    selfLink(deploymentsKind, dep),
			"Release": linkTo(dep, "releases", "ReleaseId"),
			"Task":    "/api/tasks/" + str(dep, "TaskId"),
		},
	}
}
