package demo

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/internal/promote"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// TestPromotionDeployment: install --promotion on the hub (the source), a
// release of "octofleet promotion" deployed to Development (no target:
// nothing runs) and then Test promotes space "Apps" to Test's instance
// through the Promote step and the package's binary; the two exports then
// agree, and deploying again writes nothing to the target. No task log
// shows either API key.
func TestPromotionDeployment(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	t.Parallel()
	needBinary(t)
	ctx := t.Context()
	srv, tgt := emulatortest.New(t), emulatortest.New(t)
	oct, err := octopus.Dial(ctx, octopus.Options{URL: srv.URL(), APIKey: srv.APIKey()})
	if err != nil {
		t.Fatal(err)
	}
	tgtOct, err := octopus.Dial(ctx, octopus.Options{URL: tgt.URL(), APIKey: tgt.APIKey()})
	if err != nil {
		t.Fatal(err)
	}
	// The configuration promoted: space Apps with an environment and a
	// project whose process runs a script there.
	var sp, env, proj map[string]any
	emulatortest.Call(t, srv, http.MethodPost, "/api/spaces", map[string]any{"Name": "Apps", "SpaceManagersTeamMembers": []any{"Users-1"}}, &sp)
	base := "/api/" + sp["Id"].(string) + "/"
	emulatortest.Call(t, srv, http.MethodPost, base+"environments", map[string]any{"Name": "QA", "Description": "quality"}, &env)
	var lc, pg map[string]any
	emulatortest.Call(t, srv, http.MethodPost, base+"lifecycles", map[string]any{"Name": "QA only", "Phases": []any{map[string]any{"Name": "QA", "OptionalDeploymentTargets": []any{env["Id"]}}}}, &lc)
	emulatortest.Call(t, srv, http.MethodPost, base+"projectgroups", map[string]any{"Name": "Apps"}, &pg)
	emulatortest.Call(t, srv, http.MethodPost, base+"projects", map[string]any{"Name": "Web", "Description": "the web app", "LifecycleId": lc["Id"], "ProjectGroupId": pg["Id"]}, &proj)

	bundle, err := runbooks.Bundle(t.TempDir(), mustPackage(t))
	if err != nil {
		t.Fatal(err)
	}
	install := &steps.Install{In: steps.InstallInput{Space: ManagementSpace, Environments: []string{Environment}, HubAPIKey: srv.APIKey(),
		Promotion: &steps.PromotionInput{Spaces: []string{"Apps"}, Targets: []steps.PromotionTarget{{Environment: "Test", URL: tgt.URL(), APIKey: tgt.APIKey()}}}}, Bundle: bundle}
	if _, err := apply(ctx, oct, install); err != nil {
		t.Fatalf("install --promotion: %v", err)
	}
	hub := "/api/" + spaceIDOf(t, oct, ManagementSpace) + "/"
	var projects []map[string]any
	emulatortest.Call(t, srv, http.MethodGet, hub+"projects/all", nil, &projects)
	var projectID string
	for _, p := range projects {
		if p["Name"] == steps.PromotionProject {
			projectID = p["Id"].(string)
		}
	}
	var rel map[string]any
	if code := emulatortest.CallAs(t, srv, srv.APIKey(), http.MethodPost, hub+"releases", map[string]any{"ProjectId": projectID, "Version": "1.0.0"}, &rel); code != http.StatusCreated {
		t.Fatalf("create a release of the promotion project: %d %v", code, rel)
	}
	envIDs := map[string]string{}
	var envs []map[string]any
	emulatortest.Call(t, srv, http.MethodGet, hub+"environments/all", nil, &envs)
	for _, e := range envs {
		envIDs[e["Name"].(string)] = e["Id"].(string)
	}
	deploy := func(environment string) string {
		t.Helper()
		var dep, task map[string]any
		if code := emulatortest.CallAs(t, srv, srv.APIKey(), http.MethodPost, hub+"deployments", map[string]any{"ReleaseId": rel["Id"], "EnvironmentId": envIDs[environment]}, &dep); code != http.StatusCreated {
			t.Fatalf("deploy the promotion to %s: %d %v", environment, code, dep)
		}
		if err := srv.WaitForTasks(context.Background()); err != nil {
			t.Fatal(err)
		}
		id := dep["TaskId"].(string)
		emulatortest.Call(t, srv, http.MethodGet, "/api/tasks/"+id, nil, &task)
		log := emulatortest.Body(t, srv, "/api/tasks/"+id+"/raw")
		if task["State"] != "Success" {
			t.Fatalf("the promotion to %s ended %v:\n%s", environment, task["State"], log)
		}
		if strings.Contains(log, srv.APIKey()) || strings.Contains(log, tgt.APIKey()) {
			t.Errorf("the %s deployment's log shows an API key", environment)
		}
		return log
	}
	deploy("Development")
	if w := tgt.Writes(); len(w) != 0 {
		t.Fatalf("the Development deployment wrote to Test's instance: %q", w)
	}
	log := deploy("Test")
	exp := func(o *octopus.Client) string {
		t.Helper()
		e, err := promote.Export(ctx, o, "Apps")
		if err != nil {
			t.Fatalf("export: %v\n%s", err, log)
		}
		b, _ := json.Marshal(e)
		return string(b)
	}
	if a, b := exp(oct), exp(tgtOct); a != b || !strings.Contains(b, `"QA"`) {
		t.Fatalf("after the Test deployment the instances differ:\n%s\n%s\n%s", a, b, log)
	}
	tgt.ResetRequests()
	deploy("Test")
	if w := tgt.Writes(); len(w) != 0 {
		t.Fatalf("a second Test deployment wrote %q", w)
	}
}
