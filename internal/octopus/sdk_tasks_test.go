package octopus_test

// The real go-octopusdeploy client drives the emulator's task runner: it
// builds a runbook and a deployment process, publishes a snapshot, runs the
// runbook with runbooks.RunbookRunV1, deploys a release with the legacy
// deployment service, and polls the tasks until they finish.

import (
	"strings"
	"testing"
	"time"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/client"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/deployments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/environments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/lifecycles"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/projectgroups"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/projects"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/releases"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/runbooks"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/tasks"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

const tasksSpace = "Spaces-1"

// bashStep is a one-action Bash script step.
func bashStep(name, body string) *deployments.DeploymentStep {
	st := deployments.NewDeploymentStep(name)
	a := deployments.NewDeploymentAction(name, "Octopus.Script")
	a.Properties["Octopus.Action.Script.Syntax"] = core.NewPropertyValue("Bash", false)
	a.Properties["Octopus.Action.Script.ScriptSource"] = core.NewPropertyValue("Inline", false)
	a.Properties["Octopus.Action.Script.ScriptBody"] = core.NewPropertyValue(body, false)
	st.Actions = []*deployments.DeploymentAction{a}
	return st
}

// waitTask polls the task until it completes (bounded by a deadline).
func waitTask(t *testing.T, c *client.Client, id string) *tasks.Task {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		page, err := c.Tasks.Get(tasks.TasksQuery{IDs: []string{id}})
		if err != nil {
			t.Fatalf("get task %s: %v", id, err)
		}
		if len(page.Items) != 1 {
			t.Fatalf("task %s: %d items", id, len(page.Items))
		}
		task := page.Items[0]
		if task.IsCompleted != nil && *task.IsCompleted {
			return task
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s still %s", id, task.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// taskLog flattens the task's activity log.
func taskLog(t *testing.T, c *client.Client, id string) string {
	t.Helper()
	d, err := tasks.GetDetails(c, tasksSpace, id)
	if err != nil {
		t.Fatalf("task details %s: %v", id, err)
	}
	var b strings.Builder
	var walk func(a *tasks.ActivityElement)
	walk = func(a *tasks.ActivityElement) {
		for _, l := range a.LogElements {
			b.WriteString(l.Category + ": " + l.MessageText + "\n")
		}
		for _, ch := range a.Children {
			walk(ch)
		}
	}
	for _, a := range d.ActivityLogs {
		walk(a)
	}
	return b.String()
}

func TestSDKRunsRunbooksAndDeploysReleases(t *testing.T) {
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
	lcs, err := lifecycles.GetAll(c, tasksSpace)
	if err != nil || len(lcs) == 0 {
		t.Fatalf("lifecycles: %v", err)
	}
	pgs, err := projectgroups.GetAll(c, tasksSpace)
	if err != nil || len(pgs) == 0 {
		t.Fatalf("project groups: %v", err)
	}
	project, err := projects.Add(c, projects.NewProject("Fleet", lcs[0].ID, pgs[0].ID))
	if err != nil {
		t.Fatalf("add project: %v", err)
	}

	// A runbook with one step that succeeds and, in a second runbook, one that fails.
	publish := func(name, body string) *runbooks.Runbook {
		t.Helper()
		rb, err := c.Runbooks.Add(runbooks.NewRunbook(name, project.GetID()))
		if err != nil {
			t.Fatalf("add runbook: %v", err)
		}
		proc, err := c.RunbookProcesses.GetByID(rb.RunbookProcessID)
		if err != nil {
			t.Fatalf("get runbook process: %v", err)
		}
		proc.Steps = []*deployments.DeploymentStep{bashStep("Run", body)}
		if _, err := c.RunbookProcesses.Update(proc); err != nil {
			t.Fatalf("update runbook process: %v", err)
		}
		snap, err := c.RunbookSnapshots.Publish(runbooks.NewRunbookSnapshot("Snapshot 1", project.GetID(), rb.GetID()))
		if err != nil {
			t.Fatalf("publish snapshot: %v", err)
		}
		if got, err := c.Runbooks.GetByID(rb.GetID()); err != nil || got.PublishedRunbookSnapshotID != snap.GetID() {
			t.Fatalf("published snapshot %v (%v), want %s", got, err, snap.GetID())
		}
		return rb
	}
	publish("Hello", `echo "hello from #{Octopus.Runbook.Name} in #{Octopus.Environment.Name}"`)
	publish("Broken", `echo "breaking"; exit 4`)

	for _, tc := range []struct {
		runbook, state, log, errorPart string
	}{
		{"Hello", "Success", "Info: hello from Hello in Production", ""},
		{"Broken", "Failed", "Info: breaking", "exit code 4"},
	} {
		t.Run(tc.runbook, func(t *testing.T) {
			cmd := runbooks.NewRunbookRunCommandV1(tasksSpace, project.Name)
			cmd.RunbookName = tc.runbook
			cmd.EnvironmentNames = []string{env.Name}
			resp, err := runbooks.RunbookRunV1(c, cmd)
			if err != nil {
				t.Fatalf("run runbook: %v", err)
			}
			if len(resp.RunbookRunServerTasks) != 1 || resp.RunbookRunServerTasks[0].ServerTaskID == "" {
				t.Fatalf("response %+v", resp)
			}
			id := resp.RunbookRunServerTasks[0].ServerTaskID
			task := waitTask(t, c, id)
			if task.State != tc.state || *task.FinishedSuccessfully != (tc.state == "Success") {
				t.Errorf("task %s: %s (%s)", id, task.State, task.ErrorMessage)
			}
			if !strings.Contains(task.ErrorMessage, tc.errorPart) {
				t.Errorf("ErrorMessage %q lacks %q", task.ErrorMessage, tc.errorPart)
			}
			if task.StartTime == nil || task.CompletedTime == nil {
				t.Errorf("task times: start %v, completed %v", task.StartTime, task.CompletedTime)
			}
			if log := taskLog(t, c, id); !strings.Contains(log, tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, log)
			}
		})
	}

	// A deployment of a release, with the legacy services.
	proc, err := deployments.GetDeploymentProcessByID(c, tasksSpace, project.DeploymentProcessID)
	if err != nil {
		t.Fatalf("get deployment process: %v", err)
	}
	proc.Steps = []*deployments.DeploymentStep{bashStep("Deploy", `echo "deploying #{Octopus.Release.Number} to #{Octopus.Environment.Name}"`)}
	if _, err := deployments.UpdateDeploymentProcess(c, proc); err != nil {
		t.Fatalf("update deployment process: %v", err)
	}
	chans, err := c.Channels.GetAll()
	if err != nil || len(chans) == 0 {
		t.Fatalf("channels: %v", err)
	}
	rel, err := c.Releases.Add(releases.NewRelease(chans[0].GetID(), project.GetID(), "1.0.0"))
	if err != nil {
		t.Fatalf("add release: %v", err)
	}
	dep, err := c.Deployments.Add(deployments.NewDeployment(env.GetID(), rel.GetID()))
	if err != nil {
		t.Fatalf("add deployment: %v", err)
	}
	if task := waitTask(t, c, dep.TaskID); task.State != "Success" {
		t.Errorf("deployment task %s: %s", task.State, task.ErrorMessage)
	}
	if log := taskLog(t, c, dep.TaskID); !strings.Contains(log, "Info: deploying 1.0.0 to Production") {
		t.Errorf("deployment log:\n%s", log)
	}
}
