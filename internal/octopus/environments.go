package octopus

import (
	"context"
	"fmt"
	"net/url"
	"sort"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/environments"

	"github.com/octofleet/octofleet/steps"
)

// Environments returns the environments of a space in sort order (ties in
// the order the server lists them), in one request per 1000 environments.
func (c *Client) Environments(ctx context.Context, spaceID string) ([]steps.Environment, error) {
	out, err := listAs(ctx, c, "/api/"+url.PathEscape(spaceID)+"/environments", envFromSDK)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SortOrder < out[j].SortOrder })
	return out, nil
}

// CreateEnvironment creates an environment in e.SpaceID with e.SortOrder.
func (c *Client) CreateEnvironment(ctx context.Context, e steps.Environment) (steps.Environment, error) {
	env := environments.NewEnvironment(e.Name)
	env.SpaceID = e.SpaceID
	env.Description = e.Description
	env.UseGuidedFailure = e.UseGuidedFailure
	env.SortOrder = e.SortOrder
	got, err := createOnce(ctx, c, fmt.Sprintf("environment %q", e.Name),
		func() (*environments.Environment, error) { return environments.Add(c.sdk, env) },
		func() (*environments.Environment, error) {
			return findListed(ctx, c, "/api/"+url.PathEscape(e.SpaceID)+"/environments?name="+url.QueryEscape(e.Name),
				e.Name, "environment", func(x *environments.Environment) string { return x.Name })
		})
	if err != nil {
		return steps.Environment{}, err
	}
	return envFromSDK(got), nil
}

// UpdateEnvironment reads the environment, replaces its name, description
// and guided failure mode, and writes it.
func (c *Client) UpdateEnvironment(ctx context.Context, e steps.Environment) (steps.Environment, error) {
	updated, err := readModifyWrite(ctx, "environment "+e.ID,
		func() (*environments.Environment, error) { return environments.GetByID(c.sdk, e.SpaceID, e.ID) },
		func(got *environments.Environment) {
			got.Name = e.Name
			got.Description = e.Description
			got.UseGuidedFailure = e.UseGuidedFailure
			got.SpaceID = e.SpaceID
		},
		func(got *environments.Environment) (*environments.Environment, error) {
			return environments.Update(c.sdk, got)
		})
	if err != nil {
		return steps.Environment{}, err
	}
	return envFromSDK(updated), nil
}

// SortEnvironments sets the space's environment order: PUT
// /api/{spaceId}/environments/sortorder with every environment ID in order
// (swagger 2026.1 sortEnvironmentsBySpace: "The ID of every environment must
// be specified"). go-octopusdeploy v2.115.0 has no method for it.
func (c *Client) SortEnvironments(ctx context.Context, spaceID string, ids []string) error {
	if err := c.putRaw(ctx, "/api/"+url.PathEscape(spaceID)+"/environments/sortorder", ids, nil); err != nil {
		return fmt.Errorf("sort environments of %s: %w", spaceID, err)
	}
	return nil
}

func envFromSDK(e *environments.Environment) steps.Environment {
	return steps.Environment{ID: e.ID, SpaceID: e.SpaceID, Name: e.Name, Description: e.Description,
		UseGuidedFailure: e.UseGuidedFailure, SortOrder: e.SortOrder}
}
