package promote_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/internal/promote"
)

type instance struct {
	emu *emulator.Server
	oct *octopus.Client
}

func newInstance(t *testing.T) instance {
	t.Helper()
	emu := emulatortest.New(t)
	oct, err := octopus.Dial(context.Background(), octopus.Options{URL: emu.URL(), APIKey: emu.APIKey(), RetryBaseDelay: 1, RetryMaxDelay: 1})
	if err != nil {
		t.Fatal(err)
	}
	return instance{emu, oct}
}

// seeder creates documents on an instance, remembering their IDs by a label.
type seeder struct {
	t     *testing.T
	oct   *octopus.Client
	space string
	ids   map[string]string
	docs  map[string]promote.Document
}

func (s *seeder) post(label, path string, doc promote.Document) promote.Document {
	s.t.Helper()
	got, err := s.oct.CreateDocument(context.Background(), "/api/"+s.space+"/"+path, doc, nil)
	if err != nil {
		s.t.Fatalf("seed %s: %v", label, err)
	}
	s.ids[label] = got["Id"].(string)
	s.docs[label] = got
	return got
}

func (s *seeder) get(path string) promote.Document {
	s.t.Helper()
	d, err := s.oct.GetDocument(context.Background(), "/api/"+s.space+"/"+path)
	if err != nil {
		s.t.Fatalf("get %s: %v", path, err)
	}
	return d
}

func (s *seeder) put(path string, doc promote.Document) promote.Document {
	s.t.Helper()
	d, err := s.oct.UpdateDocument(context.Background(), "/api/"+s.space+"/"+path, doc)
	if err != nil {
		s.t.Fatalf("put %s: %v", path, err)
	}
	return d
}

// seedHub makes a rich space "Hub": environments, a lifecycle with phases,
// tag sets, a feed with a password, a worker pool, a step template, library
// variable sets (one a script module) with scoped and sensitive variables,
// three projects whose processes use the step template, a package from the
// feed and the worker pool, channels, runbooks, and tenants connected to
// them. extra, when set, are environments made first so that IDs differ
// from another instance's.
func seedHub(t *testing.T, in instance, extra ...string) *seeder {
	t.Helper()
	ctx := context.Background()
	sp, err := in.oct.CreateDocument(ctx, "/api/spaces", promote.Document{
		"Name": "Hub", "Description": "the hub", "SpaceManagersTeamMembers": []any{"Users-1"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &seeder{t: t, oct: in.oct, space: sp["Id"].(string), ids: map[string]string{}, docs: map[string]promote.Document{}}
	for _, e := range extra {
		s.post("x"+e, "environments", promote.Document{"Name": e})
	}
	for _, e := range []string{"Development", "Test", "Production"} {
		s.post(e, "environments", promote.Document{"Name": e, "Description": e + " env", "UseGuidedFailure": e == "Production"})
	}
	s.post("lc", "lifecycles", promote.Document{"Name": "Dev to Prod", "Phases": []any{
		map[string]any{"Name": "Dev", "AutomaticDeploymentTargets": []any{s.ids["Development"]}},
		map[string]any{"Name": "Test", "OptionalDeploymentTargets": []any{s.ids["Test"]}},
		map[string]any{"Name": "Prod", "OptionalDeploymentTargets": []any{s.ids["Production"]},
			"ReleaseRetentionPolicy": map[string]any{"QuantityToKeep": 5, "Unit": "Items", "ShouldKeepForever": false}},
	}})
	s.post("pg", "projectgroups", promote.Document{"Name": "Apps", "Description": "the apps"})
	s.post("ts", "tagsets", promote.Document{"Name": "Region", "Tags": []any{
		map[string]any{"Name": "EU", "Color": "#00FF00"}, map[string]any{"Name": "US", "Color": "#0000FF"},
	}})
	s.post("feed", "feeds", promote.Document{"Name": "Artifacts", "FeedType": "NuGet", "FeedUri": "https://nuget.example.com/v3/index.json",
		"Username": "bot", "Password": map[string]any{"HasValue": true, "NewValue": "feed-secret-123"}})
	s.post("pool", "workerpools", promote.Document{"Name": "Linux Workers", "Description": "linux"})
	s.post("tmpl", "actiontemplates", promote.Document{"Name": "Say Hello", "ActionType": "Octopus.Script",
		"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": "echo hello #{Greeting}", "Octopus.Action.Script.Syntax": "Bash"},
		"Parameters": []any{map[string]any{"Name": "Greeting", "Label": "Greeting", "DefaultValue": "hi"}}})
	// A second version of the template.
	tmpl := s.get("actiontemplates/" + s.ids["tmpl"])
	tmpl["Description"] = "says hello"
	s.docs["tmpl"] = s.put("actiontemplates/"+s.ids["tmpl"], tmpl)

	lvs := s.post("lvs", "libraryvariablesets", promote.Document{"Name": "Common", "Description": "shared"})
	s.post("mod", "libraryvariablesets", promote.Document{"Name": "Helpers", "ContentType": "ScriptModule"})
	s.post("tenantA", "tenants", promote.Document{"Name": "Contoso", "TenantTags": []any{"Region/EU"}})
	vs := s.get("variables/" + lvs["VariableSetId"].(string))
	vs["Variables"] = []any{
		map[string]any{"Name": "DbHost", "Value": "db.dev", "Scope": map[string]any{"Environment": []any{s.ids["Development"]}}},
		map[string]any{"Name": "DbHost", "Value": "db.prod", "Scope": map[string]any{"Environment": []any{s.ids["Production"]}}},
		map[string]any{"Name": "DbPassword", "IsSensitive": true, "Value": "lvs-secret-456"},
		map[string]any{"Name": "Owner", "Value": "contoso", "Scope": map[string]any{"Tenant": []any{s.ids["tenantA"]}}},
	}
	s.put("variables/"+lvs["VariableSetId"].(string), vs)
	mod := s.get("variables/" + s.docs["mod"]["VariableSetId"].(string))
	mod["Variables"] = []any{
		map[string]any{"Name": "Octopus.Script.Module[Helpers]", "Value": "say() { echo \"$1\"; }"},
		map[string]any{"Name": "Octopus.Script.Module.Language[Helpers]", "Value": "Bash"},
	}
	s.put("variables/"+s.docs["mod"]["VariableSetId"].(string), mod)

	for i, name := range []string{"Web", "Api", "Worker"} {
		p := s.post(name, "projects", promote.Document{"Name": name, "ProjectGroupId": s.ids["pg"], "LifecycleId": s.ids["lc"],
			"IncludedLibraryVariableSetIds": []any{s.ids["lvs"], s.ids["mod"]}, "TenantedDeploymentMode": "TenantedOrUntenanted",
			"Description": fmt.Sprintf("project %d", i)})
		s.post(name+"-hotfix", "channels", promote.Document{"Name": "Hotfix", "ProjectId": p["Id"], "LifecycleId": s.ids["lc"]})
		proc := s.get("deploymentprocesses/" + p["DeploymentProcessId"].(string))
		proc["Steps"] = []any{
			map[string]any{"Name": "Hello", "Properties": map[string]any{}, "Actions": []any{map[string]any{
				"Name": "Hello", "ActionType": "Octopus.Script", "WorkerPoolId": s.ids["pool"],
				"Environments": []any{s.ids["Development"], s.ids["Test"]},
				"Channels":     []any{s.ids[name+"-hotfix"]},
				"Properties": map[string]any{
					"Octopus.Action.Template.Id":       s.ids["tmpl"],
					"Octopus.Action.Template.Version":  fmt.Sprint(s.docs["tmpl"]["Version"]),
					"Octopus.Action.Script.ScriptBody": "echo hello",
				},
			}}},
			map[string]any{"Name": "Deploy", "Properties": map[string]any{}, "Actions": []any{map[string]any{
				"Name": "Deploy", "ActionType": "Octopus.TentaclePackage",
				"Packages":   []any{map[string]any{"Name": "", "PackageId": "web", "FeedId": s.ids["feed"], "AcquisitionLocation": "Server"}},
				"Properties": map[string]any{"Octopus.Action.Package.PackageId": "web", "Octopus.Action.Package.FeedId": s.ids["feed"]},
			}}},
		}
		s.put("deploymentprocesses/"+p["DeploymentProcessId"].(string), proc)
		rb := s.post(name+"-rb", "runbooks", promote.Document{"Name": "Restart", "ProjectId": p["Id"], "EnvironmentScope": "Specified",
			"Environments": []any{s.ids["Production"]}})
		rp := s.get("runbookProcesses/" + rb["RunbookProcessId"].(string))
		rp["Steps"] = []any{map[string]any{"Name": "Restart", "Properties": map[string]any{}, "Actions": []any{map[string]any{
			"Name": "Restart", "ActionType": "Octopus.Script", "WorkerPoolId": s.ids["pool"],
			"Properties": map[string]any{"Octopus.Action.Script.ScriptBody": "systemctl restart " + name},
		}}}}
		s.put("runbookProcesses/"+rb["RunbookProcessId"].(string), rp)
		pv := s.get("variables/" + p["VariableSetId"].(string))
		pv["Variables"] = []any{
			map[string]any{"Name": "Port", "Value": fmt.Sprint(8000 + i), "Scope": map[string]any{
				"Environment": []any{s.ids["Test"]}, "Channel": []any{s.ids[name+"-hotfix"]}}},
			map[string]any{"Name": "ApiToken", "IsSensitive": true, "Value": "token-" + name},
		}
		s.put("variables/"+p["VariableSetId"].(string), pv)
	}
	tenant := s.get("tenants/" + s.ids["tenantA"])
	tenant["ProjectEnvironments"] = map[string]any{
		s.ids["Web"]: []any{s.ids["Development"], s.ids["Production"]},
		s.ids["Api"]: []any{s.ids["Test"]},
	}
	s.put("tenants/"+s.ids["tenantA"], tenant)
	return s
}

// allSecrets gives every sensitive value seedHub sets.
func allSecrets() []promote.Secret {
	out := []promote.Secret{
		{Kind: "feed", Owner: "Artifacts", Name: "Password", Value: "feed-secret-123"},
		{Kind: "variable", Owner: "libraryvariableset:Common", Name: "DbPassword", Value: "lvs-secret-456"},
	}
	for _, p := range []string{"Web", "Api", "Worker"} {
		out = append(out, promote.Secret{Kind: "variable", Owner: "project:" + p, Name: "ApiToken", Value: "token-" + p})
	}
	return out
}

func plan(t *testing.T, src, tgt instance, opts promote.Options) *promote.Plan {
	t.Helper()
	pr := &promote.Promotion{Source: src.oct, Target: tgt.oct, Options: opts}
	p, err := pr.Plan(context.Background())
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

func apply(t *testing.T, p *promote.Plan) {
	t.Helper()
	if err := p.Apply(context.Background(), false); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func export(t *testing.T, in instance, space string) string {
	t.Helper()
	e, err := promote.Export(context.Background(), in.oct, space)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	b, err := json.MarshalIndent(e, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPromoteRoundTrip(t *testing.T) {
	src, tgt := newInstance(t), newInstance(t)
	seedHub(t, src)
	opts := promote.Options{Spaces: []string{"Hub"}, Secrets: allSecrets()}

	tgt.emu.ResetRequests()
	p := plan(t, src, tgt, opts)
	if p.Empty() {
		t.Fatal("first plan is empty")
	}
	if w := tgt.emu.Writes(); len(w) != 0 {
		t.Fatalf("planning wrote: %q", w)
	}
	apply(t, p)
	writes := tgt.emu.Writes()
	// Each object written once: no document is both created and updated
	// except the server-made ones (processes, variable sets, Default channel).
	seen := map[string]int{}
	for _, w := range writes {
		seen[w]++
	}
	for w, n := range seen {
		if n > 1 && !strings.HasPrefix(w, "POST") {
			t.Errorf("%s written %d times", w, n)
		}
	}

	if a, b := export(t, src, "Hub"), export(t, tgt, "Hub"); a != b {
		t.Fatalf("exports differ after promote:\n--- source\n%s\n--- target\n%s", a, b)
	}

	tgt.emu.ResetRequests()
	again := plan(t, src, tgt, opts)
	if !again.Empty() {
		t.Fatalf("second plan not empty: %+v", again.Changes)
	}
	apply(t, again)
	if w := tgt.emu.Writes(); len(w) != 0 {
		t.Fatalf("second promote wrote %q", w)
	}

	// Secrets reached the target: the variable sets kept them (masked) and
	// the feed has a password.
	for _, r := range tgt.emu.Requests() {
		if strings.Contains(r.Path, "secret") {
			t.Fatalf("secret in a path: %s", r.Path)
		}
	}
}

func TestPromoteRemapsIDs(t *testing.T) {
	src, tgt := newInstance(t), newInstance(t)
	s := seedHub(t, src)
	// B has the same names under other IDs: extra environments first.
	b := seedHub(t, tgt, "Sandbox", "Staging")
	if s.ids["Production"] == b.ids["Production"] {
		t.Fatal("test set-up: IDs should differ")
	}
	// Change the source so that references must be written.
	lc := s.get("lifecycles/" + s.ids["lc"])
	phases := lc["Phases"].([]any)
	phases[0].(map[string]any)["AutomaticDeploymentTargets"] = []any{s.ids["Test"]}
	s.put("lifecycles/"+s.ids["lc"], lc)

	p := plan(t, src, tgt, promote.Options{Spaces: []string{"Hub"}, Secrets: allSecrets()})
	var names []string
	for _, c := range p.Changes {
		names = append(names, c.Kind+" "+c.Name)
	}
	if len(p.Changes) != 1 || p.Changes[0].Kind != "lifecycle" {
		t.Fatalf("plan = %q, want one lifecycle update", names)
	}
	apply(t, p)
	got := b.get("lifecycles/" + b.ids["lc"])
	auto := got["Phases"].([]any)[0].(map[string]any)["AutomaticDeploymentTargets"].([]any)
	if len(auto) != 1 || auto[0] != b.ids["Test"] {
		t.Fatalf("phase targets = %v, want the target's Test %s", auto, b.ids["Test"])
	}
}
