package steps

import (
	"errors"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	t.Parallel()
	data := TemplateData{
		Tenant: TenantData{Name: "Acme", Slug: "acme", Tags: []string{"Tier/Gold"}},
		Vars:   map[string]string{"region": "eu"},
	}
	tests := []struct {
		name, text, want, errHas string
		data                     TemplateData
	}{
		{name: "plain text", text: "Team A", want: "Team A", data: data},
		{name: "tenant name", text: "{{ .Tenant.Name }} space", want: "Acme space", data: data},
		{name: "tenant slug and var", text: "{{ .Tenant.Slug }}-{{ .Vars.region }}", want: "acme-eu", data: data},
		{name: "tags", text: `{{ join "," .Tenant.Tags }}`, want: "Tier/Gold", data: data},
		{name: "hermetic sprig", text: `{{ .Tenant.Name | upper | trunc 2 }}`, want: "AC", data: data},
		{name: "now is not hermetic", text: "{{ now }}", errHas: `function "now" not defined`, data: data},
		{name: "env is not hermetic", text: `{{ env "HOME" }}`, errHas: `function "env" not defined`, data: data},
		{name: "uuidv4 is not hermetic", text: `{{ uuidv4 }}`, errHas: `function "uuidv4" not defined`, data: data},
		{name: "unknown var", text: "{{ .Vars.nope }}", errHas: "nope", data: data},
		{name: "tenant name not given", text: "{{ .Tenant.Name }}", errHas: "Name", data: TemplateData{}},
		{name: "syntax error", text: "{{ .Tenant.Name ", errHas: "parse template", data: data},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Render("environments[1].name", tc.text, tc.data)
			if tc.errHas == "" {
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				if got != tc.want {
					t.Fatalf("Render = %q, want %q", got, tc.want)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want *InputError", err)
			}
			if ie.Field != "environments[1].name" || ie.ExitCode() != 80 {
				t.Errorf("field = %q, exit = %d; want environments[1].name, 80", ie.Field, ie.ExitCode())
			}
			if !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("err = %v, want it to mention %q", err, tc.errHas)
			}
		})
	}
}

func TestCreateSpaceInputRender(t *testing.T) {
	t.Parallel()
	desc := "Space of {{ .Tenant.Name }}"
	in := CreateSpaceInput{
		Name:         "{{ .Tenant.Name }}",
		Description:  &desc,
		ManagerTeams: []string{"{{ .Tenant.Name }} admins"},
		Environments: []EnvironmentInput{{Name: "{{ .Vars.first }}"}},
		Teams:        []TeamInput{{Name: "{{ .Tenant.Slug }}-deployers", Roles: []RoleInput{{Role: "Project deployer", Environments: []string{"{{ .Vars.first }}"}}}}},
	}
	data := TemplateData{Tenant: TenantData{Name: "Acme", Slug: "acme"}, Vars: map[string]string{"first": "Dev"}}
	got, err := in.Render(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Acme" || *got.Description != "Space of Acme" || got.ManagerTeams[0] != "Acme admins" ||
		got.Environments[0].Name != "Dev" || got.Teams[0].Name != "acme-deployers" || got.Teams[0].Roles[0].Environments[0] != "Dev" {
		t.Errorf("rendered = %+v", got)
	}
	if in.Name != "{{ .Tenant.Name }}" || *in.Description != desc || in.ManagerTeams[0] != "{{ .Tenant.Name }} admins" {
		t.Errorf("Render changed its receiver: %+v", in)
	}

	for _, tc := range []struct {
		name  string
		in    CreateSpaceInput
		field string
	}{
		{"too long after rendering", CreateSpaceInput{Name: "{{ .Vars.long }}"}, "name"},
		{"empty after rendering", CreateSpaceInput{Name: "{{ .Vars.empty }}"}, "name"},
		{"env name too long", CreateSpaceInput{Name: "A", Environments: []EnvironmentInput{{Name: "{{ .Vars.long }}"}}}, "environments[0].name"},
		{"duplicate environments", CreateSpaceInput{Name: "A", Environments: []EnvironmentInput{{Name: "Dev"}, {Name: "{{ .Vars.first }}"}}}, "environments[1].name"},
		{"now in a tag", CreateSpaceInput{Name: "A", TenantTagSets: []TagSetInput{{Name: "T", Tags: []TagInput{{Name: "{{ now }}", Color: "#000000"}}}}}, "tenantTagSets[0].tags[0].name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := TemplateData{Vars: map[string]string{"long": strings.Repeat("x", 51), "empty": " ", "first": "Dev"}}
			_, err := tc.in.Render(data)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want an InputError for %s", err, tc.field)
			}
		})
	}
}

// TestRenderBounded: a template whose work its arguments choose fails with
// an error naming the field instead of exhausting memory.
func TestRenderBounded(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		`{{ until 1000000000 }}`, `{{ repeat 1000000000 "ab" }}`, `{{ seq 1 1000000000 }}`,
		`{{ nindent 1000000000 "x" }}`, `{{ range until 2000 }}{{ repeat 1000 "x" }}{{ end }}`,
		`{{ $l := until 1000 }}{{ range $l }}{{ range $l }}{{ range $l }}{{ end }}{{ end }}{{ end }}`,
		`{{ range 9000000000000000000 }}{{ end }}`, `{{ $n := mul 1000000 1000000 }}{{ range $n }}{{ end }}`,
	} {
		_, err := Render("name", text, TemplateData{})
		if err == nil || !strings.HasPrefix(err.Error(), "name: render template: ") {
			t.Errorf("Render(%q) = %v, want a render error for name", text, err)
		}
	}
	if got, err := Render("name", `{{ repeat 3 "ab" }}-{{ until 3 }}-{{ seq 3 }}`, TemplateData{}); err != nil || got != "ababab-[0 1 2]-1 2 3" {
		t.Errorf("small counts: %q, %v", got, err)
	}
}

// TestRenderShape: the shapes that would let a template run without bound
// are refused at parse time.
func TestRenderShape(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		`{{ define "t" }}{{ if lt (len .) 40 }}{{ template "t" (append . 1) }}{{ template "t" (append . 1) }}{{ end }}{{ end }}{{ template "t" list }}`: `{{template "t"}} is not allowed`,
		`{{ block "b" . }}x{{ end }}`: `{{template "b"}} is not allowed`,
		`{{ template "name" }}`:       `{{template "name"}} is not allowed`,
	} {
		_, err := Render("name", text, TemplateData{})
		if err == nil || err.Error() != "name: parse template: "+want {
			t.Errorf("Render(%q) = %v, want %q", text, err, want)
		}
	}
	if got, err := Render("name", `{{ range until 2 }}{{ . }}{{ end }}-{{ range $i, $t := until 2 }}{{ range until 2 }}{{ $t }}{{ end }}{{ end }}-{{ range 2 }}{{ . }}{{ end }}`, TemplateData{}); err != nil || got != "01-0011-01" {
		t.Errorf("ranges: %q, %v", got, err)
	}
}
