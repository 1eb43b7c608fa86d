package steps

import "context"

// TemplateOctopus is the part of the port that seed-templates uses: step
// templates (custom and community), and what a template project is made of —
// projects, deployment processes, runbooks and their processes, variable sets,
// plus the feeds, worker pools and library variable sets its steps refer to.
//
// Every method takes the space ID explicitly. List methods return the whole
// collection with one request (the /all endpoints).
type TemplateOctopus interface {
	// ActionTemplates returns every custom and installed community step
	// template in the space.
	ActionTemplates(ctx context.Context, spaceID string) ([]ActionTemplate, error)
	// CreateActionTemplate adds a step template and returns it as the server
	// stored it. ErrConflict when the name is taken.
	CreateActionTemplate(ctx context.Context, spaceID string, t ActionTemplate) (ActionTemplate, error)
	// UpdateActionTemplate replaces the template with Id t.ID; the server
	// bumps its Version. ErrNotFound when it is gone.
	UpdateActionTemplate(ctx context.Context, spaceID string, t ActionTemplate) (ActionTemplate, error)
	// DeleteActionTemplate deletes a step template. ErrNotFound when it is gone.
	DeleteActionTemplate(ctx context.Context, spaceID, id string) error

	// CommunityTemplates returns the server's community step template library
	// (an instance-wide list the server syncs from library.octopus.com).
	CommunityTemplates(ctx context.Context) ([]CommunityTemplate, error)
	// InstallCommunityTemplate installs a community template into the space
	// (POST .../installation/{spaceId}). ErrConflict when already installed.
	InstallCommunityTemplate(ctx context.Context, spaceID, communityID string) (ActionTemplate, error)
	// UpdateCommunityTemplate updates the installed copy to the community
	// version (PUT .../installation/{spaceId}).
	UpdateCommunityTemplate(ctx context.Context, spaceID, communityID string) (ActionTemplate, error)

	// Projects returns every project in the space.
	Projects(ctx context.Context, spaceID string) ([]Project, error)
	// CreateProject adds a project; the server creates its deployment
	// process, variable set and Default channel. ErrConflict when the name is taken.
	CreateProject(ctx context.Context, spaceID string, p Project) (Project, error)
	// UpdateProject replaces the project settings of p.ID.
	UpdateProject(ctx context.Context, spaceID string, p Project) (Project, error)
	// DeploymentProcess returns a project's deployment process.
	DeploymentProcess(ctx context.Context, spaceID, projectID string) (Process, error)
	// UpdateDeploymentProcess replaces the steps of the process p.ID. p.Version
	// must be the version the caller read (optimistic concurrency): the server
	// refuses a stale one, and the server increments it.
	UpdateDeploymentProcess(ctx context.Context, spaceID string, p Process) (Process, error)

	// Runbooks returns every runbook in the space.
	Runbooks(ctx context.Context, spaceID string) ([]Runbook, error)
	// CreateRunbook adds a runbook to r.ProjectID; the server creates its process.
	CreateRunbook(ctx context.Context, spaceID string, r Runbook) (Runbook, error)
	// UpdateRunbook replaces the runbook settings of r.ID.
	UpdateRunbook(ctx context.Context, spaceID string, r Runbook) (Runbook, error)
	// RunbookProcess returns a runbook process by Id.
	RunbookProcess(ctx context.Context, spaceID, id string) (Process, error)
	// UpdateRunbookProcess replaces the steps of the runbook process p.ID,
	// respecting p.Version like UpdateDeploymentProcess.
	UpdateRunbookProcess(ctx context.Context, spaceID string, p Process) (Process, error)

	// VariableSet returns a variable set by Id (a project's VariableSetID).
	VariableSet(ctx context.Context, spaceID, id string) (VariableSet, error)
	// UpdateVariableSet replaces the variables of v.ID. Sensitive variables
	// sent with an empty value and HasValue keep their stored value.
	UpdateVariableSet(ctx context.Context, spaceID string, v VariableSet) (VariableSet, error)

	// Feeds returns the space's package feeds (Id and Name).
	Feeds(ctx context.Context, spaceID string) ([]Ref, error)
	// WorkerPools returns the space's worker pools (Id and Name).
	WorkerPools(ctx context.Context, spaceID string) ([]Ref, error)
	// LibraryVariableSets returns the space's library variable sets and
	// script modules (Id and Name).
	LibraryVariableSets(ctx context.Context, spaceID string) ([]Ref, error)
}

// Ref is a named resource in a space: what a cross-space reference is
// remapped through.
type Ref struct {
	ID   string
	Name string
}

// ActionTemplate is a step template as seed-templates owns it. The adapter
// strips what the server adds (Links, SpaceId, parameter Ids, LastModified*).
type ActionTemplate struct {
	ID          string
	Name        string
	Description string
	ActionType  string
	// Version is the server's counter; it increases on every update.
	Version int
	// CommunityTemplateID is set on templates installed from the community library.
	CommunityTemplateID string
	Packages            []TemplatePackage
	Parameters          []TemplateParameter
	// Properties holds the action properties; null values are dropped.
	Properties map[string]string
	// SensitiveProperties names properties whose value is a sensitive value
	// (write-only: the server never returns it).
	SensitiveProperties []string
}

// TemplatePackage is a package reference of a step template.
type TemplatePackage struct {
	Name                string
	PackageID           string
	FeedID              string
	AcquisitionLocation string
	Properties          map[string]string
}

// TemplateParameter is one parameter of a step template, or one tenant
// variable template of a project (same shape on the server).
type TemplateParameter struct {
	// ID is the server's parameter Id; the step never compares it.
	ID              string
	Name            string
	Label           string
	HelpText        string
	DisplaySettings map[string]string
	// Default is the default value. For a sensitive parameter it is only ever
	// an input: the server answers with HasValue and no value.
	Default PropertyValue
}

// PropertyValue is a string property, or a write-only sensitive one.
type PropertyValue struct {
	Value     string
	Sensitive bool
	// HasValue is what the server reports for a sensitive value it holds.
	// Sending Sensitive, HasValue and an empty Value keeps the stored value.
	HasValue bool
}

// CommunityTemplate is an entry of the server's community step template library.
type CommunityTemplate struct {
	ID          string
	Name        string
	Description string
	ActionType  string
	Version     int
}

// Project is a project's settings as template-project copying owns them.
type Project struct {
	ID                              string
	Name                            string
	Description                     string
	LifecycleID                     string
	ProjectGroupID                  string
	IsDisabled                      bool
	TenantedDeploymentMode          string
	DefaultGuidedFailureMode        string
	DefaultToSkipIfAlreadyInstalled bool
	DiscreteChannelRelease          bool
	IncludedLibraryVariableSetIDs   []string
	// Templates are the tenant variable templates.
	Templates []TemplateParameter
	// Server-assigned, read only.
	DeploymentProcessID string
	VariableSetID       string
}

// Runbook is a runbook's settings as template-project copying owns them.
type Runbook struct {
	ID                       string
	ProjectID                string
	Name                     string
	Description              string
	EnvironmentScope         string
	Environments             []string
	MultiTenancyMode         string
	DefaultGuidedFailureMode string
	ForcePackageDownload     bool
	// Server-assigned, read only.
	RunbookProcessID string
}

// Process is a deployment process or a runbook process.
type Process struct {
	ID        string
	ProjectID string
	// Version is the optimistic-concurrency counter: an update must carry the
	// current one and the server increments it.
	Version int
	Steps   []ProcessStep
}

// ProcessStep is one step of a process.
type ProcessStep struct {
	ID                 string
	Name               string
	Condition          string
	StartTrigger       string
	PackageRequirement string
	Properties         map[string]string
	Actions            []ProcessAction
}

// ProcessAction is one action of a process step.
type ProcessAction struct {
	ID                   string
	Name                 string
	ActionType           string
	Notes                string
	IsDisabled           bool
	IsRequired           bool
	Condition            string
	Environments         []string
	ExcludedEnvironments []string
	Channels             []string
	TenantTags           []string
	WorkerPoolID         string
	WorkerPoolVariable   string
	ContainerImage       string
	ContainerFeedID      string
	Packages             []TemplatePackage
	Properties           map[string]string
	// SensitiveProperties names properties holding sensitive values, which
	// cannot be read back and so cannot be copied.
	SensitiveProperties []string
}

// VariableSet is a project's (or library set's) variables.
type VariableSet struct {
	ID        string
	OwnerID   string
	Version   int
	Variables []Variable
}

// Variable is one variable of a variable set.
type Variable struct {
	ID          string
	Name        string
	Value       string
	Description string
	Type        string
	IsSensitive bool
	// HasValue is set on sensitive variables the server holds a value for.
	HasValue bool
	Scope    VariableScope
	// Prompt makes the variable a prompted one (nil: not prompted).
	Prompt *VariablePrompt
}

// VariablePrompt asks for a variable's value when a deployment or runbook
// run is created.
type VariablePrompt struct {
	Label           string
	Description     string
	Required        bool
	DisplaySettings map[string]string
}

// VariableScope limits where a variable applies. Environments, Channels,
// Actions, Machines and ProcessOwners hold Ids; Roles and TenantTags names.
type VariableScope struct {
	Environments  []string
	Roles         []string
	TenantTags    []string
	Machines      []string
	Channels      []string
	Actions       []string
	ProcessOwners []string
}
