package octopus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/services"

	"github.com/octofleet/octofleet/steps"
)

// apiError is an error answer from the Octopus API in readable form. It
// unwraps to the steps sentinel it maps to (if any) and to the SDK's error,
// so both errors.Is(err, steps.ErrNotFound) and errors.As(err, **core.APIError)
// work.
type apiError struct {
	kind   error // steps.ErrNotFound, ErrConflict, ErrUnauthorized, ErrForbidden or nil
	status int   // 0 when the SDK's error shape lost it
	msg    string
	cause  error
}

func (e *apiError) Error() string {
	var b strings.Builder
	if e.kind != nil {
		b.WriteString(e.kind.Error())
		b.WriteString(": ")
	}
	b.WriteString("octopus api")
	if e.status != 0 {
		fmt.Fprintf(&b, " HTTP %d", e.status)
	}
	if e.msg != "" {
		b.WriteString(": ")
		b.WriteString(e.msg)
	}
	return b.String()
}

func (e *apiError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.cause}
	}
	return []error{e.kind, e.cause}
}

// duplicateName matches the server's "that name is taken" answers, which
// Octopus sends as 400 (it does not use 409 for them; swagger lists only
// 200/201/400/404 for creates). Texts seen from real servers include
// "A package reference with the name 'X' already exists"
// (OctopusDeployLabs/terraform-provider-octopusdeploy#134) and, for community
// templates, "Action Template already installed" (docs/octopus-api.md); the
// per-resource wording of name clashes varies, so the match is on the phrases.
var duplicateName = regexp.MustCompile(`(?i)already (exists|in use|been (used|taken)|installed)|must be unique|is not unique|duplicate name`)

// staleVersion matches the 400 Octopus sends when a PUT carries the Version
// of a document (deployment process, variable set) that another writer has
// changed since: optimistic concurrency. The exact text is not published;
// the emulator's (internal/emulator projects.go, variables.go) and the
// "modified by another user" wording the web portal shows are matched, both
// ending in the advice to reload.
var staleVersion = regexp.MustCompile(`(?i)(has been|was) modified (since|by another)|reload and try again`)

// normalize maps the SDK's error shapes onto the steps sentinels, keeping the
// server's message and the original error in the chain:
//
//   - services.ErrItemNotFound (legacy GetByName/GetByIDOrName) and
//     *core.APIError{StatusCode: 404} (newclient, legacy GetByID) → ErrNotFound;
//   - 401, including legacy api.ApiGet's errors.New("unauthorized") → ErrUnauthorized;
//   - 403 → ErrForbidden;
//   - 409, or 400 whose message says the name is taken → ErrConflict;
//   - the legacy services' fmt.Errorf("octopus deploy api returned an error on
//     endpoint … - [...]") strings carry no status: they are mapped by text.
//
// Anything else comes back with the API's ErrorMessage and Errors readable.
// Already-normalized errors pass through unchanged.
func normalize(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{steps.ErrNotFound, steps.ErrConflict, steps.ErrUnauthorized, steps.ErrForbidden} {
		if errors.Is(err, s) {
			return err
		}
	}
	if errors.Is(err, services.ErrItemNotFound) {
		return &apiError{kind: steps.ErrNotFound, status: http.StatusNotFound, msg: err.Error(), cause: err}
	}
	if ae := asAPIError(err); ae != nil {
		msg := apiMessage(ae)
		return &apiError{kind: kindOf(ae.StatusCode, msg), status: ae.StatusCode, msg: msg, cause: err}
	}
	msg := err.Error()
	switch {
	case msg == "unauthorized": // legacy api.ApiGet on any 401
		return &apiError{kind: steps.ErrUnauthorized, status: http.StatusUnauthorized,
			msg: "the server rejected the API key (check --api-key)", cause: err}
	case strings.HasPrefix(msg, "octopus deploy api returned an error on endpoint"):
		if kind := kindOf(0, msg); kind != nil {
			return &apiError{kind: kind, msg: msg, cause: err}
		}
	}
	return err
}

// asAPIError finds the SDK's API error, which newclient returns as a pointer
// and some legacy paths as a value.
func asAPIError(err error) *core.APIError {
	var p *core.APIError
	if errors.As(err, &p) && p != nil {
		return p
	}
	var v core.APIError
	if errors.As(err, &v) {
		return &v
	}
	return nil
}

func apiMessage(ae *core.APIError) string {
	parts := []string{}
	if m := strings.TrimSpace(ae.ErrorMessage); m != "" {
		parts = append(parts, m)
	}
	for _, e := range ae.Errors {
		if e = strings.TrimSpace(e); e != "" && e != ae.ErrorMessage {
			parts = append(parts, e)
		}
	}
	if len(parts) == 0 && ae.FullException != "" {
		first, _, _ := strings.Cut(strings.TrimSpace(ae.FullException), "\n")
		parts = append(parts, first)
	}
	return strings.Join(parts, "; ")
}

// kindOf maps a status (0 = unknown) and message onto a sentinel, or nil.
func kindOf(status int, msg string) error {
	switch status {
	case http.StatusNotFound:
		return steps.ErrNotFound
	case http.StatusUnauthorized:
		return steps.ErrUnauthorized
	case http.StatusForbidden:
		return steps.ErrForbidden
	case http.StatusConflict:
		return steps.ErrConflict
	case http.StatusBadRequest, 0:
		if duplicateName.MatchString(msg) || staleVersion.MatchString(msg) {
			return steps.ErrConflict
		}
	}
	if status == 0 {
		// Texts of the legacy string errors (docs/octopus-api.md §2).
		switch {
		case strings.Contains(msg, "You must be logged in"):
			return steps.ErrUnauthorized
		case strings.Contains(msg, "do not have permission"):
			return steps.ErrForbidden
		}
	}
	return nil
}

// ambiguous reports whether a failed write may nevertheless have been applied:
// the connection broke after the request was sent, the answer was cut short,
// a timeout fired, or the server failed with a 5xx. A refused connection (the
// request never left) and a cancelled context are not ambiguous; createOnce
// checks its own context before acting on a timeout.
func ambiguous(err error) bool {
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return false
	case isDialError(err):
		return false
	}
	if ae := asAPIError(err); ae != nil {
		return ae.StatusCode >= 500
	}
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.As(err, &ne), errors.As(err, &ue),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	}
	// Legacy services flatten transport errors into text (core.APIErrorChecker).
	return strings.Contains(err.Error(), "failure from http client")
}

// createOnce creates a resource without ever creating it twice. POST is not
// idempotent and the transport does not retry it; when create fails
// ambiguously (see ambiguous: the server may have applied it), createOnce asks
// find, which must look the resource up by its natural key (name, slug): if it
// exists, the attempt worked and it is returned; if find says ErrNotFound,
// the attempt did not land and create runs again after a backoff, as long as
// the client's retry policy allows (c nil: once). Any other failure, and every
// clear refusal (4xx: a duplicate name, bad input), is returned at once,
// normalized and wrapped as "create <what>: …".
func createOnce[T any](ctx context.Context, c *Client, what string, create func() (T, error), find func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("create %s: %w", what, err)
	}
	for attempt := 1; ; attempt++ {
		got, err := create()
		if err == nil {
			return got, nil
		}
		if !ambiguous(err) {
			if attempt > 1 {
				return zero, fmt.Errorf("create %s: attempt %d: %w", what, attempt, normalize(err))
			}
			return zero, fmt.Errorf("create %s: %w", what, normalize(err))
		}
		if cerr := ctx.Err(); cerr != nil {
			return zero, fmt.Errorf("create %s: %w (then %w)", what, normalize(err), cerr)
		}
		found, ferr := find()
		switch {
		case ferr == nil:
			return found, nil
		case !errors.Is(normalize(ferr), steps.ErrNotFound):
			return zero, fmt.Errorf("create %s: %v; then look up: %w", what, err, normalize(ferr))
		}
		if werr := c.retryCreate(ctx, attempt); werr != nil {
			return zero, fmt.Errorf("create %s: gave up after %d attempts, each checked not to have landed (%v); last answer: %w", what, attempt, werr, normalize(err))
		}
		if c != nil {
			c.log.Warn("create failed and did not land; creating again", "what", what, "attempt", attempt, "error", err.Error())
		}
	}
}

// retryCreate waits before create attempt n+1, or says why there is none.
func (c *Client) retryCreate(ctx context.Context, n int) error {
	if c == nil {
		if n >= 2 {
			return errors.New("no retries left")
		}
		return ctx.Err()
	}
	t := c.transport
	if n > t.maxRetries {
		return fmt.Errorf("no retries left for this create (%d made)", n-1)
	}
	if !t.spend() {
		return errors.New(t.gaveUp(n - 1))
	}
	return t.sleep(ctx, t.backoff(n))
}

// readModifyWrite updates a resource the way the SDK allows: read it with
// get, let change edit it and write it back with put, whose answer it
// returns. ctx is checked before each request (SDK calls do not carry it);
// failures are normalized and wrapped as "read <what>: …" and
// "update <what>: …".
func readModifyWrite[R any](ctx context.Context, what string, get func() (R, error), change func(R), put func(R) (R, error)) (R, error) {
	var zero R
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	got, err := get()
	if err != nil {
		return zero, fmt.Errorf("read %s: %w", what, normalize(err))
	}
	change(got)
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	updated, err := put(got)
	if err != nil {
		return zero, fmt.Errorf("update %s: %w", what, normalize(err))
	}
	return updated, nil
}
