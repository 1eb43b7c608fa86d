package steps

import "errors"

// Errors the Octopus port returns. The adapter maps the SDK's error shapes onto
// them; steps test with errors.Is.
var (
	// ErrNotFound: the resource does not exist (both of the SDK's not-found shapes).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a resource with that name exists already, or a concurrent change won.
	ErrConflict = errors.New("conflict")
	// ErrUnauthorized: the API key is missing, wrong or expired (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the API key's user lacks the permission (403).
	ErrForbidden = errors.New("forbidden")
)

// Octopus is the port every step talks to. internal/octopus implements it over
// go-octopusdeploy; tests run that adapter against internal/emulator.
//
// Methods take explicit space IDs: one client serves every space of an
// instance. List methods return whole collections (they page internally), so a
// step costs one read per resource kind per space. Unless a method says
// otherwise, it returns ErrNotFound, ErrConflict, ErrUnauthorized or
// ErrForbidden (wrapped) for the matching server answers.
//
// Each step adds the methods it needs in its own section below.
type Octopus interface {
	SpaceOctopus
	SettingsOctopus
	TemplateOctopus
	FacadeOctopus
	TenantOctopus
	PackageOctopus
	WorkerOctopus
	TriggerOctopus
}
