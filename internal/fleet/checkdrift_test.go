package fleet

import (
	"testing"
	"time"

	"github.com/octofleet/octofleet/steps"
)

// TestDriftStatus: the recorded drift holds while the last Check Drift run
// is the one that recorded it; a later run that failed without recording is
// an error, one still going is running, one that succeeded is in line.
func TestDriftStatus(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	later := at.Add(24 * time.Hour)
	rec := DriftState{Drifted: DriftedTrue, Changes: "2", Checked: at.Format(time.RFC3339), Task: "ServerTasks-1"}
	for _, c := range []struct {
		name string
		rec  DriftState
		last LastRun
		want DriftStatus
	}{
		{"never", DriftState{}, LastRun{}, DriftStatus{State: DriftNotChecked}},
		{"recorded, no run read", rec, LastRun{}, DriftStatus{State: DriftDrifted, Changes: "2", When: at, TaskID: "ServerTasks-1"}},
		{"recorded by the last run", rec, LastRun{State: steps.TaskFailed, When: at, TaskID: "ServerTasks-1"}, DriftStatus{State: DriftDrifted, Changes: "2", When: at, TaskID: "ServerTasks-1"}},
		{"later run failed", rec, LastRun{State: steps.TaskFailed, When: later, TaskID: "ServerTasks-9"}, DriftStatus{State: DriftError, When: later, TaskID: "ServerTasks-9", Detail: "the Check Drift run did not record a result: see the task log"}},
		{"later run going", rec, LastRun{State: "Executing", When: later, TaskID: "ServerTasks-9"}, DriftStatus{State: DriftRunning, When: later, TaskID: "ServerTasks-9"}},
		{"later run succeeded", rec, LastRun{State: steps.TaskSuccess, When: later, TaskID: "ServerTasks-9"}, DriftStatus{State: DriftInLine, When: later, TaskID: "ServerTasks-9"}},
		{"error recorded", DriftState{Drifted: DriftedError, Changes: "0", Task: "ServerTasks-3"}, LastRun{State: steps.TaskFailed, TaskID: "ServerTasks-3"}, DriftStatus{State: DriftError, Changes: "0", TaskID: "ServerTasks-3", Detail: "the check failed: see the task log"}},
	} {
		if got := driftStatus(c.rec, c.last); got != c.want {
			t.Errorf("%s: driftStatus = %+v, want %+v", c.name, got, c.want)
		}
	}
}
