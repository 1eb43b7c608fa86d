package emulator

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Lifecycle progression: a release is deployed to the environments of a
// lifecycle's phases in order. A deployment to an environment of phase n
// needs every earlier required phase complete for the release: at least
// MinimumEnvironmentsBeforePromotion of its environments (all of them when
// 0) with a successful deployment of the release; optional phases
// (IsOptionalPhase) never hold the release back
// (octopus.com/docs/releases/lifecycles; OctopusDeploy/Issues #9810 on
// optional phases). A lifecycle without phases is generated from the
// space's environments in their sort order, one phase each. Tenanted
// deployments progress per tenant: only the environments the tenant is
// connected to count, and a phase with none of them is skipped
// (OctopusDeploy/Issues #4709). Redeploying a release to an environment it
// already reached is always allowed (OctopusDeploy/Issues #2449).

// phase is one lifecycle phase, resolved.
type phase struct {
	name     string
	envs     []string
	optional bool
	minimum  int
}

// releaseLifecycle returns the lifecycle that governs a release: its
// channel's, else its project's.
func (s *Server) releaseLifecycle(space string, rel Doc) Doc {
	if ch := s.st.get(channelsKind.Name, space, str(rel, "ChannelId")); ch != nil {
		if lc := s.st.get(lifecyclesKind.Name, space, str(ch.doc, "LifecycleId")); lc != nil {
			return lc.doc
		}
	}
	if p := s.st.get(projectsKind.Name, space, str(rel, "ProjectId")); p != nil {
		if lc := s.st.get(lifecyclesKind.Name, space, str(p.doc, "LifecycleId")); lc != nil {
			return lc.doc
		}
	}
	return nil
}

// lifecyclePhases resolves a lifecycle's phases (generated ones when it has
// none).
func (s *Server) lifecyclePhases(space string, lc Doc) []phase {
	var out []phase
	for _, x := range toList(lc["Phases"]) {
		ph, ok := x.(map[string]any)
		if !ok {
			continue
		}
		p := phase{name: str(ph, "Name"), optional: boolean(ph, "IsOptionalPhase")}
		p.envs = append(strs(ph, "AutomaticDeploymentTargets"), strs(ph, "OptionalDeploymentTargets")...)
		p.minimum, _ = integer(ph, "MinimumEnvironmentsBeforePromotion")
		out = append(out, p)
	}
	if len(out) > 0 {
		return out
	}
	var envs []Doc
	for _, rec := range s.st.all(environmentsKind.Name) {
		if strings.EqualFold(rec.space, space) {
			envs = append(envs, rec.doc)
		}
	}
	sort.SliceStable(envs, func(i, j int) bool { return bySortOrder(envs[i], envs[j]) })
	for _, e := range envs {
		out = append(out, phase{name: str(e, "Name"), envs: []string{str(e, "Id")}})
	}
	return out
}

// lifecycleEnvironments returns the IDs of every environment a lifecycle
// reaches, in phase order.
func (s *Server) lifecycleEnvironments(space string, lc Doc) []string {
	var out []string
	for _, p := range s.lifecyclePhases(space, lc) {
		for _, e := range p.envs {
			if !containsFold(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}

// deployedTo reports which environments a release has been deployed to
// (for the tenant, when tenantID is not ""): with successOnly, by a
// deployment whose task succeeded.
func (s *Server) deployedTo(space, releaseID, tenantID string, successOnly bool) map[string]bool {
	out := map[string]bool{}
	for _, rec := range s.st.all(deploymentsKind.Name) {
		d := rec.doc
		if !strings.EqualFold(rec.space, space) || !strings.EqualFold(str(d, "ReleaseId"), releaseID) {
			continue
		}
		if tenantID != "" && !strings.EqualFold(str(d, "TenantId"), tenantID) {
			continue
		}
		if successOnly {
			task := s.st.get(tasksKind.Name, "", str(d, "TaskId"))
			if task == nil || str(task.doc, "State") != taskSuccess {
				continue
			}
		}
		out[strings.ToLower(str(d, "EnvironmentId"))] = true
	}
	return out
}

// checkProgression refuses a deployment of rel to env (for tenant, when not
// nil) that the lifecycle does not allow yet.
func (s *Server) checkProgression(space string, rel, project, env, tenant Doc) error {
	lc := s.releaseLifecycle(space, rel)
	if lc == nil {
		return nil
	}
	phases := s.lifecyclePhases(space, lc)
	envID := str(env, "Id")
	at := -1
	for i, p := range phases {
		if containsFold(p.envs, envID) {
			at = i
			break
		}
	}
	// The real server's wording for these refusals is not published; the
	// Octopus CLI's own message for the same case (OctopusDeploy/
	// OctopusClients#161) names the causes: the environment is not in the
	// lifecycle, or the lifecycle has not reached its phase.
	if at < 0 {
		return badRequest(fmt.Sprintf("Release '%s' of project '%s' cannot be deployed to the environment '%s': the environment is not in the lifecycle '%s'.",
			str(rel, "Version"), str(project, "Name"), str(env, "Name"), str(lc, "Name")))
	}
	tenantID := ""
	var connected []string
	if tenant != nil {
		tenantID = str(tenant, "Id")
		pe, _ := tenant["ProjectEnvironments"].(map[string]any)
		envs, _ := lookup(pe, str(project, "Id")).([]any)
		connected = anyStrings(envs)
	}
	if s.deployedTo(space, str(rel, "Id"), tenantID, false)[strings.ToLower(envID)] {
		return nil // a redeployment
	}
	done := s.deployedTo(space, str(rel, "Id"), tenantID, true)
	for _, p := range phases[:at] {
		if p.optional {
			continue
		}
		relevant := p.envs
		if tenant != nil {
			relevant = nil
			for _, e := range p.envs {
				if containsFold(connected, e) {
					relevant = append(relevant, e)
				}
			}
		}
		if len(relevant) == 0 {
			continue
		}
		need := len(relevant)
		if p.minimum > 0 && p.minimum < need {
			need = p.minimum
		}
		have := 0
		for _, e := range relevant {
			if done[strings.ToLower(e)] {
				have++
			}
		}
		if have < need {
			who := ""
			if tenant != nil {
				who = " for the tenant '" + str(tenant, "Name") + "'"
			}
			return badRequest(fmt.Sprintf("Release '%s' of project '%s' cannot be deployed to the environment '%s'%s: the lifecycle '%s' has not reached this phase; the phase '%s' needs %d successful deployment(s) of the release first and has %d.",
				str(rel, "Version"), str(project, "Name"), str(env, "Name"), who, str(lc, "Name"), p.name, need, have))
		}
	}
	return nil
}

func init() {
	addRoute(http.MethodGet, "lifecycles/{id}/preview", RouteSpace, func(c *Call) (any, error) {
		rec, err := c.srv.find(c, lifecyclesKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		return c.srv.lifecyclePreview(c, rec), nil
	})
	addRoute(http.MethodGet, "lifecycles/previews", RouteSpace, func(c *Call) (any, error) {
		out := []any{}
		for _, id := range c.Query("ids") {
			rec, err := c.srv.find(c, lifecyclesKind, id)
			if err != nil {
				return nil, err
			}
			out = append(out, c.srv.lifecyclePreview(c, rec))
		}
		return out, nil
	})
}

// lifecyclePreview is a lifecycle as deployments see it (GET
// lifecycles/{id}/preview): a lifecycle without phases gets its generated
// ones, one per environment of the space.
func (s *Server) lifecyclePreview(c *Call, rec *record) Doc {
	d := s.present(lifecyclesKind, rec)
	if len(toList(d["Phases"])) > 0 {
		return d
	}
	phases := []any{}
	for _, p := range s.lifecyclePhases(c.SpaceID, rec.doc) {
		phases = append(phases, Doc{"Id": "phase-" + strings.ToLower(p.envs[0]), "Name": p.name,
			"AutomaticDeploymentTargets": []any{}, "OptionalDeploymentTargets": anySlice(p.envs),
			"MinimumEnvironmentsBeforePromotion": 0, "IsOptionalPhase": false, "IsPriorityPhase": false,
			"ReleaseRetentionPolicy": nil, "TentacleRetentionPolicy": nil})
	}
	d["Phases"] = phases
	return d
}
