package emulator

import "testing"

// grant.allows, dimension by dimension, including documents in several
// environments (machines, accounts) and the "no tenant" of an untenanted
// deployment.
func TestGrantAllows(t *testing.T) {
	t.Parallel()
	g := grant{perms: map[string]bool{"DeploymentCreate": true, "MachineView": true, "ProjectView": true},
		r: restriction{environments: []string{"Environments-1"}, tenants: []string{"Tenants-1"}, projectGroups: []string{"ProjectGroups-1"}}}
	for _, tc := range []struct {
		perm string
		sc   resScope
		want bool
	}{
		{"DeploymentCreate", resScope{restrictEnvironments: "environments-1", restrictTenants: "Tenants-1"}, true},
		{"DeploymentCreate", resScope{restrictEnvironments: "Environments-2", restrictTenants: "Tenants-1"}, false},
		{"DeploymentCreate", resScope{restrictEnvironments: "Environments-1", restrictTenants: ""}, false},
		{"DeploymentCreate", resScope{restrictEnvironments: "Environments-1", restrictTenants: "Tenants-1", restrictProjects: "Projects-1", restrictProjectGroups: "ProjectGroups-1"}, true},
		{"DeploymentCreate", resScope{restrictEnvironments: "Environments-1", restrictTenants: "Tenants-1", restrictProjects: "Projects-1", restrictProjectGroups: "ProjectGroups-2"}, false},
		{"DeploymentCreate", resScope{}, true}, // a list: its items are checked one by one
		{"MachineView", resScope{restrictEnvironments: "Environments-3,Environments-1"}, true},
		{"MachineView", resScope{restrictEnvironments: "Environments-3,Environments-4"}, false},
		{"MachineView", resScope{restrictTenants: "Tenants-9"}, true}, // not restrictable to tenants
		{"ProjectView", resScope{restrictEnvironments: "Environments-2", restrictProjects: "Projects-1", restrictProjectGroups: "ProjectGroups-1"}, true},
		{"ReleaseCreate", resScope{}, false}, // not granted
	} {
		if got := g.allows(tc.perm, tc.sc); got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.perm, tc.sc, got, tc.want)
		}
	}
}
