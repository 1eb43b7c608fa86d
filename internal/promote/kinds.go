package promote

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
}

// Document is an Octopus resource as the API serves it.
type Document = map[string]any

func isBuiltInFeed(d Document) bool {
	t, _ := d["FeedType"].(string)
	return t == "BuiltIn" || t == "OctopusProject"
}

// processRefs are the references inside a deployment or runbook process.
var processRefs = []Ref{
	{"Steps/*/Actions/*/Environments/*", "environment"},
	{"Steps/*/Actions/*/ExcludedEnvironments/*", "environment"},
	{"Steps/*/Actions/*/Channels/*", "channel"},
	{"Steps/*/Actions/*/WorkerPoolId", "workerpool"},
	{"Steps/*/Actions/*/Packages/*/FeedId", "feed"},
	{"Steps/*/Actions/*/Properties/Octopus.Action.Package.FeedId", "feed"},
	{"Steps/*/Actions/*/Properties/Octopus.Action.Template.Id", "actiontemplate"},
}

var processStrip = []string{"Steps/*/Id", "Steps/*/Actions/*/Id", "Steps/*/Actions/*/Packages/*/Id"}

// variableRefs are the references inside a variable set's scopes.
var variableRefs = []Ref{
	{"Variables/*/Scope/Environment/*", "environment"},
	{"Variables/*/Scope/Channel/*", "channel"},
	{"Variables/*/Scope/Tenant/*", "tenant"},
}

// Kinds is every kind promote carries. Their order here is only the order
// plans list kinds of equal rank; Sorted puts dependencies first.
var Kinds = []*Kind{
	{Name: "space", Path: "spaces", System: true, NameField: "Name",
		Owned: []string{"Name", "Description", "TaskQueueStopped"}},
	{Name: "environment", Path: "environments", NameField: "Name",
		Owned: []string{"Name", "Description", "UseGuidedFailure", "AllowDynamicInfrastructure", "ExtensionSettings"}},
	{Name: "lifecycle", Path: "lifecycles", NameField: "Name",
		Owned: []string{"Name", "Description", "Phases", "ReleaseRetentionPolicy", "TentacleRetentionPolicy"},
		Refs: []Ref{
			{"Phases/*/AutomaticDeploymentTargets/*", "environment"},
			{"Phases/*/OptionalDeploymentTargets/*", "environment"},
		},
		Strip: []string{"Phases/*/Id"}},
	{Name: "projectgroup", Path: "projectgroups", NameField: "Name",
		Owned: []string{"Name", "Description", "EnvironmentIds"},
		Refs:  []Ref{{"EnvironmentIds/*", "environment"}}},
	{Name: "tagset", Path: "tagsets", NameField: "Name",
		Owned: []string{"Name", "Description", "Type", "Scopes", "Tags"},
		Strip: []string{"Tags/*/Id"}},
	{Name: "feed", Path: "feeds", NameField: "Name", ReadOnly: isBuiltInFeed,
		Owned: []string{"Name", "FeedType", "FeedUri", "Username", "Password", "PackageAcquisitionLocationOptions",
			"DownloadAttempts", "DownloadRetryBackoffSeconds", "EnhancedMode", "RegistryPath", "ApiVersion",
			"Region", "AccessKey", "SecretKey", "UseMachineCredentials", "LayoutRegex", "Repository"}},
	{Name: "workerpool", Path: "workerpools", NameField: "Name",
		Owned: []string{"Name", "Description", "WorkerPoolType", "WorkerType"}},
	{Name: "actiontemplate", Path: "actiontemplates", NameField: "Name",
		Owned: []string{"Name", "Description", "ActionType", "Properties", "Parameters", "Packages", "GitDependencies"},
		Refs:  []Ref{{"Packages/*/FeedId", "feed"}},
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
			{"ProjectGroupId", "projectgroup"},
			{"LifecycleId", "lifecycle"},
			{"IncludedLibraryVariableSetIds/*", "libraryvariableset"},
		},
		Strip: []string{"Templates/*/Id"}},
	{Name: "channel", Path: "channels", NameField: "Name", Owner: "project", OwnerField: "ProjectId",
		Owned: []string{"Name", "Description", "ProjectId", "LifecycleId", "Rules", "TenantTags", "Type"},
		Refs:  []Ref{{"LifecycleId", "lifecycle"}},
		Strip: []string{"Rules/*/Id"}},
	{Name: "runbook", Path: "runbooks", NameField: "Name", Owner: "project", OwnerField: "ProjectId",
		Owned: []string{"Name", "Description", "ProjectId", "EnvironmentScope", "Environments", "MultiTenancyMode",
			"DefaultGuidedFailureMode", "ForcePackageDownload", "ConnectivityPolicy", "RunRetentionPolicy"},
		Refs: []Ref{{"Environments/*", "environment"}}},
	{Name: "tenant", Path: "tenants", NameField: "Name",
		Owned: []string{"Name", "Description", "TenantTags", "ProjectEnvironments", "IsDisabled"},
		Refs: []Ref{
			{"ProjectEnvironments/~", "project"},
			{"ProjectEnvironments/*/*", "environment"},
		}},
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
history), certificates (not copied: needs the file), API keys and users.`

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
