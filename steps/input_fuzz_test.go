package steps_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/octofleet/octofleet/internal/fleet"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/schemas"
	"github.com/octofleet/octofleet/steps"
)

// stepInputs makes, for every step schema, a pointer to the Go type the CLI
// decodes that step's input into (cmd/octofleet's load calls).
var stepInputs = map[string]func() any{
	"check-drift":               func() any { return new(fleet.CheckDriftInput) },
	"clone-instance-settings":   func() any { return new(steps.CloneInstanceSettingsInput) },
	"create-facade-project":     func() any { return new(steps.CreateFacadeProjectInput) },
	"create-space":              func() any { return new(steps.CreateSpaceInput) },
	"register-tenant":           func() any { return new(steps.RegisterTenantInput) },
	"restore-instance-settings": func() any { return new(steps.RestoreInstanceSettingsInput) },
	"seed-templates":            func() any { return new(steps.SeedTemplatesInput) },
	"trigger":                   func() any { return new(steps.TriggerInput) },
}

// inCmd are the steps whose input types live in cmd/octofleet (package
// main, which this test cannot import); FuzzDecode covers their schemas.
var inCmd = map[string]bool{"promote": true, "diff": true}

func TestStepInputsCoverEverySchema(t *testing.T) {
	t.Parallel()
	for _, name := range schemas.Names() {
		if stepInputs[name] == nil && !inCmd[name] {
			t.Errorf("FuzzStepInput has no Go type for the %s schema", name)
		}
	}
}

// renderer is a step input whose templated fields Render expands.
type renderer[T any] interface {
	Render(steps.TemplateData) (T, error)
}

// render renders in and, when that succeeds, returns the rendered input
// encoded as JSON.
func render[T renderer[T]](in T, data steps.TemplateData) ([]byte, error) {
	out, err := in.Render(data)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// FuzzStepInput: for every step, any input document either fails the schema
// with a *schemas.ValidationError (exit 80) or decodes into the step's Go
// type: an accepted document that the type cannot hold would be a bug the
// user sees as exit 1. An accepted input re-encodes to a document that
// decodes to the same value, and rendering its templates fails, if at all,
// with an *InputError.
func FuzzStepInput(f *testing.F) {
	for _, name := range schemas.Names() {
		paths, _ := filepath.Glob(filepath.Join("..", "schemas", "testdata", name, "*", "*.json"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(name, b, "Contoso")
			}
		}
	}
	// The inputs of the runbooks octofleet installs.
	proj, err := runbooks.EmbeddedProject()
	if err != nil {
		f.Fatal(err)
	}
	for _, rb := range proj.Runbooks {
		for _, st := range rb.Steps {
			for _, name := range schemas.Names() {
				if runbooks.TemplateName(name) == st.StepTemplate {
					f.Add(name, []byte(st.Parameters[runbooks.ParamInput]), "Contoso")
				}
			}
		}
	}
	f.Add("create-space", []byte(`{"name":"{{ .Tenant.Name | upper }}","environments":[{"name":"{{ .Vars.x }}"}]}`), "t")
	f.Add("register-tenant", []byte(`{"name":"{{ printf \"%s-%d\" .Tenant.Name 3 }}"}`), "t")
	for _, name := range []string{"create-space", "register-tenant", "check-drift"} {
		f.Add(name, []byte(`{"name":"{{ \"\" }}"}`), "t")
		f.Add(name, []byte(`{"name":"{{ repeat 300 \"a\" }}","tenant":"{{ \" \" }}"}`), "t")
	}
	f.Add("create-space", []byte(`{"name":"s","slug":"{{ \"A B\" }}","environments":[{"name":"{{ repeat 60 \"e\" }}"}],"teams":[{"name":"{{ \"\" }}"}]}`), "t")
	f.Add("create-facade-project", []byte(`{"upstream":{"serverUrl":"{{ .Vars.x }}","space":"{{ \"\" }}"}}`), "t")
	f.Fuzz(func(t *testing.T, name string, doc []byte, tenant string) {
		mk := stepInputs[name]
		if mk == nil {
			return
		}
		in := mk()
		if err := schemas.Decode(name, doc, in); err != nil {
			if !errors.As(err, new(*schemas.ValidationError)) {
				t.Fatalf("%s: the schema accepts %q but the Go type does not: %v", name, doc, err)
			}
			return
		}
		again, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("%s: re-encode: %v", name, err)
		}
		back := mk()
		if err := schemas.Decode(name, again, back); err != nil {
			t.Fatalf("%s: re-encoded %q (from %q) is rejected: %v", name, again, doc, err)
		}
		if diff := cmp.Diff(in, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s: round trip of %q changed the input (-first +second):\n%s", name, doc, diff)
		}
		data := steps.TemplateData{Tenant: steps.TenantData{Name: tenant, Slug: tenant}, Vars: map[string]string{"x": tenant}}
		var rendered []byte
		switch v := in.(type) {
		case *steps.CreateSpaceInput:
			rendered, err = render(*v, data)
		case *steps.SeedTemplatesInput:
			rendered, err = render(*v, data)
		case *steps.RegisterTenantInput:
			rendered, err = render(*v, data)
		case *steps.CreateFacadeProjectInput:
			rendered, err = render(*v, data)
		case *fleet.CheckDriftInput:
			rendered, err = render(*v, data)
		}
		if err != nil {
			if !errors.As(err, new(*steps.InputError)) {
				t.Fatalf("%s: render %q: %v, want an *InputError", name, doc, err)
			}
			return
		}
		// What rendering accepts still obeys the schema: an input that
		// renders to, say, an empty or over-long name fails here as bad
		// input, not at the server.
		if rendered != nil {
			if err := schemas.Decode(name, rendered, mk()); err != nil {
				t.Fatalf("%s: %q with tenant %q renders to %s, which the schema rejects: %v", name, doc, tenant, rendered, err)
			}
		}
	})
}
