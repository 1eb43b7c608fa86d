package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// controlType is the DisplaySettings key that says how Octopus renders a
// parameter; "Sensitive" makes its value write-only.
const controlType = "Octopus.ControlType"

// libraryTemplate is the OctopusDeploy/Library step-templates/*.json format
// (the export format of a step template). Fields the server assigns or that do
// not belong to a template (Id, Version, LastModifiedBy, $Meta, Category,
// Author, Logo…) are read but not seeded.
type libraryTemplate struct {
	ID          string                     `json:"Id"`
	Name        *string                    `json:"Name"`
	Description *string                    `json:"Description"`
	ActionType  *string                    `json:"ActionType"`
	Version     json.RawMessage            `json:"Version"`
	Author      string                     `json:"Author"`
	Packages    []libraryPackage           `json:"Packages"`
	Properties  map[string]json.RawMessage `json:"Properties"`
	Parameters  []libraryParameter         `json:"Parameters"`
	Meta        *struct {
		Type string `json:"Type"`
	} `json:"$Meta"`
	Category string `json:"Category"`
}

type libraryPackage struct {
	Name                string            `json:"Name"`
	PackageID           *string           `json:"PackageId"`
	FeedID              *string           `json:"FeedId"`
	AcquisitionLocation string            `json:"AcquisitionLocation"`
	Properties          map[string]string `json:"Properties"`
}

type libraryParameter struct {
	Name            string            `json:"Name"`
	Label           string            `json:"Label"`
	HelpText        string            `json:"HelpText"`
	DefaultValue    json.RawMessage   `json:"DefaultValue"`
	DisplaySettings map[string]string `json:"DisplaySettings"`
}

// LibraryTemplateError says which template file is malformed and why.
type LibraryTemplateError struct {
	File    string
	Problem string
}

func (e *LibraryTemplateError) Error() string {
	return fmt.Sprintf("step template file %s: %s", e.File, e.Problem)
}

// ExitCode makes a malformed template file exit 80, like any bad input.
func (e *LibraryTemplateError) ExitCode() int { return 80 }

// ParseLibraryTemplate parses one step template in the Octopus community
// Library JSON format and validates it. file names the source in errors.
func ParseLibraryTemplate(file string, data []byte) (ActionTemplate, error) {
	bad := func(format string, a ...any) (ActionTemplate, error) {
		return ActionTemplate{}, &LibraryTemplateError{File: file, Problem: fmt.Sprintf(format, a...)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // Library files are often saved with a UTF-8 BOM
	var lt libraryTemplate
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&lt); err != nil {
		return bad("%s", jsonProblem(data, err))
	}
	if dec.More() {
		return bad("trailing data after the JSON object")
	}
	if lt.Meta != nil && lt.Meta.Type != "" && lt.Meta.Type != "ActionTemplate" {
		return bad("$Meta.Type is %q, want \"ActionTemplate\"", lt.Meta.Type)
	}
	if lt.Name == nil || strings.TrimSpace(*lt.Name) == "" {
		return bad("Name is missing or empty")
	}
	if lt.ActionType == nil || strings.TrimSpace(*lt.ActionType) == "" {
		return bad("ActionType is missing or empty")
	}
	t := ActionTemplate{Name: *lt.Name, ActionType: *lt.ActionType, Properties: map[string]string{}}
	if lt.Description != nil {
		t.Description = *lt.Description
	}
	for k, raw := range lt.Properties {
		v, isNull, err := scalarString(raw)
		if err != nil {
			return bad("Properties[%q]: %v", k, err)
		}
		if !isNull {
			t.Properties[k] = v
		}
	}
	seen := map[string]bool{}
	for i, p := range lt.Parameters {
		if strings.TrimSpace(p.Name) == "" {
			return bad("Parameters[%d] has no Name", i)
		}
		if seen[p.Name] {
			return bad("Parameters[%d]: parameter name %q is used twice", i, p.Name)
		}
		seen[p.Name] = true
		v, _, err := scalarString(p.DefaultValue)
		if err != nil {
			return bad("Parameters[%d] (%s).DefaultValue: %v", i, p.Name, err)
		}
		tp := TemplateParameter{Name: p.Name, Label: p.Label, HelpText: p.HelpText, DisplaySettings: p.DisplaySettings}
		tp.Default = PropertyValue{Value: v}
		if p.DisplaySettings[controlType] == "Sensitive" {
			tp.Default = PropertyValue{Sensitive: true, Value: v, HasValue: v != ""}
		}
		t.Parameters = append(t.Parameters, tp)
	}
	for _, p := range lt.Packages {
		t.Packages = append(t.Packages, TemplatePackage{
			Name: p.Name, PackageID: stringOf(p.PackageID), FeedID: stringOf(p.FeedID),
			AcquisitionLocation: p.AcquisitionLocation, Properties: p.Properties,
		})
	}
	return t, nil
}

// scalarString reads a JSON scalar as the string Octopus stores: property
// values are strings on the server, and the Library has a few numeric and
// boolean defaults.
func scalarString(raw json.RawMessage) (v string, isNull bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", true, nil
	}
	switch raw[0] {
	case '"':
		err = json.Unmarshal(raw, &v)
		return v, false, err
	case 't', 'f':
		return string(raw), false, nil
	case '{', '[':
		return "", false, errors.New("must be a string, a number, a boolean or null")
	default:
		if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
			return "", false, fmt.Errorf("not a number: %s", raw)
		}
		return string(raw), false, nil
	}
}

// jsonProblem turns a decoding error into a message with line and column.
func jsonProblem(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		if te.Field != "" {
			return fmt.Sprintf("%s must be %s, not JSON %s (line %d)", te.Field, te.Type, te.Value, lineOf(data, off))
		}
	}
	if off < 0 {
		return "invalid JSON: " + err.Error()
	}
	return fmt.Sprintf("invalid JSON at line %d: %v", lineOf(data, off), err)
}

func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// LibraryFile is a parsed step template file.
type LibraryFile struct {
	Path     string
	Template ActionTemplate
}

// LoadLibraryTemplates reads step template files from paths: each is a .json
// file or a folder whose *.json files (not sub-folders) are read. It returns
// them in path order, or the first malformed file's error. Two files with the
// same template name are an error naming both.
func LoadLibraryTemplates(paths []string) ([]LibraryFile, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, &LibraryTemplateError{File: p, Problem: err.Error()}
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(p, "*.json"))
		if err != nil {
			return nil, fmt.Errorf("list step templates in %s: %w", p, err)
		}
		files = append(files, matches...)
	}
	sort.Strings(files)
	out := make([]LibraryFile, 0, len(files))
	byName := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, &LibraryTemplateError{File: f, Problem: err.Error()}
		}
		t, err := ParseLibraryTemplate(f, data)
		if err != nil {
			return nil, err
		}
		if other, dup := byName[t.Name]; dup {
			return nil, &LibraryTemplateError{File: f, Problem: fmt.Sprintf("template name %q is also used by %s", t.Name, other)}
		}
		byName[t.Name] = f
		out = append(out, LibraryFile{Path: f, Template: t})
	}
	return out, nil
}

// stringOf returns *p, or "" for nil (the Library writes null for unset Ids).
func stringOf(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
