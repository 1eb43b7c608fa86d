package octopus

import (
	"context"
	"fmt"

	"github.com/octofleet/octofleet/steps"
)

// wireRunbook holds the RunbookResource properties octofleet owns.
type wireRunbook struct {
	ID                       string   `json:"Id,omitempty"`
	SpaceID                  string   `json:"SpaceId,omitempty"`
	ProjectID                string   `json:"ProjectId"`
	Name                     string   `json:"Name"`
	Description              string   `json:"Description"`
	EnvironmentScope         string   `json:"EnvironmentScope"`
	Environments             []string `json:"Environments"`
	MultiTenancyMode         string   `json:"MultiTenancyMode"`
	DefaultGuidedFailureMode string   `json:"DefaultGuidedFailureMode"`
	ForcePackageDownload     bool     `json:"ForcePackageDownload"`
	RunbookProcessID         string   `json:"RunbookProcessId,omitempty"`
}

func runbookFromWire(w wireRunbook) steps.Runbook {
	return steps.Runbook{ID: w.ID, ProjectID: w.ProjectID, Name: w.Name, Description: w.Description,
		EnvironmentScope: w.EnvironmentScope, Environments: w.Environments, MultiTenancyMode: w.MultiTenancyMode,
		DefaultGuidedFailureMode: w.DefaultGuidedFailureMode, ForcePackageDownload: w.ForcePackageDownload,
		RunbookProcessID: w.RunbookProcessID}
}

func runbookToWire(spaceID string, r steps.Runbook) wireRunbook {
	w := wireRunbook{ID: r.ID, SpaceID: spaceID, ProjectID: r.ProjectID, Name: r.Name, Description: r.Description,
		EnvironmentScope: r.EnvironmentScope, Environments: nonNilStrings(r.Environments), MultiTenancyMode: r.MultiTenancyMode,
		DefaultGuidedFailureMode: r.DefaultGuidedFailureMode, ForcePackageDownload: r.ForcePackageDownload}
	// The swagger marks these required; fill the server's own defaults.
	if w.EnvironmentScope == "" {
		w.EnvironmentScope = "All"
	}
	if w.MultiTenancyMode == "" {
		w.MultiTenancyMode = "Untenanted"
	}
	if w.DefaultGuidedFailureMode == "" {
		w.DefaultGuidedFailureMode = "EnvironmentDefault"
	}
	return w
}

// Runbooks implements steps.TemplateOctopus with one GET of /all.
func (c *Client) Runbooks(ctx context.Context, spaceID string) ([]steps.Runbook, error) {
	return getAllRaw(ctx, c, spacePath(spaceID, "runbooks", "all"), "runbooks", runbookFromWire)
}

// CreateRunbook implements steps.TemplateOctopus.
func (c *Client) CreateRunbook(ctx context.Context, spaceID string, r steps.Runbook) (steps.Runbook, error) {
	r.ID = ""
	return createOnce(ctx, c, fmt.Sprintf("runbook %q", r.Name), func() (steps.Runbook, error) {
		return postRawAs(ctx, c, spacePath(spaceID, "runbooks"), runbookToWire(spaceID, r), runbookFromWire)
	}, func() (steps.Runbook, error) {
		all, err := c.Runbooks(ctx, spaceID)
		if err != nil {
			return steps.Runbook{}, err
		}
		for _, x := range all {
			if x.ProjectID == r.ProjectID && x.Name == r.Name {
				return x, nil
			}
		}
		return steps.Runbook{}, fmt.Errorf("runbook %q: %w", r.Name, steps.ErrNotFound)
	})
}

// UpdateRunbook implements steps.TemplateOctopus; settings it does not own are kept.
func (c *Client) UpdateRunbook(ctx context.Context, spaceID string, r steps.Runbook) (steps.Runbook, error) {
	w := runbookToWire(spaceID, r)
	w.RunbookProcessID = ""
	var got wireRunbook
	if err := c.mergePut(ctx, spacePath(spaceID, "runbooks", r.ID), w, &got); err != nil {
		return steps.Runbook{}, fmt.Errorf("update runbook %q: %w", r.Name, err)
	}
	return runbookFromWire(got), nil
}

// RunbookProcess implements steps.TemplateOctopus.
func (c *Client) RunbookProcess(ctx context.Context, spaceID, id string) (steps.Process, error) {
	var w wireProcess
	if err := c.getRaw(ctx, spacePath(spaceID, "runbookProcesses", id), &w); err != nil {
		return steps.Process{}, fmt.Errorf("read runbook process %s: %w", id, err)
	}
	return processFromWire(w), nil
}

// UpdateRunbookProcess implements steps.TemplateOctopus.
func (c *Client) UpdateRunbookProcess(ctx context.Context, spaceID string, p steps.Process) (steps.Process, error) {
	var got wireProcess
	if err := c.mergePut(ctx, spacePath(spaceID, "runbookProcesses", p.ID), processUpdate{Version: p.Version, Steps: stepsToWire(p.Steps)}, &got); err != nil {
		return steps.Process{}, fmt.Errorf("update runbook process %s: %w", p.ID, err)
	}
	return processFromWire(got), nil
}
