package steps_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/steps"
)

// FuzzRender: a templated name renders or fails with an *InputError naming
// its field; it never panics, and its work is bounded (see steps.Render).
// Text without "{{" is returned as it is. testdata/fuzz/FuzzRender holds
// templates that allocated gigabytes, or ran for hours, before Render had
// bounds.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"Contoso", "{{ .Tenant.Name }}", "{{ .Tenant.Slug | upper }}-{{ .Vars.region }}",
		`{{ range .Tenant.Tags }}{{ . }},{{ end }}`, `{{ printf "%s-%03d" .Tenant.Name 7 }}`,
		`{{ .Tenant.Name | trunc 50 | trimSuffix "-" }}`, `{{ if eq .Vars.region "eu" }}EU{{ else }}US{{ end }}`,
		`{{ repeat 3 "ab" }}`, `{{ range until 3 }}x{{ end }}`, `{{ join "," (seq 1 3 | splitList " ") }}`,
		`{{ indent 2 .Tenant.Name }}`, `{{ now }}`, `{{ .Nope }}`, `{{ template "x" }}`, `{{`,
	} {
		f.Add(s, "Contoso Ltd", "eu")
	}
	f.Fuzz(func(t *testing.T, text, tenant, region string) {
		data := steps.TemplateData{
			Tenant: steps.TenantData{Name: tenant, Slug: strings.ToLower(tenant), Tags: []string{"Region/" + region}},
			Vars:   map[string]string{"region": region},
		}
		got, err := steps.Render("name", text, data)
		if err != nil {
			var ie *steps.InputError
			if !errors.As(err, &ie) || ie.Field != "name" {
				t.Fatalf("Render(%q): %v, want an *InputError for field name", text, err)
			}
			return
		}
		if !strings.Contains(text, "{{") && got != text {
			t.Fatalf("Render(%q) = %q, want it unchanged", text, got)
		}
	})
}
