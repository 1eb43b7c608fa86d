package octopus

import (
	"context"
	"fmt"
	"net/url"

	"github.com/octofleet/octofleet/steps"
)

// wireCommunityTemplate is CommunityActionTemplateResource.
type wireCommunityTemplate struct {
	ID          string `json:"Id"`
	Name        string `json:"Name"`
	Description string `json:"Description"`
	Type        string `json:"Type"`
	Version     int    `json:"Version"`
}

// CommunityTemplates implements steps.TemplateOctopus. The collection has
// no /all endpoint (swagger 2026.1), so it is read page by page with a large take.
func (c *Client) CommunityTemplates(ctx context.Context) ([]steps.CommunityTemplate, error) {
	ws, err := ListAll[wireCommunityTemplate](ctx, c, "/api/communityactiontemplates")
	if err != nil {
		return nil, fmt.Errorf("list community step templates: %w", err)
	}
	out := make([]steps.CommunityTemplate, 0, len(ws))
	for _, w := range ws {
		out = append(out, steps.CommunityTemplate{ID: w.ID, Name: w.Name, Description: w.Description, ActionType: w.Type, Version: w.Version})
	}
	return out, nil
}

func installationPath(communityID, spaceID string) string {
	return "/api/communityactiontemplates/" + url.PathEscape(communityID) + "/installation/" + url.PathEscape(spaceID)
}

// InstallCommunityTemplate implements steps.TemplateOctopus. After an
// ambiguous failure it looks for the installed copy before trying again.
func (c *Client) InstallCommunityTemplate(ctx context.Context, spaceID, communityID string) (steps.ActionTemplate, error) {
	return createOnce(ctx, c, "community step template "+communityID, func() (steps.ActionTemplate, error) {
		return postRawAs(ctx, c, installationPath(communityID, spaceID), nil, templateFromWire)
	}, func() (steps.ActionTemplate, error) {
		all, err := c.ActionTemplates(ctx, spaceID)
		if err != nil {
			return steps.ActionTemplate{}, err
		}
		for _, t := range all {
			if t.CommunityTemplateID == communityID {
				return t, nil
			}
		}
		return steps.ActionTemplate{}, fmt.Errorf("installed community template %s: %w", communityID, steps.ErrNotFound)
	})
}

// UpdateCommunityTemplate implements steps.TemplateOctopus.
func (c *Client) UpdateCommunityTemplate(ctx context.Context, spaceID, communityID string) (steps.ActionTemplate, error) {
	var got wireActionTemplate
	if err := c.putRaw(ctx, installationPath(communityID, spaceID), nil, &got); err != nil {
		return steps.ActionTemplate{}, fmt.Errorf("update community step template %s: %w", communityID, err)
	}
	return templateFromWire(got), nil
}
