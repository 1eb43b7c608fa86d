package emulator_test

import (
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

func TestTaskRoutes(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	s.SetTaskCap(1)
	barrier := t.TempDir()
	w := newWorld(t, s, map[string]any{"Name": "Barrier", "Value": barrier})
	rb := w.runbook(t, s, "Wait", step("Wait", "", script("Wait",
		`for i in $(seq 1 3000); do [ -e "#{Barrier}/go" ] && exit 0; sleep 0.01; done; exit 9`)))
	first, second := w.run(t, s, rb, false), w.run(t, s, rb, false)
	waitFor(t, func() bool {
		return str(must(t, do(t, s, "GET", "/api/tasks/"+first, nil), 200).Body, "State") == "Executing"
	})

	behind := items(t, must(t, do(t, s, "GET", "/api/tasks/"+second+"/queued-behind", nil), 200))
	if len(behind) != 1 || str(behind[0], "Id") != first {
		t.Errorf("queued behind %v, want [%s]", behind, first)
	}
	if n := len(items(t, must(t, do(t, s, "GET", "/api/tasks/"+first+"/queued-behind", nil), 200))); n != 0 {
		t.Errorf("an executing task is queued behind %d", n)
	}
	msgs := must(t, do(t, s, "GET", sp+"/tasks/"+second+"/status/messages", nil), 200).Body
	if list := toAnyList(msgs["Messages"]); len(list) != 1 || str(list[0].(map[string]any), "Title") != "Queued" {
		t.Errorf("status messages %v", msgs)
	}
	mustWrite(t, barrier+"/go")
	finished(t, s, first)
	done := finished(t, s, second)
	if done["CanRerun"] != true {
		t.Errorf("finished run CanRerun %v", done["CanRerun"])
	}
	must(t, do(t, s, "POST", "/api/tasks/rerun/"+first, nil), 200)
	again := must(t, do(t, s, "POST", "/api/tasks/rerun/"+second, nil), 200).Body
	if str(again, "Id") == second || str(again, "Description") != str(done, "Description") {
		t.Errorf("rerun %v", again)
	}
	if task := finished(t, s, str(again, "Id")); task["State"] != "Success" {
		t.Errorf("rerun task %v", task["State"])
	}
	if n := len(items(t, must(t, do(t, s, "GET", sp+"/runbookRuns?runbooks="+rb, nil), 200))); n != 4 {
		t.Errorf("%d runs after two reruns, want 4", n)
	}

	// Filters and types.
	if got := items(t, must(t, do(t, s, "GET", "/api/tasks?partialName=run+wait", nil), 200)); len(got) != 4 {
		t.Errorf("partialName matched %d tasks", len(got))
	}
	if got := items(t, must(t, do(t, s, "GET", "/api/tasks?partialName=nothing-like-it", nil), 200)); len(got) != 0 {
		t.Errorf("partialName matched %d tasks", len(got))
	}
	types := must(t, do(t, s, "GET", "/api/tasks/tasktypes", nil), 200).Array
	if len(types) == 0 {
		t.Error("no task types")
	}

	// The runbook's dashboard.
	prog := must(t, do(t, s, "GET", sp+"/progression/runbooks/"+rb, nil), 200).Body
	runs := toAnyList(prog["RunbookRuns"].(map[string]any)[w.env])
	if len(runs) != 4 || str(runs[0].(map[string]any), "State") != "Success" || str(runs[0].(map[string]any), "RunName") != "Wait" {
		t.Errorf("runbook progression %v", prog)
	}
	page := must(t, do(t, s, "GET", sp+"/progression/runbooks/taskRuns?taskIds="+first, nil), 200)
	if got := items(t, page); len(got) != 1 || str(got[0], "TaskId") != first {
		t.Errorf("task runs %v", got)
	}

	// A lifecycle without phases previews one phase per environment.
	preview := must(t, do(t, s, "GET", sp+"/lifecycles/"+w.lifecycle+"/preview", nil), 200).Body
	var names []string
	for _, p := range toAnyList(preview["Phases"]) {
		names = append(names, str(p.(map[string]any), "Name"))
	}
	if strings.Join(names, ",") != "Production" {
		t.Errorf("previewed phases %v", names)
	}
	if list := must(t, do(t, s, "GET", sp+"/lifecycles/previews?ids="+w.lifecycle, nil), 200).Array; len(list) != 1 {
		t.Errorf("previews %v", list)
	}
}
