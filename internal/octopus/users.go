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
	return listAs(ctx, c, "/api/users", userFromSDK)
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
	return userFromSDK(u), nil
}

// UserRoles returns every user role of the instance.
func (c *Client) UserRoles(ctx context.Context) ([]steps.UserRole, error) {
	return listAs(ctx, c, "/api/userroles", func(r *userroles.UserRole) steps.UserRole {
		return steps.UserRole{ID: r.ID, Name: r.Name, Description: r.Description}
	})
}

func userFromSDK(u *users.User) steps.User {
	return steps.User{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, IsService: u.IsService}
}
