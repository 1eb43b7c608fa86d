package octopus

import (
	"context"
	"fmt"
	"net/url"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/projectgroups"

	"github.com/octofleet/octofleet/steps"
)

// ProjectGroups returns the project groups of a space, in one request per
// 1000 groups.
func (c *Client) ProjectGroups(ctx context.Context, spaceID string) ([]steps.ProjectGroup, error) {
	return listAs(ctx, c, "/api/"+url.PathEscape(spaceID)+"/projectgroups", pgFromSDK)
}

// CreateProjectGroup creates a project group in g.SpaceID.
func (c *Client) CreateProjectGroup(ctx context.Context, g steps.ProjectGroup) (steps.ProjectGroup, error) {
	pg := projectgroups.NewProjectGroup(g.Name)
	pg.SpaceID = g.SpaceID
	pg.Description = g.Description
	got, err := createOnce(ctx, c, fmt.Sprintf("project group %q", g.Name),
		func() (*projectgroups.ProjectGroup, error) { return projectgroups.Add(c.sdk, pg) },
		func() (*projectgroups.ProjectGroup, error) {
			return findListed(ctx, c, "/api/"+url.PathEscape(g.SpaceID)+"/projectgroups?partialName="+url.QueryEscape(g.Name),
				g.Name, "project group", func(x *projectgroups.ProjectGroup) string { return x.Name })
		})
	if err != nil {
		return steps.ProjectGroup{}, err
	}
	return pgFromSDK(got), nil
}

// UpdateProjectGroup reads the project group, replaces its name and
// description, and writes it.
func (c *Client) UpdateProjectGroup(ctx context.Context, g steps.ProjectGroup) (steps.ProjectGroup, error) {
	updated, err := readModifyWrite(ctx, "project group "+g.ID,
		func() (*projectgroups.ProjectGroup, error) { return projectgroups.GetByID(c.sdk, g.SpaceID, g.ID) },
		func(got *projectgroups.ProjectGroup) {
			got.Name = g.Name
			got.Description = g.Description
			got.SpaceID = g.SpaceID
		},
		func(got *projectgroups.ProjectGroup) (*projectgroups.ProjectGroup, error) {
			return projectgroups.Update(c.sdk, *got)
		})
	if err != nil {
		return steps.ProjectGroup{}, err
	}
	return pgFromSDK(updated), nil
}

func pgFromSDK(g *projectgroups.ProjectGroup) steps.ProjectGroup {
	return steps.ProjectGroup{ID: g.ID, SpaceID: g.SpaceID, Name: g.Name, Description: g.Description}
}
