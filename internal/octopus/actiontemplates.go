package octopus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"

	"github.com/octofleet/octofleet/steps"
)

// Step templates go over the raw helpers with octofleet's own wire types:
// the SDK's core.PropertyValue turns a JSON null property into an empty
// sensitive value (its UnmarshalJSON accepts null as a SensitiveValue
// object) and cannot hold the numeric defaults the community Library has,
// so a template read through it and written back would change.

// wireActionTemplate is ActionTemplateResource (swagger 2026.1).
type wireActionTemplate struct {
	ID                        string                     `json:"Id,omitempty"`
	SpaceID                   string                     `json:"SpaceId,omitempty"`
	Name                      string                     `json:"Name"`
	Description               string                     `json:"Description"`
	ActionType                string                     `json:"ActionType"`
	Version                   int                        `json:"Version,omitempty"`
	CommunityActionTemplateID string                     `json:"CommunityActionTemplateId,omitempty"`
	Packages                  []wirePackage              `json:"Packages"`
	Parameters                []wireParameter            `json:"Parameters"`
	Properties                map[string]json.RawMessage `json:"Properties"`
}

// wirePackage is PackageReference.
type wirePackage struct {
	ID                  string            `json:"Id,omitempty"`
	Name                string            `json:"Name"`
	PackageID           string            `json:"PackageId,omitempty"`
	FeedID              string            `json:"FeedId,omitempty"`
	AcquisitionLocation string            `json:"AcquisitionLocation"`
	Properties          map[string]string `json:"Properties"`
}

// wireParameter is ActionTemplateParameterResource (also a project's tenant
// variable template).
type wireParameter struct {
	ID              string            `json:"Id,omitempty"`
	Name            string            `json:"Name"`
	Label           string            `json:"Label"`
	HelpText        string            `json:"HelpText"`
	DefaultValue    json.RawMessage   `json:"DefaultValue,omitempty"`
	DisplaySettings map[string]string `json:"DisplaySettings"`
}

// wireSensitive is SensitiveValue.
type wireSensitive struct {
	HasValue bool    `json:"HasValue"`
	NewValue *string `json:"NewValue"`
}

// valueFromWire reads a PropertyValueResource: a string, a number or bool
// (stored as its text), null, or a SensitiveValue object.
func valueFromWire(raw json.RawMessage) (v steps.PropertyValue, isNull bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return steps.PropertyValue{}, true
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return steps.PropertyValue{Value: s}, false
		}
	case '{':
		var sv wireSensitive
		if json.Unmarshal(raw, &sv) == nil {
			return steps.PropertyValue{Sensitive: true, HasValue: sv.HasValue}, false
		}
	}
	return steps.PropertyValue{Value: string(raw)}, false
}

// valueToWire writes a PropertyValueResource. A sensitive value without a
// new value but with HasValue keeps what the server holds.
func valueToWire(v steps.PropertyValue) json.RawMessage {
	var out any = v.Value
	if v.Sensitive {
		sv := wireSensitive{HasValue: v.HasValue || v.Value != ""}
		if v.Value != "" {
			val := v.Value
			sv.NewValue = &val
		}
		out = sv
	}
	b, err := json.Marshal(out)
	if err != nil { // strings and this struct always marshal
		panic(err)
	}
	return b
}

// propsFromWire splits a property bag into plain values (nulls dropped) and
// the names of sensitive ones.
func propsFromWire(in map[string]json.RawMessage) (map[string]string, []string) {
	props := make(map[string]string, len(in))
	var sensitive []string
	for k, raw := range in {
		v, isNull := valueFromWire(raw)
		switch {
		case isNull:
		case v.Sensitive:
			sensitive = append(sensitive, k)
		default:
			props[k] = v.Value
		}
	}
	sort.Strings(sensitive)
	return props, sensitive
}

// propsToWire builds a property bag; sensitive names keep the server's value.
func propsToWire(props map[string]string, sensitive []string) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(props)+len(sensitive))
	for k, v := range props {
		out[k] = valueToWire(steps.PropertyValue{Value: v})
	}
	for _, k := range sensitive {
		out[k] = valueToWire(steps.PropertyValue{Sensitive: true, HasValue: true})
	}
	return out
}

func packagesFromWire(in []wirePackage) []steps.TemplatePackage {
	var out []steps.TemplatePackage
	for _, p := range in {
		out = append(out, steps.TemplatePackage{Name: p.Name, PackageID: p.PackageID, FeedID: p.FeedID,
			AcquisitionLocation: p.AcquisitionLocation, Properties: p.Properties})
	}
	return out
}

func packagesToWire(in []steps.TemplatePackage) []wirePackage {
	out := make([]wirePackage, 0, len(in))
	for _, p := range in {
		props := p.Properties
		if props == nil {
			props = map[string]string{}
		}
		out = append(out, wirePackage{Name: p.Name, PackageID: p.PackageID, FeedID: p.FeedID,
			AcquisitionLocation: p.AcquisitionLocation, Properties: props})
	}
	return out
}

func parametersFromWire(in []wireParameter) []steps.TemplateParameter {
	var out []steps.TemplateParameter
	for _, p := range in {
		v, _ := valueFromWire(p.DefaultValue)
		if p.DisplaySettings["Octopus.ControlType"] == "Sensitive" {
			v.Sensitive = true
		}
		out = append(out, steps.TemplateParameter{ID: p.ID, Name: p.Name, Label: p.Label, HelpText: p.HelpText,
			DisplaySettings: p.DisplaySettings, Default: v})
	}
	return out
}

func parametersToWire(in []steps.TemplateParameter) []wireParameter {
	out := make([]wireParameter, 0, len(in))
	for _, p := range in {
		ds := p.DisplaySettings
		if ds == nil {
			ds = map[string]string{}
		}
		out = append(out, wireParameter{ID: p.ID, Name: p.Name, Label: p.Label, HelpText: p.HelpText,
			DisplaySettings: ds, DefaultValue: valueToWire(p.Default)})
	}
	return out
}

func templateFromWire(w wireActionTemplate) steps.ActionTemplate {
	props, sensitive := propsFromWire(w.Properties)
	return steps.ActionTemplate{
		ID: w.ID, Name: w.Name, Description: w.Description, ActionType: w.ActionType, Version: w.Version,
		CommunityTemplateID: w.CommunityActionTemplateID, Packages: packagesFromWire(w.Packages),
		Parameters: parametersFromWire(w.Parameters), Properties: props, SensitiveProperties: sensitive,
	}
}

func templateToWire(spaceID string, t steps.ActionTemplate) wireActionTemplate {
	return wireActionTemplate{
		ID: t.ID, SpaceID: spaceID, Name: t.Name, Description: t.Description, ActionType: t.ActionType,
		Version: t.Version, Packages: packagesToWire(t.Packages), Parameters: parametersToWire(t.Parameters),
		Properties: propsToWire(t.Properties, t.SensitiveProperties),
	}
}

// spacePath builds /api/{spaceId}/{segments...} with each segment escaped.
func spacePath(spaceID string, segments ...string) string {
	p := "/api/" + url.PathEscape(spaceID)
	for _, s := range segments {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// ActionTemplates implements steps.TemplateOctopus with one GET of /all.
func (c *Client) ActionTemplates(ctx context.Context, spaceID string) ([]steps.ActionTemplate, error) {
	return getAllRaw(ctx, c, spacePath(spaceID, "actiontemplates", "all"), "step templates", templateFromWire)
}

// CreateActionTemplate implements steps.TemplateOctopus. After an ambiguous
// failure it looks the template up by name before trying again.
func (c *Client) CreateActionTemplate(ctx context.Context, spaceID string, t steps.ActionTemplate) (steps.ActionTemplate, error) {
	t.ID, t.Version = "", 0
	return createOnce(ctx, c, fmt.Sprintf("step template %q", t.Name), func() (steps.ActionTemplate, error) {
		return postRawAs(ctx, c, spacePath(spaceID, "actiontemplates"), templateToWire(spaceID, t), templateFromWire)
	}, func() (steps.ActionTemplate, error) {
		return c.actionTemplateByName(ctx, spaceID, t.Name)
	})
}

// actionTemplateByName asks for the templates whose name contains name
// (partialName, swagger GET /{spaceId}/actiontemplates) rather than the whole
// collection: after a lost answer only one template is in question, and a
// Library-sized space's /all is megabytes.
func (c *Client) actionTemplateByName(ctx context.Context, spaceID, name string) (steps.ActionTemplate, error) {
	ws, err := ListAll[wireActionTemplate](ctx, c, spacePath(spaceID, "actiontemplates")+"?partialName="+url.QueryEscape(name))
	if err != nil {
		return steps.ActionTemplate{}, err
	}
	for _, w := range ws {
		if t := templateFromWire(w); t.Name == name {
			return t, nil
		}
	}
	return steps.ActionTemplate{}, fmt.Errorf("step template %q: %w", name, steps.ErrNotFound)
}

// UpdateActionTemplate implements steps.TemplateOctopus.
func (c *Client) UpdateActionTemplate(ctx context.Context, spaceID string, t steps.ActionTemplate) (steps.ActionTemplate, error) {
	var got wireActionTemplate
	if err := c.putRaw(ctx, spacePath(spaceID, "actiontemplates", t.ID), templateToWire(spaceID, t), &got); err != nil {
		return steps.ActionTemplate{}, fmt.Errorf("update step template %q: %w", t.Name, err)
	}
	return templateFromWire(got), nil
}

// DeleteActionTemplate implements steps.TemplateOctopus.
func (c *Client) DeleteActionTemplate(ctx context.Context, spaceID, id string) error {
	if err := c.deleteRaw(ctx, spacePath(spaceID, "actiontemplates", id)); err != nil {
		return fmt.Errorf("delete step template %s: %w", id, err)
	}
	return nil
}
