package promote

import "strings"

// Every resource kind promote carries is described here once, as data; plan.go
// walks them all with one algorithm. A kind is one of three shapes:
//
//   - a named collection (environments, projects): one document per name, in
//     the space (or, System, on the instance);
//   - an owned collection (channels, runbooks): named documents that belong
//     to another kind's document through OwnerField; their key is
//     "<owner key>/<name>";
//   - a singleton (a project's deployment process or variable set): the one
//     document the owner points at through Via; never created or deleted by
//     the client (the server makes it with its owner), only updated.
//
// Owned lists the top-level fields promote diffs and writes; everything else
// on the target is left as the target has it. Refs are the fields holding IDs
// of other kinds' documents: they are compared and written as the referenced
// document's key (its name) and translated to the target's IDs, which is how
// IDs that differ between instances are remapped. Strip removes nested
// server-made IDs (phase, step, action IDs) from the comparison.

// Kind describes one resource kind.
type Kind struct {
	// Name is the kind as plans, --include, --exclude and --rename spell it.
	Name string
	// Path is the collection below /api/{spaceId}/ (or /api/ when System).
	Path string
	// List, when set, is the path read to list the kind instead of Path
	// (e.g. "variables/all": one request for every variable set).
	List string
	// System kinds live on the instance, not in a space (spaces).
	System bool
	// NameField names a document ("" for singletons).
	NameField string
	// Owner and OwnerField make an owned collection: OwnerField holds the ID
	// of the Owner kind's document. OwnerField is also a reference (Refs).
	Owner, OwnerField string
	// Sub is the owner's sub-collection that lists an owned kind's documents
	// of one owner (default Path): projects/{id}/triggers lists a project's
	// projecttriggers.
	Sub string
	// NameRef makes NameField a reference to that kind: the document is named
	// by the referenced document's key (a team's scoped user role by its user
	// role's name). Several with one name under one owner are told apart by
	// their listed order ("Ops/Project deployer", "Ops/Project deployer#2").
	NameRef string
	// Via makes a singleton: the field of the Owner's document holding this
	// document's ID.
	Via string
	// Owned are the top-level fields diffed and written.
	Owned []string
	// Refs are the fields that hold IDs of other kinds.
	Refs []Ref
	// Strip are nested paths left out of the comparison (server-made IDs).
	Strip []string
	// ReadOnly documents (built-in feeds) are matched for references but
	// never written or pruned.
	ReadOnly func(Document) bool
	// Kept documents (the default machine policy, which the server refuses
	// to delete) are written but never pruned.
	Kept func(Document) bool
	// Canon, when set, finishes the comparison form of a document (sorting
	// lists whose order the server does not keep, step template versions).
	Canon func(c *canonCtx, d Document)
}

// Ref is a field holding IDs of Kind's documents. Path segments are separated
// by "/": a name is an object property, "*" every element of a list or value
// of an object, "~" every key of an object.
type Ref struct {
	Path string
	Kind string
	// If, when set, limits the reference to the leaves whose object it
	// accepts (a variable's Value is an account's ID only for account types).
	If func(parent map[string]any) bool
}

// Document is an Octopus resource as the API serves it.
type Document = map[string]any

func isBuiltInFeed(d Document) bool {
	t, _ := d["FeedType"].(string)
	return t == "BuiltIn" || t == "OctopusProject"
}

// builtIn reports a document the server made and will not delete (built-in
// user roles and teams have CanBeDeleted false: octopus-api.md §3.12).
func builtIn(d Document) bool {
	b, ok := d["CanBeDeleted"].(bool)
	return ok && !b
}

// isSpaceManagersRole is the scoped role binding a space's own "Space
// Managers" team (teams-spacemanagers-Spaces-N, made with the space:
// octopus-api.md §2) to the space manager role: the server keeps it.
func isSpaceManagersRole(d Document) bool {
	return strings.HasPrefix(strings.ToLower(str(d, "TeamId")), "teams-spacemanagers-")
}

// processRefs are the references inside a deployment or runbook process.
var processRefs = []Ref{
	{"Steps/*/Actions/*/Environments/*", "environment", nil},
	{"Steps/*/Actions/*/ExcludedEnvironments/*", "environment", nil},
	{"Steps/*/Actions/*/Channels/*", "channel", nil},
	{"Steps/*/Actions/*/WorkerPoolId", "workerpool", nil},
	{"Steps/*/Actions/*/Packages/*/FeedId", "feed", nil},
	{"Steps/*/Actions/*/Properties/Octopus.Action.Package.FeedId", "feed", nil},
	{"Steps/*/Actions/*/Properties/Octopus.Action.Template.Id", "actiontemplate", nil},
}

var processStrip = []string{"Steps/*/Id", "Steps/*/Actions/*/Id", "Steps/*/Actions/*/Packages/*/Id"}

// variableRefs are the references inside a variable set's scopes, and the
// values of the variable types that hold a document's ID.
var variableRefs = []Ref{
	{"Variables/*/Scope/Environment/*", "environment", nil},
	{"Variables/*/Scope/Channel/*", "channel", nil},
	{"Variables/*/Scope/Tenant/*", "tenant", nil},
	{"Variables/*/Value", "account", isAccountVariable},
	{"Variables/*/Value", "workerpool", variableOfType("WorkerPool")},
}

// isAccountVariable: the account variable types (AmazonWebServicesAccount,
// AzureAccount, GoogleCloudAccount, UsernamePasswordAccount,
// GenericOidcAccount: go-octopusdeploy resources.ControlType and the
// Octopus VariableType enum) all end in "Account"; their value is the
// account's ID.
func isAccountVariable(v map[string]any) bool {
	return strings.HasSuffix(str(v, "Type"), "Account")
}

func variableOfType(t string) func(map[string]any) bool {
	return func(v map[string]any) bool { return str(v, "Type") == t }
}

// Kinds is every kind promote carries. Their order here is only the order
// plans list kinds of equal rank; Sorted puts dependencies first.
var Kinds = []*Kind{
	{Name: "space", Path: "spaces", System: true, NameField: "Name",
		Owned: []string{"Name", "Description", "TaskQueueStopped"}},
	// Custom user roles live on the instance; the built-in ones are matched
	// by name (a team's scoped roles name them) and never written.
	{Name: "userrole", Path: "userroles", System: true, NameField: "Name", ReadOnly: builtIn,
		Owned: []string{"Name", "Description", "GrantedSpacePermissions", "GrantedSystemPermissions"},
		Canon: sortLists("GrantedSpacePermissions", "GrantedSystemPermissions")},
	{Name: "environment", Path: "environments", NameField: "Name",
		Owned: []string{"Name", "Description", "UseGuidedFailure", "AllowDynamicInfrastructure", "ExtensionSettings"}},
	{Name: "lifecycle", Path: "lifecycles", NameField: "Name",
		Owned: []string{"Name", "Description", "Phases", "ReleaseRetentionPolicy", "TentacleRetentionPolicy"},
		Refs: []Ref{
			{"Phases/*/AutomaticDeploymentTargets/*", "environment", nil},
			{"Phases/*/OptionalDeploymentTargets/*", "environment", nil},
		},
		Strip: []string{"Phases/*/Id"}},
	{Name: "projectgroup", Path: "projectgroups", NameField: "Name",
		Owned: []string{"Name", "Description", "EnvironmentIds"},
		Refs:  []Ref{{"EnvironmentIds/*", "environment", nil}}},
	{Name: "tagset", Path: "tagsets", NameField: "Name",
		Owned: []string{"Name", "Description", "Type", "Scopes", "Tags"},
		Strip: []string{"Tags/*/Id"}},
	{Name: "feed", Path: "feeds", NameField: "Name", ReadOnly: isBuiltInFeed,
		Owned: []string{"Name", "FeedType", "FeedUri", "Username", "Password", "PackageAcquisitionLocationOptions",
			"DownloadAttempts", "DownloadRetryBackoffSeconds", "EnhancedMode", "RegistryPath", "ApiVersion",
			"Region", "AccessKey", "SecretKey", "UseMachineCredentials", "LayoutRegex", "Repository"}},
	{Name: "workerpool", Path: "workerpools", NameField: "Name",
		Owned: []string{"Name", "Description", "WorkerPoolType", "WorkerType"}},
	// One collection for every account type (AccountType); the type's own
	// fields are owned whichever type has them, secrets (Password, Token,
	// SecretKey, JsonKey, PrivateKeyFile...) are SensitiveValues.
	{Name: "account", Path: "accounts", NameField: "Name",
		Owned: []string{"Name", "Description", "AccountType", "EnvironmentIds", "TenantIds", "TenantTags",
			"TenantedDeploymentParticipation", "Username", "Password", "Token", "AccessKey", "SecretKey", "Region",
			"RoleArn", "SessionDuration", "Audience", "CustomClaims", "ClientId", "TenantId", "SubscriptionNumber",
			"AzureEnvironment", "ActiveDirectoryEndpointBaseUri", "ResourceManagementEndpointBaseUri",
			"ServiceManagementEndpointBaseUri", "ServiceManagementEndpointSuffix", "CertificateBytes", "JsonKey",
			"PrivateKeyFile", "PrivateKeyPassphrase", "DeploymentSubjectKeys", "HealthCheckSubjectKeys",
			"AccountTestSubjectKeys"},
		Refs:  []Ref{{"EnvironmentIds/*", "environment", nil}, {"TenantIds/*", "tenant", nil}},
		Canon: sortLists("EnvironmentIds", "TenantIds", "TenantTags")},
	{Name: "machinepolicy", Path: "machinepolicies", NameField: "Name", Kept: func(d Document) bool { return d["IsDefault"] == true },
		Owned: []string{"Name", "Description", "ConnectionConnectTimeout", "ConnectionRetryCountLimit",
			"ConnectionRetrySleepInterval", "ConnectionRetryTimeLimit", "PollingRequestQueueTimeout",
			"MachineCleanupPolicy", "MachineConnectivityPolicy", "MachineHealthCheckPolicy",
			"MachinePackageCacheRetentionPolicy", "MachineRpcCallRetryPolicy", "MachineUpdatePolicy"},
		Refs: []Ref{{"MachineUpdatePolicy/TentacleUpdateAccountId", "account", nil}}},
	{Name: "actiontemplate", Path: "actiontemplates", NameField: "Name",
		Owned: []string{"Name", "Description", "ActionType", "Properties", "Parameters", "Packages", "GitDependencies"},
		Refs:  []Ref{{"Packages/*/FeedId", "feed", nil}},
		Strip: []string{"Parameters/*/Id", "Packages/*/Id"}},
	{Name: "libraryvariableset", Path: "libraryvariablesets", NameField: "Name",
		Owned: []string{"Name", "Description", "ContentType", "Templates"},
		Strip: []string{"Templates/*/Id"}},
	{Name: "project", Path: "projects", NameField: "Name",
		Owned: []string{"Name", "Description", "ProjectGroupId", "LifecycleId", "IsDisabled", "AutoCreateRelease",
			"DefaultGuidedFailureMode", "DefaultToSkipIfAlreadyInstalled", "DiscreteChannelRelease",
			"IncludedLibraryVariableSetIds", "TenantedDeploymentMode", "Templates", "ProjectConnectivityPolicy",
			"VersioningStrategy", "AllowIgnoreChannelRules", "ForcePackageDownload", "ReleaseNotesTemplate",
			"DeploymentChangesTemplate"},
		Refs: []Ref{
			{"ProjectGroupId", "projectgroup", nil},
			{"LifecycleId", "lifecycle", nil},
			{"IncludedLibraryVariableSetIds/*", "libraryvariableset", nil},
		},
		Strip: []string{"Templates/*/Id"}},
	{Name: "channel", Path: "channels", NameField: "Name", Owner: "project", OwnerField: "ProjectId",
		Owned: []string{"Name", "Description", "ProjectId", "LifecycleId", "Rules", "TenantTags", "Type"},
		Refs:  []Ref{{"LifecycleId", "lifecycle", nil}},
		Strip: []string{"Rules/*/Id"}},
	{Name: "runbook", Path: "runbooks", NameField: "Name", Owner: "project", OwnerField: "ProjectId",
		Owned: []string{"Name", "Description", "ProjectId", "EnvironmentScope", "Environments", "MultiTenancyMode",
			"DefaultGuidedFailureMode", "ForcePackageDownload", "ConnectivityPolicy", "RunRetentionPolicy"},
		Refs: []Ref{{"Environments/*", "environment", nil}}},
	{Name: "tenant", Path: "tenants", NameField: "Name",
		Owned: []string{"Name", "Description", "TenantTags", "ProjectEnvironments", "IsDisabled"},
		Refs: []Ref{
			{"ProjectEnvironments/~", "project", nil},
			{"ProjectEnvironments/*/*", "environment", nil},
		}},
	// A trigger's filter says when, its action what (go-octopusdeploy
	// pkg/actions and pkg/filters: one shape per ActionType and FilterType);
	// the references are those of every shape.
	{Name: "projecttrigger", Path: "projecttriggers", Sub: "triggers", NameField: "Name", Owner: "project", OwnerField: "ProjectId",
		Owned: []string{"Name", "Description", "ProjectId", "IsDisabled", "Filter", "Action"},
		Refs: []Ref{
			{"Action/RunbookId", "runbook", nil},
			{"Action/ChannelId", "channel", nil},
			{"Action/EnvironmentId", "environment", nil},
			{"Action/EnvironmentIds/*", "environment", nil},
			{"Action/SourceEnvironmentId", "environment", nil},
			{"Action/SourceEnvironmentIds/*", "environment", nil},
			{"Action/DestinationEnvironmentId", "environment", nil},
			{"Action/TenantIds/*", "tenant", nil},
			{"Filter/EnvironmentIds/*", "environment", nil},
		},
		Strip: []string{"Action/Id", "Filter/Id"}},
	// Space teams (a system team, SpaceId null, is clone-instance-settings'):
	// members are users, which promote does not carry, so only the team
	// itself and its scoped roles travel.
	{Name: "team", Path: "teams", List: "teams?includeSystem=false", NameField: "Name", ReadOnly: builtIn,
		Owned: []string{"Name", "Description", "SpaceId", "ExternalSecurityGroups"},
		Refs:  []Ref{{"SpaceId", "space", nil}}},
	{Name: "scopeduserrole", Path: "scopeduserroles", List: "scopeduserroles?includeSystem=false", NameField: "UserRoleId", NameRef: "userrole",
		Owner: "team", OwnerField: "TeamId", ReadOnly: isSpaceManagersRole,
		Owned: []string{"TeamId", "UserRoleId", "SpaceId", "ProjectIds", "EnvironmentIds", "TenantIds", "ProjectGroupIds"},
		Refs: []Ref{
			{"UserRoleId", "userrole", nil},
			{"SpaceId", "space", nil},
			{"ProjectIds/*", "project", nil},
			{"EnvironmentIds/*", "environment", nil},
			{"TenantIds/*", "tenant", nil},
			{"ProjectGroupIds/*", "projectgroup", nil},
		},
		Canon: sortLists("ProjectIds", "EnvironmentIds", "TenantIds", "ProjectGroupIds")},
	{Name: "process", Path: "deploymentprocesses", Owner: "project", Via: "DeploymentProcessId",
		Owned: []string{"Steps"}, Refs: processRefs, Strip: processStrip, Canon: canonProcess},
	{Name: "runbookprocess", Path: "runbookProcesses", Owner: "runbook", Via: "RunbookProcessId",
		Owned: []string{"Steps"}, Refs: processRefs, Strip: processStrip, Canon: canonProcess},
	{Name: "projectvariables", Path: "variables", List: "variables/all", Owner: "project", Via: "VariableSetId",
		Owned: []string{"Variables"}, Refs: variableRefs, Strip: []string{"Variables/*/Id"}, Canon: canonVariables},
	{Name: "libraryvariables", Path: "variables", List: "variables/all", Owner: "libraryvariableset", Via: "VariableSetId",
		Owned: []string{"Variables"}, Refs: variableRefs, Strip: []string{"Variables/*/Id"}, Canon: canonVariables},
}

// NotCarried is what promote leaves alone, for --help and plans.
const NotCarried = `Not carried: machines and workers (they belong to an environment's
infrastructure), releases, deployments, tasks and packages (the instance's own
history), certificates (not copied: needs the file), API keys and users (so
not a team's members), system teams (clone-instance-settings carries them).`

// kindByName finds a kind.
func kindByName(name string) *Kind {
	for _, k := range Kinds {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// KindNames lists the kinds in dependency order.
func KindNames() []string {
	var out []string
	for _, k := range Sorted() {
		out = append(out, k.Name)
	}
	return out
}

// deps is the set of kinds k needs to exist first.
func (k *Kind) deps() []string {
	var out []string
	if k.Owner != "" {
		out = append(out, k.Owner)
	}
	for _, r := range k.Refs {
		out = append(out, r.Kind)
	}
	return out
}

// Sorted returns Kinds with every kind after the kinds it refers to (Kahn's
// algorithm, stable in declaration order). A cycle panics: Kinds is data in
// this file, and a test sorts it.
func Sorted() []*Kind {
	done := map[string]bool{}
	var out []*Kind
	for len(out) < len(Kinds) {
		progress := false
		for _, k := range Kinds {
			if done[k.Name] {
				continue
			}
			ready := true
			for _, d := range k.deps() {
				if d != k.Name && !done[d] {
					ready = false
				}
			}
			if ready {
				done[k.Name], progress = true, true
				out = append(out, k)
			}
		}
		if !progress {
			panic("promote: the kinds' references form a cycle")
		}
	}
	return out
}
