// Package octopus is octofleet's adapter over go-octopusdeploy: the only package
// that imports the SDK. It hides the SDK's quirks (two not-found shapes, no
// context, links-vs-fixed-path services), maps errors onto the steps sentinels
// and owns the HTTP transport (rate limit, retries, request counting).
package octopus

import (
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/client"

	"github.com/octofleet/octofleet/steps"
)

var _ steps.Octopus = (*Client)(nil)

// Client implements steps.Octopus against one Octopus Server instance.
type Client struct {
	sdk *client.Client
}
