package octopus

import (
	"context"

	"github.com/octofleet/octofleet/steps"
)

// WorkerPools implements steps.TemplateOctopus with one GET of /all.
func (c *Client) WorkerPools(ctx context.Context, spaceID string) ([]steps.Ref, error) {
	return c.namedRefs(ctx, spacePath(spaceID, "workerpools", "all"), "worker pools")
}
