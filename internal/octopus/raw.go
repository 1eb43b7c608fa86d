package octopus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/resources"
)

// The raw helpers call endpoints the SDK has no method for. They go through
// the SDK's HttpSession, so the same transport (rate limit, retries, counts),
// the same headers (X-Octopus-ApiKey, User-Agent) and the same error shape
// (*core.APIError, mapped by normalize) apply, and paths resolve against the
// server URL the way the SDK's own do, sub-path included. Paths are
// "/api/..." relative to the server URL; in and out are Octopus-shaped
// (PascalCase) structs, out may be nil. Unlike SDK calls, raw requests carry
// ctx.

func (c *Client) getRaw(ctx context.Context, path string, out any) error {
	return c.doRaw(ctx, http.MethodGet, path, nil, out)
}

func (c *Client) putRaw(ctx context.Context, path string, in, out any) error {
	return c.doRaw(ctx, http.MethodPut, path, in, out)
}

// postRaw is never retried by the transport after an ambiguous failure:
// wrap creates in createOnce.
func (c *Client) postRaw(ctx context.Context, path string, in, out any) error {
	return c.doRaw(ctx, http.MethodPost, path, in, out)
}

func (c *Client) deleteRaw(ctx context.Context, path string) error {
	return c.doRaw(ctx, http.MethodDelete, path, nil, nil)
}

func (c *Client) doRaw(ctx context.Context, method, path string, in, out any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.relPath(path), nil)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if out == nil {
		out = new(json.RawMessage)
	}
	resp, err := c.sdk.HttpSession().DoRawJsonRequest(req, in, out, new(core.APIError))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, normalize(err))
	}
	// DoRawJsonRequest answers "success" to a non-2xx without a body; the
	// transport always adds one, but do not rely on it.
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %w", method, path,
			normalize(&core.APIError{StatusCode: resp.StatusCode, ErrorMessage: http.StatusText(resp.StatusCode)}))
	}
	return nil
}

// relPath turns a link the server returned (absolute from the host, so with
// the sub-path the server is hosted under, e.g. /octopus/api/...) into a path
// relative to the server URL. Other paths pass unchanged.
func (c *Client) relPath(link string) string {
	if p := strings.TrimSuffix(c.base.Path, "/"); p != "" && strings.HasPrefix(link, p+"/api") {
		return strings.TrimPrefix(link, p)
	}
	return link
}

// listAs reads a paged collection (see ListAll) and converts each item with
// from.
func listAs[T, S any](ctx context.Context, c *Client, path string, from func(*T) S) ([]S, error) {
	all, err := ListAll[T](ctx, c, path)
	if err != nil {
		return nil, err
	}
	out := make([]S, len(all))
	for i := range all {
		out[i] = from(&all[i])
	}
	return out, nil
}

// getAllRaw reads an /all endpoint (a bare JSON array) in one request and
// converts each item with from; failures are wrapped as "list <what>: …".
func getAllRaw[W, T any](ctx context.Context, c *Client, path, what string, from func(W) T) ([]T, error) {
	var ws []W
	if err := c.getRaw(ctx, path, &ws); err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	out := make([]T, 0, len(ws))
	for _, w := range ws {
		out = append(out, from(w))
	}
	return out, nil
}

// postRawAs POSTs in to path (see postRaw: wrap it in createOnce) and
// converts the answer with from.
func postRawAs[W, T any](ctx context.Context, c *Client, path string, in any, from func(W) T) (T, error) {
	var got W
	if err := c.postRaw(ctx, path, in, &got); err != nil {
		var zero T
		return zero, err
	}
	return from(got), nil
}

// ListAll reads a whole paged collection from path (a newclient-style list
// endpoint such as "/api/Spaces-1/environments", optionally with filters):
// it asks for skip=0&take=PageSize (default 1000) and follows
// Links["Page.Next"] until the last page. A collection of up to PageSize items
// therefore costs one request, where the SDK's GetAll functions take the
// server's default page of 30 and follow Page.Next (one request per 30
// items). Use it for every list a step diffs against; endpoints with an /all
// form (a bare JSON array) can be read with getRaw in one request instead.
// T is the item type, e.g. environments.Environment.
func ListAll[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	u, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", path, err)
	}
	q := u.Query()
	q.Set("skip", "0")
	q.Set("take", strconv.Itoa(c.pageSize))
	u.RawQuery = q.Encode()
	next := u.String()

	var items []T
	for pages := 0; next != ""; pages++ {
		if pages > 100000 {
			return nil, fmt.Errorf("list %s: the server keeps returning Page.Next", path)
		}
		var page resources.Resources[T]
		if err := c.getRaw(ctx, next, &page); err != nil {
			return nil, err
		}
		items = append(items, page.Items...)
		if len(page.Items) == 0 {
			break // a Page.Next past the end would otherwise loop
		}
		next = page.Links.PageNext
	}
	return items, nil
}
