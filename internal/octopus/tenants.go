package octopus

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/octofleet/octofleet/steps"
)

// wireTenant holds the TenantResource properties octofleet owns.
type wireTenant struct {
	ID                  string              `json:"Id,omitempty"`
	SpaceID             string              `json:"SpaceId,omitempty"`
	Name                string              `json:"Name"`
	Description         string              `json:"Description"`
	TenantTags          []string            `json:"TenantTags"`
	ProjectEnvironments map[string][]string `json:"ProjectEnvironments"`
}

func tenantFromWire(w wireTenant) steps.Tenant {
	return steps.Tenant{ID: w.ID, Name: w.Name, Description: w.Description, Tags: w.TenantTags, ProjectEnvironments: w.ProjectEnvironments}
}

func tenantToWire(spaceID string, t steps.Tenant) wireTenant {
	pe := map[string][]string{}
	for p, envs := range t.ProjectEnvironments {
		pe[p] = nonNilStrings(envs)
	}
	return wireTenant{ID: t.ID, SpaceID: spaceID, Name: t.Name, Description: t.Description, TenantTags: nonNilStrings(t.Tags), ProjectEnvironments: pe}
}

// Tenants implements steps.TenantOctopus with one GET of /all.
func (c *Client) Tenants(ctx context.Context, spaceID string) ([]steps.Tenant, error) {
	return getAllRaw(ctx, c, spacePath(spaceID, "tenants", "all"), "tenants", tenantFromWire)
}

// CreateTenant implements steps.TenantOctopus.
func (c *Client) CreateTenant(ctx context.Context, spaceID string, t steps.Tenant) (steps.Tenant, error) {
	t.ID = ""
	return createOnce(ctx, c, fmt.Sprintf("tenant %q", t.Name), func() (steps.Tenant, error) {
		return postRawAs(ctx, c, spacePath(spaceID, "tenants"), tenantToWire(spaceID, t), tenantFromWire)
	}, func() (steps.Tenant, error) {
		all, err := c.Tenants(ctx, spaceID)
		if err != nil {
			return steps.Tenant{}, err
		}
		for _, x := range all {
			if x.Name == t.Name {
				return x, nil
			}
		}
		return steps.Tenant{}, fmt.Errorf("tenant %q: %w", t.Name, steps.ErrNotFound)
	})
}

// UpdateTenant implements steps.TenantOctopus; properties it does not own
// (slug, logo, cloned-from) are kept.
func (c *Client) UpdateTenant(ctx context.Context, spaceID string, t steps.Tenant) (steps.Tenant, error) {
	var got wireTenant
	if err := c.mergePut(ctx, spacePath(spaceID, "tenants", t.ID), tenantToWire(spaceID, t), &got); err != nil {
		return steps.Tenant{}, fmt.Errorf("update tenant %q: %w", t.Name, err)
	}
	return tenantFromWire(got), nil
}

// wireTenantVariables is the legacy TenantVariablesResource
// (/api/{spaceId}/tenants/{id}/variables). Only ProjectVariables is typed;
// the rest of the document travels back unchanged on PUT, because the
// server replaces every value of the tenant with what the PUT carries.
type wireTenantVariables struct {
	ProjectVariables map[string]struct {
		Variables map[string]map[string]json.RawMessage `json:"Variables"`
	} `json:"ProjectVariables"`
}

// TenantProjectVariables implements steps.TenantOctopus.
func (c *Client) TenantProjectVariables(ctx context.Context, spaceID, tenantID, projectID string) (map[string]map[string]steps.PropertyValue, error) {
	var w wireTenantVariables
	if err := c.getRaw(ctx, spacePath(spaceID, "tenants", tenantID, "variables"), &w); err != nil {
		return nil, fmt.Errorf("read variables of tenant %s: %w", tenantID, err)
	}
	out := map[string]map[string]steps.PropertyValue{}
	for env, vals := range w.ProjectVariables[projectID].Variables {
		out[env] = map[string]steps.PropertyValue{}
		for tpl, raw := range vals {
			if v, isNull := valueFromWire(raw); !isNull {
				out[env][tpl] = v
			}
		}
	}
	return out, nil
}

// SetTenantProjectVariables implements steps.TenantOctopus: it reads the
// whole legacy document, sets the given values and PUTs it back.
func (c *Client) SetTenantProjectVariables(ctx context.Context, spaceID, tenantID, projectID string, values map[string]map[string]steps.PropertyValue) error {
	path := spacePath(spaceID, "tenants", tenantID, "variables")
	var doc map[string]any
	if err := c.getRaw(ctx, path, &doc); err != nil {
		return fmt.Errorf("read variables of tenant %s: %w", tenantID, err)
	}
	pv, _ := doc["ProjectVariables"].(map[string]any)
	if pv == nil {
		pv = map[string]any{}
		doc["ProjectVariables"] = pv
	}
	proj, _ := pv[projectID].(map[string]any)
	if proj == nil {
		proj = map[string]any{"ProjectId": projectID}
		pv[projectID] = proj
	}
	vars, _ := proj["Variables"].(map[string]any)
	if vars == nil {
		vars = map[string]any{}
		proj["Variables"] = vars
	}
	envs := make([]string, 0, len(values))
	for env := range values {
		envs = append(envs, env)
	}
	slices.Sort(envs)
	for _, env := range envs {
		ev, _ := vars[env].(map[string]any)
		if ev == nil {
			ev = map[string]any{}
			vars[env] = ev
		}
		for tpl, v := range values[env] {
			ev[tpl] = json.RawMessage(valueToWire(v))
		}
	}
	if err := c.putRaw(ctx, path, doc, nil); err != nil {
		return fmt.Errorf("update variables of tenant %s: %w", tenantID, err)
	}
	return nil
}
