package steps_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// seedEnv is one emulator, the real adapter dialled to it, and helpers that
// change the server behind the tool's back.
type seedEnv struct {
	t   testing.TB
	emu *emulator.Server
	oct *octopus.Client
}

func newSeedEnv(t testing.TB, opts ...func(*emulator.Options)) *seedEnv {
	t.Helper()
	emu, oct := dialNew(t, opts...)
	return &seedEnv{t: t, emu: emu, oct: oct}
}

// do sends one request with the admin API key and decodes the answer.
func (e *seedEnv) do(method, path string, body, out any) {
	e.t.Helper()
	emulatortest.Call(e.t, e.emu, method, path, body, out)
}

// space creates a space and returns its Id.
func (e *seedEnv) space(name string) string {
	e.t.Helper()
	var d struct{ Id string }
	e.do(http.MethodPost, "/api/spaces", map[string]any{"Name": name, "SpaceManagersTeams": []string{"teams-administrators"}, "SpaceManagersTeamMembers": []string{}}, &d)
	return d.Id
}

// templates returns the space's step templates as the server serves them, by name.
func (e *seedEnv) templates(spaceID string) map[string]map[string]any {
	e.t.Helper()
	var all []map[string]any
	e.do(http.MethodGet, "/api/"+spaceID+"/actiontemplates/all", nil, &all)
	out := map[string]map[string]any{}
	for _, d := range all {
		out[d["Name"].(string)] = d
	}
	return out
}

// runStep plans and applies s and returns the plan.
func runStep(t testing.TB, s steps.Step, oct steps.Octopus) steps.Plan {
	t.Helper()
	p := mustPlan(t, s, oct)
	if !p.Empty() {
		mustApply(t, s, oct, p)
	}
	return p
}

// writeTemplate writes a Library-format template file into dir.
func writeTemplate(t testing.TB, dir, file string, doc map[string]any) string {
	t.Helper()
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// libraryTemplate is a Library-format template with a script, a sensitive
// parameter, a numeric default and a package.
func libraryTemplate(name, script string) map[string]any {
	return map[string]any{
		"Id":          "6b1e3f0e-0000-4000-8000-" + fmt.Sprintf("%012x", len(name)),
		"Name":        name,
		"Description": "Does " + name,
		"ActionType":  "Octopus.Script",
		"Version":     3,
		"Author":      "platform",
		"Properties": map[string]any{
			"Octopus.Action.Script.ScriptBody":     script,
			"Octopus.Action.Script.Syntax":         "Bash",
			"Octopus.Action.Script.ScriptSource":   "Inline",
			"Octopus.Action.Script.ScriptFileName": nil,
		},
		"Parameters": []any{
			map[string]any{"Id": "a1", "Name": "Url", "Label": "URL", "HelpText": "Where", "DefaultValue": "https://example.com",
				"DisplaySettings": map[string]any{"Octopus.ControlType": "SingleLineText"}},
			map[string]any{"Name": "Token", "Label": "Token", "HelpText": "Secret", "DefaultValue": nil,
				"DisplaySettings": map[string]any{"Octopus.ControlType": "Sensitive"}},
			map[string]any{"Name": "Retries", "Label": "Retries", "HelpText": "", "DefaultValue": 3,
				"DisplaySettings": map[string]any{"Octopus.ControlType": "SingleLineText"}},
		},
		"Packages": []any{
			map[string]any{"Id": "p1", "Name": "tool", "PackageId": "acme.tool", "FeedId": "feeds-builtin",
				"AcquisitionLocation": "Server", "Properties": map[string]any{"Extract": "True"}},
		},
		"LastModifiedBy": "someone",
		"$Meta":          map[string]any{"ExportedAt": "2024-01-01T00:00:00.000Z", "OctopusVersion": "2024.1.0", "Type": "ActionTemplate"},
		"Category":       "other",
	}
}

func TestSeedTemplatesFromFilesConverges(t *testing.T) {
	t.Parallel()
	e := newSeedEnv(t)
	spaceID := e.space("Team A")
	dir := t.TempDir()
	for i, n := range []string{"Notify", "Deploy tool", "Clean up"} {
		writeTemplate(t, dir, fmt.Sprintf("t%d.json", i), libraryTemplate(n, "echo "+n))
	}
	step := func() *steps.SeedTemplates {
		return &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A", From: []string{dir}}}
	}

	p := runStep(t, step(), e.oct)
	if got, want := pending(p), []string{"create step template Notify", "create step template Deploy tool", "create step template Clean up"}; !cmp.Equal(got, want) {
		t.Fatalf("first plan = %q, want %q", got, want)
	}
	if p.Outputs["SpaceId"] != spaceID {
		t.Errorf("SpaceId = %q, want %q", p.Outputs["SpaceId"], spaceID)
	}

	// The second run reads once per resource kind and writes nothing.
	e.emu.ResetRequests()
	p = runStep(t, step(), e.oct)
	if got := pending(p); len(got) != 0 {
		t.Fatalf("second plan = %q, want empty", got)
	}
	if w := e.emu.Writes(); len(w) != 0 {
		t.Errorf("second run wrote %q", w)
	}
	if n := len(e.emu.Requests()); n != 2 {
		t.Errorf("second run made %d requests (%v), want 2: spaces and step templates", n, e.emu.Requests())
	}

	// A change in one file updates that template only; the server bumps its version.
	before := e.templates(spaceID)["Notify"]["Version"]
	writeTemplate(t, dir, "t0.json", libraryTemplate("Notify", "echo changed"))
	p = runStep(t, step(), e.oct)
	if got, want := pending(p), []string{"update step template Notify"}; !cmp.Equal(got, want) {
		t.Fatalf("plan after edit = %q, want %q", got, want)
	}
	c := p.Changes[slices.IndexFunc(p.Changes, func(c steps.Change) bool { return c.Name == "Notify" })]
	if got, want := c.FieldNames(), []string{"properties[Octopus.Action.Script.ScriptBody]"}; !cmp.Equal(got, want) {
		t.Errorf("changed fields = %q, want %q", got, want)
	}
	after := e.templates(spaceID)["Notify"]
	if after["Version"] == before {
		t.Errorf("version stayed %v after an update", before)
	}
	if got := pending(mustPlan(t, step(), e.oct)); len(got) != 0 {
		t.Errorf("plan after update = %q, want empty", got)
	}
}

// TestSeedTemplatesSensitiveDefaults checks that secrets reach the server
// but never a plan, and that without a secret the target keeps its value.
func TestSeedTemplatesSensitiveDefaults(t *testing.T) {
	t.Parallel()
	e := newSeedEnv(t)
	spaceID := e.space("Team A")
	dir := t.TempDir()
	writeTemplate(t, dir, "notify.json", libraryTemplate("Notify", "echo hi"))
	const secret = "s3cr3t-VALUE-never-printed"
	in := steps.SeedTemplatesInput{TargetSpace: "Team A", From: []string{dir},
		Secrets: map[string]map[string]string{"Notify": {"Token": secret}}}

	p := runStep(t, &steps.SeedTemplates{In: in}, e.oct)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret) {
		t.Fatalf("plan contains the secret: %s", b)
	}
	token := func() map[string]any {
		for _, p := range e.templates(spaceID)["Notify"]["Parameters"].([]any) {
			if p := p.(map[string]any); p["Name"] == "Token" {
				dv, _ := p["DefaultValue"].(map[string]any)
				return dv
			}
		}
		return nil
	}
	if dv := token(); dv == nil || dv["HasValue"] != true || dv["NewValue"] != nil {
		t.Fatalf("Token default on the server = %v, want HasValue true and no value", dv)
	}

	// Without the secret the target keeps its value: no change, no write.
	in.Secrets = nil
	e.emu.ResetRequests()
	if got := pending(runStep(t, &steps.SeedTemplates{In: in}, e.oct)); len(got) != 0 {
		t.Errorf("plan without secrets = %q, want empty", got)
	}
	// An update for another reason keeps the secret too.
	writeTemplate(t, dir, "notify.json", libraryTemplate("Notify", "echo changed"))
	runStep(t, &steps.SeedTemplates{In: in}, e.oct)
	if dv := token(); dv == nil || dv["HasValue"] != true {
		t.Errorf("Token default after an update without secrets = %v, want kept", dv)
	}
}

func TestSeedTemplatesMalformedFile(t *testing.T) {
	t.Parallel()
	good, err := json.Marshal(libraryTemplate("Good", "echo ok"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body, problem string
	}{
		{"syntax", `{"Name": "x", "ActionType": "Octopus.Script",}`, "invalid JSON at line 1"},
		{"no name", `{"ActionType": "Octopus.Script"}`, "Name is missing or empty"},
		{"no action type", `{"Name": "x"}`, "ActionType is missing or empty"},
		{"duplicate parameter", `{"Name": "x", "ActionType": "a", "Parameters": [{"Name": "p"}, {"Name": "p"}]}`, `parameter name "p" is used twice`},
		{"object property", `{"Name": "x", "ActionType": "a", "Properties": {"k": {"a": 1}}}`, `Properties["k"]: must be a string`},
		{"wrong type", `{"Name": "x", "ActionType": "a", "Parameters": {}}`, "Parameters must be"},
		{"not a template", `{"Name": "x", "ActionType": "a", "$Meta": {"Type": "Project"}}`, `$Meta.Type is "Project"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSeedEnv(t)
			e.space("Team A")
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a-good.json"), good, 0o644); err != nil {
				t.Fatal(err)
			}
			bad := filepath.Join(dir, "b-bad.json")
			if err := os.WriteFile(bad, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			e.emu.ResetRequests()
			_, err := (&steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A", From: []string{dir}}}).Plan(context.Background(), e.oct)
			var le *steps.LibraryTemplateError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want *LibraryTemplateError", err)
			}
			if le.File != bad || !strings.Contains(err.Error(), bad) || !strings.Contains(le.Problem, tt.problem) {
				t.Errorf("err = %q, want it to name %s and say %q", err, bad, tt.problem)
			}
			if r := e.emu.Requests(); len(r) != 0 {
				t.Errorf("a malformed file still sent %v", r)
			}
		})
	}
}

// TestSeedTemplatesPrune deletes only templates octofleet seeded from the
// sources of the run: never one made by hand, never one from another source.
func TestSeedTemplatesPrune(t *testing.T) {
	t.Parallel()
	e := newSeedEnv(t)
	spaceID := e.space("Team A")
	hub := e.space("Hub")
	dir := t.TempDir()
	writeTemplate(t, dir, "keep.json", libraryTemplate("Keep", "echo keep"))
	gone := writeTemplate(t, dir, "gone.json", libraryTemplate("Gone", "echo gone"))
	// A hand-made template, and one a user made before octofleet adopted it by name.
	e.do(http.MethodPost, "/api/"+spaceID+"/actiontemplates", map[string]any{"Name": "Hand made", "ActionType": "Octopus.Script"}, nil)
	e.do(http.MethodPost, "/api/"+spaceID+"/actiontemplates", map[string]any{"Name": "Adopted", "ActionType": "Octopus.Script"}, nil)
	writeTemplate(t, dir, "adopted.json", libraryTemplate("Adopted", "echo adopted"))
	// A template seeded from an upstream space.
	e.do(http.MethodPost, "/api/"+hub+"/actiontemplates", map[string]any{"Name": "From hub", "ActionType": "Octopus.Script"}, nil)
	runStep(t, &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A", Source: steps.TemplateSource{Space: "Hub"}}}, e.oct)
	runStep(t, &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A", From: []string{dir}}}, e.oct)

	for _, f := range []string{gone, filepath.Join(dir, "adopted.json")} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	prune := &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A", From: []string{dir}, Prune: true}}
	p := runStep(t, prune, e.oct)
	if got, want := pending(p), []string{"delete step template Gone"}; !cmp.Equal(got, want) {
		t.Fatalf("prune plan = %q, want %q", got, want)
	}
	var names []string
	for n := range e.templates(spaceID) {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"Adopted", "From hub", "Hand made", "Keep"}; !cmp.Equal(names, want) {
		t.Errorf("templates after prune = %q, want %q", names, want)
	}
	if got := pending(mustPlan(t, prune, e.oct)); len(got) != 0 {
		t.Errorf("plan after prune = %q, want empty", got)
	}
}

// TestSeedTemplatesRejected: a template the server refuses is reported by
// name; the others are seeded.
func TestSeedTemplatesRejected(t *testing.T) {
	t.Parallel()
	e := newSeedEnv(t)
	spaceID := e.space("Team A")
	dir := t.TempDir()
	writeTemplate(t, dir, "a.json", libraryTemplate("Alpha", "echo a"))
	writeTemplate(t, dir, "b.json", libraryTemplate("Beta", "echo b"))
	e.emu.FailNext(http.MethodPost, "/api/"+spaceID+"/actiontemplates", http.StatusBadRequest, 1)
	s := &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A", From: []string{dir}}}
	_, err := s.Apply(context.Background(), e.oct, mustPlan(t, s, e.oct))
	var re *steps.RejectedTemplatesError
	if !errors.As(err, &re) || len(re.Problems) != 1 || !strings.Contains(re.Problems[0], `"Alpha"`) {
		t.Fatalf("err = %v, want Alpha reported as rejected", err)
	}
	if _, ok := e.templates(spaceID)["Beta"]; !ok {
		t.Error("Beta was not seeded after Alpha was rejected")
	}
	if got, want := pending(mustPlan(t, s, e.oct)), []string{"create step template Alpha"}; !cmp.Equal(got, want) {
		t.Errorf("plan after the rejection = %q, want %q", got, want)
	}
}

// seedHub gives space Hub of e three templates and returns the Hub's Id.
func seedHub(t testing.TB, e *seedEnv) string {
	t.Helper()
	hub := e.space("Hub")
	dir := t.TempDir()
	for i, n := range []string{"Approved - Deploy", "Approved - Notify", "Experimental"} {
		writeTemplate(t, dir, fmt.Sprintf("%d.json", i), libraryTemplate(n, "echo "+n))
	}
	runStep(t, &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Hub", From: []string{dir}}}, e.oct)
	return hub
}

func TestSeedTemplatesFromUpstreamSpace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		otherServer bool
	}{{"same instance", false}, {"another instance", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newSeedEnv(t)
			hub := seedHub(t, up)
			down := up
			if tt.otherServer {
				down = newSeedEnv(t)
			}
			target := down.space("Team A")
			step := func() *steps.SeedTemplates {
				s := &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A",
					Source: steps.TemplateSource{Space: "Hub"}, Templates: []string{"Approved - *"}}}
				if tt.otherServer {
					s.In.Source.Server, s.In.Source.APIKey = up.emu.URL(), up.emu.APIKey()
					s.Source = up.oct
				}
				return s
			}
			p := runStep(t, step(), down.oct)
			if got, want := pending(p), []string{"create step template Approved - Deploy", "create step template Approved - Notify"}; !cmp.Equal(got, want) {
				t.Fatalf("plan = %q, want %q", got, want)
			}
			hubT, got := up.templates(hub)["Approved - Deploy"], down.templates(target)["Approved - Deploy"]
			for _, k := range []string{"Description", "ActionType", "Packages"} {
				if !cmp.Equal(jsonValue(t, hubT[k]), jsonValue(t, got[k]), cmp.FilterPath(isIDKey, cmp.Ignore())) {
					t.Errorf("%s: target %v, upstream %v", k, got[k], hubT[k])
				}
			}

			down.emu.ResetRequests()
			if got := pending(runStep(t, step(), down.oct)); len(got) != 0 {
				t.Errorf("second plan = %q, want empty", got)
			}
			if w := down.emu.Writes(); len(w) != 0 {
				t.Errorf("second run wrote %q", w)
			}

			// A change upstream propagates on the next run.
			up.do(http.MethodGet, "/api/"+hub+"/actiontemplates/all", nil, nil)
			id := hubT["Id"].(string)
			(&fixture{t: t, emu: up.emu}).edit(t, "/api/"+hub+"/actiontemplates/"+id, func(d map[string]any) {
				d["Description"] = "Deploys, now better"
			})
			if got, want := pending(runStep(t, step(), down.oct)), []string{"update step template Approved - Deploy"}; !cmp.Equal(got, want) {
				t.Errorf("plan after upstream change = %q, want %q", got, want)
			}
			if d := down.templates(target)["Approved - Deploy"]["Description"]; d != "Deploys, now better" {
				t.Errorf("target description = %v", d)
			}
		})
	}
}

// jsonValue round-trips v through JSON for comparisons.
func jsonValue(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// isIDKey matches the "Id" entries of maps: server-assigned, never compared.
func isIDKey(p cmp.Path) bool {
	mi, ok := p.Last().(cmp.MapIndex)
	return ok && mi.Key().String() == "Id"
}

func TestSeedTemplatesCommunity(t *testing.T) {
	t.Parallel()
	lib := t.TempDir()
	writeTemplate(t, lib, "notify.json", libraryTemplate("Community - Notify", "echo v1"))
	writeTemplate(t, lib, "other.json", libraryTemplate("Community - Other", "echo other"))
	state := filepath.Join(t.TempDir(), "state.json")
	withOpts := func(o *emulator.Options) { o.CommunityTemplatesDir, o.StatePath = lib, state }

	emu, err := emulator.New(emulator.Options{CommunityTemplatesDir: lib, StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	e := &seedEnv{t: t, emu: emu, oct: mustDial(t, emu)}
	spaceID := e.space("Team A")
	step := func() *steps.SeedTemplates {
		return &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A", Community: []string{"Community - Notify"}}}
	}
	if got, want := pending(runStep(t, step(), e.oct)), []string{"create community template Community - Notify"}; !cmp.Equal(got, want) {
		t.Fatalf("plan = %q, want %q", got, want)
	}
	if got := e.templates(spaceID)["Community - Notify"]["CommunityActionTemplateId"]; got == nil || got == "" {
		t.Errorf("installed template has no CommunityActionTemplateId")
	}
	e.emu.ResetRequests()
	if got := pending(runStep(t, step(), e.oct)); len(got) != 0 {
		t.Errorf("second plan = %q, want empty", got)
	}
	if w := e.emu.Writes(); len(w) != 0 {
		t.Errorf("second run wrote %q", w)
	}
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}

	// The server learns a newer version of the community template: the next
	// run updates the installed copy.
	bumpCommunityVersion(t, state, "Community - Notify")
	e = newSeedEnv(t, withOpts)
	p := runStep(t, step(), e.oct)
	if got, want := pending(p), []string{"update community template Community - Notify"}; !cmp.Equal(got, want) {
		t.Fatalf("plan after a new version = %q, want %q", got, want)
	}
	if got := p.Changes[0].Fields["version"]; got != [2]any{3, 4} {
		t.Errorf("version change = %v, want [3 4]", got)
	}
	if got := pending(mustPlan(t, step(), e.oct)); len(got) != 0 {
		t.Errorf("plan after the update = %q, want empty", got)
	}
	if got := e.templates(spaceID)["Community - Notify"]["Version"]; fmt.Sprint(got) != "4" {
		t.Errorf("installed version = %v, want 4", got)
	}
}

// bumpCommunityVersion raises a community template's version in an emulator
// state file, as the real server's library sync would.
func bumpCommunityVersion(t testing.TB, path, name string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rec := range st["kinds"].(map[string]any)["CommunityActionTemplates"].([]any) {
		doc := rec.(map[string]any)["doc"].(map[string]any)
		if doc["Name"] == name {
			doc["Version"] = doc["Version"].(float64) + 1
			doc["Description"] = "Now with more"
			found = true
		}
	}
	if !found {
		t.Fatalf("no community template %q in the state file", name)
	}
	out, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSeedTemplatesBadSecrets: a secret for a template no source provides,
// or for a parameter that does not exist or is not sensitive, is bad input.
func TestSeedTemplatesBadSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets map[string]map[string]string
		want    string
	}{
		{"unknown template", map[string]map[string]string{"Nope": {"Token": "x"}}, `no source provides step template "Nope"`},
		{"unknown parameter", map[string]map[string]string{"Notify": {"Tokn": "x"}}, `has no parameter "Tokn"`},
		{"not sensitive", map[string]map[string]string{"Notify": {"Url": "x"}}, `parameter "Url" of step template "Notify" is not sensitive`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSeedEnv(t)
			e.space("Team A")
			dir := t.TempDir()
			writeTemplate(t, dir, "notify.json", libraryTemplate("Notify", "echo hi"))
			e.emu.ResetRequests()
			_, err := (&steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A", From: []string{dir}, Secrets: tt.secrets}}).Plan(context.Background(), e.oct)
			var ie *steps.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want an InputError saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "x\"") {
				t.Errorf("the error shows the secret: %v", err)
			}
			if w := e.emu.Writes(); len(w) != 0 {
				t.Errorf("bad secrets wrote %q", w)
			}
		})
	}
}
