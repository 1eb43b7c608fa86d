package steps_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/steps"
)

// spaceKit is the shared infrastructure of a space that template projects
// refer to, created with the same names in every space.
type spaceKit struct {
	id                                string
	dev, prod, lifecycle, group, pool string
	feed, common                      string
}

func (e *seedEnv) kit(name string, withPool bool) spaceKit {
	e.t.Helper()
	k := spaceKit{id: e.space(name)}
	post := func(coll string, body map[string]any) string {
		var d struct{ Id string }
		e.do(http.MethodPost, "/api/"+k.id+"/"+coll, body, &d)
		return d.Id
	}
	k.dev = post("environments", map[string]any{"Name": "Dev"})
	k.prod = post("environments", map[string]any{"Name": "Prod"})
	k.lifecycle = post("lifecycles", map[string]any{"Name": "Standard", "Phases": []any{}})
	k.group = post("projectgroups", map[string]any{"Name": "Templates"})
	if withPool {
		k.pool = post("workerpools", map[string]any{"Name": "Linux workers", "WorkerPoolType": "StaticWorkerPool"})
	}
	k.feed = post("feeds", map[string]any{"Name": "Docker Hub", "FeedType": "Docker", "FeedUri": "https://index.docker.io"})
	k.common = post("libraryvariablesets", map[string]any{"Name": "Common", "ContentType": "Variables"})
	return k
}

// templateHub makes space Hub (with a worker pool), seeds step template
// "Approved - Deploy" into it from a folder and builds the template project
// on it.
func templateHub(t testing.TB, e *seedEnv) spaceKit {
	t.Helper()
	hub := e.kit("Hub", true)
	dir := t.TempDir()
	writeTemplate(t, dir, "deploy.json", libraryTemplate("Approved - Deploy", "echo deploy"))
	runStep(t, &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Hub", From: []string{dir}}}, e.oct)
	templateProject(t, e, hub)
	return hub
}

// templateProject builds project "Template - Web" in the hub: a deployment
// process using a step template, a worker pool, a feed and environments; a
// runbook with a process; variables (one sensitive); tenant variable templates.
func templateProject(t testing.TB, e *seedEnv, k spaceKit) (projectID string) {
	t.Helper()
	tmpl := e.templates(k.id)["Approved - Deploy"]
	var p struct{ Id, VariableSetId string }
	e.do(http.MethodPost, "/api/"+k.id+"/projects", map[string]any{
		"Name": "Template - Web", "Description": "The golden web app", "LifecycleId": k.lifecycle, "ProjectGroupId": k.group,
		"IncludedLibraryVariableSetIds": []string{k.common}, "TenantedDeploymentMode": "TenantedOrUntenanted",
		"Templates": []any{
			map[string]any{"Name": "Region", "Label": "Region", "HelpText": "Where", "DefaultValue": "eu", "DisplaySettings": map[string]any{"Octopus.ControlType": "SingleLineText"}},
			map[string]any{"Name": "ApiKey", "Label": "API key", "DefaultValue": map[string]any{"HasValue": true, "NewValue": "upstream-secret"}, "DisplaySettings": map[string]any{"Octopus.ControlType": "Sensitive"}},
		},
	}, &p)
	fx := &fixture{t: t, emu: e.emu}
	fx.edit(t, "/api/"+k.id+"/projects/"+p.Id+"/deploymentprocesses", func(d map[string]any) {
		d["Steps"] = []any{map[string]any{
			"Name": "Deploy", "Properties": map[string]any{"Octopus.Action.TargetRoles": "web"},
			"Actions": []any{map[string]any{
				"Name": "Deploy", "ActionType": "Octopus.Script", "Environments": []string{k.dev}, "WorkerPoolId": k.pool,
				"Properties": map[string]any{
					"Octopus.Action.Template.Id":       tmpl["Id"],
					"Octopus.Action.Template.Version":  fmt.Sprint(tmpl["Version"]),
					"Octopus.Action.Script.ScriptBody": "echo deploy",
					"Url":                              "https://web.example.com",
				},
				"Packages": []any{map[string]any{"Name": "image", "PackageId": "nginx", "FeedId": k.feed, "AcquisitionLocation": "NotAcquired", "Properties": map[string]any{}}},
			}},
		}}
	})
	var rb struct{ Id, RunbookProcessId string }
	e.do(http.MethodPost, "/api/"+k.id+"/runbooks", map[string]any{"Name": "Restart", "ProjectId": p.Id, "EnvironmentScope": "Specified", "Environments": []string{k.prod}}, &rb)
	fx.edit(t, "/api/"+k.id+"/runbookProcesses/"+rb.RunbookProcessId, func(d map[string]any) {
		d["Steps"] = []any{map[string]any{"Name": "Restart", "Actions": []any{map[string]any{
			"Name": "Restart", "ActionType": "Octopus.Script", "Properties": map[string]any{"Octopus.Action.Script.ScriptBody": "systemctl restart web"},
		}}}}
	})
	fx.edit(t, "/api/"+k.id+"/variables/"+p.VariableSetId, func(d map[string]any) {
		d["Variables"] = []any{
			map[string]any{"Name": "Port", "Value": "8080", "Type": "String", "Scope": map[string]any{"Environment": []string{k.dev}}},
			map[string]any{"Name": "Release note", "Value": "", "Type": "String", "Scope": map[string]any{},
				"Prompt": map[string]any{"Label": "Notes", "Description": "What changed", "Required": true, "DisplaySettings": map[string]any{"Octopus.ControlType": "MultiLineText"}}},
			map[string]any{"Name": "Pool", "Value": k.pool, "Type": "WorkerPool", "Scope": map[string]any{}},
			map[string]any{"Name": "Password", "Value": "hunter2", "Type": "Sensitive", "IsSensitive": true, "Scope": map[string]any{}},
		}
	})
	return p.Id
}

// projectState reads what the target holds of the copied project.
type projectState struct {
	project   map[string]any
	process   map[string]any
	runbooks  []map[string]any
	rbProcess map[string]any
	variables map[string]any
}

func (e *seedEnv) projectState(spaceID, name string) projectState {
	e.t.Helper()
	var all []map[string]any
	e.do(http.MethodGet, "/api/"+spaceID+"/projects/all", nil, &all)
	var st projectState
	for _, p := range all {
		if p["Name"] == name {
			st.project = p
		}
	}
	if st.project == nil {
		e.t.Fatalf("no project %q in %s", name, spaceID)
	}
	id := st.project["Id"].(string)
	e.do(http.MethodGet, "/api/"+spaceID+"/projects/"+id+"/deploymentprocesses", nil, &st.process)
	e.do(http.MethodGet, "/api/"+spaceID+"/projects/"+id+"/runbooks/all", nil, &st.runbooks)
	if len(st.runbooks) == 1 {
		e.do(http.MethodGet, "/api/"+spaceID+"/runbookProcesses/"+st.runbooks[0]["RunbookProcessId"].(string), nil, &st.rbProcess)
	}
	e.do(http.MethodGet, "/api/"+spaceID+"/variables/"+st.project["VariableSetId"].(string), nil, &st.variables)
	return st
}

func firstAction(process map[string]any) map[string]any {
	s := process["Steps"].([]any)[0].(map[string]any)
	return s["Actions"].([]any)[0].(map[string]any)
}

func TestSeedTemplatesTemplateProject(t *testing.T) {
	t.Parallel()
	for _, otherServer := range []bool{false, true} {
		t.Run(map[bool]string{false: "same instance", true: "another instance"}[otherServer], func(t *testing.T) {
			t.Parallel()
			up := newSeedEnv(t)
			hub := templateHub(t, up)

			down := up
			if otherServer {
				down = newSeedEnv(t)
			}
			target := down.kit("Team A", true)
			step := func() *steps.SeedTemplates {
				s := &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A",
					Source: steps.TemplateSource{Space: "Hub"}, Templates: []string{"Approved - *"}, Projects: []string{"Template - Web"}}}
				if otherServer {
					s.In.Source.Server, s.In.Source.APIKey, s.Source = up.emu.URL(), up.emu.APIKey(), up.oct
				}
				return s
			}
			p := runStep(t, step(), down.oct)
			want := []string{
				"create step template Approved - Deploy",
				"create project Template - Web",
				"update deployment process Template - Web",
				"create runbook Template - Web/Restart",
				"update runbook process Template - Web/Restart",
				"update project variables Template - Web",
			}
			if diff := cmp.Diff(want, pending(p)); diff != "" {
				t.Fatalf("first plan (-want +got):\n%s", diff)
			}

			st := down.projectState(target.id, "Template - Web")
			tmpl := down.templates(target.id)["Approved - Deploy"]
			checks := []struct {
				what      string
				got, want any
			}{
				{"lifecycle", st.project["LifecycleId"], target.lifecycle},
				{"project group", st.project["ProjectGroupId"], target.group},
				{"library variable sets", fmt.Sprint(st.project["IncludedLibraryVariableSetIds"]), fmt.Sprint([]string{target.common})},
				{"tenanted mode", st.project["TenantedDeploymentMode"], "TenantedOrUntenanted"},
				{"action environments", fmt.Sprint(firstAction(st.process)["Environments"]), fmt.Sprint([]string{target.dev})},
				{"action worker pool", firstAction(st.process)["WorkerPoolId"], target.pool},
				{"action template id", firstAction(st.process)["Properties"].(map[string]any)["Octopus.Action.Template.Id"], tmpl["Id"]},
				{"action template version", firstAction(st.process)["Properties"].(map[string]any)["Octopus.Action.Template.Version"], fmt.Sprint(tmpl["Version"])},
				{"package feed", firstAction(st.process)["Packages"].([]any)[0].(map[string]any)["FeedId"], target.feed},
				{"runbooks", len(st.runbooks), 1},
				{"runbook environments", fmt.Sprint(st.runbooks[0]["Environments"]), fmt.Sprint([]string{target.prod})},
				{"runbook process step", st.rbProcess["Steps"].([]any)[0].(map[string]any)["Name"], "Restart"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			tvt := map[string]map[string]any{}
			for _, x := range st.project["Templates"].([]any) {
				tvt[x.(map[string]any)["Name"].(string)] = x.(map[string]any)
			}
			if r := tvt["Region"]; r == nil || r["DefaultValue"] != "eu" || r["Label"] != "Region" {
				t.Errorf("tenant variable template Region = %v", r)
			}
			if k := tvt["ApiKey"]; k == nil || fmt.Sprint(k["DefaultValue"]) != fmt.Sprint(map[string]any{"HasValue": false, "Hint": nil, "NewValue": nil}) {
				t.Errorf("tenant variable template ApiKey = %v, want a sensitive default without a value (secrets are not copied)", k)
			}
			vars := map[string]map[string]any{}
			for _, v := range st.variables["Variables"].([]any) {
				vars[v.(map[string]any)["Name"].(string)] = v.(map[string]any)
			}
			if _, copied := vars["Password"]; copied {
				t.Error("the sensitive variable Password was copied")
			}
			if v := vars["Port"]; v == nil || v["Value"] != "8080" || fmt.Sprint(v["Scope"].(map[string]any)["Environment"]) != fmt.Sprint([]string{target.dev}) {
				t.Errorf("Port = %v, want 8080 scoped to the target's Dev", v)
			}
			if v := vars["Release note"]; v == nil || fmt.Sprint(v["Prompt"]) != fmt.Sprint(map[string]any{"Label": "Notes", "Description": "What changed", "Required": true, "DisplaySettings": map[string]any{"Octopus.ControlType": "MultiLineText"}}) {
				t.Errorf("prompted variable = %v", v)
			}
			if v := vars["Pool"]; v == nil || v["Value"] != target.pool {
				t.Errorf("Pool = %v, want the target's worker pool %s", v, target.pool)
			}

			// Converged: the next run plans nothing and writes nothing.
			down.emu.ResetRequests()
			if got := pending(runStep(t, step(), down.oct)); len(got) != 0 {
				t.Fatalf("second plan = %q, want empty", got)
			}
			if w := down.emu.Writes(); len(w) != 0 {
				t.Errorf("second run wrote %q", w)
			}

			// A change upstream propagates in place on the next run.
			fx := &fixture{t: t, emu: up.emu}
			var hubProject []map[string]any
			up.do(http.MethodGet, "/api/"+hub.id+"/projects/all", nil, &hubProject)
			fx.edit(t, "/api/"+hub.id+"/projects/"+hubProject[0]["Id"].(string)+"/deploymentprocesses", func(d map[string]any) {
				firstAction(d)["Properties"].(map[string]any)["Octopus.Action.Script.ScriptBody"] = "echo deploy v2"
			})
			versionBefore := st.process["Version"]
			if got, want := pending(runStep(t, step(), down.oct)), []string{"update deployment process Template - Web"}; !cmp.Equal(got, want) {
				t.Fatalf("plan after an upstream process change = %q, want %q", got, want)
			}
			st2 := down.projectState(target.id, "Template - Web")
			if st2.process["Id"] != st.process["Id"] || fmt.Sprint(st2.process["Version"]) == fmt.Sprint(versionBefore) {
				t.Errorf("process %v version %v, want the same process updated from version %v", st2.process["Id"], st2.process["Version"], versionBefore)
			}
			if got := firstAction(st2.process)["Properties"].(map[string]any)["Octopus.Action.Script.ScriptBody"]; got != "echo deploy v2" {
				t.Errorf("script after propagation = %v", got)
			}

			// A new template version upstream updates the template and moves
			// the process to the new version in the same run.
			hubTmpl := up.templates(hub.id)["Approved - Deploy"]
			fx.edit(t, "/api/"+hub.id+"/actiontemplates/"+hubTmpl["Id"].(string), func(d map[string]any) { d["Description"] = "v2" })
			got := pending(runStep(t, step(), down.oct))
			if want := []string{"update step template Approved - Deploy", "update deployment process Template - Web"}; !cmp.Equal(got, want) {
				t.Fatalf("plan after a template change = %q, want %q", got, want)
			}
			st3 := down.projectState(target.id, "Template - Web")
			if v, want := firstAction(st3.process)["Properties"].(map[string]any)["Octopus.Action.Template.Version"], fmt.Sprint(down.templates(target.id)["Approved - Deploy"]["Version"]); v != want {
				t.Errorf("template version in the process = %v, want %v", v, want)
			}
			if got := pending(mustPlan(t, step(), down.oct)); len(got) != 0 {
				t.Errorf("plan after the template change = %q, want empty", got)
			}
		})
	}
}

// TestSeedTemplatesUnmappableReference: a reference the target cannot
// resolve is a plan error naming it and the action that uses it.
func TestSeedTemplatesUnmappableReference(t *testing.T) {
	t.Parallel()
	e := newSeedEnv(t)
	templateHub(t, e)
	e.kit("Team A", false) // no "Linux workers" pool

	e.emu.ResetRequests()
	_, err := (&steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Team A", Source: steps.TemplateSource{Space: "Hub"},
		Templates: []string{"Approved - *"}, Projects: []string{"Template - Web"}}}).Plan(context.Background(), e.oct)
	if err == nil || !strings.Contains(err.Error(), `worker pool "Linux workers"`) || !strings.Contains(err.Error(), `action "Deploy"`) {
		t.Fatalf("err = %v, want it to name the worker pool and the action", err)
	}
	if w := e.emu.Writes(); len(w) != 0 {
		t.Errorf("planning wrote %q", w)
	}
}
