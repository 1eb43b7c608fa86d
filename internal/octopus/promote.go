package octopus

import (
	"context"
	"fmt"
	"strings"

	"github.com/octofleet/octofleet/steps"
)

// Generic document access for `octofleet promote` and `octofleet diff`
// (internal/promote): they describe each resource kind once as data (its
// collection path, name field, owned and reference fields) and walk every
// kind with one algorithm, so they need the documents as JSON objects rather
// than one typed method per kind. The requests go through the SDK's
// HttpSession like every raw helper (raw.go), so the transport's rate limit,
// retries and counts apply. Paths are "/api/..." relative to the server URL.

// Document is an Octopus resource as the API serves it (PascalCase keys).
type Document = map[string]any

// ListDocuments reads a whole collection: a paged list (ListAll, one request
// per PageSize items) or, for a path ending in "/all", the bare array in one
// request.
func (c *Client) ListDocuments(ctx context.Context, path string) ([]Document, error) {
	if strings.HasSuffix(path, "/all") {
		var docs []Document
		if err := c.getRaw(ctx, path, &docs); err != nil {
			return nil, fmt.Errorf("list %s: %w", path, err)
		}
		return docs, nil
	}
	docs, err := ListAll[Document](ctx, c, path)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", path, err)
	}
	return docs, nil
}

// GetDocument reads one document.
func (c *Client) GetDocument(ctx context.Context, path string) (Document, error) {
	var d Document
	if err := c.getRaw(ctx, path, &d); err != nil {
		return nil, err
	}
	return d, nil
}

// UpdateDocument PUTs doc to path and returns the server's answer.
func (c *Client) UpdateDocument(ctx context.Context, path string, doc Document) (Document, error) {
	var got Document
	if err := c.putRaw(ctx, path, doc, &got); err != nil {
		return nil, err
	}
	return got, nil
}

// CreateDocument POSTs doc to the collection path. After an ambiguous failure
// (5xx, dropped connection) it looks the document up with find before trying
// again, so a create is never sent twice for one object (createOnce); find
// returns steps.ErrNotFound when the first attempt did not land.
func (c *Client) CreateDocument(ctx context.Context, path string, doc Document, find func(context.Context) (Document, error)) (Document, error) {
	what := path
	if n, ok := doc["Name"].(string); ok {
		what = fmt.Sprintf("%s %q", path, n)
	}
	return createOnce(ctx, c, what, func() (Document, error) {
		var got Document
		err := c.postRaw(ctx, path, doc, &got)
		return got, err
	}, func() (Document, error) {
		if find == nil {
			return nil, fmt.Errorf("%s: %w", what, steps.ErrNotFound)
		}
		return find(ctx)
	})
}

// DeleteDocument deletes the document at path.
func (c *Client) DeleteDocument(ctx context.Context, path string) error {
	return c.deleteRaw(ctx, path)
}

// CurrentUserID is the ID of the API key's user (GET /api/users/me): a new
// space needs a manager, and promote makes it that user.
func (c *Client) CurrentUserID(ctx context.Context) (string, error) {
	var me struct {
		ID string `json:"Id"`
	}
	if err := c.getRaw(ctx, "/api/users/me", &me); err != nil {
		return "", fmt.Errorf("read the API key's user: %w", err)
	}
	return me.ID, nil
}
