package emulator

import (
	"net/http"
	"strings"
)

// Machine policies: every space has a "Default Machine Policy" (IsDefault),
// which deployment targets and workers get when they name none; the
// template route serves the defaults a new policy starts from.

var machinePoliciesKind *Kind

func init() {
	machinePoliciesKind = registerKind(&Kind{
		Name:          "MachinePolicies",
		Segment:       "machinepolicies",
		ItemType:      "MachinePolicy",
		NameField:     "Name",
		UniqueNames:   true,
		TemplateQuery: "{?skip,take,ids,partialName}",
		Defaults: func(c *Call, d Doc) error {
			d["IsDefault"] = false
			return nil
		},
		Shape:        machinePolicyShape,
		BeforeUpdate: keepProps("IsDefault"),
		BeforeDelete: func(c *Call, d Doc) error {
			if boolean(d, "IsDefault") {
				return badRequest("The default machine policy cannot be deleted.")
			}
			for _, k := range []string{"Machines", "Workers"} {
				if err := refusedIfReferenced(c, d, k, "MachinePolicyId", "machine policy"); err != nil {
					return err
				}
			}
			return nil
		},
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{"Machines": self + "/machines{?skip,take}", "Workers": self + "/workers{?skip,take}"}
		},
	})
	onSpaceCreated(func(c *Call, _ Doc) error {
		_, err := c.srv.createWithID(c, machinePoliciesKind, Doc{"Name": "Default Machine Policy",
			"Description": "This is the default machine policy for the space."}, "")
		if err != nil {
			return err
		}
		id := defaultMachinePolicy(c)
		c.srv.patch(machinePoliciesKind, c.SpaceID, id, Doc{"IsDefault": true})
		return nil
	})
	addRoute(http.MethodGet, "machinepolicies/template", RouteSpace, func(c *Call) (any, error) {
		d := Doc{"Id": nil, "SpaceId": c.SpaceID, "Name": "", "Description": "", "IsDefault": false, "Links": map[string]any{}}
		machinePolicyShape(d)
		return d, nil
	})
	for _, sub := range []string{"machines", "workers"} {
		kindName := map[string]string{"machines": "Machines", "workers": "Workers"}[sub]
		addRoute(http.MethodGet, "machinepolicies/{id}/"+sub, RouteSpace, func(c *Call) (any, error) {
			p, err := c.srv.find(c, machinePoliciesKind, c.Param("id"))
			if err != nil {
				return nil, err
			}
			k := kind(kindName)
			return c.srv.relatedPage(c, k, "MachinePolicyId", str(p.doc, "Id"), "machinepolicies/"+str(p.doc, "Id")+"/"+sub, "{?skip,take}")
		})
	}
}

// machinePolicyShape fills the policy's settings with the real server's
// defaults (the Default Machine Policy of a fresh instance).
func machinePolicyShape(d Doc) {
	ensure(d, "Description", "")
	ensure(d, "ConnectionConnectTimeout", "00:01:00")
	ensure(d, "ConnectionRetryCountLimit", 5)
	ensure(d, "ConnectionRetrySleepInterval", "00:00:01")
	ensure(d, "ConnectionRetryTimeLimit", "00:05:00")
	ensure(d, "PollingRequestQueueTimeout", "00:02:00")
	ensure(d, "MachineCleanupPolicy", Doc{"DeleteMachinesBehavior": "DoNotDelete", "DeleteMachinesElapsedTimeSpan": "1.00:00:00"})
	ensure(d, "MachineConnectivityPolicy", Doc{"MachineConnectivityBehavior": "ExpectedToBeOnline"})
	ensure(d, "MachineHealthCheckPolicy", Doc{
		"HealthCheckType":             "RunScript",
		"HealthCheckInterval":         "1.00:00:00",
		"HealthCheckCron":             nil,
		"HealthCheckCronTimezone":     "UTC",
		"BashHealthCheckPolicy":       Doc{"RunType": "Inline", "ScriptBody": ""},
		"PowerShellHealthCheckPolicy": Doc{"RunType": "Inline", "ScriptBody": ""},
	})
	ensure(d, "MachinePackageCacheRetentionPolicy", Doc{"Strategy": "Default", "QuantityOfPackagesToKeep": nil, "PackageUnit": nil,
		"QuantityOfVersionsToKeep": nil, "VersionUnit": nil})
	ensure(d, "MachineRpcCallRetryPolicy", Doc{"Enabled": true, "RetryDuration": "00:02:30", "HealthCheckRetryDuration": "00:02:30"})
	ensure(d, "MachineUpdatePolicy", Doc{"CalamariUpdateBehavior": "UpdateOnDeployment", "TentacleUpdateBehavior": "NeverUpdate",
		"KubernetesAgentUpdateBehavior": "Update", "TentacleUpdateAccountId": nil})
}

// defaultMachinePolicy is the ID of the call's space's default machine
// policy ("" when the space has none: a state saved before they existed).
func defaultMachinePolicy(c *Call) string {
	var first string
	for _, r := range c.srv.st.all(machinePoliciesKind.Name) {
		if !strings.EqualFold(r.space, c.SpaceID) {
			continue
		}
		if boolean(r.doc, "IsDefault") {
			return str(r.doc, "Id")
		}
		if first == "" {
			first = str(r.doc, "Id")
		}
	}
	return first
}
