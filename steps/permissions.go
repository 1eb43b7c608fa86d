package steps

import "slices"

// Permissions are the Octopus permissions an API key needs for a step:
// System ones granted by a system-level team role, Space ones by a role in
// the space the step works in (for steps that create the space, in every
// space it creates: a space's managers team gets them). Names are Octopus's
// permission names (the keys of UserPermissionSetResource.SpacePermissions
// and SystemPermissions in the swagger).
type Permissions struct {
	System []string `json:"system,omitempty"`
	Space  []string `json:"space,omitempty"`
}

// All returns the system and space permissions in one sorted list.
func (p Permissions) All() []string {
	all := append(append([]string(nil), p.System...), p.Space...)
	slices.Sort(all)
	return slices.Compact(all)
}

// StepPermissions lists, per step (Step.Name), the permissions its API key
// needs: what `octofleet doctor` checks, what `--help` and README print,
// and what the least-privilege tests grant. TestStepPermissionsCoverRequests
// (cmd/octofleet) derives the permissions from the requests each step makes
// against the emulator and fails when one is missing here.
//
// install's Trigger permissions are for --drift-schedule (TriggerEdit when
// it changes the schedule).
//
// TestLeastPrivilege (cmd/octofleet) runs the steps it has scenarios for
// with a custom role of exactly these permissions, then with each one the
// scenario's requests need taken away (the step must fail naming it), and
// fails on a permission listed here that no scenario needs and its
// lpNotProven does not explain. Steps that work in an existing space need
// no system SpaceView: a role in the space lets the key see it. Teams,
// their roles and the space's own settings are edited with the space's
// permissions (its managers hold them), not the system ones.
//
// Team reads (TeamView on a real server, per the built-in roles'
// descriptions) are not checked by the emulator, so no test derives them:
// they are listed from Octopus's role definitions.
var StepPermissions = map[string]Permissions{
	"create-space": {
		System: []string{"SpaceCreate", "SpaceView", "TeamView", "UserRoleView", "UserView"},
		Space: []string{"EnvironmentCreate", "EnvironmentEdit", "EnvironmentView", "LifecycleCreate", "LifecycleEdit", "LifecycleView",
			"ProjectGroupCreate", "ProjectGroupEdit", "ProjectGroupView", "SpaceEdit", "TagSetCreate", "TagSetEdit", "TeamCreate", "TeamEdit", "TeamView"},
	},
	"seed-templates": {
		Space: []string{"ActionTemplateCreate", "ActionTemplateDelete", "ActionTemplateEdit", "ActionTemplateView",
			"EnvironmentView", "FeedView", "LibraryVariableSetView", "LifecycleView", "ProcessEdit", "ProcessView", "ProjectCreate", "ProjectEdit", "ProjectGroupView",
			"ProjectView", "RunbookEdit", "RunbookView", "VariableEdit", "VariableView", "WorkerView"},
	},
	"clone-instance-settings": {
		System: []string{"AdministerSystem", "ConfigureServer", "SpaceView", "TeamCreate", "TeamEdit", "TeamView", "UserRoleEdit", "UserRoleView", "UserView"},
		Space:  []string{"SubscriptionCreate", "SubscriptionEdit", "SubscriptionView"},
	},
	"restore-instance-settings": {
		System: []string{"AdministerSystem", "ConfigureServer", "SpaceView", "TeamCreate", "TeamEdit", "TeamView", "UserRoleEdit", "UserRoleView", "UserView"},
		Space:  []string{"SubscriptionCreate", "SubscriptionEdit", "SubscriptionView"},
	},
	"create-facade-project": {
		System: []string{"SpaceCreate", "SpaceView", "TeamView", "UserRoleView", "UserView"},
		Space: []string{"EnvironmentCreate", "EnvironmentView", "LifecycleView", "ProcessEdit", "ProcessView", "ProjectCreate", "ProjectEdit",
			"ProjectGroupCreate", "ProjectGroupView", "ProjectView", "RunbookEdit", "RunbookView", "SpaceEdit", "TeamCreate", "TeamEdit", "TeamView", "VariableEdit", "VariableView"},
	},
	"trigger": {
		Space: []string{"DeploymentCreate", "EnvironmentView", "ProjectView", "ReleaseView", "RunbookRunCreate",
			"RunbookView", "TaskCancel", "TaskView", "TenantView"},
	},
	// check-drift's hub key reads the management space and plans the
	// tenant's steps; a tenant on another instance is planned with that
	// instance's key, which needs the View permissions of those steps.
	"check-drift": {
		Space: []string{"ActionTemplateView", "EnvironmentView", "ProjectView", "TenantView", "VariableView"},
	},
	"register-tenant": {
		Space: []string{"EnvironmentView", "ProjectView", "TenantCreate", "TenantEdit", "TenantView", "VariableView"},
	},
	"install": {
		System: []string{"SpaceCreate", "SpaceView", "UserView"},
		Space: []string{"ActionTemplateCreate", "ActionTemplateEdit", "ActionTemplateView", "BuiltInFeedPush", "EnvironmentCreate", "EnvironmentView",
			"FeedView", "LibraryVariableSetView", "LifecycleView", "ProjectCreate", "ProjectEdit", "ProjectGroupView", "ProjectView",
			"RunbookEdit", "RunbookView", "TagSetCreate", "TagSetEdit", "TriggerCreate", "TriggerEdit", "TriggerView",
			"VariableEdit", "VariableView", "WorkerView"},
	},
}
