// Package octopus is octofleet's adapter over go-octopusdeploy: the only package
// that imports the SDK. It hides the SDK's quirks (two not-found shapes, no
// context, links-vs-fixed-path services), maps errors onto the steps sentinels
// and owns the HTTP transport (rate limit, retries, request counting).
//
// Conventions for the domain methods (one file per area):
//   - call ctx.Err() before each SDK call (the SDK takes no context);
//   - pass the space ID explicitly to the SDK's package functions
//     (spaces.GetByID(c.sdk, …), environments.Add(c.sdk, …)); the client has
//     no fixed space, and the legacy c.sdk.X services are bound to the
//     default space's links;
//   - return normalize(err) so steps see ErrNotFound, ErrConflict, …;
//   - create through createOnce, list through ListAll or an /all endpoint,
//     and use getRaw/putRaw/postRaw/deleteRaw only where the SDK has no method.
package octopus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/client"

	"github.com/octofleet/octofleet/steps"
)

var _ steps.Octopus = (*Client)(nil)

// newClientMu serialises client.NewClient: it builds its User-Agent with
// api.GetUserAgentString, which writes a package variable of the SDK
// (pkg/services/api/api.go), so parallel dials race.
var newClientMu sync.Mutex

// Options configure Dial. URL and APIKey are required; the rest have defaults.
type Options struct {
	// URL of the Octopus Server, e.g. https://octopus.example.com or
	// https://host/octopus/ when it is hosted under a sub-path.
	URL string
	// APIKey is sent as X-Octopus-ApiKey. It is never logged or put in errors.
	APIKey string
	// RateLimitPerMinute limits requests client-side to N per minute with a
	// burst of N (retries included). 0 turns the limit off.
	RateLimitPerMinute int
	// HTTPClient is copied; its Transport (default http.DefaultTransport,
	// never modified) sends the requests under octofleet's transport.
	HTTPClient *http.Client
	// Logger receives a debug line per request and warnings. Default: discard.
	Logger *slog.Logger

	// MaxRetries bounds retries of one request after 5xx or connection
	// errors (idempotent methods only) and, separately, after 429 answers.
	// 0 means 10; negative means none.
	MaxRetries int
	// RetryBudget bounds the retries of the whole Client (one run): every
	// request's after 5xx and connection errors, and creates repeated after
	// an existence check showed the earlier attempt did not land. 429
	// answers do not spend it: the server paces, it did not fail.
	// 0 means DefaultRetryBudget; negative means none.
	RetryBudget int
	// RetryBaseDelay and RetryMaxDelay shape the exponential backoff with
	// jitter: step n waits between half and all of min(base·2ⁿ⁻¹, max).
	// Defaults 200ms and 5s.
	RetryBaseDelay, RetryMaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits out; a 429
	// asking for longer is returned as an error. Default 5 minutes.
	MaxRetryAfter time.Duration
	// PageSize is the take ListAll asks for. Default 1000.
	PageSize int

	// Now and Sleep replace the clock for the rate limit, Retry-After dates
	// and backoff waits (tests). Sleep must return early with an error when
	// its context is done.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client implements steps.Octopus against one Octopus Server instance.
type Client struct {
	sdk       *client.Client
	hc        *http.Client
	transport *transport
	base      *url.URL // the server URL, path ending in "/" when not empty
	log       *slog.Logger
	pageSize  int
}

// apiKeyShape is what the SDK accepts (client.IsAPIKey); it rejects any other
// key client-side, lower-case letters included.
var apiKeyShape = regexp.MustCompile(`^API-[A-Z0-9]+$`)

// Dial checks the options, then connects to the server once: the SDK reads
// the API root (GET /api/) and, having no fixed space, lists the spaces to
// find the default one (GET /api/spaces, one page per 30 spaces).
//
// ctx bounds the whole life of the Client, not just Dial: the SDK takes no
// context, so its requests run under ctx and fail once ctx is done (in
// flight included), and domain methods check their own ctx before each SDK
// call. A method's ctx cannot interrupt an SDK request already sent.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	u, err := parseServerURL(opts.URL)
	if err != nil {
		return nil, err
	}
	if err := checkAPIKey(opts.APIKey); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		log.Warn("the Octopus server URL uses http://: the API key crosses the network unencrypted; use https://",
			slog.String("server", u.Redacted()))
	}

	hc := &http.Client{}
	if opts.HTTPClient != nil {
		*hc = *opts.HTTPClient
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	t := newTransport(ctx, base, opts, log)
	hc.Transport = t

	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	sdkURL := *u // NewClient appends "/" to the path of the URL it is given
	newClientMu.Lock()
	sdk, err := client.NewClient(hc, &sdkURL, opts.APIKey, "")
	newClientMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", u.Redacted(), normalize(err))
	}
	pageSize := opts.PageSize
	if pageSize <= 0 {
		pageSize = 1000
	}
	c := &Client{sdk: sdk, hc: hc, transport: t, base: &sdkURL, log: log, pageSize: pageSize}
	log.Debug("connected to Octopus server", slog.String("server", u.Redacted()),
		slog.String("defaultSpace", sdk.GetSpaceID()), slog.String("requests", t.Counts().String()))
	return c, nil
}

// RetriesUsed returns how many retries of its budget the client has spent.
func (c *Client) RetriesUsed() int {
	return c.transport.RetriesUsed()
}

// Counts returns the number of requests this client has sent so far,
// including Dial's and every retry.
func (c *Client) Counts() Counts {
	return c.transport.Counts()
}

func parseServerURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("missing Octopus server URL: set --server or OCTOPUS_URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the input, which may hold credentials; say less.
		return nil, errors.New("invalid --server: not a URL (want e.g. https://octopus.example.com)")
	}
	// Errors show the URL without credentials, query or fragment: any of
	// them may hold a secret.
	shown := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, Opaque: u.Opaque}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("invalid --server %q: the URL must start with https:// or http://", shown.String())
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("invalid --server %q: no host", shown.String())
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, fmt.Errorf("invalid --server %q: no credentials, query or fragment allowed", shown.String())
	}
	return u, nil
}

func checkAPIKey(key string) error {
	switch {
	case key == "":
		return errors.New("missing Octopus API key: set --api-key or OCTOPUS_API_KEY")
	case !apiKeyShape.MatchString(key):
		// Never echo the key: it is a secret even when malformed.
		return errors.New("invalid --api-key: an Octopus API key is API- followed by upper-case letters and digits")
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
