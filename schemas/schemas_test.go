package schemas

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

const draft07 = "http://json-schema.org/draft-07/schema#"

// TestStepSchemas is the harness every step schema must pass: it compiles as
// draft-07, documents every property (titles and descriptions become --help
// text and step template labels), and its examples in testdata/<step>/valid
// pass while those in testdata/<step>/invalid fail. An invalid example
// x.json may have an x.issues file listing issues (one a line) that the
// error must contain.
func TestStepSchemas(t *testing.T) {
	t.Parallel()
	names := append(Names(), Configs()...)
	if len(names) == 0 {
		t.Fatal("no embedded schemas")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := Schema(name)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("schema is not JSON: %v", err)
			}
			if doc["$schema"] != draft07 {
				t.Errorf("$schema = %v, want %s", doc["$schema"], draft07)
			}
			if _, err := compileStep(name); err != nil {
				t.Fatal(err)
			}
			for _, p := range undocumented(doc, doc, "") {
				t.Errorf("property %s has no title or no description", p)
			}

			valid := examples(t, filepath.Join("testdata", name, "valid"))
			if len(valid) == 0 {
				t.Errorf("no examples in testdata/%s/valid", name)
			}
			for _, path := range valid {
				var v any
				if err := Decode(name, mustJSON(t, path), &v); err != nil {
					t.Errorf("%s: %v", path, err)
				}
			}
			for _, path := range examples(t, filepath.Join("testdata", name, "invalid")) {
				var v any
				err := Decode(name, mustJSON(t, path), &v)
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Errorf("%s: err = %v, want *ValidationError", path, err)
					continue
				}
				want, err := os.ReadFile(strings.TrimSuffix(path, filepath.Ext(path)) + ".issues")
				if errors.Is(err, os.ErrNotExist) {
					continue
				} else if err != nil {
					t.Fatal(err)
				}
				for _, w := range strings.Split(strings.TrimSpace(string(want)), "\n") {
					if !slices.Contains(ve.Issues, w) {
						t.Errorf("%s: issues %q lack %q", path, ve.Issues, w)
					}
				}
			}
		})
	}
}

// TestTestdataMatchesSchemas catches examples for a step whose schema was renamed or removed.
func TestTestdataMatchesSchemas(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d.IsDir() && !slices.Contains(append(Names(), Configs()...), d.Name()) {
			t.Errorf("testdata/%s has no %s%s", d.Name(), d.Name(), suffix)
		}
	}
}

func TestSchemaUnknownStep(t *testing.T) {
	t.Parallel()
	if _, err := Schema("no-such-step"); err == nil {
		t.Fatal("Schema(no-such-step) succeeded")
	}
	var v any
	err := Decode("no-such-step", []byte(`{}`), &v)
	if err == nil || errors.As(err, new(*ValidationError)) {
		t.Fatalf("Decode(no-such-step) = %v, want a plain error", err)
	}
}

// testSchema exercises the path and message rewriting without depending on a step's schema.
const testSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "required": ["name"],
  "properties": {
    "name": {"title": "Name", "description": "The name.", "type": "string", "minLength": 1, "maxLength": 5},
    "colour": {"title": "Colour", "description": "A colour.", "enum": ["red", "blue"]},
    "vars": {"title": "Vars", "description": "Variables.", "type": "object", "additionalProperties": {"type": "string"}},
    "environments": {
      "title": "Environments", "description": "Environments.", "type": "array",
      "items": {
        "type": "object", "additionalProperties": false, "required": ["name"],
        "properties": {
          "name": {"title": "Name", "description": "The name.", "type": "string", "minLength": 1},
          "useGuidedFailure": {"title": "Guided failure", "description": "Whether.", "type": "boolean"}
        }
      }
    }
  }
}`

type testInput struct {
	Name         string            `json:"name"`
	Colour       string            `json:"colour,omitempty"`
	Vars         map[string]string `json:"vars,omitempty"`
	Environments []struct {
		Name             string `json:"name"`
		UseGuidedFailure bool   `json:"useGuidedFailure,omitempty"`
	} `json:"environments,omitempty"`
}

func TestDecode(t *testing.T) {
	t.Parallel()
	s, err := compile([]byte(testSchema))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		doc    string
		issues []string // nil: valid
	}{
		{name: "valid", doc: `{"name":"Acme","environments":[{"name":"Dev","useGuidedFailure":true}],"vars":{"a.b":"c"}}`},
		{name: "missing required", doc: `{}`, issues: []string{"name: is required"}},
		{
			name: "every issue with its path",
			doc:  `{"name":"toolong","extra":1,"colour":"green","vars":{"1":2,"a.b":3},"environments":[{"name":"Dev"},{"nme":"x"},{"name":"","useGuidedFailure":"yes"}]}`,
			issues: []string{
				`colour: must be one of "red", "blue"`,
				`environments[1].name: is required`,
				`environments[1].nme: is not allowed (unknown property)`,
				`environments[2].name: String length must be greater than or equal to 1`,
				`environments[2].useGuidedFailure: Invalid type. Expected: boolean, given: string`,
				`extra: is not allowed (unknown property)`,
				`name: String length must be less than or equal to 5`,
				`vars["1"]: Invalid type. Expected: string, given: integer`,
				`vars["a.b"]: Invalid type. Expected: string, given: integer`,
			},
		},
		{name: "wrong root type", doc: `[1]`, issues: []string{"(root): Invalid type. Expected: object, given: array"}},
		{name: "not JSON", doc: `{"name":`, issues: []string{"(root): not a JSON document: unexpected end of JSON input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got testInput
			err := decode("test", s, []byte(tt.doc), &got)
			if tt.issues == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got.Name != "Acme" || len(got.Environments) != 1 || !got.Environments[0].UseGuidedFailure {
					t.Fatalf("decoded %+v", got)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			if diff := cmp.Diff(tt.issues, ve.Issues); diff != "" {
				t.Errorf("issues (-want +got):\n%s", diff)
			}
			if ve.ExitCode() != 80 {
				t.Errorf("exit code = %d, want 80", ve.ExitCode())
			}
			if !strings.HasPrefix(ve.Error(), "invalid input:\n  ") {
				t.Errorf("Error() = %q", ve.Error())
			}
		})
	}
}

// TestDecodeSchemaTypeMismatch: a property the schema allows but the Go type
// lacks is a bug in the step, reported as a plain error (exit 1), not as bad input.
func TestDecodeSchemaTypeMismatch(t *testing.T) {
	t.Parallel()
	s, err := compile([]byte(testSchema))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Name string `json:"name"`
	}
	err = decode("test", s, []byte(`{"name":"a","colour":"red"}`), &v)
	if err == nil || errors.As(err, new(*ValidationError)) {
		t.Fatalf("err = %v, want a plain decode error", err)
	}
}

func TestUndocumented(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	mustUnmarshal(t, `{
	  "definitions": {"env": {"title": "E", "description": "An environment.", "type": "object",
	    "properties": {"name": {"type": "string"}}}},
	  "properties": {
	    "ok": {"title": "Ok", "description": "Fine."},
	    "ref": {"$ref": "#/definitions/env"},
	    "noDesc": {"title": "No description"},
	    "list": {"title": "L", "description": "A list.", "items": {"properties": {"x": {"description": "no title"}}}}
	  }
	}`, &doc)
	got := undocumented(doc, doc, "")
	want := []string{"definitions.env.properties.name", "properties.list.items.properties.x", "properties.noDesc"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("undocumented (-want +got):\n%s", diff)
	}
}

// undocumented returns the paths of properties, anywhere in the schema, that
// lack a title or a description. A property that is only a "$ref" may take
// both from the definition it points to.
func undocumented(root, node any, path string) []string {
	var out []string
	switch n := node.(type) {
	case map[string]any:
		if props, ok := n["properties"].(map[string]any); ok {
			for name, p := range props {
				if !documented(root, p) {
					out = append(out, join(path, "properties."+name))
				}
			}
		}
		for k, v := range n {
			switch k {
			case "default", "examples", "enum", "const":
				continue // data, not schema
			}
			out = append(out, undocumented(root, v, join(path, k))...)
		}
	case []any:
		for i, v := range n {
			out = append(out, undocumented(root, v, join(path, jsonIndex(i)))...)
		}
	}
	slices.Sort(out)
	return out
}

func documented(root, p any) bool {
	m, ok := p.(map[string]any)
	if !ok {
		return false
	}
	title, _ := m["title"].(string)
	desc, _ := m["description"].(string)
	if title != "" && desc != "" {
		return true
	}
	if ref, ok := m["$ref"].(string); ok && strings.HasPrefix(ref, "#/") {
		var target any = root
		for _, seg := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			tm, ok := target.(map[string]any)
			if !ok {
				return false
			}
			target = tm[seg]
		}
		return documented(root, target)
	}
	return false
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func jsonIndex(i int) string { return "[" + strconv.Itoa(i) + "]" }

func examples(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, ext := range []string{"*.json", "*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, ext))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	slices.Sort(out)
	return out
}

// mustJSON reads an example; YAML examples are converted to JSON as the CLI does.
func mustJSON(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(path) == ".json" {
		return b
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return j
}

func mustUnmarshal(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatal(err)
	}
}
