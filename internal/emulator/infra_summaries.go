package emulator

import (
	"net/http"
	"slices"
	"strings"
)

// Infrastructure summaries: /environments/summary and /workerpools/summary
// count the deployment targets and workers per environment and worker pool,
// by health status, communication style and tenant, as the portal's
// infrastructure overview reads them.

func init() {
	addRoute(http.MethodGet, "environments/summary", RouteSpace, func(c *Call) (any, error) {
		envs := c.srv.selected(c, environmentsKind)
		all := c.srv.selected(c, machinesKind)
		var summaries []any
		for _, env := range envs {
			id := str(env.doc, "Id")
			var ms []*record
			for _, m := range all {
				if slices.ContainsFunc(strs(m.doc, "EnvironmentIds"), func(e string) bool { return strings.EqualFold(e, id) }) {
					ms = append(ms, m)
				}
			}
			if len(ms) == 0 && c.queryBool("hideEmptyEnvironments", false) {
				continue
			}
			sum := machineSummary(ms, true)
			sum["Environment"] = c.srv.present(environmentsKind, env)
			summaries = append(summaries, sum)
		}
		out := machineSummary(all, true)
		out["EnvironmentSummaries"] = append([]any{}, summaries...)
		return out, nil
	})
	addRoute(http.MethodGet, "workerpools/summary", RouteSpace, func(c *Call) (any, error) {
		pools := c.srv.selected(c, workerPoolsKind)
		all := c.srv.selected(c, workersKind)
		summaries := []any{}
		for _, pool := range pools {
			id := str(pool.doc, "Id")
			var ws []*record
			for _, w := range all {
				if slices.ContainsFunc(strs(w.doc, "WorkerPoolIds"), func(p string) bool { return strings.EqualFold(p, id) }) {
					ws = append(ws, w)
				}
			}
			if len(ws) == 0 && c.queryBool("hideEmptyWorkerPools", false) {
				continue
			}
			sum := machineSummary(ws, false)
			sum["WorkerPool"] = c.srv.present(workerPoolsKind, pool)
			summaries = append(summaries, sum)
		}
		out := machineSummary(all, false)
		out["WorkerPoolSummaries"] = summaries
		return out, nil
	})
}

// machineSummary counts machines as the summary resources do. Targets also
// count by tenant and tenant tag.
func machineSummary(ms []*record, targets bool) Doc {
	health := map[string]any{}
	for _, h := range []string{"Healthy", "Unavailable", "Unknown", "HasWarnings", "Unhealthy"} {
		health[h] = 0
	}
	endpoints := map[string]any{}
	tenants := map[string]any{}
	tags := map[string]any{}
	disabled := 0
	inc := func(m map[string]any, k string) {
		n, _ := m[k].(int)
		m[k] = n + 1
	}
	for _, r := range ms {
		inc(health, str(r.doc, "HealthStatus"))
		ep, _ := r.doc["Endpoint"].(map[string]any)
		inc(endpoints, str(ep, "CommunicationStyle"))
		if boolean(r.doc, "IsDisabled") {
			disabled++
		}
		for _, t := range strs(r.doc, "TenantIds") {
			inc(tenants, t)
		}
		for _, t := range strs(r.doc, "TenantTags") {
			inc(tags, t)
		}
	}
	d := Doc{
		"MachineHealthStatusSummaries": health,
		"MachineEndpointSummaries":     endpoints,
		"MachineIdsForCalamariUpgrade": []any{},
		"MachineIdsForTentacleUpgrade": []any{},
		"TentacleUpgradesRequired":     false,
		"TotalMachines":                len(ms),
		"TotalDisabledMachines":        disabled,
	}
	if targets {
		d["MachineTenantSummaries"] = tenants
		d["MachineTenantTagSummaries"] = tags
	}
	return d
}
