package promote_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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

	// An account scoped to an environment and a tenant, with a secret; a
	// machine policy whose Tentacle updates use it; the default policy
	// changed.
	s.post("acct", "accounts", promote.Document{"Name": "Deployer", "AccountType": "UsernamePassword", "Username": "deploy",
		"Password": map[string]any{"HasValue": true, "NewValue": "acct-secret-789"}, "Description": "deploys",
		"EnvironmentIds": []any{s.ids["Production"], s.ids["Test"]}, "TenantIds": []any{s.ids["tenantA"]},
		"TenantedDeploymentParticipation": "TenantedOrUntenanted"})
	s.post("mp", "machinepolicies", promote.Document{"Name": "Fast Checks", "Description": "hourly",
		"ConnectionRetryCountLimit": 3,
		"MachineUpdatePolicy": map[string]any{"CalamariUpdateBehavior": "UpdateOnDeployment", "TentacleUpdateBehavior": "Update",
			"KubernetesAgentUpdateBehavior": "Update", "TentacleUpdateAccountId": s.ids["acct"]}})
	for _, d := range s.list("machinepolicies") {
		if d["IsDefault"] == true {
			d["ConnectionRetryCountLimit"] = 7
			s.put("machinepolicies/"+d["Id"].(string), d)
		}
	}
	// Variables whose values are an account's and a worker pool's IDs.
	pv := s.get("variables/" + s.docs["Web"]["VariableSetId"].(string))
	pv["Variables"] = append(pv["Variables"].([]any),
		map[string]any{"Name": "Deploy.Account", "Type": "UsernamePasswordAccount", "Value": s.ids["acct"]},
		map[string]any{"Name": "Deploy.Pool", "Type": "WorkerPool", "Value": s.ids["pool"]})
	s.put("variables/"+s.docs["Web"]["VariableSetId"].(string), pv)
	// A trigger running Web's runbook in Production for the tenant.
	s.post("trigger", "projecttriggers", promote.Document{"Name": "Nightly restart", "ProjectId": s.ids["Web"],
		"Filter": map[string]any{"FilterType": "CronExpressionSchedule", "CronExpression": "0 0 2 * * *", "Timezone": "UTC"},
		"Action": map[string]any{"ActionType": "RunRunbook", "RunbookId": s.ids["Web-rb"],
			"EnvironmentIds": []any{s.ids["Production"]}, "TenantIds": []any{s.ids["tenantA"]}, "TenantTags": []any{}}})
	// A custom user role (instance level) and a space team holding it and a
	// built-in role, scoped.
	role := s.role("Runbook Operator", "RunbookView", "RunbookRunCreate", "RunbookRunView")
	s.post("team", "teams", promote.Document{"Name": "Ops", "Description": "operators", "SpaceId": s.space})
	s.post("sur1", "scopeduserroles", promote.Document{"TeamId": s.ids["team"], "UserRoleId": role, "SpaceId": s.space,
		"ProjectIds": []any{s.ids["Web"], s.ids["Api"]}, "EnvironmentIds": []any{s.ids["Production"]}, "TenantIds": []any{s.ids["tenantA"]}})
	s.post("sur2", "scopeduserroles", promote.Document{"TeamId": s.ids["team"], "UserRoleId": "userroles-projectviewer", "SpaceId": s.space,
		"ProjectGroupIds": []any{s.ids["pg"]}})
	return s
}

// role makes (or finds, on an instance seeded before) a custom user role.
func (s *seeder) role(name string, perms ...string) string {
	s.t.Helper()
	ctx := context.Background()
	roles, err := s.oct.ListDocuments(ctx, "/api/userroles")
	if err != nil {
		s.t.Fatal(err)
	}
	for _, r := range roles {
		if r["Name"] == name {
			return r["Id"].(string)
		}
	}
	var granted []any
	for _, p := range perms {
		granted = append(granted, p)
	}
	got, err := s.oct.CreateDocument(ctx, "/api/userroles", promote.Document{"Name": name, "Description": "runs runbooks",
		"GrantedSpacePermissions": granted}, nil)
	if err != nil {
		s.t.Fatalf("seed role %s: %v", name, err)
	}
	return got["Id"].(string)
}

func (s *seeder) list(path string) []promote.Document {
	s.t.Helper()
	docs, err := s.oct.ListDocuments(context.Background(), "/api/"+s.space+"/"+path)
	if err != nil {
		s.t.Fatalf("list %s: %v", path, err)
	}
	return docs
}

// allSecrets gives every sensitive value seedHub sets.
func allSecrets() []promote.Secret {
	out := []promote.Secret{
		{Kind: "feed", Owner: "Artifacts", Name: "Password", Value: "feed-secret-123"},
		{Kind: "account", Owner: "Deployer", Name: "Password", Value: "acct-secret-789"},
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

	// Without --secrets the account's password is a slot that needs a value.
	bare := plan(t, src, tgt, promote.Options{Spaces: []string{"Hub"}})
	if !slices.Contains(bare.NeedsValue, "Hub: account Deployer Password") {
		t.Errorf("needs a value = %q, want the account's password", bare.NeedsValue)
	}

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
	// The export holds one of each kind seedHub makes, references by name.
	e, err := promote.Export(context.Background(), tgt.oct, "Hub")
	if err != nil {
		t.Fatal(err)
	}
	for kind, key := range map[string]string{"account": "Deployer", "machinepolicy": "Fast Checks",
		"projecttrigger": "Web/Nightly restart", "team": "Ops", "scopeduserrole": "Ops/Runbook Operator",
		"userrole": "Runbook Operator"} {
		if e[kind][key] == nil {
			t.Errorf("target has no %s %q: %v", kind, key, e[kind])
		}
	}
	if got := jsonText(t, e["scopeduserrole"]["Ops/Runbook Operator"]); got != `{"EnvironmentIds":["Production"],"ProjectGroupIds":[],"ProjectIds":["Api","Web"],"SpaceId":"Hub","TeamId":"Ops","TenantIds":["Contoso"],"UserRoleId":"Runbook Operator"}` {
		t.Errorf("scoped role = %s", got)
	}
	if got := jsonText(t, e["projecttrigger"]["Web/Nightly restart"]["Action"]); got != `{"ActionType":"RunRunbook","EnvironmentIds":["Production"],"RunbookId":"Web/Restart","TenantIds":["Contoso"],"TenantTags":[]}` {
		t.Errorf("trigger action = %s", got)
	}
	if got := e["machinepolicy"]["Fast Checks"]["MachineUpdatePolicy"].(map[string]any)["TentacleUpdateAccountId"]; got != "Deployer" {
		t.Errorf("machine policy's Tentacle update account = %v", got)
	}
	for _, x := range e["projectvariables"]["Web"]["Variables"].([]any) {
		v := x.(map[string]any)
		if want := map[string]string{"Deploy.Account": "Deployer", "Deploy.Pool": "Linux Workers"}[v["Name"].(string)]; want != "" && v["Value"] != want {
			t.Errorf("variable %s = %v, want %q (by name)", v["Name"], v["Value"], want)
		}
	}
	if got := e["account"]["Deployer"]["Password"]; got != promote.SensitiveMark {
		t.Errorf("account password on the target = %v, want it set", got)
	}
	if pj := jsonText(t, p); strings.Contains(pj, "secret") {
		t.Errorf("a secret in the plan: %s", pj)
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

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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
