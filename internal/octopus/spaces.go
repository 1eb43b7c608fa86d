package octopus

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/spaces"

	"github.com/octofleet/octofleet/steps"
)

// managersTeamPrefix marks the team Octopus adds to every space by itself
// (teams-spacemanagers-Spaces-N, bound to userroles-spacemanager). Steps never
// see it, so it can never cause a diff; updates put it back. The Terraform
// provider does the same (resource_space.go removeSpaceManagers/addSpaceManagers).
const managersTeamPrefix = "teams-spacemanagers-"

// Spaces returns every space of the instance, in one request per 1000 spaces.
func (c *Client) Spaces(ctx context.Context) ([]steps.Space, error) {
	return listAs(ctx, c, "/api/spaces", spaceFromSDK)
}

// CreateSpace creates a space through createOnce (after an ambiguous failure
// it looks the space up by name before trying again), then re-reads it.
func (c *Client) CreateSpace(ctx context.Context, s steps.Space) (steps.Space, error) {
	sp := spaces.NewSpace(s.Name)
	sp.Slug = s.Slug
	sp.Description = s.Description
	sp.SpaceManagersTeams = append([]string{}, s.ManagerTeamIDs...)
	// Always send both lists, even empty: Octopus 2025.3.5362 answered "The
	// SpaceManagersTeamMembers field is required" to a create without it
	// (OctopusDeploy/Issues#9643, go-octopusdeploy#361).
	sp.SpaceManagersTeamMembers = append([]string{}, s.ManagerUserIDs...)
	created, err := createOnce(ctx, c, fmt.Sprintf("space %q", s.Name),
		func() (*spaces.Space, error) { return c.sdk.Spaces.Add(sp) }, // no newclient Add for spaces in v2.115.0
		func() (*spaces.Space, error) { return c.spaceByName(ctx, s.Name) })
	if err != nil {
		return steps.Space{}, err
	}
	if s.TaskQueueStopped && !created.TaskQueueStopped {
		// "a space can't have a stopped task queue via the create, need to do
		// a subsequent update" (terraform-provider-octopusdeploy resource_space.go).
		got, err := c.getSpace(ctx, created.ID)
		if err != nil {
			return steps.Space{}, err
		}
		got.TaskQueueStopped = true
		if _, err := spaces.Update(c.sdk, got); err != nil {
			return steps.Space{}, fmt.Errorf("stop the task queue of space %s: %w", created.ID, normalize(err))
		}
	}
	// "the result of a space add operation seems to not return the correct
	// values for teams, but the get does" (resource_space.go): re-read.
	got, err := c.getSpace(ctx, created.ID)
	if err != nil {
		return steps.Space{}, err
	}
	return spaceFromSDK(got), nil
}

// UpdateSpace reads the space, replaces the fields steps own (keeping the
// teams-spacemanagers-* team and everything else), writes it and re-reads it.
func (c *Client) UpdateSpace(ctx context.Context, s steps.Space) (steps.Space, error) {
	got, err := c.getSpace(ctx, s.ID)
	if err != nil {
		return steps.Space{}, err
	}
	got.Name = s.Name
	if s.Slug != "" {
		got.Slug = s.Slug
	}
	got.Description = s.Description
	teams := append([]string{}, s.ManagerTeamIDs...)
	for _, t := range got.SpaceManagersTeams {
		if strings.HasPrefix(t, managersTeamPrefix) && !slices.Contains(teams, t) {
			teams = append(teams, t)
		}
	}
	got.SpaceManagersTeams = teams
	got.SpaceManagersTeamMembers = append([]string{}, s.ManagerUserIDs...)
	got.TaskQueueStopped = s.TaskQueueStopped
	if err := ctx.Err(); err != nil {
		return steps.Space{}, err
	}
	if _, err := spaces.Update(c.sdk, got); err != nil {
		return steps.Space{}, fmt.Errorf("update space %s: %w", s.ID, normalize(err))
	}
	got, err = c.getSpace(ctx, s.ID)
	if err != nil {
		return steps.Space{}, err
	}
	return spaceFromSDK(got), nil
}

func (c *Client) getSpace(ctx context.Context, id string) (*spaces.Space, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	got, err := spaces.GetByID(c.sdk, id)
	if err != nil {
		return nil, fmt.Errorf("read space %s: %w", id, normalize(err))
	}
	return got, nil
}

// spaceByName finds a space by exact name; ErrNotFound (wrapped) if none.
func (c *Client) spaceByName(ctx context.Context, name string) (*spaces.Space, error) {
	return findListed(ctx, c, "/api/spaces?partialName="+url.QueryEscape(name),
		name, "space", func(s *spaces.Space) string { return s.Name })
}

func spaceFromSDK(s *spaces.Space) steps.Space {
	var teams []string
	for _, t := range s.SpaceManagersTeams {
		if !strings.HasPrefix(t, managersTeamPrefix) {
			teams = append(teams, t)
		}
	}
	return steps.Space{
		ID:               s.ID,
		Name:             s.Name,
		Slug:             s.Slug,
		Description:      s.Description,
		IsDefault:        s.IsDefault,
		ManagerTeamIDs:   teams,
		ManagerUserIDs:   slices.Clone(s.SpaceManagersTeamMembers),
		TaskQueueStopped: s.TaskQueueStopped,
	}
}

// findListed reads the list at path (filtered by name, see ListAll) and
// returns the item whose name is exactly name (see findNamed).
func findListed[T any](ctx context.Context, c *Client, path, name, kind string, nameOf func(*T) string) (*T, error) {
	all, err := ListAll[T](ctx, c, path)
	if err != nil {
		return nil, err
	}
	return findNamed(all, name, kind, nameOf)
}

// findNamed returns a pointer to the item of items whose name is exactly
// name, or ErrNotFound (wrapped) naming kind.
func findNamed[T any](items []T, name, kind string, nameOf func(*T) string) (*T, error) {
	for i := range items {
		if nameOf(&items[i]) == name {
			return &items[i], nil
		}
	}
	return nil, fmt.Errorf("%s %q: %w", kind, name, steps.ErrNotFound)
}
