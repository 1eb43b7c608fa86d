package steps

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// Render expands text as a Go template over data. field is the JSON path of
// the value (for example "environments[1].name"); it names the template and
// the InputError.
//
// Only sprig's hermetic functions are available: now, uuidv4, env and
// randAlphaNum would make every plan differ, so the step would never
// converge; using one is a parse error. A key that data lacks is an error
// (missingkey=error), not an empty string. Text without "{{" is returned as
// is.
func Render(field, text string, data TemplateData) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	t, err := template.New(field).Funcs(sprig.HermeticTxtFuncMap()).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", &InputError{Field: field, Err: fmt.Errorf("parse template: %w", err)}
	}
	var b strings.Builder
	if err := t.Execute(&b, templateView(data)); err != nil {
		return "", &InputError{Field: field, Err: fmt.Errorf("render template: %w", err)}
	}
	return b.String(), nil
}

// RenderPtr renders *text in place when text is not nil.
func RenderPtr(field string, text *string, data TemplateData) error {
	if text == nil {
		return nil
	}
	out, err := Render(field, *text, data)
	if err != nil {
		return err
	}
	*text = out
	return nil
}

// RenderAll renders every element of list in place; the fields are named
// field[i].
func RenderAll(field string, list []string, data TemplateData) error {
	for i, s := range list {
		out, err := Render(fmt.Sprintf("%s[%d]", field, i), s, data)
		if err != nil {
			return err
		}
		list[i] = out
	}
	return nil
}

// templateView is what templates see: .Tenant.Name, .Tenant.Slug,
// .Tenant.Tags and .Vars.x. Only the values that were supplied are present,
// so that missingkey=error rejects {{ .Tenant.Name }} without --tenant-name
// instead of rendering an empty name.
func templateView(d TemplateData) map[string]any {
	vars := map[string]string{}
	for k, v := range d.Vars {
		vars[k] = v
	}
	tenant := map[string]any{}
	if d.Tenant.Name != "" {
		tenant["Name"] = d.Tenant.Name
	}
	if d.Tenant.Slug != "" {
		tenant["Slug"] = d.Tenant.Slug
	}
	if d.Tenant.Tags != nil {
		tenant["Tags"] = d.Tenant.Tags
	}
	return map[string]any{"Tenant": tenant, "Vars": vars}
}
