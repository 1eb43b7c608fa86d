package steps

import "context"

// SpaceOctopus is the part of the port that create-space uses: spaces, teams,
// users, user roles, scoped user roles, environments, lifecycles, project
// groups and tag sets. Later steps reuse these domain types.
//
// List methods return the whole collection. Create methods never create a
// duplicate: after an ambiguous failure they look the resource up by name
// first. Update methods change only the fields the domain struct carries and
// keep everything else the server holds. Every method returns the resource as
// the server holds it after the write.
type SpaceOctopus interface {
	// Spaces returns every space of the instance. ManagerTeamIDs never holds
	// the teams-spacemanagers-* team Octopus adds to each space by itself.
	Spaces(ctx context.Context) ([]Space, error)
	// CreateSpace creates a space. Octopus ignores TaskQueueStopped on create,
	// so the adapter sets it with a follow-up update. Returns ErrConflict
	// (wrapped) if a space with that name exists already.
	CreateSpace(ctx context.Context, s Space) (Space, error)
	// UpdateSpace replaces the space's name, slug, description, managers and
	// task queue state (the teams-spacemanagers-* team is kept). Returns
	// ErrNotFound if the space does not exist.
	UpdateSpace(ctx context.Context, s Space) (Space, error)
	// DeleteSpace deletes a space and everything in it. Octopus refuses to
	// delete the default space or a space whose task queue runs: stop it
	// with UpdateSpace first. Returns ErrNotFound if the space does not exist.
	DeleteSpace(ctx context.Context, id string) error

	// Teams returns the system teams and the teams of space spaceID; with an
	// empty spaceID it returns the system teams only.
	Teams(ctx context.Context, spaceID string) ([]Team, error)
	// CreateTeam creates a team in t.SpaceID, or a system team when
	// t.SpaceID is empty. Returns ErrConflict if the name is taken.
	CreateTeam(ctx context.Context, t Team) (Team, error)
	// UpdateTeam replaces the team's name, description and members. Returns
	// ErrNotFound if the team does not exist.
	UpdateTeam(ctx context.Context, t Team) (Team, error)

	// Users returns every user of the instance.
	Users(ctx context.Context) ([]User, error)
	// CurrentUser returns the user the API key belongs to.
	CurrentUser(ctx context.Context) (User, error)
	// UserRoles returns every user role of the instance.
	UserRoles(ctx context.Context) ([]UserRole, error)

	// ScopedUserRoles returns the scoped user roles of team teamID, in every space.
	ScopedUserRoles(ctx context.Context, teamID string) ([]ScopedUserRole, error)
	// CreateScopedUserRole grants a user role to a team.
	CreateScopedUserRole(ctx context.Context, r ScopedUserRole) (ScopedUserRole, error)
	// UpdateScopedUserRole replaces the environment and project group scope
	// of scoped user role r.ID; a nil slice keeps that scope as it is, an
	// empty one removes the limit. Returns ErrNotFound if it does not exist.
	UpdateScopedUserRole(ctx context.Context, r ScopedUserRole) (ScopedUserRole, error)

	// Environments returns the environments of space spaceID in sort order.
	Environments(ctx context.Context, spaceID string) ([]Environment, error)
	// CreateEnvironment creates an environment in e.SpaceID. Returns
	// ErrConflict if the name is taken.
	CreateEnvironment(ctx context.Context, e Environment) (Environment, error)
	// UpdateEnvironment replaces the environment's name, description and
	// guided failure mode. Returns ErrNotFound if it does not exist.
	UpdateEnvironment(ctx context.Context, e Environment) (Environment, error)
	// SortEnvironments sets the sort order of the space's environments. ids
	// must name every environment of the space (Octopus requires it).
	SortEnvironments(ctx context.Context, spaceID string, ids []string) error

	// Lifecycles returns the lifecycles of space spaceID.
	Lifecycles(ctx context.Context, spaceID string) ([]Lifecycle, error)
	// CreateLifecycle creates a lifecycle in l.SpaceID. Returns ErrConflict if
	// the name is taken.
	CreateLifecycle(ctx context.Context, l Lifecycle) (Lifecycle, error)
	// UpdateLifecycle replaces the lifecycle's name, description, phases and
	// retention policies; settings of a phase the struct does not carry (for
	// example its own retention) are kept for phases matched by ID.
	// Returns ErrNotFound if it does not exist.
	UpdateLifecycle(ctx context.Context, l Lifecycle) (Lifecycle, error)

	// ProjectGroups returns the project groups of space spaceID.
	ProjectGroups(ctx context.Context, spaceID string) ([]ProjectGroup, error)
	// CreateProjectGroup creates a project group in g.SpaceID. Returns
	// ErrConflict if the name is taken.
	CreateProjectGroup(ctx context.Context, g ProjectGroup) (ProjectGroup, error)
	// UpdateProjectGroup replaces the project group's name and description.
	// Returns ErrNotFound if it does not exist.
	UpdateProjectGroup(ctx context.Context, g ProjectGroup) (ProjectGroup, error)

	// TagSets returns the tag sets of space spaceID.
	TagSets(ctx context.Context, spaceID string) ([]TagSet, error)
	// CreateTagSet creates a tenant tag set in ts.SpaceID with its tags.
	// Returns ErrConflict if the name is taken.
	CreateTagSet(ctx context.Context, ts TagSet) (TagSet, error)
	// UpdateTagSet replaces the tag set's name, description and tags (tags
	// are matched by ID; a tag without ID is added). Returns ErrNotFound if
	// it does not exist.
	UpdateTagSet(ctx context.Context, ts TagSet) (TagSet, error)
}

// Space is an Octopus space.
type Space struct {
	ID          string
	Name        string
	Slug        string
	Description string
	IsDefault   bool
	// ManagerTeamIDs are the teams that manage the space, without the
	// teams-spacemanagers-<space> team Octopus adds by itself.
	ManagerTeamIDs   []string
	ManagerUserIDs   []string
	TaskQueueStopped bool
}

// Team is an Octopus team: a system team (empty SpaceID) or a space team.
type Team struct {
	ID            string
	SpaceID       string
	Name          string
	Description   string
	MemberUserIDs []string
}

// User is an Octopus user.
type User struct {
	ID          string
	Username    string
	DisplayName string
	IsService   bool
}

// UserRole is a named set of permissions (for example "Project deployer").
type UserRole struct {
	ID          string
	Name        string
	Description string
}

// ScopedUserRole grants a user role to a team, in one space (SpaceID) or
// system-wide (empty SpaceID), optionally limited to environments, project
// groups, projects or tenants. An empty list means "not limited".
type ScopedUserRole struct {
	ID              string
	TeamID          string
	UserRoleID      string
	SpaceID         string
	EnvironmentIDs  []string
	ProjectGroupIDs []string
	ProjectIDs      []string
	TenantIDs       []string
}

// Environment is an Octopus environment.
type Environment struct {
	ID               string
	SpaceID          string
	Name             string
	Description      string
	UseGuidedFailure bool
	SortOrder        int
}

// Lifecycle is an Octopus lifecycle: ordered phases plus retention policies.
type Lifecycle struct {
	ID          string
	SpaceID     string
	Name        string
	Description string
	Phases      []Phase
	// ReleaseRetentionPolicy and TentacleRetentionPolicy are nil when unset.
	ReleaseRetentionPolicy  *Retention
	TentacleRetentionPolicy *Retention
}

// Phase is one phase of a lifecycle. Deployment targets are environment IDs.
type Phase struct {
	ID                                 string
	Name                               string
	AutomaticDeploymentTargets         []string
	OptionalDeploymentTargets          []string
	MinimumEnvironmentsBeforePromotion int
	IsOptionalPhase                    bool
}

// Retention is a release or tentacle retention policy.
type Retention struct {
	QuantityToKeep    int
	Unit              string // RetentionDays or RetentionItems
	ShouldKeepForever bool
}

// The units a Retention counts in.
const (
	RetentionDays  = "Days"
	RetentionItems = "Items"
)

// ProjectGroup is an Octopus project group.
type ProjectGroup struct {
	ID          string
	SpaceID     string
	Name        string
	Description string
}

// TagSet is a tenant tag set and its tags.
type TagSet struct {
	ID          string
	SpaceID     string
	Name        string
	Description string
	Tags        []Tag
}

// Tag is one tag of a tag set. Color is "#RRGGBB".
type Tag struct {
	ID          string
	Name        string
	Color       string
	Description string
}
