package steps_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/steps"
)

// management is a management space on the fixture's emulator: a tenanted
// project with a runbook (published) and a deployment process, both Bash
// scripts that print the tenant they run for, and two tenants connected to
// the project in Production.
type management struct {
	f *fixture
	*emulatortest.Tenanted
}

const (
	helloScript = `echo "Hello from #{Octopus.Tenant.Name}"`
	mgmtSpace   = "Management"
	mgmtProject = "Customer operations"
)

func newManagement(t *testing.T, f *fixture) *management {
	t.Helper()
	space := steps.CreateSpace{In: steps.CreateSpaceInput{Name: mgmtSpace, Environments: []steps.EnvironmentInput{{Name: "Production"}}}}
	out := mustApply(t, space, f.oct, mustPlan(t, space, f.oct))
	m := &management{f: f, Tenanted: emulatortest.NewTenanted(t, f.emu, out[steps.OutputSpaceID], mgmtProject, "Say hello", "Acme", "Globex")}
	m.SetDeployScript(t, helloScript)
	m.SetRunbookScript(t, helloScript, true)
	f.emu.ResetRequests()
	return m
}

// newManagementWith is a management space on a new fixture, changed by setup
// when it is not nil.
func newManagementWith(t *testing.T, setup func(t *testing.T, m *management)) (*fixture, *management) {
	t.Helper()
	f := newFixture(t)
	m := newManagement(t, f)
	if setup != nil {
		setup(t, m)
	}
	return f, m
}

// assertTaskCanceled waits for the emulator's tasks to end and checks that
// task taskID ended Canceled.
func assertTaskCanceled(t *testing.T, f *fixture, taskID string) {
	t.Helper()
	if err := f.emu.WaitForTasks(context.Background()); err != nil {
		t.Fatal(err)
	}
	var task map[string]any
	f.raw(t, http.MethodGet, "/api/tasks/"+taskID, nil, &task)
	if task["State"] != steps.TaskCanceled {
		t.Errorf("upstream task state = %v, want Canceled", task["State"])
	}
}

// runsFor returns the tenant Ids the space's runbook runs and deployments were for.
func (m *management) runsFor(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, kind := range []string{"runbookRuns", "deployments"} {
		var page struct{ Items []map[string]any }
		m.f.raw(t, http.MethodGet, "/api/"+m.SpaceID+"/"+kind, nil, &page)
		for _, it := range page.Items {
			out = append(out, fmt.Sprint(it["TenantId"]))
		}
	}
	return out
}

func fastTrigger(in steps.TriggerInput, log *bytes.Buffer) steps.Trigger {
	return steps.Trigger{In: in, Log: log, PollMin: 10 * time.Millisecond, PollMax: 100 * time.Millisecond}
}

func TestTriggerRunsForExactlyTheTenant(t *testing.T) {
	t.Parallel()
	// Release 1.0.0 prints the hello line, 1.0.1 another one.
	twoReleases := func(t *testing.T, m *management) {
		m.Release(t, "1.0.0")
		m.SetDeployScript(t, `echo "newer release for #{Octopus.Tenant.Name}"`)
		m.Release(t, "1.0.1")
	}
	cases := []struct {
		name  string
		in    steps.TriggerInput
		setup func(t *testing.T, m *management)
		kind  string
		want  string // the line the task must print
		other string // what it must not print (another release's output)
	}{
		{name: "runbook", kind: steps.KindRunbookRun, want: "Hello from Acme", other: "newer release",
			in: steps.TriggerInput{Space: mgmtSpace, Project: mgmtProject, Tenant: "Acme", Environment: "Production", Runbook: "Say hello"}},
		{name: "latest release", kind: steps.KindDeployment, want: "newer release for Acme", other: "Hello from",
			in: steps.TriggerInput{Space: mgmtSpace, Project: mgmtProject, Tenant: "Acme", Environment: "Production"}, setup: twoReleases},
		{name: "given version", kind: steps.KindDeployment, want: "Hello from Acme", other: "newer release",
			in: steps.TriggerInput{Space: mgmtSpace, Project: mgmtProject, Tenant: "Acme", Environment: "Production", ReleaseVersion: "1.0.0"}, setup: twoReleases},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, m := newManagementWith(t, tc.setup)
			f.emu.ResetRequests()
			var log bytes.Buffer
			step := fastTrigger(tc.in, &log)
			plan := mustPlan(t, step, f.oct)
			if w := f.emu.Writes(); len(w) != 0 {
				t.Fatalf("plan wrote %q", w)
			}
			if len(plan.Changes) != 1 || plan.Changes[0].Kind != tc.kind || plan.Changes[0].Action != steps.Create {
				t.Fatalf("plan = %+v, want one %s", plan.Changes, tc.kind)
			}
			out := mustApply(t, step, f.oct, plan)
			if out[steps.OutputTaskState] != steps.TaskSuccess || !strings.HasPrefix(out[steps.OutputTaskID], "ServerTasks-") {
				t.Fatalf("outputs = %v", out)
			}
			if !strings.Contains(log.String(), tc.want) {
				t.Errorf("log lacks %q:\n%s", tc.want, log.String())
			}
			if strings.Contains(log.String(), "Globex") || strings.Contains(log.String(), tc.other) {
				t.Errorf("log shows another tenant or release:\n%s", log.String())
			}
			if runs := m.runsFor(t); len(runs) != 1 || runs[0] != m.Tenants["Acme"] {
				t.Errorf("runs and deployments were for tenants %v, want only Acme", runs)
			}
			// Each line is copied once, however often the task was polled.
			if n := strings.Count(log.String(), tc.want); n != 1 {
				t.Errorf("the line was copied %d times:\n%s", n, log.String())
			}
		})
	}
}

func TestTriggerFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		in    steps.TriggerInput
		setup func(t *testing.T, m *management)
		plan  string // a Plan error containing this, or
		apply string // an Apply error containing this
		state string
	}{
		{name: "failing runbook", in: steps.TriggerInput{Runbook: "Say hello"},
			setup: func(t *testing.T, m *management) { m.SetRunbookScript(t, `echo "about to fail"; exit 3`, true) },
			apply: "ended Failed", state: steps.TaskFailed},
		{name: "failing deployment", in: steps.TriggerInput{},
			setup: func(t *testing.T, m *management) { m.SetDeployScript(t, "exit 4"); m.Release(t, "2.0.0") },
			apply: "ended Failed", state: steps.TaskFailed},
		{name: "timeout cancels the task", in: steps.TriggerInput{Runbook: "Say hello", Timeout: "300ms"},
			setup: func(t *testing.T, m *management) { m.SetRunbookScript(t, `echo started; sleep 30`, true) },
			apply: "timed out after 300ms"},
		{name: "unpublished runbook", in: steps.TriggerInput{Runbook: "Draft"},
			setup: func(t *testing.T, m *management) {
				m.f.raw(t, http.MethodPost, "/api/"+m.SpaceID+"/runbooks", map[string]any{"ProjectId": m.ProjectID, "Name": "Draft",
					"MultiTenancyMode": "Tenanted", "EnvironmentScope": "All", "DefaultGuidedFailureMode": "EnvironmentDefault"}, nil)
			},
			plan: `runbook "Draft" of project "Customer operations" has no published snapshot`},
		{name: "unknown tenant", in: steps.TriggerInput{Runbook: "Say hello", Tenant: "Initech"},
			plan: `unknown tenant "Initech" (existing: "Acme", "Globex")`},
		{name: "unknown runbook", in: steps.TriggerInput{Runbook: "Nope"}, plan: `unknown runbook "Nope" (existing: "Say hello")`},
		{name: "no release", in: steps.TriggerInput{}, plan: `project "Customer operations" has no release to deploy`},
		{name: "unknown version", in: steps.TriggerInput{ReleaseVersion: "9.9.9"}, plan: `has no release "9.9.9"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, _ := newManagementWith(t, tc.setup)
			in := tc.in
			in.Space, in.Project, in.Environment = mgmtSpace, mgmtProject, "Production"
			if in.Tenant == "" {
				in.Tenant = "Acme"
			}
			var log bytes.Buffer
			step := fastTrigger(in, &log)
			plan, err := step.Plan(context.Background(), f.oct)
			if tc.plan != "" {
				if err == nil || !strings.Contains(err.Error(), tc.plan) {
					t.Fatalf("plan error = %v, want %q", err, tc.plan)
				}
				return
			}
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			out, err := step.Apply(context.Background(), f.oct, plan)
			if err == nil || !strings.Contains(err.Error(), tc.apply) {
				t.Fatalf("apply error = %v, want %q", err, tc.apply)
			}
			if tc.state != "" && out[steps.OutputTaskState] != tc.state {
				t.Errorf("TaskState = %q, want %q", out[steps.OutputTaskState], tc.state)
			}
			if out[steps.OutputTaskID] == "" {
				t.Errorf("no TaskId in %v", out)
			}
			if tc.name == "timeout cancels the task" {
				assertTaskCanceled(t, f, out[steps.OutputTaskID])
			}
		})
	}
}

func TestTriggerNoWait(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	newManagement(t, f)
	var log bytes.Buffer
	step := fastTrigger(steps.TriggerInput{Space: mgmtSpace, Project: mgmtProject, Tenant: "Globex", Environment: "Production", Runbook: "Say hello", NoWait: true}, &log)
	out := mustApply(t, step, f.oct, mustPlan(t, step, f.oct))
	if out[steps.OutputTaskID] == "" || out[steps.OutputTaskState] == "" {
		t.Fatalf("outputs = %v", out)
	}
	if strings.Contains(log.String(), "Hello") || !strings.Contains(log.String(), "task "+out[steps.OutputTaskID]) {
		t.Errorf("--no-wait log = %q, want only the started line", log.String())
	}
	if err := f.emu.WaitForTasks(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestTriggerInputCheck(t *testing.T) {
	t.Parallel()
	full := steps.TriggerInput{Space: "M", Project: "P", Tenant: "T", Environment: "E"}
	cases := []struct {
		name  string
		edit  func(*steps.TriggerInput)
		field string
	}{
		{"no space", func(in *steps.TriggerInput) { in.Space = "" }, "space"},
		{"runbook and version", func(in *steps.TriggerInput) { in.Runbook, in.ReleaseVersion = "R", "1.0.0" }, "runbook"},
		{"bad timeout", func(in *steps.TriggerInput) { in.Timeout = "-1s" }, "timeout"},
	}
	for _, tc := range cases {
		in := full
		tc.edit(&in)
		err := in.Check()
		ie, ok := err.(*steps.InputError)
		if !ok || ie.Field != tc.field {
			t.Errorf("%s: err = %v, want an InputError on %s", tc.name, err, tc.field)
		}
	}
	if err := full.Check(); err != nil {
		t.Errorf("valid input: %v", err)
	}
}

// cancelOn cancels a context as soon as a written chunk contains marker.
type cancelOn struct {
	buf    bytes.Buffer // not embedded: its WriteString would bypass Write
	marker string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.marker) {
		c.cancel()
	}
	return c.buf.Write(p)
}

// TestTriggerStoppedCancelsTheTask: when trigger itself is stopped (the
// facade's task is canceled), the upstream task is canceled too.
func TestTriggerStoppedCancelsTheTask(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := newManagement(t, f)
	m.SetRunbookScript(t, `echo "waiting for Godot"; sleep 30`, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &cancelOn{marker: "waiting for Godot", cancel: cancel}
	step := steps.Trigger{In: steps.TriggerInput{Space: mgmtSpace, Project: mgmtProject, Tenant: "Acme", Environment: "Production", Runbook: "Say hello"},
		Log: log, PollMin: 10 * time.Millisecond, PollMax: 50 * time.Millisecond}
	plan := mustPlan(t, step, f.oct)
	out, err := step.Apply(ctx, f.oct, plan)
	if err == nil || !strings.Contains(err.Error(), "canceled waiting for task") {
		t.Fatalf("apply error = %v, want canceled; log:\n%s", err, log.buf.String())
	}
	assertTaskCanceled(t, f, out[steps.OutputTaskID])
}
