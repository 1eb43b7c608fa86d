package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/schemas"
	"github.com/octofleet/octofleet/steps"
)

// DefaultEnvironment is the environment a fleet file's runbooks run in.
const DefaultEnvironment = "Production"

// Tenant variables the Check Drift runbook records.
const (
	VarDrifted      = runbooks.VarDrifted
	VarDriftChanges = runbooks.VarDriftChanges
	VarDriftChecked = runbooks.VarDriftChecked
	VarDriftTask    = runbooks.VarDriftTask
)

// LoadHub reads the fleet from the management space: its spaces, the
// project "octofleet" and its variables, environments, tag sets, every
// tenant and every tenant's variable values — seven list reads in all,
// whatever the number of tenants (tenants and their variables come from the
// /all endpoints). Tenants connected to the project, or tagged with an
// Octofleet tag, are the targets.
func LoadHub(ctx context.Context, hub *octopus.Client, url, space string) (*Fleet, error) {
	return loadHub(ctx, hub, hub, url, space)
}

// LoadHub reads the fleet from the management space at url through the
// engine's connection, so that the run's steps reuse the reads (the space
// list above all).
func (e *Engine) LoadHub(ctx context.Context, url, space string) (*Fleet, error) {
	cl, err := e.pool.Client(url)
	if err != nil {
		return nil, err
	}
	oct, err := e.pool.Octopus(url)
	if err != nil {
		return nil, err
	}
	return loadHub(ctx, cl, oct, url, space)
}

func loadHub(ctx context.Context, hub *octopus.Client, oct steps.Octopus, url, space string) (*Fleet, error) {
	before := hub.Counts()
	f := &Fleet{Hub: Hub{URL: NormalizeURL(url), Space: space}}
	spaces, err := oct.Spaces(ctx)
	if err != nil {
		return nil, fmt.Errorf("list spaces: %w", err)
	}
	i := slices.IndexFunc(spaces, func(s steps.Space) bool { return s.Name == space || s.ID == space })
	if i < 0 {
		return nil, &steps.InputError{Field: "--space", Err: fmt.Errorf("no space %q on %s", space, f.Hub.URL)}
	}
	f.Hub.SpaceID, f.Hub.Space = spaces[i].ID, spaces[i].Name
	projects, err := oct.Projects(ctx, f.Hub.SpaceID)
	if err != nil {
		return nil, fmt.Errorf("list projects of %q: %w", space, err)
	}
	j := slices.IndexFunc(projects, func(p steps.Project) bool { return p.Name == steps.DefaultProject })
	if j < 0 {
		return nil, &steps.InputError{Field: "--space", Err: fmt.Errorf("space %q has no project %q: run octofleet install first", space, steps.DefaultProject)}
	}
	project := projects[j]
	f.Hub.ProjectID = project.ID
	projectVars, err := hub.ProjectVariables(ctx, f.Hub.SpaceID, project)
	if err != nil {
		return nil, fmt.Errorf("read the variables of project %q: %w", project.Name, err)
	}
	envs, err := oct.Environments(ctx, f.Hub.SpaceID)
	if err != nil {
		return nil, fmt.Errorf("list environments of %q: %w", space, err)
	}
	envName := map[string]string{}
	for _, e := range envs {
		envName[e.ID] = e.Name
	}
	tenants, err := oct.Tenants(ctx, f.Hub.SpaceID)
	if err != nil {
		return nil, err
	}
	values, err := hub.AllTenantVariables(ctx, f.Hub.SpaceID, project.ID)
	if err != nil {
		return nil, err
	}
	tplName := map[string]string{}
	for _, t := range project.Templates {
		tplName[t.ID] = t.Name
	}
	sort.Slice(tenants, func(a, b int) bool { return tenants[a].Name < tenants[b].Name })
	for _, tn := range tenants {
		connected := tn.ProjectEnvironments[project.ID]
		t := Target{Tenant: tn.Name, TenantID: tn.ID, Tags: slices.Clone(tn.Tags)}
		for _, tag := range tn.Tags {
			if p, ok := patternTags[tag]; ok && t.Pattern == "" {
				t.Pattern = p
			}
		}
		switch {
		case len(connected) == 0 && t.Pattern == "":
			continue // not part of the fleet
		case len(connected) == 0:
			t.Problem = fmt.Sprintf("tenant %q is not connected to project %q", tn.Name, project.Name)
		case t.Pattern == "":
			t.Problem = fmt.Sprintf("tenant %q has no %s tag naming its pattern (%s, %s or %s)", tn.Name, runbooks.TagSetName,
				runbooks.TagManagedSpace, runbooks.TagManagedInstance, runbooks.TagFacade)
		}
		if len(connected) > 0 {
			t.Environment = envName[connected[0]]
		}
		vals := maps2(projectVars)
		if len(connected) > 0 {
			for tplID, v := range values[tn.ID][connected[0]] {
				if name, ok := tplName[tplID]; ok && !v.Sensitive && v.Value != "" {
					vals[name] = v.Value
				}
			}
		}
		t.Drift = DriftState{Drifted: vals[VarDrifted], Changes: vals[VarDriftChanges], Checked: vals[VarDriftChecked], Task: vals[VarDriftTask]}
		if t.Problem == "" {
			if err := deriveSteps(f.Hub, &t, vals); err != nil {
				t.Problem = err.Error()
			}
		}
		t.Instance = NormalizeURL(t.Instance)
		f.Targets = append(f.Targets, t)
	}
	after := hub.Counts()
	f.Read = after.Reads + after.Writes - before.Reads - before.Writes
	return f, nil
}

func maps2(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fileDoc is the fleet file (schemas/fleet.schema.json).
type fileDoc struct {
	Hub struct {
		Server        string `json:"server"`
		Space         string `json:"space"`
		Environment   string `json:"environment"`
		SeedTemplates string `json:"seedTemplates"`
	} `json:"hub"`
	Instances []struct {
		URL        string `json:"url"`
		APIKey     string `json:"apiKey"`
		APIKeyFile string `json:"apiKeyFile"`
	} `json:"instances"`
	Tenants []struct {
		Name     string   `json:"name"`
		Pattern  string   `json:"pattern"`
		Tags     []string `json:"tags"`
		Instance string   `json:"instance"`
		Space    string   `json:"space"`
		Customer string   `json:"customer"`
	} `json:"tenants"`
}

// ParseFile reads a fleet file (JSON or YAML) after validating it against
// schemas/fleet.schema.json: every violation is listed with its path (exit
// 80). Instance keys it holds are added to keys.
func ParseFile(raw []byte, keys Keys) (*Fleet, error) {
	doc := raw
	if !json.Valid(raw) {
		var err error
		if doc, err = yaml.YAMLToJSON(raw); err != nil {
			return nil, &steps.InputError{Field: "--fleet", Err: fmt.Errorf("neither JSON nor YAML: %w", err)}
		}
	}
	var in fileDoc
	if err := schemas.Decode("fleet", doc, &in); err != nil {
		return nil, err
	}
	f := &Fleet{Hub: Hub{URL: NormalizeURL(in.Hub.Server), Space: in.Hub.Space, Environment: in.Hub.Environment}}
	if f.Hub.Environment == "" {
		f.Hub.Environment = DefaultEnvironment
	}
	for i, inst := range in.Instances {
		if inst.APIKeyFile != "" {
			if err := keys.ReadKey(inst.URL, inst.APIKeyFile); err != nil {
				return nil, &steps.InputError{Field: fmt.Sprintf("instances[%d].apiKeyFile", i), Err: errors.Unwrap(err)}
			}
			continue
		}
		keys.Add(inst.URL, inst.APIKey)
	}
	seen := map[string]bool{}
	for i, tn := range in.Tenants {
		if seen[tn.Name] {
			return nil, &steps.InputError{Field: fmt.Sprintf("tenants[%d].name", i), Err: fmt.Errorf("tenant %q is listed twice", tn.Name)}
		}
		seen[tn.Name] = true
		p, _ := ParsePattern(tn.Pattern)
		t := Target{Tenant: tn.Name, Pattern: p, Tags: slices.Clone(tn.Tags), Environment: f.Hub.Environment}
		vals := map[string]string{runbooks.VarInstanceURL: tn.Instance, runbooks.VarSpaceName: tn.Space, runbooks.VarCustomer: tn.Customer}
		if tn.Instance == "" {
			delete(vals, runbooks.VarInstanceURL)
		}
		if tn.Space == "" {
			delete(vals, runbooks.VarSpaceName)
		}
		if p == Facade && tn.Customer == "" {
			vals[runbooks.VarCustomer] = tn.Name
		}
		if in.Hub.SeedTemplates != "" {
			vals[runbooks.VarSeedTemplates] = in.Hub.SeedTemplates
		}
		if err := deriveSteps(f.Hub, &t, vals); err != nil {
			return nil, &steps.InputError{Field: fmt.Sprintf("tenants[%d]", i), Err: err}
		}
		t.Instance = NormalizeURL(t.Instance)
		f.Targets = append(f.Targets, t)
	}
	return f, nil
}

// Select returns the targets named by tenants (by name) and carrying every
// tag of tags ("Set/Tag"); no filter selects all. An unknown tenant or a tag
// no target carries is bad input (exit 80).
func (f *Fleet) Select(tenants, tags []string) ([]Target, error) {
	var problems []string
	for _, n := range tenants {
		if !slices.ContainsFunc(f.Targets, func(t Target) bool { return t.Tenant == n }) {
			problems = append(problems, fmt.Sprintf("--tenant %q: no such tenant in the fleet", n))
		}
	}
	for _, tag := range tags {
		if !strings.Contains(tag, "/") {
			problems = append(problems, fmt.Sprintf("--tag %q: want Set/Tag", tag))
			continue
		}
		if !slices.ContainsFunc(f.Targets, func(t Target) bool { return slices.Contains(t.Tags, tag) }) {
			problems = append(problems, fmt.Sprintf("--tag %q: no tenant of the fleet has this tag", tag))
		}
	}
	if len(problems) > 0 {
		return nil, &steps.InputError{Field: "filter", Err: errors.New(strings.Join(problems, "; "))}
	}
	var out []Target
	for _, t := range f.Targets {
		if len(tenants) > 0 && !slices.Contains(tenants, t.Tenant) {
			continue
		}
		if !containsAll(t.Tags, tags) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
