package steps_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/steps"
)

// facadeKey is the management API key the facade inputs carry; no plan,
// error or server answer may ever contain it.
const facadeKey = "API-FACADESECRET0000000000000001"

func facadeInput(t testing.TB, runbook bool) steps.CreateFacadeProjectInput {
	t.Helper()
	in := steps.CreateFacadeProjectInput{
		Upstream: steps.FacadeUpstreamInput{ServerURL: "https://octopus.example.com", Space: mgmtSpace, Project: mgmtProject,
			Tenant: "{{ .Tenant.Name }}", Environment: "Production", APIKey: facadeKey},
		Space:   steps.FacadeSpaceInput{Name: "{{ .Tenant.Name }}", Description: ptr("Self-service for {{ .Tenant.Name }}")},
		Project: steps.FacadeProjectInput{Name: "Say hello", Group: "Self-service", Environments: []string{"Production"}},
		Team:    &steps.FacadeTeamInput{Name: "{{ .Tenant.Name }} operators", Members: []string{"alice"}},
	}
	if runbook {
		in.Upstream.Runbook = "Say hello"
	} else {
		in.Project.Name = "Deploy hello"
		in.Upstream.Release = &steps.FacadeReleaseInput{Channel: "Default"}
	}
	out, err := in.Render(steps.TemplateData{Tenant: steps.TenantData{Name: "Acme"}})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return out
}

// noSecret fails when the API key appears in v (a plan, outputs or an error).
func noSecret(t testing.TB, what string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b) + " " + errString(v); strings.Contains(s, facadeKey) {
		t.Errorf("the API key appears in the %s: %s", what, s)
	}
}

func errString(v any) string {
	if err, ok := v.(error); ok && err != nil {
		return err.Error()
	}
	return ""
}

// spaceID returns the Id of space name, looked up behind the step's back.
func (f *fixture) spaceID(t testing.TB, name string) string {
	t.Helper()
	return f.idOf(t, "/api/spaces/all", "Name", name)
}

func TestCreateFacadeProjectConverges(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		runbook bool
		want    []string
		roles   []string
	}{
		{name: "runbook facade", runbook: true, roles: []string{"Project viewer", "Runbook consumer"}, want: []string{
			"create space Acme", "create environment Production", "create project group Self-service", "create team Acme operators",
			"create scoped user role Acme operators/Project viewer", "create scoped user role Acme operators/Runbook consumer",
			"create project Say hello", "create runbook Say hello", "create step Run upstream",
			"create variable Management.ServerUrl", "create variable Management.Space", "create variable Management.Project",
			"create variable Management.Tenant", "create variable Management.ApiKey", "create runbook snapshot Say hello",
		}},
		{name: "deployment facade", roles: []string{"Project deployer", "Release creator"}, want: []string{
			"create space Acme", "create environment Production", "create project group Self-service", "create team Acme operators",
			"create scoped user role Acme operators/Project deployer", "create scoped user role Acme operators/Release creator",
			"create project Deploy hello", "create step Run upstream",
			"create variable Management.ServerUrl", "create variable Management.Space", "create variable Management.Project",
			"create variable Management.Tenant", "create variable Management.ApiKey",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			step := steps.CreateFacadeProject{In: facadeInput(t, tc.runbook)}
			first := mustPlan(t, step, f.oct)
			if w := f.emu.Writes(); len(w) != 0 {
				t.Fatalf("plan wrote %q", w)
			}
			if diff := cmp.Diff(tc.want, pending(first)); diff != "" {
				t.Errorf("first plan (-want +got):\n%s", diff)
			}
			noSecret(t, "plan", first)
			f.emu.ResetRequests()
			out := mustApply(t, step, f.oct, first)
			t.Logf("first apply: %d requests, %d writes", len(f.emu.Requests()), len(f.emu.Writes()))
			noSecret(t, "outputs", out)
			spaceID := f.spaceID(t, "Acme")
			if out[steps.OutputSpaceID] != spaceID || out[steps.OutputProjectID] == "" || (tc.runbook && out[steps.OutputRunbookID] == "") {
				t.Errorf("outputs = %v", out)
			}

			f.emu.ResetRequests()
			second := mustPlan(t, step, f.oct)
			if p := pending(second); len(p) != 0 {
				t.Errorf("second plan is not empty: %q", p)
			}
			again := mustApply(t, step, f.oct, second)
			if w := f.emu.Writes(); len(w) != 0 {
				t.Errorf("a re-run wrote %q", w)
			}
			t.Logf("no-op re-run (plan and apply): %d requests", len(f.emu.Requests()))
			if again[steps.OutputProjectID] != out[steps.OutputProjectID] {
				t.Errorf("re-run outputs = %v, first = %v", again, out)
			}

			// The team's roles are granted in the customer space only.
			var teams []map[string]any
			f.raw(t, http.MethodGet, "/api/"+spaceID+"/teams/all", nil, &teams)
			i := slices.IndexFunc(teams, func(x map[string]any) bool { return x["Name"] == "Acme operators" })
			if i < 0 {
				t.Fatal("no customer team")
			}
			var roles struct{ Items []map[string]any }
			f.raw(t, http.MethodGet, "/api/teams/"+teams[i]["Id"].(string)+"/scopeduserroles", nil, &roles)
			var granted []string
			for _, r := range roles.Items {
				if r["SpaceId"] != spaceID {
					t.Errorf("role %v is granted outside the customer space", r)
				}
				granted = append(granted, r["UserRoleId"].(string))
			}
			if len(granted) != len(tc.roles) {
				t.Errorf("granted %v, want %v", granted, tc.roles)
			}

			// The sensitive variable holds a value the server never returns.
			var vs struct{ Variables []map[string]any }
			var project map[string]any
			f.raw(t, http.MethodGet, "/api/"+spaceID+"/projects/"+out[steps.OutputProjectID], nil, &project)
			f.raw(t, http.MethodGet, "/api/"+spaceID+"/variables/"+project["VariableSetId"].(string), nil, &vs)
			raw, _ := json.Marshal(vs)
			if strings.Contains(string(raw), facadeKey) {
				t.Error("the server returned the API key")
			}
			found := false
			for _, v := range vs.Variables {
				if v["Name"] == steps.DefaultFacadeAPIKeyVariable {
					found = v["IsSensitive"] == true
				}
			}
			if !found {
				t.Errorf("no sensitive %s in %s", steps.DefaultFacadeAPIKeyVariable, raw)
			}
		})
	}
}

// stepOf returns the facade step of the customer space's facade process.
func stepOf(t *testing.T, f *fixture, spaceID string, out steps.Outputs, runbook bool) steps.ProcessStep {
	t.Helper()
	var proc steps.Process
	var err error
	if runbook {
		var rbs []steps.Runbook
		rbs, err = f.oct.Runbooks(context.Background(), spaceID)
		if err == nil {
			i := slices.IndexFunc(rbs, func(r steps.Runbook) bool { return r.ID == out[steps.OutputRunbookID] })
			proc, err = f.oct.RunbookProcess(context.Background(), spaceID, rbs[i].RunbookProcessID)
		}
	} else {
		proc, err = f.oct.DeploymentProcess(context.Background(), spaceID, out[steps.OutputProjectID])
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(proc.Steps) != 1 {
		t.Fatalf("process has %d steps, want 1", len(proc.Steps))
	}
	return proc.Steps[0]
}

func TestCreateFacadeProjectChangesTargetInPlace(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		runbook bool
		edit    func(in *steps.CreateFacadeProjectInput)
		want    []string
		script  string // the new script contains this
	}{
		{name: "other runbook", runbook: true,
			edit: func(in *steps.CreateFacadeProjectInput) { in.Upstream.Runbook = "Restart" },
			want: []string{"update step Run upstream", "create runbook snapshot Say hello"}, script: "--runbook 'Restart'"},
		{name: "other tenant", runbook: true,
			edit: func(in *steps.CreateFacadeProjectInput) { in.Upstream.Tenant = "Globex" },
			want: []string{"update variable Management.Tenant", "create runbook snapshot Say hello"}, script: "--runbook 'Say hello'"},
		{name: "given release version", runbook: false,
			edit: func(in *steps.CreateFacadeProjectInput) {
				in.Upstream.Release = &steps.FacadeReleaseInput{Version: "1.2.3"}
			},
			want: []string{"update step Run upstream"}, script: "--release-version '1.2.3'"},
		{name: "other environment and timeout", runbook: false,
			edit: func(in *steps.CreateFacadeProjectInput) {
				in.Upstream.Environment = "Staging"
				in.Upstream.Timeout = "5m"
			},
			want: []string{"update step Run upstream"}, script: "--environment 'Staging' \\\n  --channel 'Default' \\\n  --timeout '5m'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			in := facadeInput(t, tc.runbook)
			in.Project.Runbook = in.Upstream.Runbook
			out := mustApply(t, steps.CreateFacadeProject{In: in}, f.oct, mustPlan(t, steps.CreateFacadeProject{In: in}, f.oct))
			spaceID := out[steps.OutputSpaceID]
			before := stepOf(t, f, spaceID, out, tc.runbook)

			tc.edit(&in)
			in.Upstream.APIKey = "" // kept from the first run
			step := steps.CreateFacadeProject{In: in}
			plan := mustPlan(t, step, f.oct)
			if diff := cmp.Diff(tc.want, pending(plan)); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			mustApply(t, step, f.oct, plan)
			after := stepOf(t, f, spaceID, out, tc.runbook)
			if after.ID != before.ID || after.Actions[0].ID != before.Actions[0].ID {
				t.Errorf("the step was replaced: %s/%s → %s/%s", before.ID, before.Actions[0].ID, after.ID, after.Actions[0].ID)
			}
			if body := after.Actions[0].Properties["Octopus.Action.Script.ScriptBody"]; !strings.Contains(body, tc.script) {
				t.Errorf("script lacks %q:\n%s", tc.script, body)
			}
			if p := pending(mustPlan(t, step, f.oct)); len(p) != 0 {
				t.Errorf("plan after the change is not empty: %q", p)
			}
		})
	}
}

func TestCreateFacadeProjectAPIKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := facadeInput(t, true)
	in.Upstream.APIKey = ""
	_, err := steps.CreateFacadeProject{In: in}.Plan(context.Background(), f.oct)
	var ie *steps.InputError
	if !errors.As(err, &ie) || ie.Field != "upstream.apiKey" {
		t.Fatalf("plan without a key: err = %v, want an InputError on upstream.apiKey", err)
	}
	if w := f.emu.Writes(); len(w) != 0 {
		t.Fatalf("a failed plan wrote %q", w)
	}

	in.Upstream.APIKey = facadeKey
	mustApply(t, steps.CreateFacadeProject{In: in}, f.oct, mustPlan(t, steps.CreateFacadeProject{In: in}, f.oct))

	// The same key again, or none: kept, nothing written.
	for _, key := range []string{facadeKey, ""} {
		in.Upstream.APIKey = key
		if p := pending(mustPlan(t, steps.CreateFacadeProject{In: in}, f.oct)); len(p) != 0 {
			t.Errorf("key %q: plan = %q, want empty", strings.Repeat("*", len(key)), p)
		}
	}

	// Rotation writes it (and publishes the runbook again), shown as sensitive on both sides.
	in.Upstream.APIKey, in.Upstream.RotateAPIKey = "API-FACADESECRET0000000000000002", true
	step := steps.CreateFacadeProject{In: in}
	plan := mustPlan(t, step, f.oct)
	if diff := cmp.Diff([]string{"update variable Management.ApiKey", "create runbook snapshot Say hello"}, pending(plan)); diff != "" {
		t.Errorf("rotation plan (-want +got):\n%s", diff)
	}
	for _, c := range plan.Changes {
		if c.Kind == steps.KindFacadeVariable && c.Name == "Management.ApiKey" && c.Fields["value"] != [2]any{steps.Sensitive, steps.Sensitive} {
			t.Errorf("rotation shows %v", c.Fields["value"])
		}
	}
	if strings.Contains(mustJSON(t, plan), "FACADESECRET") {
		t.Error("the new key appears in the plan")
	}
	mustApply(t, step, f.oct, plan)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCreateFacadeProjectRenderErrors(t *testing.T) {
	t.Parallel()
	base := func() steps.CreateFacadeProjectInput {
		return steps.CreateFacadeProjectInput{
			Upstream: steps.FacadeUpstreamInput{ServerURL: "https://o.example.com", Space: "M", Project: "P", Tenant: "T", Environment: "E", Runbook: "R"},
			Space:    steps.FacadeSpaceInput{Name: "S"},
			Project:  steps.FacadeProjectInput{Name: "F", Environments: []string{"Production"}},
		}
	}
	cases := []struct {
		name  string
		edit  func(*steps.CreateFacadeProjectInput)
		field string
	}{
		{"missing template key", func(in *steps.CreateFacadeProjectInput) { in.Space.Name = "{{ .Vars.customer }}" }, "space.name"},
		{"empty tenant", func(in *steps.CreateFacadeProjectInput) { in.Upstream.Tenant = "{{ \"\" }}" }, "upstream.tenant"},
		{"bad url", func(in *steps.CreateFacadeProjectInput) { in.Upstream.ServerURL = "octopus.example.com" }, "upstream.serverUrl"},
		{"bad timeout", func(in *steps.CreateFacadeProjectInput) { in.Upstream.Timeout = "0s" }, "upstream.timeout"},
		{"key variable clash", func(in *steps.CreateFacadeProjectInput) { in.Upstream.APIKeyVariable = steps.FacadeVarTenant }, "upstream.apiKeyVariable"},
		{"long space name", func(in *steps.CreateFacadeProjectInput) { in.Space.Name = strings.Repeat("x", 51) }, "space.name"},
	}
	for _, tc := range cases {
		in := base()
		tc.edit(&in)
		_, err := in.Render(steps.TemplateData{})
		var ie *steps.InputError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("%s: err = %v, want an InputError on %s", tc.name, err, tc.field)
		}
	}
	in, err := base().Render(steps.TemplateData{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Project.Runbook != "R" || in.Command != "octofleet" || in.Upstream.APIKeyVariable != "Management.ApiKey" || in.Project.StepName != "Run upstream" {
		t.Errorf("defaults not filled: %+v", in)
	}
}

func TestFacadeScriptQuotes(t *testing.T) {
	t.Parallel()
	in := steps.CreateFacadeProjectInput{Upstream: steps.FacadeUpstreamInput{Environment: "Bob's #{env}", Runbook: "R'1",
		APIKeyVariable: "Key"}, Command: "/opt/octo fleet/octofleet"}
	got := in.Script()
	for _, want := range []string{
		`OCTOPUS_API_KEY="$(get_octopusvariable 'Key')"`,
		`exec '/opt/octo fleet/octofleet' trigger`,
		`--environment 'Bob'\''s ##{env}'`,
		`--runbook 'R'\''1'`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("script lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "--api-key") {
		t.Errorf("the script passes the key on the command line:\n%s", got)
	}
}

// TestCreateFacadeProjectCarriesPackage: with a package, the facade uploads
// it to the customer space's built-in feed and its step runs the binary from
// it; a re-run writes nothing; a new package version uploads that version
// and republishes the snapshot (which freezes the package version) without
// touching the step.
func TestCreateFacadeProjectCarriesPackage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pkg := func(version, data string) *steps.PackageFile {
		sum := sha1.Sum([]byte(data))
		return &steps.PackageFile{Name: "octofleet." + version + ".tar.gz", PackageID: "octofleet", Version: version, Data: []byte(data), Hash: hex.EncodeToString(sum[:])}
	}
	step := steps.CreateFacadeProject{In: facadeInput(t, true), Package: pkg("1.0.0", "binary one")}
	first := mustPlan(t, step, f.oct)
	want := []string{"create package octofleet.1.0.0.tar.gz", "create project Say hello"}
	if p := pending(first); !slices.Contains(p, want[0]) || p[slices.Index(p, want[0])+1] != want[1] {
		t.Errorf("first plan %q lacks %q before the project", p, want)
	}
	out := mustApply(t, step, f.oct, first)
	spaceID := f.spaceID(t, "Acme")
	if _, err := f.oct.BuiltInPackage(t.Context(), spaceID, "octofleet", "1.0.0"); err != nil {
		t.Errorf("the customer space's feed lacks the package: %v", err)
	}
	st := stepOf(t, f, spaceID, out, true)
	a := st.Actions[0]
	if len(a.Packages) != 1 || a.Packages[0].PackageID != "octofleet" || a.Packages[0].FeedID != "feeds-builtin" || a.Packages[0].Properties["Extract"] != "True" {
		t.Errorf("step packages = %+v, want octofleet from feeds-builtin, extracted", a.Packages)
	}
	body := a.Properties["Octopus.Action.Script.ScriptBody"]
	if !strings.Contains(body, `exec "$(get_octopusvariable 'Octopus.Action.Package[octofleet].ExtractedPath')/octofleet" trigger`) {
		t.Errorf("the script does not run the packaged binary:\n%s", body)
	}

	f.emu.ResetRequests()
	if p := pending(mustPlan(t, step, f.oct)); len(p) != 0 {
		t.Errorf("second plan is not empty: %q", p)
	}
	if w := f.emu.Writes(); len(w) != 0 {
		t.Errorf("a re-run wrote %q", w)
	}

	step.Package = pkg("1.1.0", "binary two")
	p := mustPlan(t, step, f.oct)
	if got, want := pending(p), []string{"create package octofleet.1.1.0.tar.gz", "create runbook snapshot Say hello"}; !slices.Equal(got, want) {
		t.Errorf("upgrade plan = %q, want %q", got, want)
	}
	mustApply(t, step, f.oct, p)
	if got := pending(mustPlan(t, step, f.oct)); len(got) != 0 {
		t.Errorf("plan after the upgrade is not empty: %q", got)
	}
}
