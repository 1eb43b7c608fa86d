package steps_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/steps"
)

// FuzzParseLibraryTemplate: any input parses or fails with a
// LibraryTemplateError; it never panics, and what parses has a name, an
// action type and parameters with distinct, non-empty names. Seeds are
// octofleet's own step templates and, when it is next to the repository,
// the community Library's (libraryDir).
func FuzzParseLibraryTemplate(f *testing.F) {
	for _, dir := range []string{filepath.Join("..", "runbooks", "step-templates"), libraryDir} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"Name": "x", "ActionType": "Octopus.Script", "Parameters": [{"Name": "p", "DefaultValue": 1}]}`))
	f.Add([]byte(`{"Name": "x", "ActionType": "a", "Properties": {"k": null}, "Packages": [{}]}`))
	f.Add([]byte("\xef\xbb\xbf" + `{"Name": "x", "ActionType": "a", "Parameters": [{"Name": "t", "DefaultValue": "s", "DisplaySettings": {"Octopus.ControlType": "Sensitive"}}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := steps.ParseLibraryTemplate("f.json", data)
		if err != nil {
			if !errors.As(err, new(*steps.LibraryTemplateError)) {
				t.Fatalf("err = %v (%T), want a *LibraryTemplateError", err, err)
			}
			return
		}
		if strings.TrimSpace(got.Name) == "" || strings.TrimSpace(got.ActionType) == "" {
			t.Errorf("parsed a template without a name or action type: %+v", got)
		}
		seen := map[string]bool{}
		for _, p := range got.Parameters {
			if strings.TrimSpace(p.Name) == "" || seen[p.Name] {
				t.Errorf("parameter name %q is empty or repeated", p.Name)
			}
			seen[p.Name] = true
		}
	})
}
