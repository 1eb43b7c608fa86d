package octopus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/services"

	"github.com/octofleet/octofleet/steps"
)

func TestNormalizeShapes(t *testing.T) {
	t.Parallel()
	dup := "The environment name 'Dev' is already in use. Please choose a different name."
	tests := []struct {
		name     string
		err      error
		want     error  // sentinel, or nil for pass-through
		wantText string // must appear in the message
	}{
		{"legacy ErrItemNotFound", services.ErrItemNotFound, steps.ErrNotFound, "cannot find the item"},
		{"wrapped ErrItemNotFound", fmt.Errorf("get: %w", services.ErrItemNotFound), steps.ErrNotFound, "cannot find the item"},
		{"newclient 404", &core.APIError{StatusCode: 404, ErrorMessage: "The resource 'Spaces-9' was not found."}, steps.ErrNotFound, "Spaces-9"},
		{"404 as a value", core.APIError{StatusCode: 404, ErrorMessage: "gone"}, steps.ErrNotFound, "gone"},
		{"legacy ApiGet 401", errors.New("unauthorized"), steps.ErrUnauthorized, "--api-key"},
		{"newclient 401", &core.APIError{StatusCode: 401, ErrorMessage: "You must be logged in"}, steps.ErrUnauthorized, "logged in"},
		{"403", &core.APIError{StatusCode: 403, ErrorMessage: "You do not have permission to perform this action."}, steps.ErrForbidden, "permission"},
		{"409", &core.APIError{StatusCode: 409, ErrorMessage: "changed by someone else"}, steps.ErrConflict, "someone else"},
		{"400 duplicate name", &core.APIError{StatusCode: 400, ErrorMessage: "There was a problem with your request.", Errors: []string{dup}}, steps.ErrConflict, dup},
		{"400 already exists", &core.APIError{StatusCode: 400, ErrorMessage: "A package reference with the name 'x' already exists"}, steps.ErrConflict, "already exists"},
		{"400 stale version", &core.APIError{StatusCode: 400, ErrorMessage: "The variable set has been modified since you loaded it (version 3, you sent 2). Please reload and try again."}, steps.ErrConflict, "modified since"},
		{"400 other", &core.APIError{StatusCode: 400, ErrorMessage: "There was a problem with your request.", Errors: []string{"Name is required"}}, nil, "Name is required"},
		{"legacy string duplicate", fmt.Errorf("octopus deploy api returned an error on endpoint /api/spaces - %s", []string{dup}), steps.ErrConflict, dup},
		{"legacy string 401", fmt.Errorf("octopus deploy api returned an error on endpoint /api/spaces - %s", []string{"You must be logged in to perform this action."}), steps.ErrUnauthorized, "logged in"},
		{"legacy string other", fmt.Errorf("octopus deploy api returned an error on endpoint /api/x - %s", []string{"Bad thing"}), nil, "Bad thing"},
		{"500 keeps message", &core.APIError{StatusCode: 500, ErrorMessage: "boom", FullException: "System.Exception: boom\n at X"}, nil, "boom"},
		{"500 without message uses exception", &core.APIError{StatusCode: 500, FullException: "System.Exception: kaput\n at X"}, nil, "kaput"},
		{"already normalized", fmt.Errorf("x: %w", steps.ErrConflict), steps.ErrConflict, "x: conflict"},
		{"plain error", errors.New("dial tcp: refused"), nil, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := normalize(tt.err)
			for _, s := range []error{steps.ErrNotFound, steps.ErrConflict, steps.ErrUnauthorized, steps.ErrForbidden} {
				if is := errors.Is(got, s); is != (s == tt.want) {
					t.Errorf("errors.Is(%q, %v) = %v, want %v", got, s, is, !is)
				}
			}
			if !strings.Contains(got.Error(), tt.wantText) {
				t.Errorf("message %q does not contain %q", got, tt.wantText)
			}
			if !errors.Is(got, tt.err) && asAPIError(tt.err) == nil {
				t.Errorf("%q lost its cause %q", got, tt.err)
			}
			if ae := asAPIError(tt.err); ae != nil && asAPIError(got) == nil {
				t.Errorf("%q lost the *core.APIError", got)
			}
		})
	}
	if normalize(nil) != nil {
		t.Error("normalize(nil) != nil")
	}
}

func TestAmbiguous(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"dropped response", &url.Error{Op: "Post", URL: "http://x/api/spaces", Err: io.EOF}, true},
		{"cut body", fmt.Errorf("decode: %w", io.ErrUnexpectedEOF), true},
		{"reset", &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}}, true},
		{"5xx", &core.APIError{StatusCode: 503}, true},
		{"legacy flattened transport error", errors.New("cannot get endpoint /api/x from server. failure from http client EOF"), true},
		{"refused connection", &url.Error{Op: "Post", URL: "http://x", Err: dial}, false},
		{"4xx", &core.APIError{StatusCode: 400}, false},
		{"429", &core.APIError{StatusCode: 429}, false},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := ambiguous(tt.err); got != tt.want {
			t.Errorf("%s: ambiguous(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestCreateOnceDecisions(t *testing.T) {
	t.Parallel()
	dropped := &url.Error{Op: "Post", URL: "http://x/api/spaces", Err: io.EOF}
	dup := &core.APIError{StatusCode: 400, Errors: []string{"The space name 'A' is already in use."}}
	notFound := &core.APIError{StatusCode: 404, ErrorMessage: "none"}
	tests := []struct {
		name              string
		creates           []error // result of each create call, in order
		find              error
		wantCreates       int
		wantFinds         int
		wantErr           error // sentinel or nil; "ok" when wantOK
		wantOK            bool
		wantFromFindValue bool
	}{
		{"success", []error{nil}, nil, 1, 0, nil, true, false},
		{"clear refusal is final", []error{dup}, nil, 1, 0, steps.ErrConflict, false, false},
		{"dropped then found", []error{dropped}, nil, 1, 1, nil, true, true},
		{"dropped, not found, created", []error{dropped, nil}, notFound, 2, 1, nil, true, false},
		{"5xx, not found, created", []error{&core.APIError{StatusCode: 500}, nil}, fmt.Errorf("look: %w", steps.ErrNotFound), 2, 1, nil, true, false},
		{"dropped, lookup fails", []error{dropped}, &core.APIError{StatusCode: 403}, 1, 1, steps.ErrForbidden, false, false},
		{"dropped twice", []error{dropped, dropped}, notFound, 2, 2, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			creates, finds := 0, 0
			got, err := createOnce(context.Background(), nil, `space "A"`,
				func() (string, error) {
					e := tt.creates[creates]
					creates++
					if e != nil {
						return "", e
					}
					return "created", nil
				},
				func() (string, error) {
					finds++
					if tt.find != nil {
						return "", tt.find
					}
					return "found", nil
				})
			if creates != tt.wantCreates || finds != tt.wantFinds {
				t.Errorf("creates, finds = %d, %d; want %d, %d", creates, finds, tt.wantCreates, tt.wantFinds)
			}
			if tt.wantOK != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.wantOK)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), `create space "A": `) {
				t.Errorf("err = %q, want the create context", err)
			}
			if want := map[bool]string{true: "found", false: "created"}[tt.wantFromFindValue]; err == nil && got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestCreateOnceCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	_, err := createOnce(ctx, nil, "x", func() (int, error) { called = true; return 1, nil }, func() (int, error) { return 0, nil })
	if !errors.Is(err, context.Canceled) || called {
		t.Errorf("err = %v, create called = %v; want context.Canceled and no call", err, called)
	}
}
