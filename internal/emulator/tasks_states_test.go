package emulator_test

import (
	"strings"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// A task's life: Queued, then Executing while its script runs (the log
// growing as it does), then an end state; a script process that dies ends
// the task Failed.

func TestTaskStatesAndGrowingLog(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	s.SetTaskCap(1)
	barrier := t.TempDir()
	w := newWorld(t, s, map[string]any{"Name": "Barrier", "Value": barrier})
	rb := w.runbook(t, s, "Slow", step("Slow", "", script("Slow", strings.Join([]string{
		`echo first`,
		`for i in $(seq 1 3000); do [ -e "#{Barrier}/go" ] && break; sleep 0.01; done`,
		`echo second`,
	}, "\n"))))
	first, second := w.run(t, s, rb, false), w.run(t, s, rb, false)
	waitFor(t, func() bool { return contains(detailLines(t, s, first), "Info: first") })
	state := func(id string) string { return str(must(t, do(t, s, "GET", "/api/tasks/"+id, nil), 200).Body, "State") }
	if got, want := state(first)+"/"+state(second), "Executing/Queued"; got != want {
		t.Fatalf("states %s, want %s", got, want)
	}
	if contains(detailLines(t, s, first), "Info: second") {
		t.Fatal("the log has the second line before the script wrote it")
	}
	running := items(t, must(t, do(t, s, "GET", "/api/tasks?states=Executing,Queued", nil), 200))
	if len(running) != 2 {
		t.Errorf("%d tasks Executing or Queued, want 2", len(running))
	}
	mustWrite(t, barrier+"/go")
	for _, id := range []string{first, second} {
		if task := finished(t, s, id); task["State"] != "Success" {
			t.Errorf("task %s %v", id, task["State"])
		}
	}
	if !contains(detailLines(t, s, first), "Info: second") {
		t.Error("the finished log lacks the second line")
	}
	if n := len(items(t, must(t, do(t, s, "GET", "/api/tasks?states=Success", nil), 200))); n != 2 {
		t.Errorf("%d tasks Success, want 2", n)
	}
}

func TestTaskWhoseProcessDiesFails(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	w := newWorld(t, s)
	rb := w.runbook(t, s, "Dies", step("Dies", "", script("Dies", `echo before; kill -9 $$; echo after`)))
	id := w.run(t, s, rb, false)
	task := finished(t, s, id)
	if task["State"] != "Failed" || task["FinishedSuccessfully"] != false {
		t.Fatalf("task %v %v", task["State"], task["FinishedSuccessfully"])
	}
	lines := detailLines(t, s, id)
	if !contains(lines, "the script process died") || contains(lines, "Info: after") {
		t.Errorf("log: %s", strings.Join(lines, "\n"))
	}
}

// waitFor polls cond for up to 20 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
