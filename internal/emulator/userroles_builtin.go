package emulator

import (
	"fmt"
	"strings"
)

// The built-in user roles and system teams of a fresh Octopus Server. Names
// and descriptions follow octopus.com/docs/security/users-and-teams/user-roles;
// the IDs follow the real "userroles-<name without spaces>" pattern
// (userroles-spacemanager, userroles-projectdeployer and
// userroles-releasecreator appear in public Terraform code). The permission
// sets are condensed from the "Default permissions for built-in user roles"
// page; where that page is not precise the sets are a best effort.

// permissionNames is the swagger 2026.1 Permission enum.
var permissionNames = strings.Fields(`AdministerSystem ProjectEdit ProjectView ProjectCreate ProjectDelete
ProcessView ProcessEdit VariableEdit VariableEditUnscoped VariableView VariableViewUnscoped ReleaseCreate
ReleaseView ReleaseEdit ReleaseDelete DefectReport DefectResolve DeploymentCreate DeploymentDelete
DeploymentView EnvironmentView EnvironmentCreate EnvironmentEdit EnvironmentDelete MachineCreate
MachineEdit MachineView MachineDelete ArtifactView ArtifactCreate ArtifactEdit ArtifactDelete FeedView
EventView LibraryVariableSetView LibraryVariableSetCreate LibraryVariableSetEdit LibraryVariableSetDelete
ProjectGroupView ProjectGroupCreate ProjectGroupEdit ProjectGroupDelete TeamCreate TeamView TeamEdit
TeamDelete UserView UserInvite UserRoleView UserRoleEdit TaskView TaskCreate TaskCancel TaskEdit
TaskPrioritize InterruptionView InterruptionSubmit InterruptionViewSubmitResponsible BuiltInFeedPush
BuiltInFeedAdminister BuiltInFeedDownload ActionTemplateView ActionTemplateCreate ActionTemplateEdit
ActionTemplateDelete LifecycleCreate LifecycleView LifecycleEdit LifecycleDelete AccountView AccountEdit
AccountCreate AccountDelete TenantCreate TenantEdit TenantView TenantDelete TagSetCreate TagSetEdit
TagSetDelete TelemetryView MachinePolicyCreate MachinePolicyView MachinePolicyEdit MachinePolicyDelete
ProxyCreate ProxyView ProxyEdit ProxyDelete SubscriptionCreate SubscriptionView SubscriptionEdit
SubscriptionDelete TriggerCreate TriggerView TriggerEdit TriggerDelete CertificateView CertificateCreate
CertificateEdit CertificateDelete CertificateExportPrivateKey UserEdit ConfigureServer FeedEdit WorkerView
WorkerEdit SpaceEdit SpaceView SpaceDelete SpaceCreate BuildInformationPush BuildInformationAdminister
RunbookView RunbookEdit RunbookRunView RunbookRunDelete RunbookRunCreate GitCredentialView GitCredentialEdit
EventRetentionDelete EventRetentionView InsightsReportView InsightsReportCreate InsightsReportEdit
InsightsReportDelete DeploymentFreezeAdminister TargetTagView TargetTagAdminister PlatformHubView
PlatformHubEdit RetentionAdminister FeatureToggleEdit`)

// knownPermissions indexes permissionNames.
var knownPermissions = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range permissionNames {
		m[p] = true
	}
	return m
}()

// systemPermissions are the permissions granted at the system level.
var systemPermissions = strings.Fields(`AdministerSystem ConfigureServer SpaceCreate SpaceDelete SpaceEdit
SpaceView TeamCreate TeamDelete TeamEdit TeamView UserEdit UserInvite UserRoleEdit UserRoleView UserView
EventView EventRetentionDelete EventRetentionView TaskView TaskCreate TaskCancel TaskEdit TelemetryView
PlatformHubView PlatformHubEdit RetentionAdminister FeatureToggleEdit`)

// spacePermissions are every permission that applies inside a space.
var spacePermissions = func() []string {
	sys := map[string]bool{}
	for _, p := range strings.Fields(`AdministerSystem ConfigureServer SpaceCreate SpaceDelete UserEdit UserInvite
UserRoleEdit EventRetentionDelete EventRetentionView TelemetryView PlatformHubView PlatformHubEdit RetentionAdminister FeatureToggleEdit`) {
		sys[p] = true
	}
	var out []string
	for _, p := range permissionNames {
		if !sys[p] {
			out = append(out, p)
		}
	}
	return out
}()

// Permission groups the built-in roles are made of.
var (
	permsProjectViewer = strings.Fields(`ProjectView ProcessView ReleaseView DeploymentView EnvironmentView
LifecycleView TaskView ArtifactView InterruptionView TenantView ProjectGroupView LibraryVariableSetView
FeedView RunbookView RunbookRunView TriggerView CertificateView ActionTemplateView TeamView`)
	permsProjectContributor = append(strings.Fields(`ProjectEdit ProcessEdit VariableEdit VariableEditUnscoped VariableView
VariableViewUnscoped TriggerCreate TriggerEdit TriggerDelete RunbookEdit ArtifactCreate ArtifactEdit ArtifactDelete
InterruptionSubmit DefectReport DefectResolve MachineView MachinePolicyView WorkerView AccountView GitCredentialView
BuiltInFeedDownload`), permsProjectViewer...)
	permsProjectDeployer = append(strings.Fields(`DeploymentCreate RunbookRunCreate InterruptionViewSubmitResponsible`), permsProjectContributor...)
	permsProjectLead     = append(strings.Fields(`ReleaseCreate ReleaseEdit ReleaseDelete`), permsProjectContributor...)
	permsEnvViewer       = strings.Fields(`EnvironmentView MachineView MachinePolicyView ProxyView WorkerView TargetTagView`)
	permsEnvManager      = append(strings.Fields(`EnvironmentCreate EnvironmentEdit EnvironmentDelete MachineCreate MachineEdit
MachineDelete MachinePolicyCreate MachinePolicyEdit MachinePolicyDelete ProxyCreate ProxyEdit ProxyDelete WorkerEdit
AccountView TaskView TaskCreate TargetTagAdminister`), permsEnvViewer...)
	permsRunbookConsumer = strings.Fields(`ProjectView RunbookView RunbookRunView RunbookRunCreate EnvironmentView TaskView
TenantView LifecycleView ProjectGroupView FeedView InterruptionView InterruptionSubmit ArtifactView`)
	permsRunbookProducer = append(strings.Fields(`RunbookEdit ProcessView VariableView VariableEdit LibraryVariableSetView
ActionTemplateView CertificateView AccountView MachineView WorkerView BuiltInFeedDownload`), permsRunbookConsumer...)
)

// builtInRole is one seeded role.
type builtInRole struct {
	id, name, description string
	space, system         []string
}

var builtInRoles = []builtInRole{
	{"userroles-buildserver", "Build server", "Build servers can publish packages, and create releases, deployments, runbook snapshots and runbook runs.",
		strings.Fields(`BuildInformationAdminister BuildInformationPush BuiltInFeedAdminister BuiltInFeedDownload BuiltInFeedPush DeploymentCreate DeploymentView EnvironmentView FeedView LibraryVariableSetView LifecycleView ProcessView ProjectView ReleaseCreate ReleaseView RunbookEdit RunbookRunCreate RunbookRunView RunbookView TaskView TenantView`), nil},
	{"userroles-certificatemanager", "Certificate manager", "Certificate managers can edit certificates and export private-keys",
		strings.Fields(`CertificateCreate CertificateDelete CertificateEdit CertificateExportPrivateKey CertificateView EnvironmentView TenantView`), nil},
	{"userroles-deploymentcreator", "Deployment creator", "Deployment creators can create new deployments and runbook runs.",
		strings.Fields(`DeploymentCreate DeploymentView EnvironmentView LifecycleView ProcessView ProjectView ReleaseView RunbookRunCreate RunbookRunView RunbookView TaskView TenantView`), nil},
	{"userroles-environmentmanager", "Environment manager", "Environment managers can view and edit environments and their machines.", permsEnvManager, nil},
	{"userroles-environmentviewer", "Environment viewer", "Environment viewers can view environments and their machines, but not edit them.", permsEnvViewer, nil},
	{"userroles-packagepublisher", "Package publisher", "Permits packages to be pushed to the Octopus Server's built-in NuGet feed.",
		strings.Fields(`BuildInformationPush BuiltInFeedPush FeedView`), nil},
	{"userroles-projectcontributor", "Project contributor", "All project viewer permissions, plus: editing and viewing variables, editing the deployment steps. Project contributors can't create or deploy releases.", permsProjectContributor, nil},
	{"userroles-projectdeployer", "Project deployer", "All project contributor permissions, plus: deploying releases, but not creating them.", permsProjectDeployer, nil},
	{"userroles-projectinitiator", "Project initiator", "All project viewer permissions, plus: create new projects.",
		append(strings.Fields(`ProjectCreate ProjectEdit ProcessEdit VariableEdit VariableView`), permsProjectViewer...), nil},
	{"userroles-projectlead", "Project lead", "All project contributor permissions, plus: creating releases, but not deploying them.", permsProjectLead, nil},
	{"userroles-projectviewer", "Project viewer", "Project viewers have read-only access to a project. They can see a project in their dashboard, view releases and deployments.", permsProjectViewer, nil},
	{"userroles-releasecreator", "Release creator", "Release creators can create new releases and runbook snapshots.",
		strings.Fields(`ReleaseCreate ReleaseView ProjectView ProcessView EnvironmentView LifecycleView FeedView TaskView RunbookView TenantView`), nil},
	{"userroles-runbookconsumer", "Runbook consumer", "Runbook consumers can view and execute runbooks.", permsRunbookConsumer, nil},
	{"userroles-runbookproducer", "Runbook producer", "Runbook producers can edit and execute runbooks.", permsRunbookProducer, nil},
	{spaceManagerRoleID, "Space manager", "Space managers can do everything within the context of the space they own.", spacePermissions,
		nil},
	{"userroles-systemadministrator", "System administrator", "System administrators can do everything at the system level.", nil, systemPermissions},
	{"userroles-systemmanager", "System manager", "System managers can do everything at the system level except certain system-level functions reserved for system administrators.", nil,
		without(systemPermissions, "AdministerSystem")},
	{"userroles-tenantmanager", "Tenant manager", "Tenant managers can edit tenants and their tags",
		strings.Fields(`TenantCreate TenantDelete TenantEdit TenantView TagSetCreate TagSetDelete TagSetEdit EnvironmentView ProjectView LibraryVariableSetView VariableView`), nil},
	{"userroles-usermanager", "User manager", "User managers can view and edit users and teams.", nil,
		strings.Fields(`TeamCreate TeamDelete TeamEdit TeamView UserEdit UserInvite UserRoleView UserView`)},
}

// seedUserRoles creates the built-in roles (CanBeDeleted false).
func (s *Server) seedUserRoles(c *Call) error {
	for _, r := range builtInRoles {
		d := Doc{
			"Name":                     r.name,
			"Description":              r.description,
			"GrantedSpacePermissions":  anySlice(dedupe(r.space)),
			"GrantedSystemPermissions": anySlice(dedupe(r.system)),
		}
		if _, err := s.createWithID(c, userRolesKind, d, r.id); err != nil {
			return fmt.Errorf("seed user role %s: %w", r.id, err)
		}
		s.patch(userRolesKind, "", r.id, Doc{"CanBeDeleted": false})
	}
	return nil
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, p := range list {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// System team IDs of a fresh server.
const (
	administratorsTeamID = "teams-administrators"
	managersTeamID       = "teams-managers"
	everyoneTeamID       = "teams-everyone"
)

// seedSystemTeams creates the system teams, makes the admin user an
// Octopus Administrator and binds the system roles.
func (s *Server) seedSystemTeams(c *Call) error {
	adminID := ""
	for _, u := range s.st.all(usersKind.Name) {
		if strings.EqualFold(str(u.doc, "Username"), adminUsername) {
			adminID = str(u.doc, "Id")
		}
	}
	teams := []struct {
		id, name, description string
		members               []any
		canChangeMembers      bool
		role                  string
	}{
		{administratorsTeamID, "Octopus Administrators", "Octopus Administrators can do everything.", []any{adminID}, true, "userroles-systemadministrator"},
		{managersTeamID, "Octopus Managers", "Octopus Managers can do everything except certain system-level functions reserved for Octopus Administrators.", []any{}, true, "userroles-systemmanager"},
		{everyoneTeamID, "Everyone", "Everyone is a member of this team; its roles apply to every user.", []any{}, false, ""},
	}
	for _, t := range teams {
		d := Doc{
			"Name":                   t.name,
			"Description":            t.description,
			"SpaceId":                nil,
			"MemberUserIds":          t.members,
			"ExternalSecurityGroups": []any{},
		}
		if _, err := s.createWithID(c, teamsKind, d, t.id); err != nil {
			return fmt.Errorf("seed team %s: %w", t.id, err)
		}
		s.patch(teamsKind, "", t.id, Doc{"CanBeDeleted": false, "CanBeRenamed": false, "CanChangeMembers": t.canChangeMembers, "CanChangeRoles": t.id != administratorsTeamID})
		if t.role == "" {
			continue
		}
		if _, err := s.create(c, scopedUserRolesKind, Doc{"TeamId": t.id, "UserRoleId": t.role, "SpaceId": nil}); err != nil {
			return fmt.Errorf("seed role of team %s: %w", t.id, err)
		}
	}
	return nil
}
