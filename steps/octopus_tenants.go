package steps

import "context"

// TenantOctopus is the part of the port that register-tenant and install
// use: tenants, their project connections and their project variables.
type TenantOctopus interface {
	// Tenants returns every tenant of the space.
	Tenants(ctx context.Context, spaceID string) ([]Tenant, error)
	// CreateTenant creates a tenant. ErrConflict when the name is taken.
	CreateTenant(ctx context.Context, spaceID string, t Tenant) (Tenant, error)
	// UpdateTenant replaces the tenant's name, description, tags and project
	// connections; everything else the server holds is kept.
	UpdateTenant(ctx context.Context, spaceID string, t Tenant) (Tenant, error)
	// TenantProjectVariables returns the tenant's values for the variable
	// templates of projectID, by environment Id and then template Id.
	// Sensitive values come back as HasValue only.
	TenantProjectVariables(ctx context.Context, spaceID, tenantID, projectID string) (map[string]map[string]PropertyValue, error)
	// SetTenantProjectVariables sets the given values (environment Id ->
	// template Id -> value) of the tenant for projectID. Values not given,
	// of this project and of every other project and library set, are kept;
	// a sensitive value with no Value and HasValue keeps what the server holds.
	SetTenantProjectVariables(ctx context.Context, spaceID, tenantID, projectID string, values map[string]map[string]PropertyValue) error
}

// Tenant is a tenant as register-tenant owns it.
type Tenant struct {
	ID          string
	Name        string
	Description string
	// Tags are canonical tag names, "Tag set/Tag".
	Tags []string
	// ProjectEnvironments are the tenant's connections: project Id ->
	// environment Ids.
	ProjectEnvironments map[string][]string
}

// PackageOctopus is the part of the port install uses for the package that
// carries the binary to the workers: the space's built-in feed.
type PackageOctopus interface {
	// BuiltInPackage returns version of packageID in the space's built-in
	// feed; ErrNotFound when the feed does not have it.
	BuiltInPackage(ctx context.Context, spaceID, packageID, version string) (PackageInfo, error)
	// UploadPackage uploads a package file named <PackageId>.<Version>.<ext>
	// to the built-in feed; replace overwrites a version the feed has.
	UploadPackage(ctx context.Context, spaceID, fileName string, data []byte, replace bool) (PackageInfo, error)
}

// PackageInfo is a package version in a feed.
type PackageInfo struct {
	ID        string
	PackageID string
	Version   string
	// Hash is the SHA-1 of the file, hex encoded, as the server reports it.
	Hash string
}
