package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Deployment targets ("machines") and workers, registered through the API
// as the Octopus CLI and Terraform provider do (POST /machines with an
// Endpoint). No agent ever connects: the emulator simulates a health check
// that passes at registration, so a new machine is Healthy (disabling one
// does not change its last health status, as on the real server).

var machinesKind, workersKind *Kind

// communicationStyles are the EndpointResource.CommunicationStyle values.
var communicationStyles = []string{"None", "TentaclePassive", "TentacleActive", "Ssh", "OfflineDrop", "AzureWebApp", "Ftp",
	"AzureCloudService", "AzureServiceFabricCluster", "Kubernetes", "StepPackage", "KubernetesTentacle"}

// machineOwned are the properties the server decides.
var machineOwned = []string{"HealthStatus", "StatusSummary", "HasLatestCalamari", "IsInProcess"}

func init() {
	machinesKind = registerKind(&Kind{
		Name:          "Machines",
		Segment:       "machines",
		ItemType:      "DeploymentTarget",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?skip,take,name,ids,partialName,roles,isDisabled,healthStatuses,commStyles,tenantIds,tenantTags,environmentIds,thumbprint,deploymentId,shellNames}",
		Less:          byName,
		Defaults:      machineDefaults,
		Shape: func(d Doc) {
			machineShape(d)
			ensure(d, "EnvironmentIds", []any{})
			ensure(d, "Roles", []any{})
			ensure(d, "TenantIds", []any{})
			ensure(d, "TenantTags", []any{})
			ensure(d, "TenantedDeploymentParticipation", "Untenanted")
		},
		BeforeUpdate: keepProps(machineOwned...),
		Validate: func(c *Call, d, _ Doc) error {
			if err := validateMachine(c, d); err != nil {
				return err
			}
			if len(strs(d, "EnvironmentIds")) == 0 {
				return badRequest("Please specify at least one environment for the deployment target.")
			}
			if len(strs(d, "Roles")) == 0 {
				return badRequest("Please specify at least one target tag (role) for the deployment target.")
			}
			return validateTenantScope(c, d)
		},
		Filter: func(c *Call, d Doc) bool {
			return machineFilter(c, d) &&
				anyMatch(c.Query("roles"), strs(d, "Roles")) &&
				anyMatch(c.Query("environmentIds"), strs(d, "EnvironmentIds")) &&
				anyMatch(c.Query("tenantIds"), strs(d, "TenantIds")) &&
				anyMatch(c.Query("tenantTags"), strs(d, "TenantTags"))
		},
	})
	workersKind = registerKind(&Kind{
		Name:          "Workers",
		Segment:       "workers",
		ItemType:      "Worker",
		NameField:     "Name",
		UniqueNames:   true,
		Slugged:       true,
		TemplateQuery: "{?skip,take,name,ids,partialName,isDisabled,healthStatuses,commStyles,workerPoolIds,thumbprint,shellNames}",
		Less:          byName,
		Defaults:      machineDefaults,
		Shape: func(d Doc) {
			machineShape(d)
			ensure(d, "WorkerPoolIds", []any{})
		},
		BeforeUpdate: keepProps(machineOwned...),
		Validate: func(c *Call, d, _ Doc) error {
			if err := validateMachine(c, d); err != nil {
				return err
			}
			pools := strs(d, "WorkerPoolIds")
			if len(pools) == 0 {
				return badRequest("Please specify at least one worker pool for the worker.")
			}
			for _, id := range pools {
				if !c.srv.exists("WorkerPools", c.SpaceID, id) {
					return badRequest(fmt.Sprintf("WorkerPoolIds: '%s' does not exist in space %s.", id, c.SpaceID))
				}
			}
			return nil
		},
		Filter: func(c *Call, d Doc) bool {
			return machineFilter(c, d) && anyMatch(c.Query("workerPoolIds"), strs(d, "WorkerPoolIds"))
		},
	})

	addRoute(http.MethodGet, "environments/{id}/machines", RouteSpace, func(c *Call) (any, error) {
		env, err := c.srv.find(c, environmentsKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		id := str(env.doc, "Id")
		items := []Doc{}
		for _, rec := range c.srv.selected(c, machinesKind) {
			if slices.ContainsFunc(strs(rec.doc, "EnvironmentIds"), func(e string) bool { return strings.EqualFold(e, id) }) {
				items = append(items, c.srv.present(machinesKind, rec))
			}
		}
		return c.srv.page(c, machinesKind.ItemType, "environments/"+id+"/machines", "{?skip,take,partialName,roles,isDisabled,healthStatuses,commStyles,tenantIds,tenantTags,shellNames}", items)
	})
	addRoute(http.MethodGet, "workerpools/{id}/workers", RouteSpace, func(c *Call) (any, error) {
		pool, err := c.srv.find(c, workerPoolsKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		id := str(pool.doc, "Id")
		items := []Doc{}
		for _, rec := range c.srv.selected(c, workersKind) {
			if slices.ContainsFunc(strs(rec.doc, "WorkerPoolIds"), func(p string) bool { return strings.EqualFold(p, id) }) {
				items = append(items, c.srv.present(workersKind, rec))
			}
		}
		return c.srv.page(c, workersKind.ItemType, "workerpools/"+id+"/workers", "{?skip,take}", items)
	})
	addRoute(http.MethodGet, "machineroles/all", RouteSpace, func(c *Call) (any, error) {
		return distinct(c, machinesKind, func(d Doc) []string { return strs(d, "Roles") }), nil
	})
	for _, k := range []string{"machines", "workers"} {
		kindName := map[string]string{"machines": "Machines", "workers": "Workers"}[k]
		addRoute(http.MethodGet, k+"/operatingsystem/names/all", RouteSpace, func(c *Call) (any, error) {
			return distinct(c, kind(kindName), func(d Doc) []string { return []string{str(d, "OperatingSystem")} }), nil
		})
		addRoute(http.MethodGet, k+"/operatingsystem/shells/all", RouteSpace, func(c *Call) (any, error) {
			return distinct(c, kind(kindName), func(d Doc) []string { return []string{str(d, "ShellName")} }), nil
		})
	}
}

// machineDefaults sets what the simulated registration health check finds
// and the default machine policy of the space.
func machineDefaults(c *Call, d Doc) error {
	d["HealthStatus"] = "Healthy"
	d["StatusSummary"] = "This machine was registered through the API; the emulator's simulated health check passed."
	d["HasLatestCalamari"] = true
	d["IsInProcess"] = false
	if str(d, "MachinePolicyId") == "" {
		if id := defaultMachinePolicy(c); id != "" {
			d["MachinePolicyId"] = id
		}
	}
	return nil
}

// machineShape fills what targets and workers share.
func machineShape(d Doc) {
	ensure(d, "IsDisabled", false)
	ensure(d, "MachinePolicyId", nil)
	ensure(d, "Thumbprint", nil)
	ensure(d, "Uri", nil)
	ensure(d, "OperatingSystem", "Unknown")
	ensure(d, "ShellName", "Unknown")
	ensure(d, "ShellVersion", "Unknown")
	ensure(d, "Architecture", "Unknown")
	ensure(d, "SkipInitialHealthCheck", false)
}

// validateMachine checks what targets and workers share: an Endpoint with a
// known CommunicationStyle and an existing machine policy.
func validateMachine(c *Call, d Doc) error {
	ep, _ := d["Endpoint"].(map[string]any)
	if ep == nil {
		return badRequest("Please provide an Endpoint.")
	}
	if cs := str(ep, "CommunicationStyle"); !slices.Contains(communicationStyles, cs) {
		return badRequest(fmt.Sprintf("Endpoint.CommunicationStyle '%s' is not one of %s.", cs, strings.Join(communicationStyles, ", ")))
	}
	if id := str(d, "MachinePolicyId"); id != "" && !c.srv.exists("MachinePolicies", c.SpaceID, id) {
		return badRequest(fmt.Sprintf("MachinePolicyId: '%s' does not exist in space %s.", id, c.SpaceID))
	}
	return nil
}

// machineFilter applies the list filters targets and workers share.
func machineFilter(c *Call, d Doc) bool {
	if v := c.QueryValue("isDisabled"); v != "" && !strings.EqualFold(v, fmt.Sprint(boolean(d, "IsDisabled"))) {
		return false
	}
	if t := c.QueryValue("thumbprint"); t != "" && !strings.EqualFold(t, str(d, "Thumbprint")) {
		return false
	}
	ep, _ := d["Endpoint"].(map[string]any)
	return anyMatch(c.Query("healthStatuses"), []string{str(d, "HealthStatus")}) &&
		anyMatch(c.Query("commStyles"), []string{str(ep, "CommunicationStyle")}) &&
		anyMatch(c.Query("shellNames"), []string{str(d, "ShellName")})
}

// anyMatch is a list filter: true when the query names nothing or one of
// have, case-insensitively.
func anyMatch(want, have []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		for _, h := range have {
			if strings.EqualFold(w, h) {
				return true
			}
		}
	}
	return false
}

// distinct lists the sorted distinct non-empty values of the documents of k
// in the call's space.
func distinct(c *Call, k *Kind, values func(Doc) []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, rec := range c.srv.selected(c, k) {
		for _, v := range values(rec.doc) {
			if v != "" && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.Strings(out)
	return out
}
