package octopus

import (
	"context"
	"fmt"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/userroles"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/users"

	"github.com/octofleet/octofleet/steps"
)

// Users returns every user of the instance, in one request per 1000 users.
func (c *Client) Users(ctx context.Context) ([]steps.User, error) {
	all, err := ListAll[users.User](ctx, c, "/api/users")
	if err != nil {
		return nil, err
	}
	out := make([]steps.User, len(all))
	for i, u := range all {
		out[i] = steps.User{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, IsService: u.IsService}
	}
	return out, nil
}

// CurrentUser returns the user the API key belongs to (GET /api/users/me).
func (c *Client) CurrentUser(ctx context.Context) (steps.User, error) {
	if err := ctx.Err(); err != nil {
		return steps.User{}, err
	}
	u, err := c.sdk.Users.GetMe() // legacy only in v2.115.0; /api/users is system-wide
	if err != nil {
		return steps.User{}, fmt.Errorf("read the current user: %w", normalize(err))
	}
	return steps.User{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, IsService: u.IsService}, nil
}

// UserRoles returns every user role of the instance.
func (c *Client) UserRoles(ctx context.Context) ([]steps.UserRole, error) {
	all, err := ListAll[userroles.UserRole](ctx, c, "/api/userroles")
	if err != nil {
		return nil, err
	}
	out := make([]steps.UserRole, len(all))
	for i, r := range all {
		out[i] = steps.UserRole{ID: r.ID, Name: r.Name, Description: r.Description}
	}
	return out, nil
}
