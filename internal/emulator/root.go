package emulator

import (
	"net/http"
)

// rootLink is one link of the root documents. Space links are relative to
// "/api/{spaceId}/"; the server root carries them for the default space, the
// space root for its own space (the SDK prefers the space root's link and
// falls back to the server root's: RootResource.GetLinkPath).
type rootLink struct {
	name, path string
	space      bool
}

// rootLinks are the links of a real server root (2020.4 root in the SDK's
// constants_api_replies.go, 2023.1 root quoted in octopus-api.md §6).
var rootLinks = []rootLink{
	{"Self", "/api", false},
	{"SpaceHome", "/api/{spaceId}", false},
	{"Spaces", "/api/spaces{/id}{?skip,ids,take,partialName}", false},
	{"Users", "/api/users{/id}{?skip,take,ids,filter}", false},
	{"CurrentUser", "/api/users/me", false},
	{"UserAuthentication", "/api/users/authentication{/userId}", false},
	{"UserIdentityMetadata", "/api/users/identity-metadata", false},
	{"ExternalUserSearch", "/api/users/external-search{?partialName}", false},
	{"Invitations", "/api/users/invitations", false},
	{"Register", "/api/users/register", false},
	{"SignIn", "/api/users/login{?returnUrl}", false},
	{"SignOut", "/api/users/logout", false},
	{"Teams", "/api/teams{/id}{?skip,take,ids,partialName,spaces,includeSystem}", false},
	{"TeamMembership", "/api/teammembership{?userId,spaces,includeSystem}", false},
	{"TeamMembershipPreviewTeam", "/api/teammembership/previewteam", false},
	{"UserRoles", "/api/userroles{/id}{?skip,take,ids,partialName}", false},
	{"ScopedUserRoles", "/api/scopeduserroles{/id}{?skip,take,ids,partialName,spaces,includeSystem}", false},
	{"PermissionDescriptions", "/api/permissions/all", false},
	{"CommunityActionTemplates", "/api/communityactiontemplates{/id}{?skip,take,ids}", false},
	{"Configuration", "/api/configuration{/id}", false},
	{"Authentication", "/api/authentication", false},
	{"LoginInitiated", "/api/authentication/checklogininitiated", false},
	{"ServerConfiguration", "/api/serverconfiguration", false},
	{"ServerConfigurationSettings", "/api/serverconfiguration/settings", false},
	{"SmtpConfiguration", "/api/smtpconfiguration", false},
	{"SmtpIsConfigured", "/api/smtpconfiguration/isconfigured", false},
	{"AuditStreamConfiguration", "/api/audit-stream", false},
	{"MaintenanceConfiguration", "/api/maintenanceconfiguration", false},
	{"FeaturesConfiguration", "/api/featuresconfiguration", false},
	{"UpgradeConfiguration", "/api/upgradeconfiguration", false},
	{"PerformanceConfiguration", "/api/performanceconfiguration", false},
	{"LetsEncryptConfiguration", "/api/letsencryptconfiguration", false},
	{"CertificateConfiguration", "/api/configuration/certificates{/id}{?skip,take,ids,partialName}", false},
	{"VersionControlClearCache", "/api/configuration/versioncontrol/clear-cache", false},
	{"Events", "/api/events{/id}{?skip,regarding,regardingAny,user,users,projects,projectGroups,environments,eventGroups,eventCategories,eventAgents,tags,tenants,from,to,internal,fromAutoId,toAutoId,documentTypes,asCsv,take,ids,spaces,includeSystem,excludeDifference}", false},
	{"EventAgents", "/api/events/agents", false},
	{"EventCategories", "/api/events/categories{?appliesTo}", false},
	{"EventDocumentTypes", "/api/events/documenttypes", false},
	{"EventGroups", "/api/events/groups{?appliesTo}", false},
	{"Tasks", "/api/tasks{/id}{?skip,active,environment,tenant,runbook,project,name,node,running,states,hasPendingInterruptions,hasWarningsOrErrors,take,ids,partialName,spaces,includeSystem}", false},
	{"TaskTypes", "/api/tasks/taskTypes", false},
	{"ServerStatus", "/api/serverstatus", false},
	{"ServerHealthStatus", "/api/serverstatus/health", false},
	{"ExtensionStats", "/api/serverstatus/extensions", false},
	{"Timezones", "/api/serverstatus/timezones", false},
	{"OctopusServerNodes", "/api/octopusservernodes{/id}{?skip,take,ids,partialName}", false},
	{"OctopusServerClusterSummary", "/api/octopusservernodes/summary", false},
	{"CurrentLicense", "/api/licenses/licenses-current", false},
	{"CurrentLicenseStatus", "/api/licenses/licenses-current-status", false},
	{"ExternalSecurityGroupProviders", "/api/externalsecuritygroupproviders", false},
	{"IssueTrackers", "/api/issuetrackers{?skip,take,ids,partialName}", false},
	{"BuiltInFeedStats", "/api/feeds/stats", false},
	{"AzureEnvironments", "/api/accounts/azureenvironments", false},
	{"Scheduler", "/api/scheduler/{name}/logs{?verbose,tail}", false},
	{"WorkerToolsLatestImages", "/api/workertoolslatestimages", false},
	{"Web", "/app", false},

	{"Accounts", "accounts{/id}{?skip,take,ids,partialName,accountType}", true},
	{"ActionTemplates", "actiontemplates{/id}{?skip,take,ids,partialName}", true},
	{"ActionTemplatesCategories", "actiontemplates/categories", true},
	{"ActionTemplatesSearch", "actiontemplates/search{?type}", true},
	{"ActionTemplateLogo", "actiontemplates/{typeOrId}/logo{?cb}", true},
	{"ActionTemplateVersionedLogo", "actiontemplates/{typeOrId}/versions/{version}/logo{?cb}", true},
	{"Artifacts", "artifacts{/id}{?skip,take,regarding,ids,partialName,order}", true},
	{"BuildInformation", "build-information{/id}{?filter,packageId,latest,skip,take,overwriteMode}", true},
	{"BuildInformationBulk", "build-information/bulk{?ids}", true},
	{"Certificates", "certificates{/id}{?skip,take,search,archived,tenant,firstResult,orderBy,ids,partialName}", true},
	{"Channels", "channels{/id}{?skip,take,ids,partialName}", true},
	{"Dashboard", "dashboard{?projectId,releaseId,selectedTenants,selectedTags,showAll,highestLatestVersionPerProjectAndEnvironment}", true},
	{"DashboardConfiguration", "dashboardconfiguration", true},
	{"DashboardDynamic", "dashboard/dynamic{?projects,environments,includePrevious}", true},
	{"DeploymentProcesses", "deploymentprocesses{/id}{?skip,take,ids}", true},
	{"Deployments", "deployments{/id}{?skip,take,ids,projects,environments,tenants,channels,taskState,partialName}", true},
	{"Environments", "environments{/id}{?name,skip,ids,take,partialName}", true},
	{"EnvironmentSortOrder", "environments/sortorder", true},
	{"EnvironmentsSummary", "environments/summary{?ids,partialName,machinePartialName,roles,isDisabled,healthStatuses,commStyles,tenantIds,tenantTags,hideEmptyEnvironments,shellNames}", true},
	{"Feeds", "feeds{/id}{?skip,take,ids,partialName,feedType,name}", true},
	{"GitCredentials", "git-credentials{/id}{?skip,take,name}", true},
	{"Interruptions", "interruptions{/id}{?skip,take,regarding,pendingOnly,ids}", true},
	{"LibraryVariables", "libraryvariablesets{/id}{?skip,contentType,take,ids,partialName}", true},
	{"Lifecycles", "lifecycles{/id}{?skip,take,ids,partialName}", true},
	{"MachinePolicies", "machinepolicies{/id}{?skip,take,ids,partialName}", true},
	{"MachinePolicyTemplate", "machinepolicies/template", true},
	{"MachineRoles", "machineroles/all", true},
	{"Machines", "machines{/id}{?skip,take,name,ids,partialName,roles,isDisabled,healthStatuses,commStyles,tenantIds,tenantTags,environmentIds,thumbprint,deploymentId,shellNames}", true},
	{"Packages", "packages{/id}{?nuGetPackageId,filter,latest,skip,take,includeNotes}", true},
	{"PackageUpload", "packages/raw{?replace,overwriteMode}", true},
	{"ProjectGroups", "projectgroups{/id}{?skip,take,ids,partialName}", true},
	{"Projects", "projects{/id}{?name,skip,ids,clone,take,partialName,clonedFromProjectId}", true},
	{"ProjectTriggers", "projecttriggers{/id}{?skip,take,ids,runbooks}", true},
	{"Proxies", "proxies{/id}{?skip,take,ids,partialName}", true},
	{"Releases", "releases{/id}{?skip,ignoreChannelRules,take,ids}", true},
	{"RunbookProcesses", "runbookProcesses{/id}{?skip,take,ids}", true},
	{"RunbookRuns", "runbookRuns{/id}{?skip,take,ids,projects,environments,tenants,runbooks,taskState,partialName}", true},
	{"Runbooks", "runbooks{/id}{?skip,take,ids,partialName,clone,projectIds}", true},
	{"RunbookSnapshots", "runbookSnapshots{/id}{?skip,take,ids,publish}", true},
	{"ScheduledProjectTriggers", "scheduledprojecttriggers{/id}{?skip,take,ids}", true},
	{"Subscriptions", "subscriptions{/id}{?skip,take,ids,partialName,spaces}", true},
	{"TagSets", "tagsets{/id}{?skip,take,ids,partialName,scopes}", true},
	{"TagSetSortOrder", "tagsets/sortorder", true},
	{"Tenants", "tenants{/id}{?skip,projectId,name,tags,take,ids,clone,partialName,clonedFromTenantId}", true},
	{"TenantsMissingVariables", "tenants/variables-missing{?tenantId,projectId,environmentId,includeDetails}", true},
	{"TenantsStatus", "tenants/status", true},
	{"TenantTagTest", "tenants/tag-test{?tenantIds,tags}", true},
	{"TenantVariables", "tenantvariables/all{?projectId}", true},
	{"Variables", "variables{/id}{?ids}", true},
	{"VariableNames", "variables/names{?project,runbook,projectEnvironmentsFilter}", true},
	{"VariablePreview", "variables/preview{?project,runbook,environment,channel,tenant,action,machine,role}", true},
	{"VersionRuleTest", "channels/rule-test{?version,versionRange,preReleaseTag,feetType}", true},
	{"WorkerPools", "workerpools{/id}{?name,skip,ids,take,partialName}", true},
	{"WorkerPoolsSortOrder", "workerpools/sortorder", true},
	{"WorkerPoolsSummary", "workerpools/summary{?ids,partialName,machinePartialName,isDisabled,healthStatuses,commStyles,hideEmptyWorkerPools,shellNames}", true},
	{"WorkerPoolsSupportedTypes", "workerpools/supportedtypes", true},
	{"WorkerPoolsDynamicWorkerTypes", "workerpools/dynamicworkertypes", true},
	{"Workers", "workers{/id}{?skip,take,name,ids,partialName,isDisabled,healthStatuses,commStyles,workerPoolIds,thumbprint,shellNames}", true},
}

// addRootLink adds a link to the root documents (call from init). A space
// link's path is relative to "/api/{spaceId}/". An existing name is replaced.
func addRootLink(name, path string, space bool) {
	for i, l := range rootLinks {
		if l.name == name {
			rootLinks[i] = rootLink{name, path, space}
			return
		}
	}
	rootLinks = append(rootLinks, rootLink{name, path, space})
}

// DefaultServerVersion is the version the emulator claims unless
// Options.ServerVersion says otherwise: the swagger it follows.
const DefaultServerVersion = "2026.1.9674"

func init() {
	addRoute(http.MethodGet, "", RouteMixed, rootHandler)
}

// spaceLinks returns the space links for one space.
func spaceLinks(spaceID string) map[string]string {
	out := map[string]string{}
	for _, l := range rootLinks {
		if l.space && spaceID != "" {
			out[l.name] = "/api/" + spaceID + "/" + l.path
		}
	}
	return out
}

// rootHandler serves GET /api, /api/ (the server root) and GET /api/{spaceId}
// (the space root).
func rootHandler(c *Call) (any, error) {
	if c.Scoped {
		links := spaceLinks(c.SpaceID)
		links["Self"] = "/api/" + c.SpaceID
		links["Web"] = "/app#/" + c.SpaceID
		return map[string]any{"Id": c.SpaceID, "Links": links}, nil
	}
	links := spaceLinks(c.srv.defaultSpaceID())
	for _, l := range rootLinks {
		if !l.space {
			links[l.name] = l.path
		}
	}
	return map[string]any{
		"Application":          "Octopus Deploy",
		"Version":              c.srv.ServerVersion(),
		"ApiVersion":           "3.0.0",
		"InstallationId":       c.srv.installationID,
		"IsEarlyAccessProgram": false,
		"HasLongTermSupport":   false,
		"Links":                links,
	}, nil
}
