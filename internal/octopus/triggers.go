package octopus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/octofleet/octofleet/steps"
)

// Project triggers, as ProjectTriggerResource (swagger 2026.1) carries
// them; the filter and action are polymorphic by FilterType and ActionType,
// with the fields of go-octopusdeploy's filters.CronScheduledTriggerFilter
// and actions.RunRunbookAction.

type wireTriggerFilter struct {
	FilterType     string `json:"FilterType"`
	CronExpression string `json:"CronExpression,omitempty"`
	Timezone       string `json:"Timezone,omitempty"`
}

type wireTriggerAction struct {
	ActionType     string   `json:"ActionType"`
	RunbookID      string   `json:"RunbookId,omitempty"`
	EnvironmentIDs []string `json:"EnvironmentIds"`
	TenantIDs      []string `json:"TenantIds"`
	TenantTags     []string `json:"TenantTags"`
}

type wireProjectTrigger struct {
	ID          string            `json:"Id,omitempty"`
	Name        string            `json:"Name"`
	Description string            `json:"Description"`
	ProjectID   string            `json:"ProjectId"`
	SpaceID     string            `json:"SpaceId"`
	IsDisabled  bool              `json:"IsDisabled"`
	Filter      json.RawMessage   `json:"Filter"`
	Action      json.RawMessage   `json:"Action"`
	Links       map[string]string `json:"Links,omitempty"`
}

func triggerFromWire(w wireProjectTrigger) steps.ProjectTrigger {
	t := steps.ProjectTrigger{ID: w.ID, Name: w.Name, Description: w.Description, ProjectID: w.ProjectID, IsDisabled: w.IsDisabled}
	var f wireTriggerFilter
	var a wireTriggerAction
	_ = json.Unmarshal(w.Filter, &f)
	_ = json.Unmarshal(w.Action, &a)
	if !strings.EqualFold(f.FilterType, "CronExpressionSchedule") || !strings.EqualFold(a.ActionType, "RunRunbook") {
		t.Other = f.FilterType + "/" + a.ActionType
		return t
	}
	t.CronExpression, t.Timezone = f.CronExpression, f.Timezone
	t.RunbookID, t.EnvironmentIDs, t.TenantIDs, t.TenantTags = a.RunbookID, a.EnvironmentIDs, a.TenantIDs, a.TenantTags
	return t
}

func triggerToWire(spaceID string, t steps.ProjectTrigger) (wireProjectTrigger, error) {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	f, err := json.Marshal(wireTriggerFilter{FilterType: "CronExpressionSchedule", CronExpression: t.CronExpression, Timezone: t.Timezone})
	if err != nil {
		return wireProjectTrigger{}, err
	}
	a, err := json.Marshal(wireTriggerAction{ActionType: "RunRunbook", RunbookID: t.RunbookID,
		EnvironmentIDs: nonNil(t.EnvironmentIDs), TenantIDs: nonNil(t.TenantIDs), TenantTags: nonNil(t.TenantTags)})
	if err != nil {
		return wireProjectTrigger{}, err
	}
	return wireProjectTrigger{ID: t.ID, Name: t.Name, Description: t.Description, ProjectID: t.ProjectID, SpaceID: spaceID,
		IsDisabled: t.IsDisabled, Filter: f, Action: a}, nil
}

// ProjectTriggers implements steps.TriggerOctopus (the paged list, one
// request up to the page size: the collection has no /all).
func (c *Client) ProjectTriggers(ctx context.Context, spaceID string) ([]steps.ProjectTrigger, error) {
	out, err := listAs(ctx, c, spacePath(spaceID, "projecttriggers"), func(w *wireProjectTrigger) steps.ProjectTrigger { return triggerFromWire(*w) })
	if err != nil {
		return nil, fmt.Errorf("list project triggers: %w", err)
	}
	return out, nil
}

// CreateProjectTrigger implements steps.TriggerOctopus.
func (c *Client) CreateProjectTrigger(ctx context.Context, spaceID string, t steps.ProjectTrigger) (steps.ProjectTrigger, error) {
	t.ID = ""
	w, err := triggerToWire(spaceID, t)
	if err != nil {
		return steps.ProjectTrigger{}, err
	}
	return createOnce(ctx, c, fmt.Sprintf("trigger %q", t.Name), func() (steps.ProjectTrigger, error) {
		return postRawAs(ctx, c, spacePath(spaceID, "projecttriggers"), w, triggerFromWire)
	}, func() (steps.ProjectTrigger, error) {
		all, err := c.ProjectTriggers(ctx, spaceID)
		if err != nil {
			return steps.ProjectTrigger{}, err
		}
		for _, x := range all {
			if x.ProjectID == t.ProjectID && x.Name == t.Name {
				return x, nil
			}
		}
		return steps.ProjectTrigger{}, fmt.Errorf("trigger %q: %w", t.Name, steps.ErrNotFound)
	})
}

// UpdateProjectTrigger implements steps.TriggerOctopus; properties it does
// not own are kept.
func (c *Client) UpdateProjectTrigger(ctx context.Context, spaceID string, t steps.ProjectTrigger) (steps.ProjectTrigger, error) {
	w, err := triggerToWire(spaceID, t)
	if err != nil {
		return steps.ProjectTrigger{}, err
	}
	w.ID = ""
	var got wireProjectTrigger
	if err := c.mergePut(ctx, spacePath(spaceID, "projecttriggers", t.ID), w, &got); err != nil {
		return steps.ProjectTrigger{}, fmt.Errorf("update trigger %q: %w", t.Name, err)
	}
	return triggerFromWire(got), nil
}
