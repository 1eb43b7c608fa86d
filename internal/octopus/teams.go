package octopus

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/teams"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/userroles"

	"github.com/octofleet/octofleet/steps"
)

// Teams returns the system teams and, when spaceID is not empty, the teams of
// that space, in one request per 1000 teams.
func (c *Client) Teams(ctx context.Context, spaceID string) ([]steps.Team, error) {
	path := "/api/teams?includeSystem=true"
	if spaceID != "" {
		path += "&spaces=" + url.QueryEscape(spaceID)
	}
	all, err := ListAll[teams.Team](ctx, c, path)
	if err != nil {
		return nil, err
	}
	var out []steps.Team
	for i := range all {
		// Without a spaces filter the server lists the teams of every space
		// the key can see; keep the system teams and this space's only.
		if all[i].SpaceID == "" || all[i].SpaceID == spaceID {
			out = append(out, teamFromSDK(&all[i]))
		}
	}
	return out, nil
}

// CreateTeam creates a team in t.SpaceID (POST /api/{spaceId}/teams) or, when
// t.SpaceID is empty, a system team (POST /api/teams). The system team is a
// raw call: the SDK's teams.Add always posts to a space's URL (the client's
// default space when the team has none), and its legacy Teams service is
// bound to the default space's links.
func (c *Client) CreateTeam(ctx context.Context, t steps.Team) (steps.Team, error) {
	tm := teams.NewTeam(t.Name)
	tm.SpaceID = t.SpaceID
	tm.Description = t.Description
	tm.MemberUserIDs = append([]string{}, t.MemberUserIDs...)
	what, create := fmt.Sprintf("team %q", t.Name), func() (*teams.Team, error) { return teams.Add(c.sdk, tm) }
	// A space's teams are listed with spaces=; system teams with
	// includeSystem=true (see Teams). Either way only a team of the same
	// space (or none) is the one created.
	filter := "spaces=" + url.QueryEscape(t.SpaceID)
	if t.SpaceID == "" {
		what, filter = fmt.Sprintf("system team %q", t.Name), "includeSystem=true"
		create = func() (*teams.Team, error) {
			var out teams.Team
			if err := c.postRaw(ctx, "/api/teams", tm, &out); err != nil {
				return nil, err
			}
			return &out, nil
		}
	}
	got, err := createOnce(ctx, c, what, create,
		func() (*teams.Team, error) {
			all, err := ListAll[teams.Team](ctx, c, "/api/teams?"+filter+"&partialName="+url.QueryEscape(t.Name))
			if err != nil {
				return nil, err
			}
			all = slices.DeleteFunc(all, func(x teams.Team) bool { return x.SpaceID != t.SpaceID })
			return findNamed(all, t.Name, "team", func(x *teams.Team) string { return x.Name })
		})
	if err != nil {
		return steps.Team{}, err
	}
	return teamFromSDK(got), nil
}

// UpdateTeam reads the team, replaces its name, description and members, and
// writes it (the PUT's answer is the team as stored).
func (c *Client) UpdateTeam(ctx context.Context, t steps.Team) (steps.Team, error) {
	updated, err := readModifyWrite(ctx, "team "+t.ID,
		func() (*teams.Team, error) { return c.sdk.Teams.GetByID(t.ID) },
		func(got *teams.Team) {
			got.Name = t.Name
			got.Description = t.Description
			got.MemberUserIDs = append([]string{}, t.MemberUserIDs...)
		},
		func(got *teams.Team) (*teams.Team, error) { return c.sdk.Teams.Update(got) })
	if err != nil {
		return steps.Team{}, err
	}
	return teamFromSDK(updated), nil
}

// ScopedUserRoles returns every scoped user role of team teamID.
func (c *Client) ScopedUserRoles(ctx context.Context, teamID string) ([]steps.ScopedUserRole, error) {
	return listAs(ctx, c, "/api/teams/"+url.PathEscape(teamID)+"/scopeduserroles", scopedRoleFromSDK)
}

// CreateScopedUserRole grants r.UserRoleID to r.TeamID. A scoped role has no
// name: after an ambiguous failure the team's roles are searched for one
// with the same role, space and scope.
func (c *Client) CreateScopedUserRole(ctx context.Context, r steps.ScopedUserRole) (steps.ScopedUserRole, error) {
	sr := userroles.NewScopedUserRole(r.UserRoleID)
	sr.TeamID = r.TeamID
	sr.SpaceID = r.SpaceID
	sr.EnvironmentIDs = r.EnvironmentIDs
	sr.ProjectGroupIDs = r.ProjectGroupIDs
	sr.ProjectIDs = r.ProjectIDs
	sr.TenantIDs = r.TenantIDs
	got, err := createOnce(ctx, c, fmt.Sprintf("scoped user role %s of team %s", r.UserRoleID, r.TeamID),
		func() (*userroles.ScopedUserRole, error) { return c.sdk.ScopedUserRoles.Add(sr) }, // legacy only in v2.115.0
		func() (*userroles.ScopedUserRole, error) {
			have, err := c.ScopedUserRoles(ctx, r.TeamID)
			if err != nil {
				return nil, err
			}
			for _, h := range have {
				if h.UserRoleID == r.UserRoleID && h.SpaceID == r.SpaceID && sameIDs(h.EnvironmentIDs, r.EnvironmentIDs) &&
					sameIDs(h.ProjectGroupIDs, r.ProjectGroupIDs) && sameIDs(h.ProjectIDs, r.ProjectIDs) && sameIDs(h.TenantIDs, r.TenantIDs) {
					return c.sdk.ScopedUserRoles.GetByID(h.ID)
				}
			}
			return nil, fmt.Errorf("scoped user role %s of team %s: %w", r.UserRoleID, r.TeamID, steps.ErrNotFound)
		})
	if err != nil {
		return steps.ScopedUserRole{}, err
	}
	return scopedRoleFromSDK(got), nil
}

// UpdateScopedUserRole reads the scoped role, replaces the scopes r carries
// (a nil slice keeps the current scope) and writes it.
func (c *Client) UpdateScopedUserRole(ctx context.Context, r steps.ScopedUserRole) (steps.ScopedUserRole, error) {
	updated, err := readModifyWrite(ctx, "scoped user role "+r.ID,
		func() (*userroles.ScopedUserRole, error) { return c.sdk.ScopedUserRoles.GetByID(r.ID) },
		func(got *userroles.ScopedUserRole) {
			if r.EnvironmentIDs != nil {
				got.EnvironmentIDs = r.EnvironmentIDs
			}
			if r.ProjectGroupIDs != nil {
				got.ProjectGroupIDs = r.ProjectGroupIDs
			}
		},
		func(got *userroles.ScopedUserRole) (*userroles.ScopedUserRole, error) {
			return c.sdk.ScopedUserRoles.Update(got)
		})
	if err != nil {
		return steps.ScopedUserRole{}, err
	}
	return scopedRoleFromSDK(updated), nil
}

func teamFromSDK(t *teams.Team) steps.Team {
	return steps.Team{ID: t.ID, SpaceID: t.SpaceID, Name: t.Name, Description: t.Description, MemberUserIDs: slices.Clone(t.MemberUserIDs)}
}

func scopedRoleFromSDK(r *userroles.ScopedUserRole) steps.ScopedUserRole {
	return steps.ScopedUserRole{
		ID: r.ID, TeamID: r.TeamID, UserRoleID: r.UserRoleID, SpaceID: r.SpaceID,
		EnvironmentIDs: slices.Clone(r.EnvironmentIDs), ProjectGroupIDs: slices.Clone(r.ProjectGroupIDs),
		ProjectIDs: slices.Clone(r.ProjectIDs), TenantIDs: slices.Clone(r.TenantIDs),
	}
}

// sameIDs compares two ID lists as sets.
func sameIDs(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}
