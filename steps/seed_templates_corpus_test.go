package steps_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/steps"
)

// libraryDir is the OctopusDeploy/Library step-templates folder, next to the
// repository (../shared/octopus-library/step-templates from the repo root).
var libraryDir = filepath.Join("..", "..", "shared", "octopus-library", "step-templates")

// TestSeedTemplatesLibraryCorpus seeds every template of the community
// Library into a space, re-reads each and compares it field by field with
// its file, and checks that a re-run is a no-op. Templates the server
// refuses must be reported by name, not stop the run.
func TestSeedTemplatesLibraryCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(libraryDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no Library corpus at %s", libraryDir)
	}
	e := newSeedEnv(t)
	spaceID := e.space("Library")
	step := func() *steps.SeedTemplates {
		return &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Library", From: []string{libraryDir}}}
	}
	s := step()
	p := mustPlan(t, s, e.oct)
	if got := len(pending(p)); got != len(files) {
		t.Fatalf("plan creates %d templates, want %d (one per file)", got, len(files))
	}
	rejected := map[string]bool{}
	if _, err := s.Apply(context.Background(), e.oct, p); err != nil {
		var re *steps.RejectedTemplatesError
		if !errors.As(err, &re) {
			t.Fatalf("apply: %v", err)
		}
		for _, pr := range re.Problems {
			name, _, _ := strings.Cut(strings.TrimPrefix(pr, `"`), `":`)
			rejected[name] = true
		}
		t.Logf("the server rejected %d templates:\n%s", len(re.Problems), strings.Join(re.Problems, "\n"))
	}

	have := e.templates(spaceID)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := want["Name"].(string)
		got, ok := have[name]
		switch {
		case rejected[name]:
			if ok {
				t.Errorf("%s: reported as rejected but exists", name)
			}
			continue
		case !ok:
			t.Errorf("%s (%s): not seeded and not reported", name, filepath.Base(f))
			continue
		}
		if diff := cmp.Diff(libraryView(want), serverView(got)); diff != "" {
			t.Errorf("%s (%s) differs from its file (-file +server):\n%s", name, filepath.Base(f), diff)
		}
	}

	e.emu.ResetRequests()
	p = mustPlan(t, step(), e.oct)
	var left []string
	for _, c := range pending(p) {
		if name := strings.TrimPrefix(c, "create step template "); !rejected[name] {
			left = append(left, c)
		}
	}
	if len(left) != 0 {
		t.Errorf("re-run plan = %q, want no changes", left)
	}
	if w := e.emu.Writes(); len(w) != 0 {
		t.Errorf("re-run plan wrote %q", w)
	}
}

// templateView is a template reduced to what seed-templates owns, in one
// shape for files and server documents.
type templateView struct {
	Name, Description, ActionType string
	Properties                    map[string]string
	Parameters                    []parameterView
	Packages                      []string
}

type parameterView struct {
	Name, Label, HelpText string
	DisplaySettings       map[string]string
	Default               string
}

func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for k, x := range m {
		if x != nil {
			out[k] = text(x)
		}
	}
	return out
}

func packageViews(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		p := x.(map[string]any)
		props, _ := json.Marshal(stringMap(p["Properties"]))
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s", text(p["Name"]), text(p["PackageId"]), text(p["FeedId"]), text(p["AcquisitionLocation"]), props))
	}
	sort.Strings(out)
	return out
}

// libraryView reads a Library file: null properties are absent, numbers are
// their text, a sensitive default is only "has a value".
func libraryView(d map[string]any) templateView {
	v := templateView{Name: text(d["Name"]), Description: text(d["Description"]), ActionType: text(d["ActionType"]),
		Properties: stringMap(d["Properties"]), Packages: packageViews(d["Packages"])}
	params, _ := d["Parameters"].([]any)
	for _, x := range params {
		p := x.(map[string]any)
		ds := stringMap(p["DisplaySettings"])
		def := text(p["DefaultValue"])
		if ds["Octopus.ControlType"] == "Sensitive" {
			def = fmt.Sprintf("sensitive:%v", def != "")
		}
		v.Parameters = append(v.Parameters, parameterView{Name: text(p["Name"]), Label: text(p["Label"]), HelpText: text(p["HelpText"]), DisplaySettings: ds, Default: def})
	}
	return v
}

// serverView reads a template the server serves; octofleet's marker property is left out.
func serverView(d map[string]any) templateView {
	v := templateView{Name: text(d["Name"]), Description: text(d["Description"]), ActionType: text(d["ActionType"]),
		Properties: stringMap(d["Properties"]), Packages: packageViews(d["Packages"])}
	delete(v.Properties, steps.SourceProperty)
	params, _ := d["Parameters"].([]any)
	for _, x := range params {
		p := x.(map[string]any)
		ds := stringMap(p["DisplaySettings"])
		def := ""
		if sv, ok := p["DefaultValue"].(map[string]any); ok {
			def = fmt.Sprintf("sensitive:%v", sv["HasValue"] == true)
		} else {
			def = text(p["DefaultValue"])
			if ds["Octopus.ControlType"] == "Sensitive" {
				def = fmt.Sprintf("sensitive:%v", def != "")
			}
		}
		v.Parameters = append(v.Parameters, parameterView{Name: text(p["Name"]), Label: text(p["Label"]), HelpText: text(p["HelpText"]), DisplaySettings: ds, Default: def})
	}
	return v
}
