package emulator_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// The task runner end to end over HTTP: runbooks and deployments of Bash
// script steps, their variables, logs, output variables, packages, failure,
// cancellation and the pool's cap.

const sp = "/api/Spaces-1"

// world is a project with an environment, a tenant connected to it, project
// variables (one sensitive), a project variable template with a tenant value
// and a step template.
type world struct {
	sp                                                 string // "/api/Spaces-N"
	project, env, envName, tenant, template, lifecycle string
}

func newWorld(t *testing.T, s *emulator.Server, vars ...map[string]any) world {
	t.Helper()
	return newWorldIn(t, s, "Spaces-1", vars...)
}

// newWorldIn is newWorld in another space.
func newWorldIn(t *testing.T, s *emulator.Server, space string, vars ...map[string]any) world {
	t.Helper()
	w := world{sp: "/api/" + space}
	w.envName = "Production"
	w.env = str(must(t, do(t, s, "POST", w.sp+"/environments", map[string]any{"Name": w.envName}), 201).Body, "Id")
	lc := items(t, must(t, do(t, s, "GET", w.sp+"/lifecycles", nil), 200))[0]
	pg := items(t, must(t, do(t, s, "GET", w.sp+"/projectgroups", nil), 200))[0]
	w.lifecycle = str(lc, "Id")
	must(t, do(t, s, "POST", w.sp+"/tagsets", map[string]any{"Name": "Region", "Tags": []any{map[string]any{"Name": "EU"}}}), 201)
	p := must(t, do(t, s, "POST", w.sp+"/projects", map[string]any{
		"Name": "Fleet", "LifecycleId": w.lifecycle, "ProjectGroupId": str(pg, "Id"), "TenantedDeploymentMode": "TenantedOrUntenanted",
		"Templates": []any{
			map[string]any{"Name": "Customer.Url", "Label": "URL", "DefaultValue": "https://default"},
			map[string]any{"Name": "Customer.ApiKey", "Label": "API key", "DisplaySettings": map[string]any{"Octopus.ControlType": "Sensitive"}},
		},
	}), 201).Body
	w.project = str(p, "Id")
	tplID := str(p["Templates"].([]any)[0].(map[string]any), "Id")
	keyID := str(p["Templates"].([]any)[1].(map[string]any), "Id")
	vs := must(t, do(t, s, "GET", w.sp+"/projects/"+w.project+"/variables", nil), 200).Body
	list := []any{
		map[string]any{"Name": "Greeting", "Value": "hello"},
		map[string]any{"Name": "Greeting", "Value": "hello production", "Scope": map[string]any{"Environment": []any{w.env}}},
		map[string]any{"Name": "DbPassword", "Value": "s3cr3t-value", "IsSensitive": true},
		map[string]any{"Name": "Nested", "Value": "#{Greeting} from #{Octopus.Space.Name}"},
	}
	for _, v := range vars {
		list = append(list, v)
	}
	vs["Variables"] = list
	must(t, do(t, s, "PUT", w.sp+"/projects/"+w.project+"/variables", vs), 200)
	w.tenant = str(must(t, do(t, s, "POST", w.sp+"/tenants", map[string]any{
		"Name": "Acme", "TenantTags": []any{"Region/EU"}, "ProjectEnvironments": map[string]any{w.project: []any{w.env}},
	}), 201).Body, "Id")
	must(t, do(t, s, "PUT", w.sp+"/tenants/"+w.tenant+"/projectvariables", map[string]any{"Variables": []any{map[string]any{
		"ProjectId": w.project, "TemplateId": tplID, "Value": "https://acme.example", "Scope": map[string]any{"EnvironmentIds": []any{w.env}},
	}, map[string]any{
		"ProjectId": w.project, "TemplateId": keyID, "Value": map[string]any{"HasValue": true, "NewValue": "API-TENANTSECRET"},
		"Scope": map[string]any{"EnvironmentIds": []any{w.env}},
	}}}), 200)
	w.template = str(must(t, do(t, s, "POST", w.sp+"/actiontemplates", map[string]any{
		"Name": "Say", "ActionType": "Octopus.Script",
		"Properties": map[string]any{
			"Octopus.Action.Script.Syntax": "Bash", "Octopus.Action.Script.ScriptSource": "Inline",
			"Octopus.Action.Script.ScriptBody": `echo "param=#{Who} default=#{Mood} via-get=$(get_octopusvariable "Who") token=#{Token}"`,
		},
		"Parameters": []any{
			map[string]any{"Name": "Token", "Label": "Token", "DisplaySettings": map[string]any{"Octopus.ControlType": "Sensitive"}},
			map[string]any{"Name": "Who", "Label": "Who", "DefaultValue": "nobody"},
			map[string]any{"Name": "Mood", "Label": "Mood", "DefaultValue": "calm"},
		},
	}), 201).Body, "Id")
	return w
}

// script is a Bash script action.
func script(name, body string, extra ...func(a map[string]any)) map[string]any {
	a := map[string]any{"Name": name, "ActionType": "Octopus.Script", "Properties": map[string]any{
		"Octopus.Action.Script.Syntax": "Bash", "Octopus.Action.Script.ScriptSource": "Inline", "Octopus.Action.Script.ScriptBody": body,
	}}
	for _, fn := range extra {
		fn(a)
	}
	return a
}

// step wraps actions into a step with a run condition ("" = Success).
func step(name, condition string, actions ...map[string]any) map[string]any {
	if condition == "" {
		condition = "Success"
	}
	list := make([]any, len(actions))
	for i, a := range actions {
		list[i] = a
	}
	return map[string]any{"Name": name, "Condition": condition, "Actions": list}
}

// runbook creates a runbook with the steps and publishes a snapshot.
func (w world) runbook(t *testing.T, s *emulator.Server, name string, steps ...map[string]any) string {
	t.Helper()
	rb := must(t, do(t, s, "POST", w.sp+"/runbooks", map[string]any{"Name": name, "ProjectId": w.project, "MultiTenancyMode": "TenantedOrUntenanted"}), 201).Body
	proc := must(t, do(t, s, "GET", w.sp+"/runbookProcesses/"+str(rb, "RunbookProcessId"), nil), 200).Body
	list := make([]any, len(steps))
	for i, st := range steps {
		list[i] = st
	}
	proc["Steps"] = list
	must(t, do(t, s, "PUT", w.sp+"/runbookProcesses/"+str(rb, "RunbookProcessId"), proc), 200)
	snap := must(t, do(t, s, "POST", w.sp+"/runbookSnapshots?publish=true", map[string]any{"ProjectId": w.project, "RunbookId": str(rb, "Id"), "Name": "v1"}), 201).Body
	got := must(t, do(t, s, "GET", w.sp+"/runbooks/"+str(rb, "Id"), nil), 200).Body
	if str(got, "PublishedRunbookSnapshotId") != str(snap, "Id") {
		t.Fatalf("published snapshot %q, want %q", str(got, "PublishedRunbookSnapshotId"), str(snap, "Id"))
	}
	return str(rb, "Id")
}

// run starts a runbook run and returns its task ID.
func (w world) run(t *testing.T, s *emulator.Server, runbook string, tenanted bool) string {
	t.Helper()
	body := map[string]any{"RunbookId": runbook, "EnvironmentId": w.env}
	if tenanted {
		body["TenantId"] = w.tenant
	}
	r := must(t, do(t, s, "POST", w.sp+"/runbookRuns", body), 201).Body
	if str(r, "TaskId") == "" {
		t.Fatalf("run without TaskId: %v", r)
	}
	return str(r, "TaskId")
}

// finished waits for every task and returns the task.
func finished(t *testing.T, s *emulator.Server, taskID string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitForTasks(ctx); err != nil {
		t.Fatal(err)
	}
	task := must(t, do(t, s, "GET", "/api/tasks/"+taskID, nil), 200).Body
	if task["IsCompleted"] != true {
		t.Fatalf("task %s not completed: %v", taskID, task)
	}
	return task
}

// rawLog fetches /api/tasks/{id}/raw.
func rawLog(t *testing.T, s *emulator.Server, taskID string) string {
	t.Helper()
	resp, b := emulator.SendRequest(t, s, http.MethodGet, "/api/tasks/"+taskID+"/raw", "", nil, s.APIKey())
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("raw log: %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return string(b)
}

// detailLines returns every log line of /details, flattened, as "Category: text".
func detailLines(t *testing.T, s *emulator.Server, taskID string) []string {
	t.Helper()
	d := must(t, do(t, s, "GET", "/api/tasks/"+taskID+"/details", nil), 200).Body
	var out []string
	var walk func(a map[string]any)
	walk = func(a map[string]any) {
		for _, x := range a["LogElements"].([]any) {
			le := x.(map[string]any)
			out = append(out, str(le, "Category")+": "+str(le, "MessageText"))
		}
		for _, x := range a["Children"].([]any) {
			walk(x.(map[string]any))
		}
	}
	for _, x := range d["ActivityLogs"].([]any) {
		walk(x.(map[string]any))
	}
	return out
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if strings.Contains(l, want) {
			return true
		}
	}
	return false
}

func TestRunbookRunSubstitutesVariablesAndMasksSecrets(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	rb := w.runbook(t, s, "Hello",
		step("Greet", "", script("Greet", strings.Join([]string{
			`echo "space=#{Octopus.Space.Name} project=#{Octopus.Project.Name} env=#{Octopus.Environment.Name} tenant=#{Octopus.Tenant.Name}"`,
			`echo "runbook=#{Octopus.Runbook.Name} task=#{Octopus.Task.Id} server=#{Octopus.Web.ServerUri}"`,
			`echo "greeting=#{Greeting} nested=#{Nested} url=#{Customer.Url} unknown=#{No.Such.Variable}"`,
			`echo "password=#{DbPassword} via-get=$(get_octopusvariable "dbpassword") key=#{Customer.ApiKey}"`,
			`[ "$(get_octopusvariable Customer.ApiKey)" = "API-TENANTSECRET" ] && echo "the script sees the tenant secret"`,
			`echo "to stderr" >&2`,
			`set_octopusvariable "Color" "blue"`,
			`echo "##octopus[setVariable name='Size' value='large']"`,
			`env | grep -c "^OCTOPUS\|API-" || true`,
		}, "\n"))),
		step("Use output", "", script("Use output", `echo "color=#{Octopus.Action[Greet].Output.Color} size=$(get_octopusvariable "Octopus.Action[Greet].Output.Size")"`)),
		step("Templated", "", script("Templated", "", func(a map[string]any) {
			a["Properties"] = map[string]any{"Octopus.Action.Template.Id": w.template, "Who": "#{Octopus.Tenant.Name}",
				"Token": map[string]any{"HasValue": true, "NewValue": "tok-4711"}}
		})),
	)
	taskID := w.run(t, s, rb, true)
	task := finished(t, s, taskID)
	if task["State"] != "Success" || task["FinishedSuccessfully"] != true {
		t.Fatalf("task %v: %s", task["State"], task["ErrorMessage"])
	}
	lines := detailLines(t, s, taskID)
	for _, want := range []string{
		"Info: space=Default project=Fleet env=Production tenant=Acme",
		"Info: runbook=Hello task=" + taskID + " server=" + s.URL(),
		"Info: greeting=hello production nested=hello production from Default url=https://acme.example unknown=#{No.Such.Variable}",
		"Info: password=******** via-get=******** key=********",
		"Info: the script sees the tenant secret",
		"Error: to stderr",
		"Info: 0",
		"Info: color=blue size=large",
		"Info: param=Acme default=calm via-get=Acme token=********",
	} {
		if !contains(lines, want) {
			t.Errorf("log lacks %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	raw := rawLog(t, s, taskID)
	for _, secret := range []string{"s3cr3t-value", "API-TENANTSECRET", "tok-4711"} {
		if strings.Contains(raw, secret) || contains(lines, secret) {
			t.Errorf("the sensitive value %s leaked into the log:\n%s", secret, raw)
		}
	}
	for _, want := range []string{"Task ID:        " + taskID, "color=blue size=large", "password=********"} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw log lacks %q:\n%s", want, raw)
		}
	}
	// The run is listed with its task, and the task by project and state.
	runs := items(t, must(t, do(t, s, "GET", sp+"/runbookRuns?tenants="+w.tenant, nil), 200))
	if len(runs) != 1 || str(runs[0], "TaskId") != taskID || str(runs[0], "TenantId") != w.tenant {
		t.Errorf("runbook runs: %v", runs)
	}
	tasks := items(t, must(t, do(t, s, "GET", "/api/tasks?project="+w.project+"&states=Success", nil), 200))
	if len(tasks) != 1 || str(tasks[0], "Id") != taskID {
		t.Errorf("tasks: %v", tasks)
	}
}

func TestRunbookRunFailure(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	rb := w.runbook(t, s, "Fails",
		step("Break", "", script("Break", `echo "about to fail"; exit 3`)),
		step("After success", "", script("After success", `echo "should not run"`)),
		step("On failure", "Failure", script("On failure", `echo "cleaning up"`)),
		step("Always", "Always", script("Always", `echo "always runs"`)),
		map[string]any{"Name": "Report", "Condition": "Variable", "Properties": map[string]any{
			"Octopus.Step.ConditionVariableExpression": "#{if Octopus.Deployment.Error}true#{/if}",
		}, "Actions": []any{script("Report", `echo "reporting: #{Octopus.Deployment.Error}"`)}},
		map[string]any{"Name": "Never", "Condition": "Variable", "Properties": map[string]any{
			"Octopus.Step.ConditionVariableExpression": "#{unless Octopus.Deployment.Error}true#{/unless}",
		}, "Actions": []any{script("Never", `echo "never runs"`)}},
	)
	taskID := w.run(t, s, rb, false)
	task := finished(t, s, taskID)
	if task["State"] != "Failed" || task["FinishedSuccessfully"] != false || task["HasWarningsOrErrors"] != true {
		t.Fatalf("task %v", task)
	}
	if msg := str(task, "ErrorMessage"); !strings.Contains(msg, "exit code 3") {
		t.Errorf("ErrorMessage %q lacks the exit code", msg)
	}
	lines := detailLines(t, s, taskID)
	for _, want := range []string{"Info: about to fail", "Info: cleaning up", "Info: always runs", "Verbose: Skipped: a previous step failed.",
		"Info: reporting: the remote script failed with exit code 3"} {
		if !contains(lines, want) {
			t.Errorf("log lacks %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if contains(lines, "should not run") || contains(lines, "never runs") {
		t.Errorf("a step ran against its run condition:\n%s", strings.Join(lines, "\n"))
	}
}

func TestRunbookRunRules(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	rb := must(t, do(t, s, "POST", sp+"/runbooks", map[string]any{"Name": "Unpublished", "ProjectId": w.project}), 201).Body
	other := must(t, do(t, s, "POST", sp+"/environments", map[string]any{"Name": "Elsewhere"}), 201).Body
	published := w.runbook(t, s, "Published", step("Noop", "", script("Noop", "true")))
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"no published snapshot", map[string]any{"RunbookId": str(rb, "Id"), "EnvironmentId": w.env}, "no published snapshot"},
		{"unknown environment", map[string]any{"RunbookId": published, "EnvironmentId": "Environments-999"}, "Environments-999"},
		{"tenant not connected there", map[string]any{"RunbookId": published, "EnvironmentId": str(other, "Id"), "TenantId": w.tenant}, "not connected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := must(t, do(t, s, "POST", sp+"/runbookRuns", tc.body), 400)
			if !strings.Contains(string(r.Raw), tc.want) {
				t.Errorf("error %s lacks %q", r.Raw, tc.want)
			}
		})
	}
}

func TestRunbookRunCommand(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	w.runbook(t, s, "Hello", step("Greet", "", script("Greet", `echo "hi #{Octopus.Tenant.Name} #{Prompted}"`)))
	r := must(t, do(t, s, "POST", sp+"/runbook-runs/create/v1", map[string]any{
		"spaceIdOrName": "Spaces-1", "projectName": "Fleet", "runbookName": "Hello", "environmentNames": []any{"Production"},
		"tenants": []any{"Acme"}, "variables": map[string]any{"Prompted": "value"},
	}), 200).Body
	list, _ := r["RunbookRunServerTasks"].([]any)
	if len(list) != 1 {
		t.Fatalf("RunbookRunServerTasks %v", r)
	}
	taskID := str(list[0].(map[string]any), "ServerTaskId")
	if task := finished(t, s, taskID); task["State"] != "Success" {
		t.Fatalf("task %v", task)
	}
	if lines := detailLines(t, s, taskID); !contains(lines, "hi Acme value") {
		t.Errorf("log: %v", lines)
	}
}

func TestDeploymentForTenant(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	proc := must(t, do(t, s, "GET", sp+"/projects/"+w.project+"/deploymentprocesses", nil), 200).Body
	proc["Steps"] = []any{
		step("Deploy", "", script("Deploy", `echo "release=#{Octopus.Release.Number} tenant=#{Octopus.Tenant.Name} env=#{Octopus.Environment.Name} url=#{Customer.Url}"`)),
		step("Other region", "", script("Other region", `echo "wrong region"`, func(a map[string]any) { a["TenantTags"] = []any{"Region/US"} })),
		step("Disabled", "", script("Disabled", `echo "disabled ran"`, func(a map[string]any) { a["IsDisabled"] = true })),
	}
	must(t, do(t, s, "PUT", sp+"/projects/"+w.project+"/deploymentprocesses", proc), 200)
	rel := must(t, do(t, s, "POST", sp+"/releases", map[string]any{"ProjectId": w.project, "Version": "1.2.3"}), 201).Body
	if str(rel, "ChannelId") == "" || str(rel, "ProjectDeploymentProcessSnapshotId") == "" {
		t.Fatalf("release %v", rel)
	}
	must(t, do(t, s, "POST", sp+"/releases", map[string]any{"ProjectId": w.project, "Version": "1.2.3"}), 400)
	// Changing the process after the release does not change what it deploys.
	proc = must(t, do(t, s, "GET", sp+"/projects/"+w.project+"/deploymentprocesses", nil), 200).Body
	proc["Steps"] = []any{step("Deploy", "", script("Deploy", `echo "changed after the release"`))}
	must(t, do(t, s, "PUT", sp+"/projects/"+w.project+"/deploymentprocesses", proc), 200)

	dep := must(t, do(t, s, "POST", sp+"/deployments", map[string]any{"ReleaseId": str(rel, "Id"), "EnvironmentId": w.env, "TenantId": w.tenant}), 201).Body
	task := finished(t, s, str(dep, "TaskId"))
	if task["State"] != "Success" || task["Name"] != "Deploy" {
		t.Fatalf("task %v", task)
	}
	lines := detailLines(t, s, str(dep, "TaskId"))
	if !contains(lines, "Info: release=1.2.3 tenant=Acme env=Production url=https://acme.example") {
		t.Errorf("log: %s", strings.Join(lines, "\n"))
	}
	for _, bad := range []string{"wrong region", "disabled ran", "changed after the release"} {
		if contains(lines, bad) {
			t.Errorf("log has %q", bad)
		}
	}
	if list := items(t, must(t, do(t, s, "GET", sp+"/channels/"+str(rel, "ChannelId")+"/releases", nil), 200)); len(list) != 1 {
		t.Errorf("channel releases: %v", list)
	}
	got := must(t, do(t, s, "GET", sp+"/projects/"+w.project+"/releases/1.2.3", nil), 200).Body
	if str(got, "Id") != str(rel, "Id") {
		t.Errorf("release by version: %v", got)
	}
	// The command form, for the tenant by name.
	r := must(t, do(t, s, "POST", sp+"/deployments/create/tenanted/v1", map[string]any{
		"projectName": "Fleet", "releaseVersion": "1.2.3", "environmentName": "Production", "tenants": []any{"Acme"},
	}), 200).Body
	list, _ := r["DeploymentServerTasks"].([]any)
	if len(list) != 1 {
		t.Fatalf("DeploymentServerTasks %v", r)
	}
	if task := finished(t, s, str(list[0].(map[string]any), "ServerTaskId")); task["State"] != "Success" {
		t.Errorf("command deployment %v", task)
	}
}

// tarGz builds a .tar.gz of files (name -> content; names ending in .sh are
// executable).
func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		mode := int64(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			h.SetMode(0o755)
		}
		f, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload sends a package the way the Octopus CLI does.
func upload(t *testing.T, s *emulator.Server, fileName string, data []byte, query string) response {
	t.Helper()
	status, raw := emulator.UploadPackage(t, s, fileName, data, query)
	return response{Status: status, Raw: raw}
}

func TestPackagesExtractedForScripts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ext  string
		pack func(*testing.T, map[string]string) []byte
	}{{".tar.gz", tarGz}, {".zip", zipOf}} {
		t.Run(tc.ext, func(t *testing.T) {
			t.Parallel()
			s := emulatortest.New(t)
			w := newWorld(t, s)
			files := map[string]string{"bin/tool.sh": "#!/usr/bin/env bash\necho \"tool says $1\"\n", "README.txt": "version two\n"}
			if r := upload(t, s, "My.Tool.1.0.0"+tc.ext, tc.pack(t, map[string]string{"README.txt": "version one\n"}), ""); r.Status != 201 {
				t.Fatalf("upload: %d %s", r.Status, r.Raw)
			}
			if r := upload(t, s, "My.Tool.2.0.0"+tc.ext, tc.pack(t, files), ""); r.Status != 201 {
				t.Fatalf("upload: %d %s", r.Status, r.Raw)
			}
			if r := upload(t, s, "My.Tool.2.0.0"+tc.ext, tc.pack(t, files), ""); r.Status != 400 {
				t.Errorf("second upload of a version: %d %s, want 400", r.Status, r.Raw)
			}
			if r := upload(t, s, "My.Tool.2.0.0"+tc.ext, tc.pack(t, files), "?replace=true"); r.Status != 201 {
				t.Errorf("replace: %d %s", r.Status, r.Raw)
			}
			list := items(t, must(t, do(t, s, "GET", sp+"/packages?latest=true", nil), 200))
			if len(list) != 1 || str(list[0], "PackageId") != "My.Tool" || str(list[0], "Version") != "2.0.0" {
				t.Fatalf("latest packages: %v", list)
			}
			rb := w.runbook(t, s, "Use tool", step("Tool", "", script("Tool", strings.Join([]string{
				`"#{Octopus.Action.Package[tool].ExtractedPath}/bin/tool.sh" hello`,
				`cat tool/README.txt`,
				`echo "version=#{Octopus.Action.Package[tool].PackageVersion} home=$HOME pwd=$(pwd)"`,
			}, "\n"), func(a map[string]any) {
				a["Packages"] = []any{map[string]any{"Name": "tool", "PackageId": "My.Tool", "FeedId": "feeds-builtin", "Properties": map[string]any{"Extract": "True"}}}
			})))
			inPackage := w.run(t, s, w.runbook(t, s, "Script in package", step("Run", "", script("Run", "", func(a map[string]any) {
				a["Properties"] = map[string]any{
					"Octopus.Action.Script.Syntax": "Bash", "Octopus.Action.Script.ScriptSource": "Package",
					"Octopus.Action.Script.ScriptFileName": "bin/tool.sh", "Octopus.Action.Script.ScriptParameters": "from-#{Octopus.Environment.Name}",
				}
				a["Packages"] = []any{map[string]any{"Name": "", "PackageId": "My.Tool", "FeedId": "feeds-builtin"}}
			}))), false)
			taskID := w.run(t, s, rb, false)
			if task := finished(t, s, taskID); task["State"] != "Success" {
				t.Fatalf("task %v: %v", task["State"], detailLines(t, s, taskID))
			}
			if lines := detailLines(t, s, inPackage); !contains(lines, "Info: tool says from-Production") {
				t.Errorf("script in package: %s", strings.Join(lines, "\n"))
			}
			lines := detailLines(t, s, taskID)
			for _, want := range []string{"Info: tool says hello", "Info: version two", "Info: version=2.0.0"} {
				if !contains(lines, want) {
					t.Errorf("log lacks %q:\n%s", want, strings.Join(lines, "\n"))
				}
			}
			// The work folder is HOME and is gone afterwards.
			for _, l := range lines {
				if i := strings.Index(l, "home="); i >= 0 {
					home := strings.Fields(l[i+len("home="):])[0]
					if !strings.Contains(l, "pwd="+home) {
						t.Errorf("HOME is not the work folder: %s", l)
					}
					if _, err := os.Stat(home); !os.IsNotExist(err) {
						t.Errorf("work folder %s still exists (%v)", home, err)
					}
				}
			}
		})
	}
}

func TestTaskCapBoundsConcurrency(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	barrier := t.TempDir()
	w := newWorld(t, s, map[string]any{"Name": "Barrier", "Value": barrier})
	// Each task marks itself started, then waits for the release file.
	rb := w.runbook(t, s, "Wait", step("Wait", "", script("Wait", strings.Join([]string{
		`touch "#{Barrier}/started-#{Octopus.Task.Id}"`,
		`for i in $(seq 1 3000); do [ -e "#{Barrier}/release" ] && exit 0; sleep 0.01; done`,
		`exit 9`,
	}, "\n"))))
	var tasks []string
	for range 6 {
		tasks = append(tasks, w.run(t, s, rb, false))
	}
	started := func() int {
		m, err := filepath.Glob(filepath.Join(barrier, "started-*"))
		if err != nil {
			t.Fatal(err)
		}
		return len(m)
	}
	deadline := time.Now().Add(20 * time.Second)
	for started() < emulator.DefaultTaskCap {
		if time.Now().After(deadline) {
			t.Fatalf("only %d tasks started", started())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Five run and wait on the barrier: the sixth cannot have started.
	states := map[string]int{}
	for _, id := range tasks {
		states[str(must(t, do(t, s, "GET", "/api/tasks/"+id, nil), 200).Body, "State")]++
	}
	if n := started(); n != emulator.DefaultTaskCap || states["Executing"] != 5 || states["Queued"] != 1 {
		t.Fatalf("%d started, states %v; want 5 executing and 1 queued", n, states)
	}
	if err := os.WriteFile(filepath.Join(barrier, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range tasks {
		if task := finished(t, s, id); task["State"] != "Success" {
			t.Errorf("task %s: %v", id, task["State"])
		}
	}
	if n := started(); n != 6 {
		t.Errorf("%d tasks ran, want 6", n)
	}
}

func TestTaskCancelKillsTheScript(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	rb := w.runbook(t, s, "Forever", step("Loop", "", script("Loop", `echo started; while true; do sleep 0.05; done`)))
	taskID := w.run(t, s, rb, false)
	deadline := time.Now().Add(20 * time.Second)
	for !contains(detailLines(t, s, taskID), "Info: started") {
		if time.Now().After(deadline) {
			t.Fatal("the script never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	must(t, do(t, s, "POST", "/api/spaces/Spaces-1/tasks/"+taskID+"/cancel", nil), 200)
	task := finished(t, s, taskID)
	if task["State"] != "Canceled" || task["FinishedSuccessfully"] != false {
		t.Errorf("task %v", task)
	}
}

func TestTaskTimeout(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	s.SetTaskTimeout(300 * time.Millisecond)
	w := newWorld(t, s)
	rb := w.runbook(t, s, "Forever", step("Loop", "", script("Loop", `while true; do sleep 0.05; done`)))
	task := finished(t, s, w.run(t, s, rb, false))
	if task["State"] != "TimedOut" {
		t.Errorf("task %v, want TimedOut", task["State"])
	}
}

func TestTaskCancelWhileQueued(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	s.SetTaskCap(1)
	barrier := t.TempDir()
	w := newWorld(t, s, map[string]any{"Name": "Barrier", "Value": barrier})
	rb := w.runbook(t, s, "Wait", step("Wait", "", script("Wait",
		`for i in $(seq 1 3000); do [ -e "#{Barrier}/release" ] && exit 0; sleep 0.01; done; exit 9`)))
	first, second := w.run(t, s, rb, false), w.run(t, s, rb, false)
	got := must(t, do(t, s, "POST", "/api/tasks/"+second+"/cancel", nil), 200).Body
	if got["State"] != "Canceled" {
		t.Errorf("canceled queued task: %v", got["State"])
	}
	if err := os.WriteFile(filepath.Join(barrier, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if task := finished(t, s, first); task["State"] != "Success" {
		t.Errorf("first task %v", task["State"])
	}
	if task := finished(t, s, second); task["State"] != "Canceled" {
		t.Errorf("second task %v", task["State"])
	}
}

func TestPermissionsAreSpaceScoped(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	rb := w.runbook(t, s, "Hello", step("Greet", "", script("Greet", `echo hi`)))
	other := must(t, do(t, s, "POST", "/api/spaces", map[string]any{"Name": "Management", "SpaceManagersTeams": []any{"teams-administrators"}}), 201).Body
	otherID := str(other, "Id")
	userID, key, err := s.CreateUser("customer", "Customer")
	if err != nil {
		t.Fatal(err)
	}
	team := must(t, do(t, s, "POST", "/api/teams", map[string]any{"Name": "Customers", "MemberUserIds": []any{userID}, "SpaceId": "Spaces-1"}), 201).Body
	must(t, do(t, s, "POST", "/api/scopeduserroles", map[string]any{"TeamId": str(team, "Id"), "UserRoleId": "userroles-projectviewer", "SpaceId": "Spaces-1"}), 201)

	must(t, do(t, s, "GET", sp+"/projects", nil, key), 200)
	must(t, do(t, s, "GET", "/api/projects/"+w.project, nil, key), 200) // the default space
	denied := must(t, do(t, s, "GET", "/api/"+otherID+"/projects", nil, key), 403)
	if msg := str(denied.Body, "ErrorMessage"); !strings.HasPrefix(msg, "You do not have permission to perform this action. Please contact your Octopus administrator. Missing permission: ") {
		t.Errorf("403 message %q", msg)
	}
	spaces := items(t, must(t, do(t, s, "GET", "/api/spaces", nil, key), 200))
	if len(spaces) != 1 || str(spaces[0], "Id") != "Spaces-1" {
		t.Errorf("spaces the customer sees: %v", spaces)
	}
	must(t, do(t, s, "GET", "/api/spaces/"+otherID, nil, key), 403)
	// A project viewer can neither edit nor run.
	must(t, do(t, s, "POST", sp+"/environments", map[string]any{"Name": "Mine"}, key), 403)
	r := must(t, do(t, s, "POST", sp+"/runbookRuns", map[string]any{"RunbookId": rb, "EnvironmentId": w.env}, key), 403)
	if !strings.Contains(string(r.Raw), "RunbookRunCreate") {
		t.Errorf("403 does not name RunbookRunCreate: %s", r.Raw)
	}
	// A runbook consumer can run, and read the task, but not the other space's.
	must(t, do(t, s, "POST", "/api/scopeduserroles", map[string]any{"TeamId": str(team, "Id"), "UserRoleId": "userroles-runbookconsumer", "SpaceId": "Spaces-1"}), 201)
	run := must(t, do(t, s, "POST", sp+"/runbookRuns", map[string]any{"RunbookId": rb, "EnvironmentId": w.env}, key), 201).Body
	finished(t, s, str(run, "TaskId"))
	must(t, do(t, s, "GET", "/api/tasks/"+str(run, "TaskId"), nil, key), 200)
	must(t, do(t, s, "POST", sp+"/deployments", map[string]any{"ReleaseId": "Releases-1", "EnvironmentId": w.env}, key), 403)
	must(t, do(t, s, "GET", "/api/"+otherID+"/runbooks", nil, key), 403)
	// A task in the other space is invisible to the customer.
	ow := newWorldIn(t, s, otherID)
	otherRun := ow.run(t, s, ow.runbook(t, s, "Theirs", step("Greet", "", script("Greet", "echo theirs"))), false)
	finished(t, s, otherRun)
	must(t, do(t, s, "GET", "/api/tasks/"+otherRun, nil, key), 403)
	for _, task := range items(t, must(t, do(t, s, "GET", "/api/tasks", nil, key), 200)) {
		if str(task, "SpaceId") != "Spaces-1" {
			t.Errorf("the customer sees task %s of %s", str(task, "Id"), str(task, "SpaceId"))
		}
	}
	// The admin still sees everything.
	if n := len(items(t, must(t, do(t, s, "GET", "/api/spaces", nil), 200))); n != 2 {
		t.Errorf("admin sees %d spaces, want 2", n)
	}
}

func TestRunbookSnapshotTemplateAndLists(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	rb := w.runbook(t, s, "Hello", step("Greet", "", script("Greet", `echo hi`, func(a map[string]any) {
		a["Packages"] = []any{map[string]any{"Name": "", "PackageId": "octofleet", "FeedId": "feeds-builtin"}}
	})))
	tpl := must(t, do(t, s, "GET", sp+"/runbooks/"+rb+"/runbookSnapshotTemplate", nil), 200).Body
	if str(tpl, "NextNameIncrement") != "Snapshot 2" || len(tpl["Packages"].([]any)) != 1 {
		t.Errorf("snapshot template %v", tpl)
	}
	snaps := items(t, must(t, do(t, s, "GET", sp+"/projects/"+w.project+"/runbookSnapshots", nil), 200))
	if len(snaps) != 1 || str(snaps[0], "RunbookId") != rb {
		t.Errorf("project snapshots %v", snaps)
	}
	must(t, do(t, s, "GET", sp+"/projects/"+w.project+"/runbookSnapshots/v1", nil), 200)
	must(t, do(t, s, "POST", sp+"/runbookSnapshots", map[string]any{"RunbookId": rb, "Name": "v1"}), 400)
}

func TestTasksAndPackagesSurviveARestart(t *testing.T) {
	t.Parallel()
	s, state := startWithState(t)
	w := newWorld(t, s)
	pkg := tarGz(t, map[string]string{"hello.txt": "hi\n"})
	if r := upload(t, s, "hello.1.0.0.tar.gz", pkg, ""); r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	rb := w.runbook(t, s, "Hello", step("Greet", "", script("Greet", `echo "persisted line"`)))
	taskID := w.run(t, s, rb, false)
	finished(t, s, taskID)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(state); err != nil || bytes.Contains(raw, []byte("s3cr3t-value")) {
		t.Fatalf("state file: %v (or it holds a secret in the clear)", err)
	}

	s2 := emulatortest.New(t, withState(state))
	task := must(t, do(t, s2, "GET", "/api/tasks/"+taskID, nil), 200).Body
	if task["State"] != "Success" {
		t.Errorf("task after restart: %v", task["State"])
	}
	if !contains(detailLines(t, s2, taskID), "Info: persisted line") {
		t.Errorf("log after restart: %v", detailLines(t, s2, taskID))
	}
	resp, got := emulator.SendRequest(t, s2, http.MethodGet, sp+"/packages/packages-hello.1.0.0/raw", "", nil, s2.APIKey())
	if resp.StatusCode != 200 || !bytes.Equal(got, pkg) {
		t.Errorf("package after restart: %d, %d bytes, want %d bytes", resp.StatusCode, len(got), len(pkg))
	}
	// The package still runs.
	rb2 := w.runbook(t, s2, "Again", step("Read", "", script("Read", `cat hello/hello.txt`, func(a map[string]any) {
		a["Packages"] = []any{map[string]any{"Name": "hello", "PackageId": "hello", "FeedId": "feeds-builtin"}}
	})))
	id := w.run(t, s2, rb2, false)
	if task := finished(t, s2, id); task["State"] != "Success" || !contains(detailLines(t, s2, id), "Info: hi") {
		t.Errorf("run after restart: %v %v", task["State"], detailLines(t, s2, id))
	}
}

func TestCloseCancelsTasks(t *testing.T) {
	t.Parallel()
	s, state := startWithState(t)
	s.SetTaskCap(1)
	w := newWorld(t, s)
	rb := w.runbook(t, s, "Forever", step("Loop", "", script("Loop", `echo started; while true; do sleep 0.05; done`)))
	running, queued := w.run(t, s, rb, false), w.run(t, s, rb, false)
	deadline := time.Now().Add(20 * time.Second)
	for !contains(detailLines(t, s, running), "Info: started") {
		if time.Now().After(deadline) {
			t.Fatal("the script never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := emulatortest.New(t, withState(state))
	for _, id := range []string{running, queued} {
		if task := must(t, do(t, s2, "GET", "/api/tasks/"+id, nil), 200).Body; task["State"] != "Canceled" || task["IsCompleted"] != true {
			t.Errorf("task %s after close: %v", id, task["State"])
		}
	}
}

func TestBackgroundProcessesDoNotHoldTheTask(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	// The background sleep keeps stdout open far beyond finished's deadline:
	// the task ends only because the runner kills the script's process group.
	rb := w.runbook(t, s, "Leaves a child", step("Spawn", "", script("Spawn", `sleep 300 & echo "spawned"`)))
	taskID := w.run(t, s, rb, false)
	if task := finished(t, s, taskID); task["State"] != "Success" || !contains(detailLines(t, s, taskID), "Info: spawned") {
		t.Errorf("task %v: %v", task["State"], detailLines(t, s, taskID))
	}
}
