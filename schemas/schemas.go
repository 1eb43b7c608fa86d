// Package schemas holds the JSON schema (draft-07) of every step's input,
// embedded in the binary. Every input, from flags or from a file, is validated
// here before any network call; all violations are reported at once, each
// with its JSON path.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/xeipuuv/gojsonschema"
)

//go:embed *.schema.json
var files embed.FS

const suffix = ".schema.json"

// ValidationError lists every way an input document violates its schema,
// each issue as "<json path>: <message>" (for example
// "environments[1].name: is required"). It makes the CLI exit 80.
type ValidationError struct {
	Step   string // the step whose schema the input violates
	Issues []string
}

// Error lists the issues, one per line.
func (e *ValidationError) Error() string {
	return "invalid input:\n  " + strings.Join(e.Issues, "\n  ") // kong prefixes the step's name
}

// ExitCode makes kong exit 80 (bad usage or input).
func (e *ValidationError) ExitCode() int { return 80 }

// configs name the schemas of configuration files rather than step
// inputs (Decode reads them alike): no step template is made for them.
var configs = map[string]bool{"ui": true, "fleet": true, "promote-secrets": true, "promote-overlay": true}

// Names returns the step names that have an embedded schema, sorted.
func Names() []string { return list(func(n string) bool { return !configs[n] }) }

// Configs returns the names of the embedded configuration-file schemas
// (such as "ui" for octofleet ui --config), sorted.
func Configs() []string { return list(func(n string) bool { return configs[n] }) }

func list(keep func(string) bool) []string {
	entries, err := fs.Glob(files, "*"+suffix)
	if err != nil { // only for a malformed pattern
		panic(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if n := strings.TrimSuffix(e, suffix); keep(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Schema returns the raw schema document of a step.
func Schema(name string) ([]byte, error) {
	raw, err := files.ReadFile(name + suffix)
	if err != nil {
		return nil, fmt.Errorf("no schema for step %q: %w", name, err)
	}
	return raw, nil
}

// compiled caches each step's compiled schema; a broken embedded schema is
// reported by Decode (and by this package's tests), not by a panic at init.
var compiled sync.Map // name -> func() (*gojsonschema.Schema, error)

// compileStep compiles a step's schema as draft-07, once.
func compileStep(name string) (*gojsonschema.Schema, error) {
	f, ok := compiled.Load(name)
	if !ok {
		raw, err := Schema(name)
		if err != nil {
			return nil, err
		}
		f, _ = compiled.LoadOrStore(name, sync.OnceValues(func() (*gojsonschema.Schema, error) {
			return compile(raw)
		}))
	}
	s, err := f.(func() (*gojsonschema.Schema, error))()
	if err != nil {
		return nil, fmt.Errorf("compile %s schema: %w", name, err)
	}
	return s, nil
}

func compile(raw []byte) (*gojsonschema.Schema, error) {
	l := gojsonschema.NewSchemaLoader()
	l.Draft = gojsonschema.Draft7
	l.AutoDetect = false
	l.Validate = true // the schema itself must be a valid draft-07 schema
	return l.Compile(gojsonschema.NewBytesLoader(raw))
}

// Decode validates the JSON document doc against the schema of step name and,
// if it is valid, unmarshals it into v. It returns *ValidationError listing
// every violation when doc is not valid JSON or does not match the schema.
// Properties the schema allows but v has no field for are a programming
// error, reported as a plain error. The CLI converts YAML to JSON first.
func Decode(name string, doc []byte, v any) error {
	s, err := compileStep(name)
	if err != nil {
		return err
	}
	return decode(name, s, doc, v)
}

func decode(name string, s *gojsonschema.Schema, doc []byte, v any) error {
	var tree any
	if err := json.Unmarshal(doc, &tree); err != nil {
		return &ValidationError{Step: name, Issues: []string{"(root): not a JSON document: " + err.Error()}}
	}
	res, err := s.Validate(gojsonschema.NewBytesLoader(doc))
	if err != nil {
		return fmt.Errorf("validate %s input: %w", name, err)
	}
	if !res.Valid() {
		return &ValidationError{Step: name, Issues: issues(tree, res.Errors())}
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields() // the schema and the Go type disagree: a bug, not bad input
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode %s input: %w", name, err)
	}
	return nil
}

// issues turns gojsonschema's errors into sorted, de-duplicated
// "<json path>: <message>" lines.
func issues(tree any, errs []gojsonschema.ResultError) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range errs {
		segs := strings.Split(e.Context().String("\x00"), "\x00")[1:] // drop "(root)"
		msg := e.Description()
		switch e.Type() {
		case "required":
			segs = append(segs, fmt.Sprint(e.Details()["property"]))
			msg = "is required"
		case "additional_property_not_allowed":
			segs = append(segs, fmt.Sprint(e.Details()["property"]))
			msg = "is not allowed (unknown property)"
		case "enum":
			msg = "must be one of " + fmt.Sprint(e.Details()["allowed"])
		case "const":
			msg = "must be " + fmt.Sprint(e.Details()["allowed"])
		}
		line := jsonPath(tree, segs) + ": " + msg
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	sort.Strings(out)
	return out
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jsonPath renders path segments the way the step inputs are written:
// environments[1].name, vars["a.b"]. Whether a segment is an array index is
// decided by walking the document, so a map key "1" stays a key.
func jsonPath(tree any, segs []string) string {
	if len(segs) == 0 {
		return "(root)"
	}
	var b strings.Builder
	node := tree
	for _, s := range segs {
		switch n := node.(type) {
		case []any:
			i, err := strconv.Atoi(s)
			if err == nil && i >= 0 && i < len(n) {
				fmt.Fprintf(&b, "[%d]", i)
				node = n[i]
				continue
			}
			node = nil
		case map[string]any:
			node = n[s]
		default:
			node = nil
		}
		switch {
		case !identifier.MatchString(s):
			fmt.Fprintf(&b, "[%q]", s)
		case b.Len() == 0:
			b.WriteString(s)
		default:
			b.WriteString("." + s)
		}
	}
	return b.String()
}
