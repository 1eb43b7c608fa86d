package emulator

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// More task routes: the task types (TaskTypeResource), the tasks a queued
// task waits behind, a task's status messages (why it is waiting), and
// rerun (a finished deployment or runbook run again, as a new one of the
// same release or snapshot, environment and tenant).

func init() {
	addRoute(http.MethodGet, "tasks/tasktypes", RouteSystem, func(c *Call) (any, error) {
		out := []any{}
		for _, tt := range [][2]string{{"Deploy", "Deploy"}, {"RunbookRun", "Runbook run"}} {
			out = append(out, Doc{"Id": tt[0], "Name": tt[1], "Links": map[string]any{}})
		}
		return out, nil
	})
	addRoute(http.MethodGet, "tasks/{id}/queued-behind", RouteMixed, queuedBehind)
	addRoute(http.MethodGet, "tasks/{id}/status/messages", RouteMixed, taskStatusMessages)
	addRoute(http.MethodPost, "tasks/rerun/{id}", RouteMixed, rerunTask)
}

// queuedBehind lists the unfinished tasks queued before a queued task, the
// oldest first.
func queuedBehind(c *Call) (any, error) {
	s := c.srv
	rec, err := taskFor(c)
	if err != nil {
		return nil, err
	}
	items := []Doc{}
	if str(rec.doc, "State") == taskQueued {
		var ahead []*record
		for _, t := range s.st.all(tasksKind.Name) {
			if boolean(t.doc, "IsCompleted") || idNumber(str(t.doc, "Id")) >= idNumber(str(rec.doc, "Id")) {
				continue
			}
			if s.visible(c, tasksKind, t) {
				ahead = append(ahead, t)
			}
		}
		sort.SliceStable(ahead, func(i, j int) bool { return idNumber(str(ahead[i].doc, "Id")) < idNumber(str(ahead[j].doc, "Id")) })
		for _, t := range ahead {
			items = append(items, s.present(tasksKind, t))
		}
	}
	return s.page(c, tasksKind.ItemType, "tasks/"+str(rec.doc, "Id")+"/queued-behind", "{?skip,take}", items)
}

// taskStatusMessages says why a task is not moving: queued behind others
// or waiting for an interruption's answer.
func taskStatusMessages(c *Call) (any, error) {
	s := c.srv
	rec, err := taskFor(c)
	if err != nil {
		return nil, err
	}
	msgs := []any{}
	id := str(rec.doc, "Id")
	switch {
	case str(rec.doc, "State") == taskQueued:
		ahead := 0
		for _, t := range s.st.all(tasksKind.Name) {
			if !boolean(t.doc, "IsCompleted") && idNumber(str(t.doc, "Id")) < idNumber(id) {
				ahead++
			}
		}
		msgs = append(msgs, Doc{"Id": id + "-queued", "Category": "Info", "Title": "Queued",
			"Message": fmt.Sprintf("The task is waiting for a free task slot; %d unfinished task(s) were queued before it.", ahead)})
	case boolean(rec.doc, "HasPendingInterruptions"):
		msgs = append(msgs, Doc{"Id": id + "-interruption", "Category": "Info", "Title": "Waiting for an interruption",
			"Message": "The task is waiting for someone to answer its interruption."})
	}
	return Doc{"Messages": msgs}, nil
}

// rerunTask starts a finished deployment or runbook run again. The new
// execution is checked like any other (permissions, lifecycle).
func rerunTask(c *Call) (any, error) {
	s := c.srv
	rec, err := s.find(c, tasksKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	task := rec.doc
	if !boolean(task, "IsCompleted") {
		return nil, badRequest(fmt.Sprintf("The task '%s' has not finished: only a finished task can be run again.", str(task, "Id")))
	}
	args, _ := task["Arguments"].(map[string]any)
	sub := s.taskSubject(task, args)
	if len(sub) == 0 {
		return nil, badRequest(fmt.Sprintf("The task '%s' cannot be run again.", str(task, "Id")))
	}
	in := c.InSpace(str(task, "SpaceId"))
	var created Doc
	if str(args, "DeploymentId") != "" {
		created, err = s.create(in, deploymentsKind, Doc{"ReleaseId": sub["ReleaseId"], "EnvironmentId": sub["EnvironmentId"],
			"TenantId": sub["TenantId"], "FormValues": sub["FormValues"], "UseGuidedFailure": sub["UseGuidedFailure"]})
	} else {
		created, err = s.create(in, runbookRunsKind, Doc{"RunbookId": sub["RunbookId"], "RunbookSnapshotId": sub["RunbookSnapshotId"],
			"EnvironmentId": sub["EnvironmentId"], "TenantId": sub["TenantId"], "FormValues": sub["FormValues"], "UseGuidedFailure": sub["UseGuidedFailure"]})
	}
	if err != nil {
		return nil, err
	}
	next := s.st.get(tasksKind.Name, "", str(created, "TaskId"))
	if next == nil {
		return nil, fmt.Errorf("rerun %s: the new task is missing", str(task, "Id"))
	}
	return s.present(tasksKind, next), nil
}

// taskMatchesName is the task list's partialName: part of the task's
// description or name.
func taskMatchesName(c *Call, d Doc) bool {
	p := strings.ToLower(c.QueryValue("partialName"))
	return p == "" || strings.Contains(strings.ToLower(str(d, "Description")), p) || strings.Contains(strings.ToLower(str(d, "Name")), p)
}
