package octopus

import (
	"context"
	"fmt"
	"net/url"
)

// What octofleet doctor reads beyond the steps port: the key's effective
// permissions and raw GETs of the routes octofleet relies on.

// PermissionSet is what GET /api/users/{id}/permissions answers
// (UserPermissionSetResource): the system permissions, and for each space
// permission the spaces (and restrictions) it is granted in.
type PermissionSet struct {
	SystemPermissions []string                           `json:"SystemPermissions"`
	SpacePermissions  map[string][]PermissionRestriction `json:"SpacePermissions"`
}

// PermissionRestriction is one grant of a space permission
// (UserPermissionRestriction): the space, and the projects, project groups,
// environments and tenants it is limited to (empty: unrestricted).
type PermissionRestriction struct {
	SpaceID                     string   `json:"SpaceId"`
	RestrictedToProjectIDs      []string `json:"RestrictedToProjectIds"`
	RestrictedToProjectGroupIDs []string `json:"RestrictedToProjectGroupIds"`
	RestrictedToEnvironmentIDs  []string `json:"RestrictedToEnvironmentIds"`
	RestrictedToTenantIDs       []string `json:"RestrictedToTenantIds"`
}

// MyPermissions reads the API key's user (GET /api/users/me) and its
// effective permissions (GET /api/users/{id}/permissions).
func (c *Client) MyPermissions(ctx context.Context) (PermissionSet, error) {
	me, err := c.CurrentUser(ctx)
	if err != nil {
		return PermissionSet{}, err
	}
	var ps PermissionSet
	if err := c.getRaw(ctx, "/api/users/"+url.PathEscape(me.ID)+"/permissions", &ps); err != nil {
		return PermissionSet{}, fmt.Errorf("read the permissions of %s: %w", me.Username, err)
	}
	return ps, nil
}

// GetJSON reads path (relative to the server URL, "/api/...") into out;
// errors wrap steps.ErrNotFound, ErrForbidden and the others.
func (c *Client) GetJSON(ctx context.Context, path string, out any) error {
	return c.getRaw(ctx, path, out)
}
