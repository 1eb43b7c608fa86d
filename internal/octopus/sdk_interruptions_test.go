package octopus_test

// Manual intervention and guided failure hold a deployment until someone
// answers through the API, with the real client's InterruptionService
// (GetByID, TakeResponsibility, Submit, GetResponsibility); artifacts a
// script collects, with the ArtifactService. The pending list is read over
// HTTP: the SDK's GetAll asks for /interruptions/all, which the real server
// does not serve.

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/artifacts"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/client"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/deployments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/environments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/interruptions"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/releases"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/tasks"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// pendingInterruption waits for the task's pending interruption.
func pendingInterruption(t *testing.T, emu *emulator.Server, c *client.Client, taskID string) *interruptions.Interruption {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var page struct{ Items []map[string]any }
		emulatortest.Call(t, emu, http.MethodGet, "/api/"+tasksSpace+"/interruptions?pendingOnly=true&regarding="+taskID, nil, &page)
		if len(page.Items) == 1 {
			in, err := c.Interruptions.GetByID(page.Items[0]["Id"].(string))
			if err != nil {
				t.Fatalf("get interruption: %v", err)
			}
			return in
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pending interruption for %s: %v", taskID, page.Items)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSDKInterruptionsAndArtifacts(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	c, err := coreClient(t, emu, emu.APIKey(), tasksSpace)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	env, err := environments.Add(c, environments.NewEnvironment("Production"))
	if err != nil {
		t.Fatalf("add environment: %v", err)
	}
	p := emulatortest.NewTenanted(t, emu, tasksSpace, "Shop", "Ops", "Acme", "Beta")
	approver := emulatortest.NewUser(t, emu, "approver", emulatortest.Grant{Role: "Project deployer", SpaceID: tasksSpace})
	bystander := emulatortest.NewUser(t, emu, "bystander", emulatortest.Grant{Role: "Project deployer", SpaceID: tasksSpace})
	betaOnly := emulatortest.NewUser(t, emu, "beta-ops", emulatortest.Grant{Role: "Project deployer", SpaceID: tasksSpace, Tenants: []string{p.Tenants["Beta"]}})
	marker := filepath.Join(t.TempDir(), "fail")
	touch(t, marker)

	var proc map[string]any
	emulatortest.Call(t, emu, http.MethodGet, "/api/"+tasksSpace+"/projects/"+p.ProjectID+"/deploymentprocesses", nil, &proc)
	steps := []map[string]any{{"Name": "Approve", "Condition": "Success", "Properties": map[string]any{}, "Actions": []map[string]any{{
		"Name": "Approve", "ActionType": "Octopus.Manual", "Properties": map[string]any{
			"Octopus.Action.Manual.Instructions":       "Check #{Octopus.Environment.Name} for #{Octopus.Deployment.Tenant.Name}",
			"Octopus.Action.Manual.ResponsibleTeamIds": approver.TeamID,
		}}}}}
	steps = append(steps, emulatortest.ScriptSteps("Collect", `echo "report of #{Octopus.Release.Number}" > report.txt
echo "##octopus[createArtifact path='report.txt' name='report.txt']"
if [ -e "`+marker+`" ]; then exit 5; fi`)...)
	proc["Steps"] = steps
	emulatortest.Call(t, emu, http.MethodPut, "/api/"+tasksSpace+"/deploymentprocesses/"+proc["Id"].(string), proc, nil)
	cmd := releases.NewCreateReleaseCommandV1(tasksSpace, "Shop")
	cmd.ReleaseVersion = "1.0.0"
	if _, err := releases.CreateReleaseV1(c, cmd); err != nil {
		t.Fatalf("create release: %v", err)
	}
	deploy := func(guided bool) string {
		t.Helper()
		dc := deployments.NewCreateDeploymentTenantedCommandV1(tasksSpace, "Shop")
		dc.ReleaseVersion, dc.EnvironmentName, dc.Tenants, dc.UseGuidedFailure = "1.0.0", env.Name, []string{"Acme"}, &guided
		resp, err := deployments.CreateDeploymentTenantedV1(c, dc)
		if err != nil || len(resp.DeploymentServerTasks) != 1 {
			t.Fatalf("deploy: %v %+v", err, resp)
		}
		return resp.DeploymentServerTasks[0].ServerTaskID
	}
	approverClient, err := coreClient(t, emu, approver.APIKey, tasksSpace)
	if err != nil {
		t.Fatal(err)
	}

	// The manual intervention holds the task until the approver proceeds.
	taskID := deploy(true)
	in := pendingInterruption(t, emu, c, taskID)
	if in.Title != "Approve" || !in.IsPending || in.TaskID != taskID || len(in.Form.Elements) != 3 || in.Form.Elements[2].Name != "Result" {
		t.Fatalf("interruption %+v", in)
	}
	if !strings.Contains(emulatortest.Body(t, emu, "/api/"+tasksSpace+"/interruptions/"+in.GetID()), "Check Production for Acme") {
		t.Error("the instructions are not substituted")
	}
	if held, err := c.Tasks.Get(tasks.TasksQuery{HasPendingInterruptions: true}); err != nil || len(held.Items) != 1 || held.Items[0].ID != taskID {
		t.Errorf("tasks with pending interruptions: %v %v", held, err)
	}
	var task map[string]any
	emulatortest.Call(t, emu, http.MethodGet, "/api/tasks/"+taskID, nil, &task)
	if task["State"] != "Executing" || task["HasPendingInterruptions"] != true {
		t.Errorf("held task: %v pending %v", task["State"], task["HasPendingInterruptions"])
	}
	submit := map[string]any{"Result": "Proceed", "Notes": "looks fine"}
	if status := emulatortest.CallAs(t, emu, approver.APIKey, http.MethodPost, "/api/"+tasksSpace+"/interruptions/"+in.GetID()+"/submit", submit, nil); status != 400 {
		t.Errorf("submit without responsibility: %d, want 400", status)
	}
	if status := emulatortest.CallAs(t, emu, bystander.APIKey, http.MethodPut, "/api/"+tasksSpace+"/interruptions/"+in.GetID()+"/responsible", nil, nil); status != 400 {
		t.Errorf("a non-member takes responsibility: %d, want 400", status)
	}
	if status := emulatortest.CallAs(t, emu, betaOnly.APIKey, http.MethodPost, "/api/"+tasksSpace+"/interruptions/"+in.GetID()+"/submit", submit, nil); status != 403 {
		t.Errorf("Beta's key submits Acme's interruption: %d, want 403", status)
	}
	mine, err := approverClient.Interruptions.GetByID(in.GetID())
	if err != nil {
		t.Fatal(err)
	}
	if u, err := approverClient.Interruptions.TakeResponsibility(mine); err != nil || u.GetID() != approver.ID {
		t.Fatalf("take responsibility: %v %v", u, err)
	}
	if u, err := c.Interruptions.GetResponsibility(in); err != nil || u.GetID() != approver.ID {
		t.Errorf("responsible: %v %v", u, err)
	}
	answered, err := approverClient.Interruptions.Submit(mine, &interruptions.InterruptionSubmitRequest{Result: interruptions.ManualInterverventionApprove, Notes: "looks fine"})
	if err != nil || answered.IsPending || !answered.HasResponsibility {
		t.Fatalf("submit: %+v %v", answered, err)
	}

	// The script fails; guided failure holds the task; Retry runs it again.
	guided := pendingInterruption(t, emu, c, taskID)
	if guided.Title != "Guided failure: Collect" {
		t.Fatalf("guided failure %+v", guided)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Interruptions.TakeResponsibility(guided); err != nil {
		t.Fatal(err)
	}
	emulatortest.Call(t, emu, http.MethodPost, "/api/"+tasksSpace+"/interruptions/"+guided.GetID()+"/submit", map[string]any{"Guidance": "Retry", "Notes": "fixed"}, nil)
	if done := waitTask(t, c, taskID); done.State != "Success" || done.HasPendingInterruptions {
		t.Fatalf("task after retry: %s %s", done.State, done.ErrorMessage)
	}
	if log := taskLog(t, c, taskID); !strings.Contains(log, "Notes: looks fine") || !strings.Contains(log, "Retrying Collect") {
		t.Errorf("log:\n%s", log)
	}

	// Both runs of the script collected their report.
	page, err := c.Artifacts.Get(artifacts.Query{Regarding: taskID})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("artifacts of %s: %v %v", taskID, page, err)
	}
	a := page.Items[0]
	if a.Filename != "report.txt" || a.ServerTaskID != taskID || a.Created == nil {
		t.Errorf("artifact %+v", a)
	}
	if body := emulatortest.Body(t, emu, "/api/"+tasksSpace+"/artifacts/"+a.GetID()+"/content"); body != "report of 1.0.0\n" {
		t.Errorf("artifact content %q", body)
	}
	if n := len(getArtifacts(t, emu, betaOnly.APIKey)); n != 0 {
		t.Errorf("Beta's key sees %d of Acme's artifacts", n)
	}
	// An artifact made through the API, its content set and read back.
	made, err := c.Artifacts.Add(&artifacts.Artifact{Filename: "notes.txt", ServerTaskID: taskID})
	if err != nil {
		t.Fatalf("add artifact: %v", err)
	}
	if status := emulatortest.CallAs(t, emu, emu.APIKey(), http.MethodPut, "/api/"+tasksSpace+"/artifacts/"+made.GetID()+"/content", "hello", nil); status != http.StatusNoContent {
		t.Errorf("put content: %d", status)
	}
	if body := emulatortest.Body(t, emu, "/api/"+tasksSpace+"/artifacts/"+made.GetID()+"/content"); body != `"hello"` {
		t.Errorf("content %q", body)
	}

	// Answered interruptions take no second answer.
	var again map[string]any
	if status := emulatortest.CallAs(t, emu, emu.APIKey(), http.MethodPost, "/api/"+tasksSpace+"/interruptions/"+in.GetID()+"/submit", submit, &again); status != 400 {
		t.Errorf("a second answer: %d, want 400", status)
	}

	// Abort fails the deployment, with no guided failure question even
	// though the deployment uses guided failure; cancel while held cancels
	// it and drops the interruption.
	aborted := deploy(true)
	in = pendingInterruption(t, emu, c, aborted)
	if _, err := c.Interruptions.TakeResponsibility(in); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Interruptions.Submit(in, &interruptions.InterruptionSubmitRequest{Result: interruptions.ManualInterventionDecline}); err != nil {
		t.Fatal(err)
	}
	if done := waitTask(t, c, aborted); done.State != "Failed" || !strings.Contains(done.ErrorMessage, "aborted") {
		t.Errorf("aborted deployment: %s %s", done.State, done.ErrorMessage)
	}
	canceled := deploy(false)
	in = pendingInterruption(t, emu, c, canceled)
	emulatortest.Call(t, emu, http.MethodPost, "/api/tasks/"+canceled+"/cancel", nil, nil)
	if done := waitTask(t, c, canceled); done.State != "Canceled" {
		t.Errorf("canceled deployment: %s", done.State)
	}
	if again, err := c.Interruptions.GetByID(in.GetID()); err != nil || again.IsPending {
		t.Errorf("the canceled task's interruption: %+v %v", again, err)
	}
}

func getArtifacts(t *testing.T, emu *emulator.Server, key string) []map[string]any {
	t.Helper()
	var page struct{ Items []map[string]any }
	if status := emulatortest.CallAs(t, emu, key, http.MethodGet, "/api/"+tasksSpace+"/artifacts", nil, &page); status != 200 {
		t.Fatalf("artifacts: %d", status)
	}
	return page.Items
}
