package steps

import "context"

// SettingsOctopus is the part of the port that clone-instance-settings and
// restore-instance-settings use: instance-wide settings documents, custom user
// roles, team and scoped-role deletion, and space subscriptions. Teams, users,
// user role names, scoped user roles, spaces, environments and project groups
// come from SpaceOctopus.
type SettingsOctopus interface {
	// SettingsSections returns the IDs of the configuration sections the
	// instance serves (GET /api/configuration), for example
	// "authentication-aad". A provider that is not installed has no section.
	SettingsSections(ctx context.Context) ([]string, error)
	// Settings reads one settings document. key is a configuration section ID
	// or one of SMTPSettings, AuditStreamSettings, RetentionDefaultSettings.
	// Id, Links and LastModified* are dropped; a SMTP document in the older
	// flat form is returned in the current Details form. A singleton the
	// instance has never configured (an audit stream) is an empty document.
	// Returns ErrNotFound when the instance does not serve key at all.
	Settings(ctx context.Context, key string) (SettingsDoc, error)
	// PutSettings replaces the document key with w. The adapter writes the
	// form the instance serves (the flat SMTP form on older servers).
	PutSettings(ctx context.Context, key string, w SettingsWrite) error

	// UserRoleDetails returns every user role with its permissions.
	UserRoleDetails(ctx context.Context) ([]UserRoleDetail, error)
	// CreateUserRole creates a custom user role. Returns ErrConflict if the
	// name is taken.
	CreateUserRole(ctx context.Context, r UserRoleDetail) (UserRoleDetail, error)
	// UpdateUserRole replaces a custom user role's name, description and
	// permissions. Returns ErrNotFound if it does not exist.
	UpdateUserRole(ctx context.Context, r UserRoleDetail) (UserRoleDetail, error)
	// DeleteUserRole deletes a custom user role.
	DeleteUserRole(ctx context.Context, id string) error
	// DeleteTeam deletes a team.
	DeleteTeam(ctx context.Context, id string) error
	// DeleteScopedUserRole takes a user role away from a team.
	DeleteScopedUserRole(ctx context.Context, id string) error

	// ResourceNames returns ID → name of the projects (kind "projects") or
	// tenants (kind "tenants") of space spaceID, for remapping IDs between
	// instances.
	ResourceNames(ctx context.Context, spaceID, kind string) (map[string]string, error)

	// Subscriptions returns the subscriptions of space spaceID.
	Subscriptions(ctx context.Context, spaceID string) ([]Subscription, error)
	// CreateSubscription creates a subscription in s.SpaceID. Returns
	// ErrConflict if the name is taken.
	CreateSubscription(ctx context.Context, s Subscription) (Subscription, error)
	// UpdateSubscription replaces the fields Subscription carries and keeps
	// the server's bookkeeping (the last processed event of digests and
	// webhooks). Returns ErrNotFound if it does not exist.
	UpdateSubscription(ctx context.Context, s Subscription) (Subscription, error)
	// DeleteSubscription deletes a subscription.
	DeleteSubscription(ctx context.Context, spaceID, id string) error
}

// The settings documents that are not configuration sections.
const (
	// SMTPSettings is /api/smtpconfiguration.
	SMTPSettings = "smtp"
	// AuditStreamSettings is /api/audit-stream.
	AuditStreamSettings = "audit-stream"
	// RetentionDefaultSettings is /api/configuration/retention-default.
	RetentionDefaultSettings = "retention-default"
)

// The kinds ResourceNames knows.
const (
	ProjectsKind = "projects"
	TenantsKind  = "tenants"
)

// SettingsDoc is one settings document, flattened: Values maps a dotted
// Octopus field path ("Security.CorsWhitelist") to its JSON value (string,
// float64, bool, nil, []any, or an empty map[string]any for an empty object).
// Secrets maps the path of each sensitive field to whether the server holds a
// value; the value itself is never readable.
type SettingsDoc struct {
	Values  map[string]any
	Secrets map[string]bool
}

// SettingsWrite is a settings document to write: every plain field, and for
// each sensitive field what to send.
type SettingsWrite struct {
	Values  map[string]any
	Secrets map[string]SecretWrite
}

// SecretWrite is what to send for one sensitive field, in Octopus's
// SensitiveValue terms: Has true with a nil NewValue keeps the stored secret,
// Has true with a NewValue replaces it, Has false clears it.
type SecretWrite struct {
	Has      bool
	NewValue *string
}

// UserRoleDetail is a user role with its permissions. BuiltIn roles cannot
// be changed or deleted.
type UserRoleDetail struct {
	UserRole
	BuiltIn           bool
	SpacePermissions  []string
	SystemPermissions []string
}

// Subscription is an event subscription of a space. The ID lists in Filter,
// EmailTeams and WebhookTeams are IDs of the subscription's instance.
type Subscription struct {
	ID                         string
	SpaceID                    string
	Name                       string
	IsDisabled                 bool
	Filter                     SubscriptionFilter
	EmailTeams                 []string
	EmailFrequencyPeriod       string
	EmailPriority              string
	EmailShowDatesInTimeZoneID string
	WebhookURI                 string
	WebhookTeams               []string
	WebhookTimeout             string
	WebhookHeaderKey           string
	// WebhookHeaderValue is sensitive on current servers: on read only Has
	// says whether one is set.
	WebhookHeaderValue SecretWrite
}

// SubscriptionFilter selects the events a subscription reports. Users,
// Projects, ProjectGroups, Environments and Tenants hold IDs; Tags are
// canonical tag names ("Tier/Gold"); the rest are Octopus constants.
type SubscriptionFilter struct {
	Users           []string
	Projects        []string
	ProjectGroups   []string
	Environments    []string
	Tenants         []string
	Tags            []string
	EventGroups     []string
	EventCategories []string
	EventAgents     []string
	DocumentTypes   []string
}
