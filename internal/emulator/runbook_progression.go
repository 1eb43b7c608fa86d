package emulator

import (
	"net/http"
	"sort"
	"strings"
)

// Runbook dashboards: GET progression/runbooks/{runbookId}
// (RunbooksProgressionResource: the environments the runbook may run in and
// its runs per environment, the newest first) and GET
// progression/runbooks/taskRuns (a page of RunbooksDashboardItemResource,
// filtered by projectIds, runbookIds, environmentIds, tenantIds, taskIds).

func init() {
	addRoute(http.MethodGet, "progression/runbooks/{runbookId}", RouteSpace, runbookProgression)
	addRoute(http.MethodGet, "progression/runbooks/taskRuns", RouteSpace, runbookTaskRuns)
}

// runbookRunItem is a RunbooksDashboardItemResource for a runbook run.
func (s *Server) runbookRunItem(space string, run Doc) Doc {
	task := Doc{}
	if t := s.st.get(tasksKind.Name, "", str(run, "TaskId")); t != nil {
		task = t.doc
	}
	snapName, snapNotes := "", any(nil)
	if snap := s.st.get(runbookSnapshotsKind.Name, space, str(run, "RunbookSnapshotId")); snap != nil {
		snapName, snapNotes = str(snap.doc, "Name"), snap.doc["Notes"]
	}
	var tenant any
	if id := str(run, "TenantId"); id != "" {
		tenant = id
	}
	return Doc{
		"Id": run["Id"], "RunbookId": run["RunbookId"], "ProjectId": run["ProjectId"], "EnvironmentId": run["EnvironmentId"],
		"TenantId": tenant, "RunbookSnapshotId": run["RunbookSnapshotId"], "RunbookSnapshotName": snapName,
		"RunbookSnapshotNotes": snapNotes, "RunName": run["Name"], "RunBy": run["DeployedBy"], "TaskId": run["TaskId"],
		"State": task["State"], "Created": run["Created"], "QueueTime": task["QueueTime"], "StartTime": task["StartTime"],
		"CompletedTime": task["CompletedTime"], "Duration": task["Duration"], "ErrorMessage": task["ErrorMessage"],
		"HasPendingInterruptions": boolean(task, "HasPendingInterruptions"), "HasWarningsOrErrors": boolean(task, "HasWarningsOrErrors"),
		"IsCompleted": boolean(task, "IsCompleted"), "GitReference": nil, "LastModifiedBy": nil, "LastModifiedOn": nil,
		"Links": map[string]any{"Self": selfLink(runbookRunsKind, run), "Task": "/api/tasks/" + str(run, "TaskId")},
	}
}

// visibleRuns are the runbook runs of the space the caller may view, the
// newest first.
func (s *Server) visibleRuns(c *Call, keep func(Doc) bool) []Doc {
	var out []Doc
	for _, rec := range s.st.all(runbookRunsKind.Name) {
		if strings.EqualFold(rec.space, c.SpaceID) && keep(rec.doc) && s.visible(c, runbookRunsKind, rec) {
			out = append(out, rec.doc)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return newestFirst(out[i], out[j]) })
	return out
}

func runbookProgression(c *Call) (any, error) {
	s := c.srv
	rb, err := s.find(c, runbooksKind, c.Param("runbookId"))
	if err != nil {
		return nil, err
	}
	space := c.SpaceID
	envs := []any{}
	for _, rec := range s.st.all(environmentsKind.Name) {
		e := rec.doc
		if !strings.EqualFold(rec.space, space) || !s.permitted(c, "EnvironmentView", space, s.scopeOf(space, environmentsKind, e)) {
			continue
		}
		if strings.EqualFold(str(rb.doc, "EnvironmentScope"), "Specified") && !containsFold(strs(rb.doc, "Environments"), str(e, "Id")) {
			continue
		}
		envs = append(envs, Doc{"Id": e["Id"], "Name": e["Name"]})
	}
	runs := map[string]any{}
	for _, r := range s.visibleRuns(c, func(d Doc) bool { return strings.EqualFold(str(d, "RunbookId"), str(rb.doc, "Id")) }) {
		env := str(r, "EnvironmentId")
		list, _ := runs[env].([]any)
		runs[env] = append(list, s.runbookRunItem(space, r))
	}
	return Doc{"Id": "progression-" + str(rb.doc, "Id"), "Environments": envs, "RunbookRuns": runs,
		"LastModifiedBy": nil, "LastModifiedOn": nil,
		"Links": map[string]any{"Self": c.Prefix + "/progression/runbooks/" + str(rb.doc, "Id")}}, nil
}

func runbookTaskRuns(c *Call) (any, error) {
	s := c.srv
	filters := map[string][]string{"ProjectId": c.Query("projectIds"), "RunbookId": c.Query("runbookIds"),
		"EnvironmentId": c.Query("environmentIds"), "TenantId": c.Query("tenantIds"), "TaskId": c.Query("taskIds")}
	items := []Doc{}
	for _, r := range s.visibleRuns(c, func(d Doc) bool {
		for field, want := range filters {
			if len(want) > 0 && !containsFold(want, str(d, field)) {
				return false
			}
		}
		return true
	}) {
		items = append(items, s.runbookRunItem(c.SpaceID, r))
	}
	return s.page(c, "RunbooksDashboardItem", "progression/runbooks/taskRuns",
		"{?skip,take,projectIds,runbookIds,environmentIds,tenantIds,taskIds}", items)
}
