package runbooks

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/schemas"
	"github.com/octofleet/octofleet/steps"
)

var update = flag.Bool("update", false, "rewrite the generated files")

// TestGeneratedFilesMatchCode fails when the checked-in files differ from
// what the code generates (a schema, a script or the generator changed):
// run `go test ./runbooks -update` and commit the result.
func TestGeneratedFilesMatchCode(t *testing.T) {
	gen, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		for _, syntax := range Syntaxes {
			if err := os.RemoveAll(templatesDir(syntax)); err != nil {
				t.Fatal(err)
			}
		}
		for path, b := range gen {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	onDisk := map[string][]byte{}
	var paths []string
	for _, syntax := range Syntaxes {
		p, _ := filepath.Glob(templatesDir(syntax) + "/*")
		paths = append(paths, p...)
	}
	paths = append(paths, ProjectFile)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		onDisk[filepath.ToSlash(p)] = b
	}
	for path, want := range gen {
		if got, ok := onDisk[path]; !ok {
			t.Errorf("%s is generated but not checked in (go test ./runbooks -update)", path)
		} else if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s differs from what the code generates (go test ./runbooks -update) (-generated +checked in):\n%s", path, diff)
		}
	}
	for path := range onDisk {
		if _, ok := gen[path]; !ok {
			t.Errorf("%s is checked in but no longer generated (go test ./runbooks -update)", path)
		}
	}
	// What the binary embeds is what is checked in.
	embedded, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(onDisk, embedded); diff != "" && !*update {
		t.Errorf("embedded files differ from the checked-in ones:\n%s", diff)
	}
}

// TestGenerateIsDeterministic: two generations give the same bytes.
func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("two generations differ:\n%s", diff)
	}
}

var (
	guid         = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	placeholders = []string{"00000000-0000-0000-0000-000000000000", "abcdef00-ab00-cd00-ef00-000000abcdef"}
	variableRef  = regexp.MustCompile(`^#\{[^}]+\}$`)
)

// libraryProblems applies the OctopusDeploy/Library validity rules (its
// own validation tests, summarised in ../shared/octopus-library/README.md)
// to one file.
func libraryProblems(path string, raw []byte) []string {
	var p []string
	if !strings.HasSuffix(path, ".json") {
		p = append(p, "file name does not end in .json")
	}
	if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		p = append(p, "starts with a UTF-8 byte-order mark")
	}
	var doc struct {
		ID             string `json:"Id"`
		Name           string `json:"Name"`
		LastModifiedBy string `json:"LastModifiedBy"`
		Meta           struct {
			ExportedAt string `json:"ExportedAt"`
		} `json:"$Meta"`
		Packages []struct {
			FeedID *string `json:"FeedId"`
		} `json:"Packages"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return append(p, "not JSON: "+err.Error())
	}
	if !guid.MatchString(strings.ToLower(doc.ID)) || slices.Contains(placeholders, strings.ToLower(doc.ID)) {
		p = append(p, "Id "+doc.ID+" is not a GUID, or is a placeholder")
	}
	if doc.Name == "" || len([]rune(doc.Name)) > 200 {
		p = append(p, "Name is missing or longer than 200 characters")
	}
	if doc.LastModifiedBy == "" {
		p = append(p, "LastModifiedBy is missing")
	}
	if doc.Meta.ExportedAt == "" {
		p = append(p, "$Meta.ExportedAt is missing")
	}
	for _, pk := range doc.Packages {
		if pk.FeedID != nil && !variableRef.MatchString(*pk.FeedID) {
			p = append(p, "package FeedId "+*pk.FeedID+" is neither null nor a #{variable}")
		}
	}
	return p
}

// TestStepTemplatesPassLibraryRules checks every embedded template against
// the Library's rules, names and Ids unique, and that seed-templates (which
// install uses) parses each one.
func TestStepTemplatesPassLibraryRules(t *testing.T) {
	t.Parallel()
	all, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	// Each syntax's templates have one Name and Id per step: the same as
	// the other syntax's, since a space holds one rendering.
	names, ids := map[string]string{}, map[string]string{}
	n := map[string]int{}
	for path, raw := range all {
		dir, _, _ := strings.Cut(path, "/")
		if !strings.HasPrefix(dir, "step-templates") {
			continue
		}
		n[dir]++
		for _, problem := range libraryProblems(path, raw) {
			t.Errorf("%s: %s", path, problem)
		}
		var tpl StepTemplate
		if err := json.Unmarshal(raw, &tpl); err != nil {
			t.Fatal(err)
		}
		if prev, dup := names[dir+"/"+tpl.Name]; dup {
			t.Errorf("%s and %s have the same Name %q", prev, path, tpl.Name)
		}
		if prev, dup := ids[dir+"/"+tpl.ID]; dup {
			t.Errorf("%s and %s have the same Id %q", prev, path, tpl.ID)
		}
		names[dir+"/"+tpl.Name], ids[dir+"/"+tpl.ID] = path, path
		if _, err := steps.ParseLibraryTemplate(path, raw); err != nil {
			t.Errorf("seed-templates cannot read %s: %v", path, err)
		}
	}
	for _, syntax := range Syntaxes {
		if want, got := len(schemas.Names()), n[templatesDir(syntax)]; got != want {
			t.Errorf("%d %s step templates, want one per step schema (%d)", got, syntax, want)
		}
	}
}

// TestLibraryRulesCatchBadTemplates makes sure the rule check can fail.
func TestLibraryRulesCatchBadTemplates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, path, doc, want string
	}{
		{"placeholder id", "a.json", `{"Id":"abcdef00-ab00-cd00-ef00-000000abcdef","Name":"x","LastModifiedBy":"a","$Meta":{"ExportedAt":"t"}}`, "placeholder"},
		{"not a guid", "a.json", `{"Id":"octofleet","Name":"x","LastModifiedBy":"a","$Meta":{"ExportedAt":"t"}}`, "not a GUID"},
		{"long name", "a.json", `{"Id":"6f6374a0-0000-5000-8000-000000000001","Name":"` + strings.Repeat("n", 201) + `","LastModifiedBy":"a","$Meta":{"ExportedAt":"t"}}`, "200"},
		{"no author", "a.json", `{"Id":"6f6374a0-0000-5000-8000-000000000001","Name":"x","$Meta":{"ExportedAt":"t"}}`, "LastModifiedBy"},
		{"no export time", "a.json", `{"Id":"6f6374a0-0000-5000-8000-000000000001","Name":"x","LastModifiedBy":"a"}`, "ExportedAt"},
		{"fixed feed", "a.json", `{"Id":"6f6374a0-0000-5000-8000-000000000001","Name":"x","LastModifiedBy":"a","$Meta":{"ExportedAt":"t"},"Packages":[{"FeedId":"feeds-builtin"}]}`, "FeedId"},
		{"bom", "a.json", "\xef\xbb\xbf{}", "byte-order mark"},
		{"extension", "a.txt", `{"Id":"6f6374a0-0000-5000-8000-000000000001","Name":"x","LastModifiedBy":"a","$Meta":{"ExportedAt":"t"}}`, ".json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(libraryProblems(tc.path, []byte(tc.doc)), "; ")
			if !strings.Contains(got, tc.want) {
				t.Errorf("problems = %q, want one mentioning %q", got, tc.want)
			}
		})
	}
}

// TestTemplateParameters checks the parameters derived for each step: the
// control types, a sensitive API key, and a script that names only
// parameters the template has.
func TestTemplateParameters(t *testing.T) {
	t.Parallel()
	ts, err := StepTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range ts {
		t.Run(tpl.Name, func(t *testing.T) {
			byName := map[string]Parameter{}
			for _, p := range tpl.Parameters {
				byName[p.Name] = p
			}
			for name, ctl := range map[string]string{ParamAPIKey: sensitive, ParamInput: multiLine, ParamDryRun: checkbox, ParamLogLevel: selectControl, ParamServer: singleLine} {
				if got := byName[name].DisplaySettings[controlType]; got != ctl {
					t.Errorf("parameter %s control type = %q, want %q", name, got, ctl)
				}
			}
			body := tpl.Properties["Octopus.Action.Script.ScriptBody"]
			for _, m := range regexp.MustCompile(`get_octopusvariable "(Octofleet\.[A-Za-z.]+)"`).FindAllStringSubmatch(body, -1) {
				if _, ok := byName[m[1]]; !ok {
					t.Errorf("script reads %s, which is not a parameter", m[1])
				}
			}
			if strings.Contains(body, "--api-key") {
				t.Error("script passes an API key on the command line")
			}
			if !strings.Contains(body, "--output octopus") {
				t.Error("script does not ask for --output octopus")
			}
			if len(tpl.Packages) != 1 || tpl.Packages[0].PackageID != PackageID {
				t.Errorf("packages = %+v, want the octofleet package", tpl.Packages)
			}
			if sh, err := exec.LookPath("bash"); err == nil {
				cmd := exec.Command(sh, "-n")
				cmd.Stdin = strings.NewReader(body)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("bash -n: %v\n%s", err, out)
				}
			}
		})
	}
}

// TestProjectRefersToTemplates checks that every runbook step names an
// embedded template and sets only parameters that template has.
func TestProjectRefersToTemplates(t *testing.T) {
	t.Parallel()
	p, err := EmbeddedProject()
	if err != nil {
		t.Fatal(err)
	}
	ts, err := StepTemplates()
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]map[string]bool{}
	for _, tpl := range ts {
		params[tpl.Name] = map[string]bool{}
		for _, x := range tpl.Parameters {
			params[tpl.Name][x.Name] = true
		}
	}
	var runbooks []string
	for _, rb := range p.Runbooks {
		runbooks = append(runbooks, rb.Name)
		if len(rb.Steps) == 0 {
			t.Errorf("runbook %q has no steps", rb.Name)
		}
		for _, st := range rb.Steps {
			ps, ok := params[st.StepTemplate]
			if !ok {
				t.Errorf("runbook %q step %q uses unknown template %q", rb.Name, st.Name, st.StepTemplate)
				continue
			}
			for k := range st.Parameters {
				if !ps[k] {
					t.Errorf("runbook %q step %q sets %s, which template %q does not have", rb.Name, st.Name, k, st.StepTemplate)
				}
			}
		}
	}
	sort.Strings(runbooks)
	for _, want := range []string{RunbookCreateSpace, RunbookSeedTemplates, RunbookCloneSettings} {
		if !slices.Contains(runbooks, want) {
			t.Errorf("runbooks %q lack %q", runbooks, want)
		}
	}
}

func TestStableID(t *testing.T) {
	t.Parallel()
	if a, b := stableID("create-space"), stableID("create-space"); a != b || !guid.MatchString(a) {
		t.Fatalf("stableID = %q, %q", a, b)
	}
	if stableID("create-space") == stableID("seed-templates") {
		t.Fatal("two steps share an Id")
	}
}
