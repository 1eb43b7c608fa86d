package emulator

import (
	"net/http"
	"testing"
)

// A body's property names match case-insensitively, as on the real server
// (Newtonsoft.Json): a project created with "ProjectGroupID", "lifecycleid"
// and "name" is the project a canonical body makes, and an update in other
// casings changes it.
func TestBodyNamesCaseInsensitive(t *testing.T) {
	s := startServer(t, Options{})
	lc := field(firstOf(t, s, sp+"/lifecycles"), "Id")
	pg := field(firstOf(t, s, sp+"/projectgroups"), "Id")
	p := post(t, s, sp+"/projects", map[string]any{"name": "Casing", "ProjectGroupID": pg, "lifecycleid": lc, "DESCRIPTION": "d"}).(map[string]any)
	for f, want := range map[string]string{"Name": "Casing", "ProjectGroupId": pg, "LifecycleId": lc, "Description": "d"} {
		if got := field(p, f); got != want {
			t.Errorf("%s = %q, want %q (served %v)", f, got, want, p)
		}
	}
	for _, f := range []string{"name", "ProjectGroupID", "lifecycleid", "DESCRIPTION"} {
		if _, ok := p[f]; ok {
			t.Errorf("served the property %q as sent; want only its canonical spelling", f)
		}
	}
	p["description"] = "changed"
	delete(p, "Description")
	got := conformanceCall(t, s, http.MethodPut, sp+"/projects/"+field(p, "Id"), p, http.StatusOK)
	if field(got, "Description") != "changed" {
		t.Errorf("update with \"description\": Description = %q", field(got, "Description"))
	}
	// A property no stored document has yet follows the contract spelling.
	env := post(t, s, sp+"/environments", map[string]any{"Name": "E", "useGuidedFailure": true})
	if v, _ := env.(map[string]any)["UseGuidedFailure"].(bool); !v {
		t.Errorf("useGuidedFailure not taken as UseGuidedFailure: %v", env)
	}
}

func TestConventionalName(t *testing.T) {
	for in, want := range map[string]string{
		"projectGroupID": "ProjectGroupId", "EnvironmentIDs": "EnvironmentIds", "name": "Name", "TenantIDS": "TenantIds", "Id": "Id",
	} {
		if got := conventionalName(in); got != want {
			t.Errorf("conventionalName(%q) = %q, want %q", in, got, want)
		}
	}
}

// The conformance check of served documents refuses "" where the swagger
// types a property as a date, an enum or a non-string: the real server
// writes null for an absent value.
func TestValueProblem(t *testing.T) {
	for _, c := range []struct {
		ps   propertySchema
		v    any
		want bool
	}{
		{propertySchema{Type: "string", Format: "date-time"}, "", true},
		{propertySchema{Type: "string", Format: "date-time"}, "2024-01-01T00:00:00.000+00:00", false},
		{propertySchema{Type: "string", Enum: []any{"Tenanted", "Untenanted"}}, "", true},
		{propertySchema{Type: "string", Enum: []any{"", "Tenanted"}}, "", false},
		{propertySchema{Type: "string"}, "", false},
		{propertySchema{Type: "integer"}, "", true},
		{propertySchema{Type: "boolean"}, "true", true},
		{propertySchema{Type: "integer"}, float64(3), false},
	} {
		if got := valueProblem(c.ps, c.v) != ""; got != c.want {
			t.Errorf("valueProblem(%+v, %q) reported %v, want %v", c.ps, c.v, got, c.want)
		}
	}
}
