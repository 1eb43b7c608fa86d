// Package fleet is octofleet's fleet engine: it turns a management space (its
// tenants, their tags and variables, the project "octofleet") or a fleet file
// into targets — tenant, pattern, instance, space and the input of every
// step the tenant's runbooks run — and plans or applies those steps over the
// targets with bounded concurrency per instance, one connection, rate limit
// and read cache per instance shared by every worker, and a result per
// target as data. `octofleet fleet …` and the web UI are front ends on it.
package fleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// Pattern is the enterprise pattern a tenant stands for.
type Pattern string

// The patterns, named as the Octofleet tag set's tags name them.
const (
	ManagedSpace    Pattern = "managed space"
	ManagedInstance Pattern = "managed instance"
	Facade          Pattern = "facade"
)

// patternTags maps the Octofleet tag set's tags onto patterns.
var patternTags = map[string]Pattern{
	runbooks.TagManagedSpace:    ManagedSpace,
	runbooks.TagManagedInstance: ManagedInstance,
	runbooks.TagFacade:          Facade,
}

// PatternRunbooks are the octofleet runbooks that keep a tenant of each
// pattern in line (what `octofleet demo` runs for each), in order. Seed
// Templates runs for a facade tenant too: the customer's facade runbook
// triggers it for the customer's space.
var PatternRunbooks = map[Pattern][]string{
	ManagedSpace:    {runbooks.RunbookCreateSpace, runbooks.RunbookSeedTemplates},
	ManagedInstance: {runbooks.RunbookCreateSpace, runbooks.RunbookSeedTemplates, runbooks.RunbookCloneSettings},
	Facade:          {runbooks.RunbookCreateFacadeProject, runbooks.RunbookSeedTemplates},
}

// ParsePattern accepts a pattern's name or its tag ("Octofleet/Managed space").
func ParsePattern(s string) (Pattern, bool) {
	if p, ok := patternTags[s]; ok {
		return p, true
	}
	for _, p := range []Pattern{ManagedSpace, ManagedInstance, Facade} {
		if strings.EqualFold(s, string(p)) {
			return p, true
		}
	}
	return "", false
}

// Hub is the management space the fleet was read from: the instance the
// runbooks run on ("this instance" for them) and the space whose step
// templates Seed Templates copies.
type Hub struct {
	URL   string `json:"url"`
	Space string `json:"space"`
	// SpaceID and ProjectID are known when the fleet was read from the hub.
	SpaceID   string `json:"spaceId,omitempty"`
	ProjectID string `json:"projectId,omitempty"`
	// Environment is the environment the tenants' runbooks run in.
	Environment string `json:"environment"`
}

// Fleet is the hub and its targets.
type Fleet struct {
	Hub     Hub      `json:"hub"`
	Targets []Target `json:"targets"`
	// Read counts the requests loading the fleet took (0 for a file).
	Read int `json:"read,omitempty"`
}

// Target is one tenant of the fleet and the steps that keep it in line.
type Target struct {
	Tenant   string   `json:"tenant"`
	TenantID string   `json:"tenantId,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Pattern  Pattern  `json:"pattern"`
	// Instance is the URL of the instance the tenant's space lives on.
	Instance string `json:"instance"`
	Space    string `json:"space"`
	// Environment is the hub environment the tenant's runbooks run in.
	Environment string     `json:"environment,omitempty"`
	Steps       []StepSpec `json:"steps"`
	// Drift is what the tenant's last Check Drift run recorded.
	Drift DriftState `json:"drift"`
	// Problem is bad input found while loading (no pattern, no instance …):
	// the target fails without a request.
	Problem string `json:"problem,omitempty"`
}

// DriftState is what the Check Drift runbook records on a tenant.
type DriftState struct {
	Drifted string `json:"drifted,omitempty"` // "True" or "False"
	Changes string `json:"changes,omitempty"`
	Checked string `json:"checked,omitempty"` // when, RFC 3339
	Task    string `json:"task,omitempty"`    // the Check Drift run's task
}

// DriftSummary is the target's drift state as the UI shows it (fleet
// status adds the last Check Drift run: StatusRow.DriftSummary): "error: …"
// for a target that cannot be checked, else what its last Check Drift
// recorded ("in line", "drifted, N changes" or "error", with when and the
// task), "-" when none has.
func (t Target) DriftSummary() string {
	if t.Problem != "" {
		return "error: " + t.Problem
	}
	return driftStatus(t.Drift, LastRun{}).String()
}

// StepSpec is one step a target's runbook runs, with its input as the
// runbook's step would see it once Octopus has substituted its variables.
// Input and Vars may still refer to an earlier step's output
// (#{Octopus.Action[Create Space].Output.SpaceId}); the engine fills those in.
type StepSpec struct {
	Runbook string `json:"runbook,omitempty"`
	// Name is the runbook step's name; outputs are referred to by it.
	Name string `json:"name"`
	// Step is the octofleet step ("create-space").
	Step string `json:"step"`
	// Server is the instance the step connects to (--server).
	Server string `json:"server"`
	// Space is the step's --space, for steps that use it.
	Space string          `json:"space,omitempty"`
	Input json.RawMessage `json:"input"`
	// Vars are the {{ .Vars.x }} values of the input's templates.
	Vars map[string]string `json:"vars,omitempty"`
	// TargetServer is clone-instance-settings' target instance.
	TargetServer string `json:"targetServer,omitempty"`
}

// Instances returns the URLs of the instances the target's steps connect
// to, the target's own first.
func (t Target) Instances() []string {
	out := []string{NormalizeURL(t.Instance)}
	add := func(u string) {
		if u = NormalizeURL(u); u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	for _, s := range t.Steps {
		add(s.Server)
		add(s.TargetServer)
		var src struct {
			Source struct {
				Server string `json:"server"`
			} `json:"source"`
		}
		if json.Unmarshal(s.Input, &src) == nil {
			add(src.Source.Server)
		}
	}
	return out
}

// Keys are API keys by instance URL (NormalizeURL form). The hub's key is
// the one the caller connects with; the others come from the fleet file,
// --instance-key URL=FILE or OCTOFLEET_INSTANCE_KEYS: Octopus never returns
// a tenant's sensitive values, so the instance keys the tenants carry
// cannot be read back.
type Keys map[string]string

// Add records key for the instance at url.
func (k Keys) Add(url, key string) { k[NormalizeURL(url)] = strings.TrimSpace(key) }

// For returns the key for the instance at url.
func (k Keys) For(url string) (string, bool) {
	v, ok := k[NormalizeURL(url)]
	return v, ok && v != ""
}

// ReadKeyFile reads a file of "URL=KEY" lines (blank lines and lines
// starting with # are skipped), as OCTOFLEET_INSTANCE_KEYS names one.
func (k Keys) ReadKeyFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read instance keys: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// The URL holds "://" but no "=" before the key's separator: cut at
		// the last "=" (API keys never contain one).
		i := strings.LastIndex(line, "=")
		if i <= 0 || !strings.Contains(line[:i], "://") {
			return &steps.InputError{Field: fmt.Sprintf("%s:%d", path, n), Err: fmt.Errorf("want URL=KEY")}
		}
		k.Add(line[:i], line[i+1:])
	}
	return nil
}

// ReadKey records the key in file (its whole content, trimmed) for url,
// as --instance-key URL=FILE gives it.
func (k Keys) ReadKey(url, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return &steps.InputError{Field: "--instance-key", Err: fmt.Errorf("read the key of %s: %w", url, err)}
	}
	if strings.TrimSpace(string(b)) == "" {
		return &steps.InputError{Field: "--instance-key", Err: fmt.Errorf("%s: the key file of %s is empty", file, url)}
	}
	k.Add(url, string(b))
	return nil
}
