package octopus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/octofleet/octofleet/steps"
)

// Projects, runbooks, processes and variable sets are updated by merging:
// the adapter reads the current document as a JSON object, replaces the
// properties seed-templates owns and PUTs it back, so that settings octofleet
// does not model (versioning strategy, connectivity policy, …) survive.

// wireProject holds the Project properties octofleet owns.
type wireProject struct {
	ID                              string          `json:"Id,omitempty"`
	SpaceID                         string          `json:"SpaceId,omitempty"`
	Name                            string          `json:"Name"`
	Description                     string          `json:"Description"`
	LifecycleID                     string          `json:"LifecycleId"`
	ProjectGroupID                  string          `json:"ProjectGroupId"`
	IsDisabled                      bool            `json:"IsDisabled"`
	TenantedDeploymentMode          string          `json:"TenantedDeploymentMode,omitempty"`
	DefaultGuidedFailureMode        string          `json:"DefaultGuidedFailureMode,omitempty"`
	DefaultToSkipIfAlreadyInstalled bool            `json:"DefaultToSkipIfAlreadyInstalled"`
	DiscreteChannelRelease          bool            `json:"DiscreteChannelRelease"`
	IncludedLibraryVariableSetIDs   []string        `json:"IncludedLibraryVariableSetIds"`
	Templates                       []wireParameter `json:"Templates"`
	DeploymentProcessID             string          `json:"DeploymentProcessId,omitempty"`
	VariableSetID                   string          `json:"VariableSetId,omitempty"`
}

func projectFromWire(w wireProject) steps.Project {
	return steps.Project{
		ID: w.ID, Name: w.Name, Description: w.Description, LifecycleID: w.LifecycleID, ProjectGroupID: w.ProjectGroupID,
		IsDisabled: w.IsDisabled, TenantedDeploymentMode: w.TenantedDeploymentMode, DefaultGuidedFailureMode: w.DefaultGuidedFailureMode,
		DefaultToSkipIfAlreadyInstalled: w.DefaultToSkipIfAlreadyInstalled, DiscreteChannelRelease: w.DiscreteChannelRelease,
		IncludedLibraryVariableSetIDs: w.IncludedLibraryVariableSetIDs, Templates: parametersFromWire(w.Templates),
		DeploymentProcessID: w.DeploymentProcessID, VariableSetID: w.VariableSetID,
	}
}

func projectToWire(spaceID string, p steps.Project) wireProject {
	return wireProject{
		ID: p.ID, SpaceID: spaceID, Name: p.Name, Description: p.Description, LifecycleID: p.LifecycleID, ProjectGroupID: p.ProjectGroupID,
		IsDisabled: p.IsDisabled, TenantedDeploymentMode: p.TenantedDeploymentMode, DefaultGuidedFailureMode: p.DefaultGuidedFailureMode,
		DefaultToSkipIfAlreadyInstalled: p.DefaultToSkipIfAlreadyInstalled, DiscreteChannelRelease: p.DiscreteChannelRelease,
		IncludedLibraryVariableSetIDs: nonNilStrings(p.IncludedLibraryVariableSetIDs), Templates: parametersToWire(p.Templates),
	}
}

// mergePut reads the document at path, overlays the properties of owned
// (marshalled to JSON), PUTs the result and decodes the answer into out.
func (c *Client) mergePut(ctx context.Context, path string, owned, out any) error {
	var doc map[string]json.RawMessage
	if err := c.getRaw(ctx, path, &doc); err != nil {
		return err
	}
	b, err := json.Marshal(owned)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	for k, v := range fields {
		doc[k] = v
	}
	return c.putRaw(ctx, path, doc, out)
}

// Projects implements steps.TemplateOctopus with one GET of /all.
func (c *Client) Projects(ctx context.Context, spaceID string) ([]steps.Project, error) {
	return getAllRaw(ctx, c, spacePath(spaceID, "projects", "all"), "projects", projectFromWire)
}

// CreateProject implements steps.TemplateOctopus.
func (c *Client) CreateProject(ctx context.Context, spaceID string, p steps.Project) (steps.Project, error) {
	p.ID = ""
	return createOnce(ctx, c, fmt.Sprintf("project %q", p.Name), func() (steps.Project, error) {
		return postRawAs(ctx, c, spacePath(spaceID, "projects"), projectToWire(spaceID, p), projectFromWire)
	}, func() (steps.Project, error) {
		all, err := c.Projects(ctx, spaceID)
		if err != nil {
			return steps.Project{}, err
		}
		for _, x := range all {
			if x.Name == p.Name {
				return x, nil
			}
		}
		return steps.Project{}, fmt.Errorf("project %q: %w", p.Name, steps.ErrNotFound)
	})
}

// UpdateProject implements steps.TemplateOctopus; settings it does not own are kept.
func (c *Client) UpdateProject(ctx context.Context, spaceID string, p steps.Project) (steps.Project, error) {
	w := projectToWire(spaceID, p)
	var got wireProject
	if err := c.mergePut(ctx, spacePath(spaceID, "projects", p.ID), w, &got); err != nil {
		return steps.Project{}, fmt.Errorf("update project %q: %w", p.Name, err)
	}
	return projectFromWire(got), nil
}

// wireProcess is DeploymentProcessResource / RunbookProcessResource.
type wireProcess struct {
	ID        string     `json:"Id,omitempty"`
	ProjectID string     `json:"ProjectId,omitempty"`
	Version   int        `json:"Version"`
	Steps     []wireStep `json:"Steps"`
}

type wireStep struct {
	ID                 string                     `json:"Id,omitempty"`
	Name               string                     `json:"Name"`
	Condition          string                     `json:"Condition,omitempty"`
	StartTrigger       string                     `json:"StartTrigger,omitempty"`
	PackageRequirement string                     `json:"PackageRequirement,omitempty"`
	Properties         map[string]json.RawMessage `json:"Properties"`
	Actions            []wireAction               `json:"Actions"`
}

type wireAction struct {
	ID                   string                     `json:"Id,omitempty"`
	Name                 string                     `json:"Name"`
	ActionType           string                     `json:"ActionType"`
	Notes                string                     `json:"Notes,omitempty"`
	IsDisabled           bool                       `json:"IsDisabled"`
	IsRequired           bool                       `json:"IsRequired"`
	Condition            string                     `json:"Condition,omitempty"`
	Environments         []string                   `json:"Environments"`
	ExcludedEnvironments []string                   `json:"ExcludedEnvironments"`
	Channels             []string                   `json:"Channels"`
	TenantTags           []string                   `json:"TenantTags"`
	WorkerPoolID         string                     `json:"WorkerPoolId,omitempty"`
	WorkerPoolVariable   string                     `json:"WorkerPoolVariable,omitempty"`
	Container            *wireContainer             `json:"Container,omitempty"`
	Packages             []wirePackage              `json:"Packages"`
	Properties           map[string]json.RawMessage `json:"Properties"`
}

type wireContainer struct {
	Image  string `json:"Image,omitempty"`
	FeedID string `json:"FeedId,omitempty"`
}

func processFromWire(w wireProcess) steps.Process {
	p := steps.Process{ID: w.ID, ProjectID: w.ProjectID, Version: w.Version}
	for _, s := range w.Steps {
		props, _ := propsFromWire(s.Properties)
		st := steps.ProcessStep{ID: s.ID, Name: s.Name, Condition: s.Condition, StartTrigger: s.StartTrigger,
			PackageRequirement: s.PackageRequirement, Properties: props}
		for _, a := range s.Actions {
			aprops, sensitive := propsFromWire(a.Properties)
			pa := steps.ProcessAction{ID: a.ID, Name: a.Name, ActionType: a.ActionType, Notes: a.Notes,
				IsDisabled: a.IsDisabled, IsRequired: a.IsRequired, Condition: a.Condition,
				Environments: a.Environments, ExcludedEnvironments: a.ExcludedEnvironments, Channels: a.Channels,
				TenantTags: a.TenantTags, WorkerPoolID: a.WorkerPoolID, WorkerPoolVariable: a.WorkerPoolVariable,
				Packages: packagesFromWire(a.Packages), Properties: aprops, SensitiveProperties: sensitive}
			if a.Container != nil {
				pa.ContainerImage, pa.ContainerFeedID = a.Container.Image, a.Container.FeedID
			}
			st.Actions = append(st.Actions, pa)
		}
		p.Steps = append(p.Steps, st)
	}
	return p
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func stepsToWire(in []steps.ProcessStep) []wireStep {
	out := make([]wireStep, 0, len(in))
	for _, s := range in {
		ws := wireStep{ID: s.ID, Name: s.Name, Condition: s.Condition, StartTrigger: s.StartTrigger,
			PackageRequirement: s.PackageRequirement, Properties: propsToWire(s.Properties, nil), Actions: []wireAction{}}
		for _, a := range s.Actions {
			wa := wireAction{ID: a.ID, Name: a.Name, ActionType: a.ActionType, Notes: a.Notes, IsDisabled: a.IsDisabled,
				IsRequired: a.IsRequired, Condition: a.Condition, Environments: nonNilStrings(a.Environments),
				ExcludedEnvironments: nonNilStrings(a.ExcludedEnvironments), Channels: nonNilStrings(a.Channels), TenantTags: nonNilStrings(a.TenantTags),
				WorkerPoolID: a.WorkerPoolID, WorkerPoolVariable: a.WorkerPoolVariable, Packages: packagesToWire(a.Packages),
				Properties: propsToWire(a.Properties, a.SensitiveProperties)}
			if a.ContainerImage != "" || a.ContainerFeedID != "" {
				wa.Container = &wireContainer{Image: a.ContainerImage, FeedID: a.ContainerFeedID}
			}
			ws.Actions = append(ws.Actions, wa)
		}
		out = append(out, ws)
	}
	return out
}

// processUpdate is the owned part of a process PUT: the steps and the
// Version the change is based on (the server refuses a stale one).
type processUpdate struct {
	Version int        `json:"Version"`
	Steps   []wireStep `json:"Steps"`
}

// DeploymentProcess implements steps.TemplateOctopus.
func (c *Client) DeploymentProcess(ctx context.Context, spaceID, projectID string) (steps.Process, error) {
	var w wireProcess
	if err := c.getRaw(ctx, spacePath(spaceID, "projects", projectID, "deploymentprocesses"), &w); err != nil {
		return steps.Process{}, fmt.Errorf("read deployment process of %s: %w", projectID, err)
	}
	return processFromWire(w), nil
}

// UpdateDeploymentProcess implements steps.TemplateOctopus.
func (c *Client) UpdateDeploymentProcess(ctx context.Context, spaceID string, p steps.Process) (steps.Process, error) {
	var got wireProcess
	if err := c.mergePut(ctx, spacePath(spaceID, "deploymentprocesses", p.ID), processUpdate{Version: p.Version, Steps: stepsToWire(p.Steps)}, &got); err != nil {
		return steps.Process{}, fmt.Errorf("update deployment process %s: %w", p.ID, err)
	}
	return processFromWire(got), nil
}
