// Package runbooks holds octofleet's step templates (one per step, in the
// Octopus community Library format) and the management-space project that
// runs them per tenant, as JSON generated from the code (generate.go) and
// embedded in the binary. `octofleet export` writes them out and `octofleet
// install` puts them into a management space. The package's tests fail when
// the checked-in files differ from what the code generates; regenerate with
// `go test ./runbooks -update`.
package runbooks

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed octofleet-project.json step-templates/*.json step-templates-powershell/*.json
var files embed.FS

// Files returns the embedded files by path (step-templates/*.json,
// step-templates-powershell/*.json and octofleet-project.json), as the
// binary ships them.
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		out[path] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read embedded runbooks: %w", err)
	}
	return out, nil
}

// StepTemplates returns the embedded step templates with Bash scripts,
// sorted by name.
func StepTemplates() ([]StepTemplate, error) { return StepTemplatesFor(SyntaxBash) }

// StepTemplatesFor returns the embedded step templates whose scripts are in
// syntax (SyntaxBash or SyntaxPowerShell), sorted by name.
func StepTemplatesFor(syntax string) ([]StepTemplate, error) {
	paths, err := fs.Glob(files, templatesDir(syntax)+"/*.json")
	if err != nil {
		return nil, err
	}
	var out []StepTemplate
	for _, p := range paths {
		b, err := files.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var t StepTemplate
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("embedded %s: %w", p, err)
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// EmbeddedProject returns the embedded project document.
func EmbeddedProject() (Project, error) {
	var p Project
	b, err := files.ReadFile(ProjectFile)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("embedded %s: %w", ProjectFile, err)
	}
	return p, nil
}
