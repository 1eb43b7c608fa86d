package emulator

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server tasks: what runbook runs and deployments become (TaskResource in
// the swagger). Tasks live in a space but are listed instance-wide at
// /api/tasks, as on the real server. Their log is a tree of activities (the
// task, then one child per step) served by /api/tasks/{id}/details
// (TaskDetailsResource) and as text by /api/tasks/{id}/raw.

var tasksKind *Kind

// taskLogsTable holds the log of each finished task ({"Id": task, "Log":
// activity tree}); running tasks keep theirs in memory (runner.go).
const taskLogsTable = "TaskLogs"

// Task states (TaskState in the swagger).
const (
	taskQueued     = "Queued"
	taskExecuting  = "Executing"
	taskCancelling = "Cancelling"
	taskSuccess    = "Success"
	taskFailed     = "Failed"
	taskCanceled   = "Canceled"
	taskTimedOut   = "TimedOut"
)

func init() {
	tasksKind = registerKind(&Kind{
		Name:          "Tasks",
		NoAll:         true, // the real server has no /all here
		Segment:       "tasks",
		IDPrefix:      "ServerTasks",
		Scope:         MixedScoped,
		ItemType:      "Task",
		NoCreate:      true,
		NoUpdate:      true,
		NoDelete:      true,
		NoEvents:      true,
		TemplateQuery: "{?skip,active,environment,tenant,runbook,project,name,node,running,states,hasPendingInterruptions,hasWarningsOrErrors,take,ids,partialName,spaces,includeSystem}",
		Filter:        taskFilter,
		// The real task list shows the newest task first.
		Less: newestFirst,
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"Web":            "/app#/" + str(d, "SpaceId") + "/tasks/" + str(d, "Id"),
				"Raw":            self + "/raw",
				"Details":        self + "/details{?verbose,tail,ranges}",
				"Cancel":         self + "/cancel",
				"Rerun":          "/api/tasks/rerun/" + str(d, "Id"),
				"QueuedBehind":   self + "/queued-behind{?skip,take}",
				"StatusMessages": self + "/status/messages",
			}
		},
	})
	addRoute(http.MethodGet, "tasks/{id}/details", RouteMixed, taskDetails)
	addRoute(http.MethodGet, "tasks/{id}/raw", RouteMixed, taskRaw)
	addRoute(http.MethodPost, "tasks/{id}/cancel", RouteMixed, taskCancel)
}

// rawResponse is a handler answer sent as-is instead of JSON (a task's text
// log, a package file). The pipeline in server.go writes it with write.
type rawResponse struct {
	ContentType string
	Body        []byte
}

// write sends the body with an explicit Content-Length.
func (r *rawResponse) write(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", r.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	w.WriteHeader(status)
	_, _ = w.Write(r.Body) // the client has gone; nothing left to tell it
}

// taskFilter applies the task list's query parameters.
func taskFilter(c *Call, d Doc) bool {
	if !c.Scoped && !c.srv.canSeeSpace(c, str(d, "SpaceId")) {
		return false // /api/tasks lists only the tasks of spaces the caller sees
	}
	if states := c.Query("states"); len(states) > 0 && !containsFold(states, str(d, "State")) {
		return false
	}
	if n := c.QueryValue("name"); n != "" && !strings.EqualFold(n, str(d, "Name")) {
		return false
	}
	if !taskMatchesName(c, d) {
		return false
	}
	completed := boolean(d, "IsCompleted")
	if c.queryBool("active", false) && completed {
		return false
	}
	if c.queryBool("running", false) && str(d, "State") != taskExecuting {
		return false
	}
	if c.queryBool("hasWarningsOrErrors", false) && !boolean(d, "HasWarningsOrErrors") {
		return false
	}
	if c.queryBool("hasPendingInterruptions", false) && !boolean(d, "HasPendingInterruptions") {
		return false
	}
	if n := c.QueryValue("node"); n != "" && !strings.EqualFold(n, str(d, "ServerNode")) {
		return false
	}
	args, _ := d["Arguments"].(map[string]any)
	for param, field := range map[string]string{"project": "ProjectId", "environment": "EnvironmentId", "tenant": "TenantId", "runbook": "RunbookId"} {
		if want := c.QueryValue(param); want != "" && !strings.EqualFold(want, str(c.srv.taskSubject(d, args), field)) {
			return false
		}
	}
	return true
}

// taskSubject returns the runbook run or deployment a task executes.
func (s *Server) taskSubject(task Doc, args map[string]any) Doc {
	space := str(task, "SpaceId")
	if id := str(args, "DeploymentId"); id != "" {
		if rec := s.st.get(deploymentsKind.Name, space, id); rec != nil {
			return rec.doc
		}
	}
	if id := str(args, "RunbookRunId"); id != "" {
		if rec := s.st.get(runbookRunsKind.Name, space, id); rec != nil {
			return rec.doc
		}
	}
	return Doc{}
}

// newTask creates a queued task in the call's space.
func (s *Server) newTask(c *Call, name, description, projectID string, args map[string]any) (Doc, error) {
	now := s.now().Format(timeLayout)
	return s.create(c, tasksKind, Doc{
		"Name":                                   name,
		"Description":                            description,
		"Arguments":                              args,
		"State":                                  taskQueued,
		"Completed":                              nil,
		"QueueTime":                              now,
		"QueueTimeExpiry":                        nil,
		"StartTime":                              nil,
		"LastUpdatedTime":                        now,
		"CompletedTime":                          nil,
		"ServerNode":                             "octofleet-emulator",
		"Duration":                               "",
		"ErrorMessage":                           "",
		"HasBeenPickedUpByProcessor":             false,
		"IsCompleted":                            false,
		"FinishedSuccessfully":                   false,
		"HasPendingInterruptions":                false,
		"CanRerun":                               false,
		"HasWarningsOrErrors":                    false,
		"UnmetPreconditions":                     nil,
		"ProjectId":                              projectID,
		"EstimatedRemainingQueueDurationSeconds": 0,
	})
}

// finishTask records a task's end state. Expects the store locked.
func (s *Server) finishTask(c *Call, taskID, state, message string, warnings bool, log *activity) {
	rec := s.st.get(tasksKind.Name, "", taskID)
	if rec == nil {
		return // deleted with its space while running
	}
	d := rec.doc
	now := s.now()
	d["State"] = state
	d["IsCompleted"] = true
	d["FinishedSuccessfully"] = state == taskSuccess
	args, _ := d["Arguments"].(map[string]any)
	d["CanRerun"] = str(args, "DeploymentId") != "" || str(args, "RunbookRunId") != "" // tasks/rerun/{id}
	d["ErrorMessage"] = message
	d["HasWarningsOrErrors"] = warnings || state != taskSuccess
	d["CompletedTime"] = now.Format(timeLayout)
	d["LastUpdatedTime"] = now.Format(timeLayout)
	// Completed is the human-readable form the real server sends.
	d["Completed"] = now.Format("Monday, 2 January 2006 3:04:05 PM -07:00")
	start := now
	if t, err := time.Parse(timeLayout, str(d, "StartTime")); err == nil {
		start = t
	} else {
		d["StartTime"] = now.Format(timeLayout)
	}
	d["Duration"] = humanDuration(now.Sub(start))
	if log != nil {
		s.st.put(taskLogsTable, &record{space: str(d, "SpaceId"), doc: Doc{"Id": taskID, "Log": log.doc(taskID)}})
	}
	c.Changed()
}

// humanDuration is how Octopus shows a task's duration ("1 second").
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "less than a second"
	case d < 2*time.Second:
		return "1 second"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	case d < 2*time.Minute:
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}

// taskFor returns the task of the {id} parameter; in a space URL it must
// belong to that space.
func taskFor(c *Call) (*record, error) {
	rec, err := c.srv.find(c, tasksKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	if c.Scoped && !strings.EqualFold(str(rec.doc, "SpaceId"), c.SpaceID) {
		return nil, notFound(c.Param("id"))
	}
	return rec, nil
}

// taskLogTree returns a task's activity tree as served: the live log of a
// running task, the stored log of a finished one.
func (s *Server) taskLogTree(task Doc) map[string]any {
	id := str(task, "Id")
	if rec := s.st.get(taskLogsTable, str(task, "SpaceId"), id); rec != nil {
		if l, ok := rec.doc["Log"].(map[string]any); ok {
			return cloneDoc(l)
		}
	}
	if j := s.tasks().job(id); j != nil {
		return j.log.doc(id)
	}
	return (&activity{Name: str(task, "Description"), Status: "Pending"}).doc(id)
}

func taskDetails(c *Call) (any, error) {
	rec, err := taskFor(c)
	if err != nil {
		return nil, err
	}
	task := c.srv.present(tasksKind, rec)
	tree := c.srv.taskLogTree(rec.doc)
	total, done := 0, 0
	for _, ch := range toList(tree["Children"]) {
		total++
		if m, ok := ch.(map[string]any); ok && isFinishedStatus(str(m, "Status")) {
			done++
		}
	}
	pct := 0
	if boolean(rec.doc, "IsCompleted") {
		pct = 100
	} else if total > 0 {
		pct = done * 100 / total
	}
	self := selfLink(tasksKind, rec.doc) + "/details"
	return Doc{
		"Id":              "details-" + str(rec.doc, "Id"),
		"Task":            task,
		"ActivityLogs":    []any{tree},
		"PhysicalLogSize": len(renderRaw(rec.doc, tree)),
		"Progress":        map[string]any{"ProgressPercentage": pct, "EstimatedTimeRemaining": ""},
		"Links":           map[string]any{"Self": self},
	}, nil
}

func isFinishedStatus(s string) bool {
	switch s {
	case "Success", "Failed", "Skipped", "Canceled", "SuccessWithWarning", "TimedOut":
		return true
	}
	return false
}

func taskRaw(c *Call) (any, error) {
	rec, err := taskFor(c)
	if err != nil {
		return nil, err
	}
	return &rawResponse{ContentType: "text/plain; charset=utf-8", Body: []byte(renderRaw(rec.doc, c.srv.taskLogTree(rec.doc)))}, nil
}

// renderRaw is the text form of a task log: a header, then every log line
// as "time  category  | text", indented by activity depth.
func renderRaw(task Doc, tree map[string]any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Task ID:        %s\n", str(task, "Id"))
	fmt.Fprintf(&b, "Related IDs:    %s\n", str(task, "SpaceId"))
	fmt.Fprintf(&b, "Task status:    %s\n", str(task, "State"))
	fmt.Fprintf(&b, "Created:        %s\n", str(task, "QueueTime"))
	fmt.Fprintf(&b, "Start:          %s\n", str(task, "StartTime"))
	fmt.Fprintf(&b, "Completed:      %s\n", str(task, "CompletedTime"))
	fmt.Fprintf(&b, "Duration:       %s\n", str(task, "Duration"))
	b.WriteString("\n")
	var walk func(a map[string]any, depth int)
	walk = func(a map[string]any, depth int) {
		indent := strings.Repeat("  ", depth)
		fmt.Fprintf(&b, "                    |%s== %s: %s ==\n", indent, str(a, "Status"), str(a, "Name"))
		for _, x := range toList(a["LogElements"]) {
			le, _ := x.(map[string]any)
			t, _ := time.Parse(timeLayout, str(le, "OccurredAt"))
			fmt.Fprintf(&b, "%s  %-8s  |%s  %s\n", t.Format("15:04:05"), str(le, "Category"), indent, str(le, "MessageText"))
		}
		for _, x := range toList(a["Children"]) {
			if ch, ok := x.(map[string]any); ok {
				walk(ch, depth+1)
			}
		}
	}
	walk(tree, 0)
	return b.String()
}

// taskCancel cancels a queued task at once; an executing one is asked to
// stop (its process group is killed) and is "Cancelling" until it has.
func taskCancel(c *Call) (any, error) {
	rec, err := taskFor(c)
	if err != nil {
		return nil, err
	}
	d := rec.doc
	if boolean(d, "IsCompleted") {
		return c.srv.present(tasksKind, rec), nil
	}
	id := str(d, "Id")
	switch c.srv.tasks().cancel(id) {
	case cancelQueued:
		log := &activity{Name: str(d, "Description"), Status: "Canceled"}
		log.add("Info", "The task was canceled before it started.", c.srv.now())
		c.srv.finishTask(c, id, taskCanceled, "The task was canceled.", false, log)
	case cancelRunning:
		d["State"] = taskCancelling
		c.Changed()
	}
	return c.srv.present(tasksKind, rec), nil
}

// activity is one node of a task log: the task, a step or an action.
type activity struct {
	mu       *sync.Mutex // the task's log lock, shared by the whole tree
	Name     string
	Status   string // Pending, Running, Success, Failed, Skipped, Canceled, SuccessWithWarning
	Started  time.Time
	Ended    time.Time
	Lines    []logLine
	Children []*activity
}

type logLine struct {
	At       time.Time
	Category string // Info, Verbose, Warning, Error, Highlight, Fatal
	Text     string
}

func (a *activity) lock() func() {
	if a.mu == nil {
		return func() {}
	}
	a.mu.Lock()
	return a.mu.Unlock
}

// add appends a log line.
func (a *activity) add(category, text string, at time.Time) {
	defer a.lock()()
	a.Lines = append(a.Lines, logLine{At: at, Category: category, Text: text})
}

// child adds a child activity sharing the tree's lock.
func (a *activity) child(name string) *activity {
	defer a.lock()()
	ch := &activity{mu: a.mu, Name: name, Status: "Pending"}
	a.Children = append(a.Children, ch)
	return ch
}

// setStatus changes the status and the start or end time.
func (a *activity) setStatus(status string, at time.Time) {
	defer a.lock()()
	a.Status = status
	if status == "Running" {
		a.Started = at
	} else if isFinishedStatus(status) {
		a.Ended = at
		if a.Started.IsZero() {
			a.Started = at
		}
	}
}

// doc renders the tree as ActivityElement documents.
func (a *activity) doc(id string) map[string]any {
	defer a.lock()()
	return a.render(id)
}

func (a *activity) render(id string) map[string]any {
	timeOrNil := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(timeLayout)
	}
	lines := make([]any, 0, len(a.Lines))
	for i, l := range a.Lines {
		lines = append(lines, map[string]any{
			"OccurredAt": l.At.UTC().Format(timeLayout), "Category": l.Category, "MessageText": l.Text,
			"Detail": nil, "Number": i + 1,
		})
	}
	children := make([]any, 0, len(a.Children))
	for i, ch := range a.Children {
		children = append(children, ch.render(fmt.Sprintf("%s_%d", id, i+1)))
	}
	return map[string]any{
		"Id": id, "Name": a.Name, "Status": a.Status, "Started": timeOrNil(a.Started), "Ended": timeOrNil(a.Ended),
		"ShowAtSummaryLevel": true, "LogElements": lines, "Children": children,
		"ProgressPercentage": 0, "ProgressMessage": nil,
	}
}
