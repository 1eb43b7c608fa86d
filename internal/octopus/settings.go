package octopus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/octofleet/octofleet/steps"
)

// Instance settings have no SDK support worth using: client.Configuration
// only reads a section's name and links, and client.SmtpConfiguration,
// client.ServerConfiguration have no methods at all; the audit stream has no
// type. Every settings document is therefore read and written raw, as free
// JSON (the server's section values are free-form per section).

// bookkeeping fields the server adds to every settings document; they are
// neither compared nor sent back (Id is re-added from the current document).
var bookkeeping = []string{"Id", "Links", "LastModifiedOn", "LastModifiedBy"}

// settingsPath is where the document key lives.
func settingsPath(key string) string {
	switch key {
	case steps.SMTPSettings:
		return "/api/smtpconfiguration"
	case steps.AuditStreamSettings:
		return "/api/audit-stream"
	case steps.RetentionDefaultSettings:
		return "/api/configuration/retention-default"
	}
	return "/api/configuration/" + url.PathEscape(key) + "/values"
}

// SettingsSections implements steps.SettingsOctopus.
func (c *Client) SettingsSections(ctx context.Context) ([]string, error) {
	var raw json.RawMessage
	if err := c.getRaw(ctx, "/api/configuration", &raw); err != nil {
		return nil, fmt.Errorf("list configuration sections: %w", err)
	}
	type section struct {
		ID string `json:"Id"`
	}
	var items []section
	// The server answers a collection envelope; accept a bare array too.
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &items); err != nil {
			return nil, fmt.Errorf("decode configuration sections: %w", err)
		}
	} else {
		var env struct{ Items []section }
		if err := json.Unmarshal(t, &env); err != nil {
			return nil, fmt.Errorf("decode configuration sections: %w", err)
		}
		items = env.Items
	}
	ids := make([]string, 0, len(items))
	for _, s := range items {
		ids = append(ids, s.ID)
	}
	return ids, nil
}

// Settings implements steps.SettingsOctopus.
func (c *Client) Settings(ctx context.Context, key string) (steps.SettingsDoc, error) {
	doc, err := c.rawSettings(ctx, key)
	if err != nil {
		return steps.SettingsDoc{}, err
	}
	for _, k := range bookkeeping {
		delete(doc, k)
	}
	if key == steps.SMTPSettings {
		doc = smtpToDetails(doc)
	}
	out := steps.SettingsDoc{Values: map[string]any{}, Secrets: map[string]bool{}}
	flatten(doc, "", out)
	return out, nil
}

// rawSettings reads the document as the server holds it. The audit stream
// answers 404 until one is configured: that is an empty document.
func (c *Client) rawSettings(ctx context.Context, key string) (map[string]any, error) {
	var doc map[string]any
	err := c.getRaw(ctx, settingsPath(key), &doc)
	if errors.Is(err, steps.ErrNotFound) && key == steps.AuditStreamSettings {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read settings %q: %w", key, err)
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, nil
}

// PutSettings implements steps.SettingsOctopus.
func (c *Client) PutSettings(ctx context.Context, key string, w steps.SettingsWrite) error {
	current, err := c.rawSettings(ctx, key)
	if err != nil {
		return err
	}
	doc := map[string]any{}
	for path, v := range w.Values {
		setPath(doc, path, v)
	}
	for path, s := range w.Secrets {
		sv := map[string]any{"HasValue": s.Has, "NewValue": nil}
		if s.NewValue != nil {
			sv["NewValue"] = *s.NewValue
		}
		setPath(doc, path, sv)
	}
	if id, ok := current["Id"]; ok {
		doc["Id"] = id
	}
	if key == steps.SMTPSettings {
		if _, details := current["Details"]; !details && len(current) > 0 {
			doc = smtpToFlat(doc)
		}
	}
	if err := c.putRaw(ctx, settingsPath(key), doc, nil); err != nil {
		return fmt.Errorf("write settings %q: %w", key, err)
	}
	return nil
}

// Servers up to 2023 serve SMTP credentials flat (SmtpLogin, SmtpPassword,
// GoogleAudience, GoogleServiceAccount at the top level, OctopusClients
// SmtpConfigurationResource); current ones nest them in Details with a
// CredentialType (server contract SmtpConfigurationResource). Steps always see
// the Details form.
var smtpFlatFields = []string{"SmtpLogin", "SmtpPassword", "GoogleAudience", "GoogleServiceAccount"}

func smtpToDetails(doc map[string]any) map[string]any {
	if _, ok := doc["Details"]; ok {
		return doc
	}
	details := map[string]any{}
	for _, f := range smtpFlatFields {
		if v, ok := doc[f]; ok {
			details[f] = v
			delete(doc, f)
		}
	}
	if len(details) == 0 {
		return doc
	}
	if _, google := details["GoogleAudience"]; google && details["GoogleAudience"] != nil && details["GoogleAudience"] != "" {
		details["CredentialType"] = "GoogleOAuth"
	} else {
		details["CredentialType"] = "UsernamePassword"
		delete(details, "GoogleAudience")
		delete(details, "GoogleServiceAccount")
	}
	doc["Details"] = details
	return doc
}

func smtpToFlat(doc map[string]any) map[string]any {
	details, _ := doc["Details"].(map[string]any)
	delete(doc, "Details")
	for _, f := range smtpFlatFields {
		if v, ok := details[f]; ok {
			doc[f] = v
		}
	}
	return doc
}

// isSensitive reports whether m is a SensitiveValue {HasValue, NewValue, Hint}.
func isSensitive(m map[string]any) bool {
	if _, ok := m["HasValue"]; !ok {
		return false
	}
	for k := range m {
		if k != "HasValue" && k != "NewValue" && k != "Hint" {
			return false
		}
	}
	return true
}

// flatten turns nested objects into dotted paths. Arrays, scalars and empty
// objects are values; SensitiveValues are secrets.
func flatten(m map[string]any, prefix string, out steps.SettingsDoc) {
	for k, v := range m {
		path := prefix + k
		obj, ok := v.(map[string]any)
		switch {
		case ok && isSensitive(obj):
			has, _ := obj["HasValue"].(bool)
			out.Secrets[path] = has
		case ok && len(obj) > 0:
			flatten(obj, path+".", out)
		default:
			out.Values[path] = v
		}
	}
}

// setPath sets a dotted path in m, creating the objects on the way.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// userRoleResource is the wire form of a user role.
type userRoleResource struct {
	ID                       string   `json:"Id,omitempty"`
	Name                     string   `json:"Name"`
	Description              string   `json:"Description"`
	CanBeDeleted             bool     `json:"CanBeDeleted"`
	GrantedSpacePermissions  []string `json:"GrantedSpacePermissions"`
	GrantedSystemPermissions []string `json:"GrantedSystemPermissions"`
}

func (r userRoleResource) detail() steps.UserRoleDetail {
	return steps.UserRoleDetail{UserRole: steps.UserRole{ID: r.ID, Name: r.Name, Description: r.Description},
		BuiltIn: !r.CanBeDeleted, SpacePermissions: r.GrantedSpacePermissions, SystemPermissions: r.GrantedSystemPermissions}
}

// UserRoleDetails implements steps.SettingsOctopus with one request to the
// /all form (the SDK's newclient Get pages by 30).
func (c *Client) UserRoleDetails(ctx context.Context) ([]steps.UserRoleDetail, error) {
	var roles []userRoleResource
	if err := c.getRaw(ctx, "/api/userroles/all", &roles); err != nil {
		return nil, fmt.Errorf("list user roles: %w", err)
	}
	out := make([]steps.UserRoleDetail, 0, len(roles))
	for _, r := range roles {
		out = append(out, r.detail())
	}
	return out, nil
}

// CreateUserRole implements steps.SettingsOctopus.
func (c *Client) CreateUserRole(ctx context.Context, r steps.UserRoleDetail) (steps.UserRoleDetail, error) {
	in := userRoleResource{Name: r.Name, Description: r.Description, CanBeDeleted: true,
		GrantedSpacePermissions: orEmpty(r.SpacePermissions), GrantedSystemPermissions: orEmpty(r.SystemPermissions)}
	find := func() (userRoleResource, error) {
		roles, err := c.UserRoleDetails(ctx)
		if err != nil {
			return userRoleResource{}, err
		}
		for _, x := range roles {
			if x.Name == r.Name {
				return userRoleResource{ID: x.ID, Name: x.Name, Description: x.Description, CanBeDeleted: !x.BuiltIn,
					GrantedSpacePermissions: x.SpacePermissions, GrantedSystemPermissions: x.SystemPermissions}, nil
			}
		}
		return userRoleResource{}, steps.ErrNotFound
	}
	got, err := createOnce(ctx, c, "user role "+r.Name, func() (userRoleResource, error) {
		var out userRoleResource
		err := c.postRaw(ctx, "/api/userroles", in, &out)
		return out, err
	}, find)
	if err != nil {
		return steps.UserRoleDetail{}, fmt.Errorf("create user role %q: %w", r.Name, err)
	}
	return got.detail(), nil
}

// UpdateUserRole implements steps.SettingsOctopus. It keeps every field the
// detail does not carry (read, change, write).
func (c *Client) UpdateUserRole(ctx context.Context, r steps.UserRoleDetail) (steps.UserRoleDetail, error) {
	path := "/api/userroles/" + url.PathEscape(r.ID)
	var doc map[string]any
	if err := c.getRaw(ctx, path, &doc); err != nil {
		return steps.UserRoleDetail{}, fmt.Errorf("update user role %q: %w", r.Name, err)
	}
	doc["Name"] = r.Name
	doc["Description"] = r.Description
	doc["GrantedSpacePermissions"] = orEmpty(r.SpacePermissions)
	doc["GrantedSystemPermissions"] = orEmpty(r.SystemPermissions)
	var out userRoleResource
	if err := c.putRaw(ctx, path, doc, &out); err != nil {
		return steps.UserRoleDetail{}, fmt.Errorf("update user role %q: %w", r.Name, err)
	}
	return out.detail(), nil
}

// DeleteUserRole implements steps.SettingsOctopus.
func (c *Client) DeleteUserRole(ctx context.Context, id string) error {
	if err := c.deleteRaw(ctx, "/api/userroles/"+url.PathEscape(id)); err != nil {
		return fmt.Errorf("delete user role %s: %w", id, err)
	}
	return nil
}

// DeleteTeam implements steps.SettingsOctopus. Raw: the SDK's
// teams.DeleteByID needs a space, which a system team does not have.
func (c *Client) DeleteTeam(ctx context.Context, id string) error {
	if err := c.deleteRaw(ctx, "/api/teams/"+url.PathEscape(id)); err != nil {
		return fmt.Errorf("delete team %s: %w", id, err)
	}
	return nil
}

// DeleteScopedUserRole implements steps.SettingsOctopus. Raw: the SDK's
// scoped user role service has no delete.
func (c *Client) DeleteScopedUserRole(ctx context.Context, id string) error {
	if err := c.deleteRaw(ctx, "/api/scopeduserroles/"+url.PathEscape(id)); err != nil {
		return fmt.Errorf("delete scoped user role %s: %w", id, err)
	}
	return nil
}

// ResourceNames implements steps.SettingsOctopus with one request to the
// /all form of the collection.
func (c *Client) ResourceNames(ctx context.Context, spaceID, kind string) (map[string]string, error) {
	switch kind {
	case steps.ProjectsKind, steps.TenantsKind:
	default:
		return nil, fmt.Errorf("list %s: unknown kind", kind)
	}
	var items []struct {
		ID   string `json:"Id"`
		Name string `json:"Name"`
	}
	if err := c.getRaw(ctx, "/api/"+url.PathEscape(spaceID)+"/"+kind+"/all", &items); err != nil {
		return nil, fmt.Errorf("list %s of %s: %w", kind, spaceID, err)
	}
	out := make(map[string]string, len(items))
	for _, it := range items {
		out[it.ID] = it.Name
	}
	return out, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
