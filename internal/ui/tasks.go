package ui

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/octofleet/octofleet/steps"
)

// taskRow is one line of the task list: an Octopus task (from the cache),
// with the UI job that started it when there is one, or a job whose task
// has not started yet.
type taskRow struct {
	Instance, SpaceName, TaskID, Name, Description, State, Tenant, User string
	JobID                                                               int64
	Queued, Completed                                                   time.Time
}

type taskQuery struct {
	State, Instance, Tenant string
}

// taskRows lists what the user may see, newest first. A tenant-scoped
// user sees only the jobs of its tenants (a task list row of Octopus does
// not say which tenant it is for).
func (s *Server) taskRows(ctx context.Context, u *User, q taskQuery) []taskRow {
	jobs, err := s.store.Jobs(ctx, JobFilter{Limit: 1000})
	if err != nil {
		s.log.Error("list jobs: " + err.Error())
	}
	byTask := map[string]Job{}
	var rows []taskRow
	for _, j := range jobs {
		if j.Kind == KindCreateRelease {
			continue
		}
		if j.TaskID != "" {
			byTask[j.Instance+"/"+j.TaskID] = j
			continue
		}
		if s.jobVisible(u, j) {
			rows = append(rows, taskRow{Instance: j.Instance, SpaceName: j.SpaceName, Description: j.Describe(), State: j.State,
				Tenant: j.TenantName, User: j.User, JobID: j.ID, Queued: j.Created})
		}
	}
	for _, v := range s.visibleInstances(u) {
		spaces := map[string]string{}
		for _, sp := range v.Spaces {
			spaces[sp.ID] = sp.Name
		}
		seen := map[string]bool{}
		add := func(t taskRow, j Job, ok bool) {
			if ok {
				// A task the UI started reads as what was asked, whether
				// or not the cache has read the task yet.
				t.JobID, t.Tenant, t.User, t.Description = j.ID, j.TenantName, j.User, j.Describe()
			}
			if u.TenantScoped() && (!ok || !u.SeesTenant(j.TenantName)) {
				return
			}
			seen[t.TaskID] = true
			rows = append(rows, t)
		}
		for _, t := range v.RecentTasks {
			if _, ok := spaces[t.SpaceID]; !ok {
				continue
			}
			j, ok := byTask[v.Name+"/"+t.ID]
			add(taskRow{Instance: v.Name, SpaceName: spaces[t.SpaceID], TaskID: t.ID, Name: t.Name, Description: t.Description,
				State: t.State, Queued: t.QueueTime, Completed: t.CompletedTime}, j, ok)
		}
		// Jobs whose task is newer than the cache's list, or older.
		for _, j := range byTask {
			if j.Instance == v.Name && !seen[j.TaskID] && s.jobVisible(u, j) {
				st := j.TaskState
				if st == "" {
					st = j.State
				}
				add(taskRow{Instance: v.Name, SpaceName: j.SpaceName, TaskID: j.TaskID, Description: j.Describe(), State: st,
					Queued: j.Created, Completed: j.Finished}, j, true)
			}
		}
	}
	out := rows[:0]
	for _, r := range rows {
		if (q.State == "" || strings.EqualFold(r.State, q.State)) && (q.Instance == "" || r.Instance == q.Instance) &&
			(q.Tenant == "" || strings.EqualFold(r.Tenant, q.Tenant)) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Queued.After(out[j].Queued) })
	return out
}

// jobVisible: the job's instance, space and tenant are in the user's scope.
func (s *Server) jobVisible(u *User, j Job) bool {
	return u.SeesSpace(j.Instance, j.SpaceName) && (j.TenantName == "" && !u.TenantScoped() || j.TenantName != "" && u.SeesTenant(j.TenantName)) &&
		(j.EnvironmentName == "" || u.SeesEnvironment(j.EnvironmentName))
}

func (s *Server) tasks(rc *reqCtx) {
	q := taskQuery{State: rc.r.URL.Query().Get("state"), Instance: rc.r.URL.Query().Get("instance"), Tenant: rc.r.URL.Query().Get("tenant")}
	rows, pg := paginate(s.taskRows(rc.r.Context(), rc.user, q), rc.r, "page")
	var names []string
	for _, v := range s.visibleInstances(rc.user) {
		names = append(names, v.Name)
	}
	s.render(rc.w, http.StatusOK, "tasks", rc.page("Tasks", map[string]any{"Rows": rows, "Pager": pg, "Q": q, "Instances": names,
		"States": []string{"Queued", "Executing", "Success", "Failed", "Canceled", "TimedOut", JobQueued, JobFailed, JobInterrupted}}))
}

// taskAccess finds the task and checks the user may see it: a task the UI
// started is seen by whoever sees its job; any other by users without a
// tenant scope who see its space.
func (s *Server) taskAccess(rc *reqCtx, instance, taskID string) (*Job, steps.Task, bool) {
	u := rc.user
	if !u.SeesInstance(instance) {
		s.deny(rc.r.Context(), u, "scope", "task "+instance+"/"+taskID)
		s.fail(rc, http.StatusForbidden, "You cannot see this instance.")
		return nil, steps.Task{}, false
	}
	var job *Job
	if jobs, err := s.store.Jobs(rc.r.Context(), JobFilter{Limit: 5000}); err == nil {
		for _, j := range jobs {
			if j.Instance == instance && j.TaskID == taskID {
				job = &j
			}
		}
	}
	if u.TenantScoped() && (job == nil || !s.jobVisible(u, *job)) {
		s.deny(rc.r.Context(), u, "scope", "task "+instance+"/"+taskID)
		s.fail(rc, http.StatusForbidden, "You cannot see this task.")
		return nil, steps.Task{}, false
	}
	tl, err := s.cache.taskDetails(rc.r.Context(), instance, taskID)
	if err != nil {
		s.fail(rc, http.StatusBadGateway, "Reading the task failed: "+err.Error())
		return nil, steps.Task{}, false
	}
	v, _ := s.cache.instance(instance)
	if name := v.SpaceName(tl.task.SpaceID); !u.SeesSpace(instance, name) {
		s.deny(rc.r.Context(), u, "scope", "task "+instance+"/"+taskID)
		s.fail(rc, http.StatusForbidden, "You cannot see this task's space.")
		return nil, steps.Task{}, false
	}
	return job, tl.task, true
}

func (s *Server) taskPage(rc *reqCtx) {
	instance, taskID := rc.r.PathValue("instance"), rc.r.PathValue("task")
	job, task, ok := s.taskAccess(rc, instance, taskID)
	if !ok {
		return
	}
	s.render(rc.w, http.StatusOK, "task", rc.page(task.Description, map[string]any{"Instance": instance, "Task": task, "Job": job,
		"CanCancel": rc.user.AtLeast(RoleOperator) && !task.IsCompleted}))
}

// taskEvents streams the task's log as server-sent events: "line" per new
// log line, "state" when the state changes, "end" once it completed.
// Octopus has no push API: the lines come from polling the task's details
// (shared by every viewer of the task through the cache).
func (s *Server) taskEvents(rc *reqCtx) {
	instance, taskID := rc.r.PathValue("instance"), rc.r.PathValue("task")
	if _, _, ok := s.taskAccess(rc, instance, taskID); !ok {
		return
	}
	w := rc.w
	fl, ok := w.(http.Flusher)
	if !ok {
		s.fail(rc, http.StatusInternalServerError, "streaming is not supported")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sent := map[string]bool{}
	state := ""
	ctx := rc.r.Context()
	for {
		tl, err := s.cache.taskDetails(ctx, instance, taskID)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			fmt.Fprintf(w, "event: problem\ndata: %s\n\n", oneLine(err.Error()))
		} else {
			for _, l := range tl.lines {
				k := l.Activity + "#" + strconv.Itoa(l.Number)
				if sent[k] {
					continue
				}
				sent[k] = true
				fmt.Fprintf(w, "event: line\ndata: %s\n\n", oneLine(l.Category+": "+l.Text))
			}
			if tl.task.State != state {
				state = tl.task.State
				fmt.Fprintf(w, "event: state\ndata: %s\n\n", state)
			}
			if tl.task.IsCompleted {
				fmt.Fprintf(w, "event: end\ndata: %s\n\n", state)
				fl.Flush()
				return
			}
		}
		fl.Flush()
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.logPoll):
		}
	}
}

func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

func (s *Server) cancelTask(rc *reqCtx) {
	instance, taskID := rc.r.PathValue("instance"), rc.r.PathValue("task")
	job, task, ok := s.taskAccess(rc, instance, taskID)
	if !ok {
		return
	}
	oct, err := s.client(rc.r.Context(), instance)
	if err == nil {
		err = oct.CancelTask(rc.r.Context(), taskID)
	}
	e := AuditEntry{At: s.now(), User: rc.user.Name, Action: "cancel", Instance: instance, Detail: task.Description, Outcome: "ok"}
	if job != nil {
		e.JobID = job.ID
	}
	if err != nil {
		e.Outcome = "failed: " + err.Error()
	}
	if aerr := s.store.AddAudit(rc.r.Context(), e); aerr != nil {
		s.log.Error("audit log: " + aerr.Error())
	}
	if err != nil {
		s.fail(rc, http.StatusBadGateway, "Cancel failed: "+err.Error())
		return
	}
	s.cache.invalidate("log/" + instance + "/" + taskID)
	http.Redirect(rc.w, rc.r, "/tasks/"+instance+"/"+taskID, http.StatusSeeOther)
}

func (s *Server) jobPage(rc *reqCtx) {
	id, err := strconv.ParseInt(rc.r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(rc, http.StatusNotFound, "No such job.")
		return
	}
	j, err := s.store.Job(rc.r.Context(), id)
	if err != nil {
		s.fail(rc, http.StatusNotFound, "No such job.")
		return
	}
	if j.User != rc.user.Name && !s.jobVisible(rc.user, j) {
		s.deny(rc.r.Context(), rc.user, "scope", fmt.Sprintf("job %d", id))
		s.fail(rc, http.StatusForbidden, "You cannot see this job.")
		return
	}
	p := rc.page(j.Describe(), map[string]any{"Job": j, "CanCancel": rc.user.AtLeast(RoleOperator) && j.State == JobRunning})
	if !j.Ended() && j.TaskID == "" {
		p.Refresh = 1
	}
	s.render(rc.w, http.StatusOK, "job", p)
}

func (s *Server) auditPage(rc *reqCtx) {
	who := rc.user.Name
	if rc.user.AtLeast(RoleAdmin) {
		who = ""
	}
	entries, err := s.store.Audit(rc.r.Context(), who, 500)
	if err != nil {
		s.fail(rc, http.StatusInternalServerError, "Reading the audit log failed.")
		return
	}
	rows, pg := paginate(entries, rc.r, "page")
	s.render(rc.w, http.StatusOK, "audit", rc.page("Audit log", map[string]any{"Entries": rows, "Pager": pg, "All": who == ""}))
}
