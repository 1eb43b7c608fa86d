package octopus

import (
	"context"
	"fmt"
	"net/url"
)

// DeleteSpace deletes a space and everything in it (DELETE /api/spaces/{id}).
//
// Octopus refuses (400) to delete a space whose task queue is running, and
// the default space: stop the queue with UpdateSpace first, as the SDK's e2e
// DeleteTestSpace and the Terraform provider's resource_space.go Delete do.
// The call is raw although the SDK has client.Spaces.DeleteByID: that legacy
// path takes no context and turns a 400 into "bad request from endpoint …",
// dropping the server's reason.
func (c *Client) DeleteSpace(ctx context.Context, id string) error {
	if err := c.deleteRaw(ctx, "/api/spaces/"+url.PathEscape(id)); err != nil {
		return fmt.Errorf("delete space %s: %w", id, err)
	}
	return nil
}
