package emulator

import (
	"net/http"
	"sort"
	"strings"
)

// Where releases can go next, from the lifecycle's phase order
// (lifecycle_progression.go):
//   - GET releases/{id}/deployments/template (DeploymentTemplateResource):
//     PromoteTo, the environments an untenanted deployment of the release
//     may go to now, and TenantPromotions, the same per connected tenant;
//   - GET releases/{releaseId}/progression (LifecycleProgressionResource):
//     the release's phases, Complete, Current or Pending, with their
//     deployments, and NextDeployments;
//   - GET progression/{projectId} and projects/{projectId}/progression
//     (ProgressionResource): the project's
//     lifecycle environments and its latest releases with their
//     deployments per environment and NextDeployments;
//   - GET/PUT dashboardconfiguration (DashboardConfigurationResource): the
//     caller's filter for GET dashboard in the space.

func init() {
	addRoute(http.MethodGet, "releases/{id}/deployments/template", RouteSpace, deploymentTemplate)
	addRoute(http.MethodGet, "progression/{projectId}", RouteSpace, projectProgression)
	addRoute(http.MethodGet, "projects/{projectId}/progression", RouteSpace, projectProgression)
	addRoute(http.MethodGet, "releases/{releaseId}/progression", RouteSpace, releaseProgression)
	addRoute(http.MethodGet, "dashboardconfiguration", RouteSpace, func(c *Call) (any, error) { return c.srv.dashboardConfiguration(c), nil })
	addRoute(http.MethodPut, "dashboardconfiguration", RouteSpace, putDashboardConfiguration)
}

// promotable returns the environments of the release's lifecycle it may be
// deployed to now (for the tenant, when not nil), in phase order.
func (s *Server) promotable(space string, rel, project, tenant Doc) []Doc {
	var out []Doc
	lc := s.releaseLifecycle(space, rel)
	if lc == nil {
		return out
	}
	for _, id := range s.lifecycleEnvironments(space, lc) {
		env := s.st.get(environmentsKind.Name, space, id)
		if env == nil {
			continue
		}
		if checkTenant(str(project, "TenantedDeploymentMode"), project, tenant, env.doc) != nil {
			continue
		}
		if s.checkProgression(space, rel, project, env.doc, tenant) == nil {
			out = append(out, env.doc)
		}
	}
	return out
}

func promotionTargets(envs []Doc) []any {
	out := []any{}
	for _, e := range envs {
		out = append(out, Doc{"Id": e["Id"], "Name": e["Name"], "Links": map[string]any{"Self": selfLink(environmentsKind, e)}})
	}
	return out
}

func deploymentTemplate(c *Call) (any, error) {
	s := c.srv
	rel, err := s.find(c, releasesKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	project := s.st.get(projectsKind.Name, c.SpaceID, str(rel.doc, "ProjectId"))
	if project == nil {
		return nil, notFound(str(rel.doc, "ProjectId"))
	}
	space := c.SpaceID
	visibleEnv := func(envs []Doc) []Doc {
		var out []Doc
		for _, e := range envs {
			if s.permitted(c, "EnvironmentView", space, s.scopeOf(space, environmentsKind, e)) {
				out = append(out, e)
			}
		}
		return out
	}
	promoteTo := []any{}
	if !strings.EqualFold(str(project.doc, "TenantedDeploymentMode"), "Tenanted") {
		promoteTo = promotionTargets(visibleEnv(s.promotable(space, rel.doc, project.doc, nil)))
	}
	tenants := []any{}
	if mode := str(project.doc, "TenantedDeploymentMode"); mode != "" && !strings.EqualFold(mode, "Untenanted") {
		for _, rec := range s.st.all(tenantsKind.Name) {
			if !strings.EqualFold(rec.space, space) || !connectedTo(rec.doc, str(project.doc, "Id")) ||
				!s.permitted(c, "TenantView", space, s.scopeOf(space, tenantsKind, rec.doc)) {
				continue
			}
			tenants = append(tenants, Doc{"Id": rec.doc["Id"], "Name": rec.doc["Name"], "LastModifiedBy": nil, "LastModifiedOn": nil,
				"Links":     map[string]any{"Self": selfLink(tenantsKind, rec.doc)},
				"PromoteTo": promotionTargets(visibleEnv(s.promotable(space, rel.doc, project.doc, rec.doc)))})
		}
	}
	return Doc{
		"Id":                           "deploymenttemplate-" + str(rel.doc, "Id"),
		"DeploymentNotes":              rel.doc["ReleaseNotes"],
		"IsDeploymentProcessModified":  false,
		"IsVariableSetModified":        false,
		"IsLibraryVariableSetModified": false,
		"PromoteTo":                    promoteTo,
		"TenantPromotions":             tenants,
		"LastModifiedBy":               nil,
		"LastModifiedOn":               nil,
		"Links":                        map[string]any{"Self": selfLink(releasesKind, rel.doc) + "/deployments/template"},
	}, nil
}

// defaultReleaseHistory is how many releases progression/{projectId}
// shows without releaseHistoryCount (the real default is not documented).
const defaultReleaseHistory = 3

func projectProgression(c *Call) (any, error) {
	s := c.srv
	p, err := s.projectFor(c)
	if err != nil {
		return nil, err
	}
	space := c.SpaceID
	count, err := c.queryInt("releaseHistoryCount", defaultReleaseHistory)
	if err != nil {
		return nil, err
	}
	ref := func(ids []string) []any {
		out := []any{}
		for _, id := range ids {
			if e := s.st.get(environmentsKind.Name, space, id); e != nil && s.permitted(c, "EnvironmentView", space, s.scopeOf(space, environmentsKind, e.doc)) {
				out = append(out, Doc{"Id": e.doc["Id"], "Name": e.doc["Name"]})
			}
		}
		return out
	}
	lifecycles := map[string]any{}
	channels := map[string]any{}
	addLifecycle := func(id string) []string {
		lc := s.st.get(lifecyclesKind.Name, space, id)
		if lc == nil {
			return nil
		}
		envs := s.lifecycleEnvironments(space, lc.doc)
		lifecycles[str(lc.doc, "Id")] = ref(envs)
		return envs
	}
	addLifecycle(str(p, "LifecycleId"))
	for _, rec := range s.st.all(channelsKind.Name) {
		if !strings.EqualFold(rec.space, space) || !strings.EqualFold(str(rec.doc, "ProjectId"), str(p, "Id")) {
			continue
		}
		lcID := str(rec.doc, "LifecycleId")
		if lcID == "" {
			lcID = str(p, "LifecycleId")
		}
		channels[str(rec.doc, "Id")] = ref(addLifecycle(lcID))
	}
	var rels []*record
	for _, rec := range s.st.all(releasesKind.Name) {
		if strings.EqualFold(rec.space, space) && strings.EqualFold(str(rec.doc, "ProjectId"), str(p, "Id")) {
			rels = append(rels, rec)
		}
	}
	sort.SliceStable(rels, func(i, j int) bool { return newestFirst(rels[i].doc, rels[j].doc) })
	if len(rels) > count {
		rels = rels[:count]
	}
	releaseList := []any{}
	for _, rel := range rels {
		deps := map[string]any{}
		var mine []Doc
		for _, d := range s.st.all(deploymentsKind.Name) {
			if strings.EqualFold(str(d.doc, "ReleaseId"), str(rel.doc, "Id")) && s.permitted(c, "DeploymentView", space, s.scopeOf(space, deploymentsKind, d.doc)) {
				mine = append(mine, d.doc)
			}
		}
		sort.SliceStable(mine, func(i, j int) bool { return newestFirst(mine[i], mine[j]) })
		for _, d := range mine {
			env := str(d, "EnvironmentId")
			list, _ := deps[env].([]any)
			deps[env] = append(list, s.dashboardItem(space, d, len(list) == 0))
		}
		next := []any{}
		if !strings.EqualFold(str(p, "TenantedDeploymentMode"), "Tenanted") {
			done := s.deployedTo(space, str(rel.doc, "Id"), "", true)
			for _, e := range s.promotable(space, rel.doc, p, nil) {
				if !done[strings.ToLower(str(e, "Id"))] {
					next = append(next, e["Id"])
				}
			}
		}
		var channel any
		if ch := s.st.get(channelsKind.Name, space, str(rel.doc, "ChannelId")); ch != nil {
			channel = s.present(channelsKind, ch)
		}
		releaseList = append(releaseList, Doc{
			"Release":                 s.present(releasesKind, rel),
			"Channel":                 channel,
			"Deployments":             deps,
			"NextDeployments":         next,
			"HasUnresolvedDefect":     false,
			"ReleaseRetentionPeriod":  nil,
			"TentacleRetentionPeriod": nil,
		})
	}
	return Doc{
		"Id":                    "progression-" + str(p, "Id"),
		"Environments":          ref(s.projectEnvironments(space, p)),
		"LifecycleEnvironments": lifecycles,
		"ChannelEnvironments":   channels,
		"Releases":              releaseList,
		"LastModifiedBy":        nil,
		"LastModifiedOn":        nil,
		"Links":                 map[string]any{"Self": c.Prefix + "/progression/" + str(p, "Id")},
	}, nil
}

// dashboardConfigsTable holds each user's dashboard configuration per
// space ({"Id": user, "SpaceId": space, the configuration's fields}).
const dashboardConfigsTable = "DashboardConfigurations"

// dashboardConfigFields are the filters of a DashboardConfigurationResource.
var dashboardConfigFields = []string{"IncludedProjectIds", "IncludedProjectGroupIds", "IncludedEnvironmentIds", "IncludedTenantIds",
	"IncludedTenantTags", "IncludedProjectTags", "IncludedEnvironmentTags"}

// dashboardConfiguration is the caller's configuration in the call's space
// (empty filters when it has none).
func (s *Server) dashboardConfiguration(c *Call) Doc {
	out := Doc{"Id": "dashboardconfiguration-" + strings.ToLower(c.UserID), "SpaceId": c.SpaceID, "ProjectLimit": dashboardProjectLimit,
		"LastModifiedBy": nil, "LastModifiedOn": nil, "Links": map[string]any{"Self": c.Prefix + "/dashboardconfiguration"}}
	for _, f := range dashboardConfigFields {
		out[f] = []any{}
	}
	if rec := s.st.get(dashboardConfigsTable, c.SpaceID, c.UserID); rec != nil {
		for _, f := range append(dashboardConfigFields, "ProjectLimit", "LastModifiedBy", "LastModifiedOn") {
			if v, ok := rec.doc[f]; ok {
				out[f] = v
			}
		}
	}
	return out
}

func putDashboardConfiguration(c *Call) (any, error) {
	body, err := c.Body()
	if err != nil {
		return nil, err
	}
	d := Doc{"Id": c.UserID}
	for _, f := range dashboardConfigFields {
		d[f] = anySlice(orEmpty(strs(body, f)))
	}
	if n, ok := integer(body, "ProjectLimit"); ok {
		d["ProjectLimit"] = n
	}
	c.srv.stamp(c, d)
	c.srv.st.put(dashboardConfigsTable, &record{space: c.SpaceID, doc: d})
	c.Changed()
	return c.srv.dashboardConfiguration(c), nil
}

func releaseProgression(c *Call) (any, error) {
	s := c.srv
	space := c.SpaceID
	rel, err := s.find(c, releasesKind, c.Param("releaseId"))
	if err != nil {
		return nil, err
	}
	project := s.st.get(projectsKind.Name, space, str(rel.doc, "ProjectId"))
	if project == nil {
		return nil, notFound(str(rel.doc, "ProjectId"))
	}
	lc := s.releaseLifecycle(space, rel.doc)
	if lc == nil {
		return nil, notFound(str(project.doc, "LifecycleId"))
	}
	done := s.deployedTo(space, str(rel.doc, "Id"), "", true)
	var deps []Doc
	for _, d := range s.st.all(deploymentsKind.Name) {
		if strings.EqualFold(str(d.doc, "ReleaseId"), str(rel.doc, "Id")) && s.permitted(c, "DeploymentView", space, s.scopeOf(space, deploymentsKind, d.doc)) {
			deps = append(deps, d.doc)
		}
	}
	sort.SliceStable(deps, func(i, j int) bool { return newestFirst(deps[i], deps[j]) })
	phases := []any{}
	current, minimum := -1, 0
	for i, p := range s.lifecyclePhases(space, lc) {
		have := 0
		for _, e := range p.envs {
			if done[strings.ToLower(e)] {
				have++
			}
		}
		need := len(p.envs)
		if p.minimum > 0 && p.minimum < need {
			need = p.minimum
		}
		progress := "Pending"
		switch {
		case need > 0 && have >= need || p.optional && have > 0:
			progress = "Complete"
		case current < 0 && !p.optional:
			progress, current, minimum = "Current", i, need-have
		}
		phaseDeps := []any{}
		for _, d := range deps {
			if containsFold(p.envs, str(d, "EnvironmentId")) {
				var task any
				if t := s.st.get(tasksKind.Name, "", str(d, "TaskId")); t != nil {
					task = s.present(tasksKind, t)
				}
				phaseDeps = append(phaseDeps, Doc{"Deployment": s.present(deploymentsKind, s.st.get(deploymentsKind.Name, space, str(d, "Id"))), "Task": task})
			}
		}
		var auto, optional []string
		if explicit := toList(lc["Phases"]); i < len(explicit) {
			ph, _ := explicit[i].(map[string]any)
			auto, optional = strs(ph, "AutomaticDeploymentTargets"), strs(ph, "OptionalDeploymentTargets")
		} else {
			optional = p.envs // a generated phase: its one environment
		}
		id := "phase-" // a generated phase: as lifecycles/{id}/preview names it
		if len(p.envs) > 0 {
			id += strings.ToLower(p.envs[0])
		}
		if explicit := toList(lc["Phases"]); i < len(explicit) {
			id = str(explicit[i].(map[string]any), "Id")
		}
		phases = append(phases, Doc{"Id": id, "Name": p.name, "Progress": progress, "Blocked": false,
			"AutomaticDeploymentTargets": anySlice(orEmpty(auto)), "OptionalDeploymentTargets": anySlice(orEmpty(optional)),
			"IsOptionalPhase": p.optional, "IsPriorityPhase": false, "MinimumEnvironmentsBeforePromotion": p.minimum,
			"Deployments": phaseDeps})
	}
	next := []any{}
	if !strings.EqualFold(str(project.doc, "TenantedDeploymentMode"), "Tenanted") {
		for _, e := range s.promotable(space, rel.doc, project.doc, nil) {
			if !done[strings.ToLower(str(e, "Id"))] {
				next = append(next, e["Id"])
			}
		}
	}
	return Doc{
		"Id":                             "progression-" + str(rel.doc, "Id"),
		"Phases":                         phases,
		"NextDeployments":                next,
		"NextDeploymentsMinimumRequired": max(minimum, 0),
		"LastModifiedBy":                 nil,
		"LastModifiedOn":                 nil,
		"Links":                          map[string]any{"Self": selfLink(releasesKind, rel.doc) + "/progression"},
	}, nil
}
