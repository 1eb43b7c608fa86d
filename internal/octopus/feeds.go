package octopus

import (
	"context"

	"github.com/octofleet/octofleet/steps"
)

// Feeds implements steps.TemplateOctopus with one GET of /all.
func (c *Client) Feeds(ctx context.Context, spaceID string) ([]steps.Ref, error) {
	return c.namedRefs(ctx, spacePath(spaceID, "feeds", "all"), "feeds")
}
