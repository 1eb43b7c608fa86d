package octopus

import (
	"context"
	"fmt"

	"github.com/octofleet/octofleet/steps"
)

// wireVariableSet is VariableSetResource.
type wireVariableSet struct {
	ID        string         `json:"Id,omitempty"`
	OwnerID   string         `json:"OwnerId,omitempty"`
	Version   int            `json:"Version"`
	Variables []wireVariable `json:"Variables"`
}

type wireVariable struct {
	ID          string      `json:"Id,omitempty"`
	Name        string      `json:"Name"`
	Value       *string     `json:"Value"`
	Description string      `json:"Description,omitempty"`
	Type        string      `json:"Type"`
	IsSensitive bool        `json:"IsSensitive"`
	IsEditable  bool        `json:"IsEditable"`
	Scope       wireScope   `json:"Scope"`
	Prompt      *wirePrompt `json:"Prompt"`
}

// wirePrompt is VariablePromptOptions.
type wirePrompt struct {
	Label           string            `json:"Label"`
	Description     string            `json:"Description"`
	Required        bool              `json:"Required"`
	DisplaySettings map[string]string `json:"DisplaySettings,omitempty"`
}

// wireScope is the variable's ScopeSpecification: a map from scope name to values.
type wireScope struct {
	Environment  []string `json:"Environment,omitempty"`
	Role         []string `json:"Role,omitempty"`
	TenantTag    []string `json:"TenantTag,omitempty"`
	Machine      []string `json:"Machine,omitempty"`
	Channel      []string `json:"Channel,omitempty"`
	Action       []string `json:"Action,omitempty"`
	ProcessOwner []string `json:"ProcessOwner,omitempty"`
}

func variableSetFromWire(w wireVariableSet) steps.VariableSet {
	vs := steps.VariableSet{ID: w.ID, OwnerID: w.OwnerID, Version: w.Version}
	for _, v := range w.Variables {
		val := ""
		if v.Value != nil {
			val = *v.Value
		}
		sensitive := v.IsSensitive || v.Type == "Sensitive"
		vs.Variables = append(vs.Variables, steps.Variable{ID: v.ID, Name: v.Name, Value: val, Description: v.Description,
			Type: v.Type, IsSensitive: sensitive, HasValue: sensitive && v.Value == nil,
			Scope: steps.VariableScope{Environments: v.Scope.Environment, Roles: v.Scope.Role, TenantTags: v.Scope.TenantTag,
				Machines: v.Scope.Machine, Channels: v.Scope.Channel, Actions: v.Scope.Action, ProcessOwners: v.Scope.ProcessOwner},
			Prompt: promptFromWire(v.Prompt)})
	}
	return vs
}

func variablesToWire(in []steps.Variable) []wireVariable {
	out := make([]wireVariable, 0, len(in))
	for _, v := range in {
		w := wireVariable{ID: v.ID, Name: v.Name, Description: v.Description, Type: v.Type, IsSensitive: v.IsSensitive, IsEditable: true,
			Scope: wireScope{Environment: v.Scope.Environments, Role: v.Scope.Roles, TenantTag: v.Scope.TenantTags,
				Machine: v.Scope.Machines, Channel: v.Scope.Channels, Action: v.Scope.Actions, ProcessOwner: v.Scope.ProcessOwners}}
		if v.Prompt != nil {
			w.Prompt = &wirePrompt{Label: v.Prompt.Label, Description: v.Prompt.Description, Required: v.Prompt.Required, DisplaySettings: v.Prompt.DisplaySettings}
		}
		if w.Type == "" {
			w.Type = "String"
		}
		// A sensitive variable sent with a null Value keeps the stored secret.
		if !v.IsSensitive || v.Value != "" {
			val := v.Value
			w.Value = &val
		}
		out = append(out, w)
	}
	return out
}

func promptFromWire(p *wirePrompt) *steps.VariablePrompt {
	if p == nil {
		return nil
	}
	return &steps.VariablePrompt{Label: p.Label, Description: p.Description, Required: p.Required, DisplaySettings: p.DisplaySettings}
}

// VariableSet implements steps.TemplateOctopus.
func (c *Client) VariableSet(ctx context.Context, spaceID, id string) (steps.VariableSet, error) {
	var w wireVariableSet
	if err := c.getRaw(ctx, spacePath(spaceID, "variables", id), &w); err != nil {
		return steps.VariableSet{}, fmt.Errorf("read variable set %s: %w", id, err)
	}
	return variableSetFromWire(w), nil
}

// UpdateVariableSet implements steps.TemplateOctopus.
func (c *Client) UpdateVariableSet(ctx context.Context, spaceID string, v steps.VariableSet) (steps.VariableSet, error) {
	owned := struct {
		Version   int            `json:"Version"`
		Variables []wireVariable `json:"Variables"`
	}{v.Version, variablesToWire(v.Variables)}
	var got wireVariableSet
	if err := c.mergePut(ctx, spacePath(spaceID, "variables", v.ID), owned, &got); err != nil {
		return steps.VariableSet{}, fmt.Errorf("update variable set %s: %w", v.ID, err)
	}
	return variableSetFromWire(got), nil
}

// namedRefs reads a collection's /all endpoint as Id and Name pairs.
func (c *Client) namedRefs(ctx context.Context, path, what string) ([]steps.Ref, error) {
	var ws []struct {
		ID   string `json:"Id"`
		Name string `json:"Name"`
	}
	if err := c.getRaw(ctx, path, &ws); err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	out := make([]steps.Ref, 0, len(ws))
	for _, w := range ws {
		out = append(out, steps.Ref{ID: w.ID, Name: w.Name})
	}
	return out, nil
}

// LibraryVariableSets implements steps.TemplateOctopus with one GET of /all
// (variable sets and script modules alike).
func (c *Client) LibraryVariableSets(ctx context.Context, spaceID string) ([]steps.Ref, error) {
	return c.namedRefs(ctx, spacePath(spaceID, "libraryvariablesets", "all"), "library variable sets")
}
