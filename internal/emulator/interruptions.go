package emulator

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Interruptions (InterruptionResource): a task that needs a person. A
// manual intervention step (action type Octopus.Manual) and, with guided
// failure on, a failed action hold their task — still Executing, with
// HasPendingInterruptions — until someone answers through the API: take
// responsibility (PUT /interruptions/{id}/responsible; only members of the
// ResponsibleTeamIds may, when set), then POST /interruptions/{id}/submit
// with the form's values: Result Proceed or Abort for a manual
// intervention, Guidance Retry, Ignore or Fail for guided failure
// (SubmitInterruptionCommand; the SDK's InterruptionService.Submit says
// only the responsible user can submit). A canceled task drops its pending
// interruption. Lists take pendingOnly and regarding (a task, deployment,
// runbook run, project, environment or tenant ID).

var interruptionsKind *Kind

// errNotPending answers an interruption already answered (the real
// server's words, OctopusDeploy/Issues #4550 and #4646).
var errNotPending = badRequest("The interruption is not pending input")

// Interruption types (InterruptionResource.Type).
const (
	interruptionManual = "ManualIntervention"
	interruptionGuided = "GuidedFailure"
)

// interruptionScopeFields are kept on the stored document for permission
// restrictions and "regarding"; they are not served.
var interruptionScopeFields = []string{"ProjectId", "EnvironmentId", "TenantId"}

func init() {
	interruptionsKind = registerKind(&Kind{
		Name:          "Interruptions",
		Segment:       "interruptions",
		ItemType:      "Interruption",
		Scope:         SpaceScoped,
		NoRoutes:      true,
		NoEvents:      true,
		TemplateQuery: "{?skip,take,regarding,pendingOnly,ids}",
		Less:          newestFirst,
		Filter: func(c *Call, d Doc) bool {
			if c.queryBool("pendingOnly", false) && !boolean(d, "IsPending") {
				return false
			}
			if r := c.QueryValue("regarding"); r != "" && !containsFold(strs(d, "RelatedDocumentIds"), r) && !strings.EqualFold(str(d, "TaskId"), r) {
				return false
			}
			return true
		},
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{
				"Submit":      self + "/submit",
				"Responsible": self + "/responsible",
				"Task":        "/api/tasks/" + str(d, "TaskId"),
			}
		},
		Present: func(d Doc) {
			for _, f := range interruptionScopeFields {
				delete(d, f)
			}
		},
	})
	addRoute(http.MethodGet, "interruptions", RouteSpace, func(c *Call) (any, error) {
		page, err := c.srv.listHandler(c, interruptionsKind)
		if err != nil {
			return nil, err
		}
		if m, ok := page.(map[string]any); ok {
			if items, ok := m["Items"].([]Doc); ok {
				for _, d := range items {
					c.srv.personalise(c, d)
				}
			}
		}
		return page, nil
	})
	addRoute(http.MethodGet, "interruptions/{id}", RouteSpace, func(c *Call) (any, error) {
		rec, err := c.srv.find(c, interruptionsKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		d := c.srv.present(interruptionsKind, rec)
		c.srv.personalise(c, d)
		return d, nil
	})
	addRoute(http.MethodGet, "interruptions/{id}/responsible", RouteSpace, func(c *Call) (any, error) {
		rec, err := c.srv.find(c, interruptionsKind, c.Param("id"))
		if err != nil {
			return nil, err
		}
		if u := c.srv.st.get(usersKind.Name, "", str(rec.doc, "ResponsibleUserId")); u != nil {
			return c.srv.present(usersKind, u), nil
		}
		return nil, nil
	})
	addRoute(http.MethodPut, "interruptions/{id}/responsible", RouteSpace, takeResponsibility)
	addRoute(http.MethodPost, "interruptions/{id}/submit", RouteSpace, submitInterruption)
}

// personalise sets the caller-relative properties of a served interruption.
func (s *Server) personalise(c *Call, d Doc) {
	d["HasResponsibility"] = strings.EqualFold(str(d, "ResponsibleUserId"), c.UserID)
	d["CanTakeResponsibility"] = boolean(d, "IsPending") && s.mayTakeResponsibility(c, d)
}

// mayTakeResponsibility: administrators, and members of a responsible team
// (anyone with InterruptionSubmit when the interruption names no team).
func (s *Server) mayTakeResponsibility(c *Call, d Doc) bool {
	g := s.callGrants(c)
	if g.admin {
		return true
	}
	teams := strs(d, "ResponsibleTeamIds")
	if len(teams) == 0 {
		return true
	}
	for _, t := range g.teams {
		if containsFold(teams, t) {
			return true
		}
	}
	return false
}

func takeResponsibility(c *Call) (any, error) {
	s := c.srv
	rec, err := s.find(c, interruptionsKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	if !boolean(rec.doc, "IsPending") {
		return nil, errNotPending
	}
	if !s.mayTakeResponsibility(c, rec.doc) {
		return nil, badRequest("Only members of the responsible teams can take responsibility for this interruption.")
	}
	rec.doc["ResponsibleUserId"] = c.UserID
	c.Changed()
	u := s.st.get(usersKind.Name, "", c.UserID)
	if u == nil {
		return nil, notFound(c.UserID)
	}
	return s.present(usersKind, u), nil
}

// interruptionAnswers routes submitted values to the task waiting for them.
type interruptionAnswers struct {
	mu    sync.Mutex
	waits map[string]chan map[string]string // by lower-cased interruption ID
}

func (s *Server) answers() *interruptionAnswers {
	return s.extension("interruptions", func() any {
		return &interruptionAnswers{waits: map[string]chan map[string]string{}}
	}).(*interruptionAnswers)
}

func submitInterruption(c *Call) (any, error) {
	s := c.srv
	rec, err := s.find(c, interruptionsKind, c.Param("id"))
	if err != nil {
		return nil, err
	}
	d := rec.doc
	if !boolean(d, "IsPending") {
		return nil, errNotPending
	}
	if !strings.EqualFold(str(d, "ResponsibleUserId"), c.UserID) {
		return nil, badRequest("You must take responsibility for this interruption before you can submit it.")
	}
	body, err := c.Body()
	if err != nil {
		return nil, err
	}
	values := map[string]string{}
	for k, v := range body {
		if text, ok := v.(string); ok {
			values[strings.ToLower(k)] = text
		}
	}
	field, allowed := "result", []string{"Proceed", "Abort"}
	if str(d, "Type") == interruptionGuided {
		field, allowed = "guidance", []string{"Fail", "Retry", "Ignore", "Exclude"}
	}
	choice := ""
	for _, a := range allowed {
		if strings.EqualFold(values[field], a) {
			choice = a
		}
	}
	if choice == "" {
		name := strings.ToUpper(field[:1]) + field[1:]
		return nil, badRequest(fmt.Sprintf("Please provide a value for %s: one of %s.", name, strings.Join(allowed, ", ")))
	}
	values[field] = choice
	formValues := map[string]any{}
	if form, ok := d["Form"].(map[string]any); ok {
		if old, ok := form["Values"].(map[string]any); ok {
			formValues = old
		}
		for _, el := range toList(form["Elements"]) {
			name := str(el.(map[string]any), "Name")
			if v, ok := values[strings.ToLower(name)]; ok {
				formValues[name] = v
			}
		}
		form["Values"] = formValues
	}
	d["IsPending"] = false
	c.Changed()
	a := s.answers()
	a.mu.Lock()
	ch := a.waits[strings.ToLower(str(d, "Id"))]
	delete(a.waits, strings.ToLower(str(d, "Id")))
	a.mu.Unlock()
	if ch != nil {
		ch <- values // buffered: the task picks it up after the lock is released
	}
	out := s.present(interruptionsKind, rec)
	s.personalise(c, out)
	return out, nil
}

// interrupt creates an interruption for a running task and waits for its
// answer (the submitted values, keys lower-cased) or the task's end.
func (r *runner) interrupt(ctx context.Context, j *job, kind, title string, form Doc, teams []string, log *activity) (map[string]string, error) {
	s := r.srv
	p := j.plan
	ch := make(chan map[string]string, 1)
	var id string
	err := s.mutate(func(c *Call) error {
		d := Doc{
			"Title": title, "Type": kind, "TaskId": j.taskID, "Form": form, "IsPending": true,
			"RelatedDocumentIds": anySlice(p.related), "ResponsibleTeamIds": anySlice(orEmpty(teams)),
			"ResponsibleUserId": nil, "CorrelationId": j.taskID + "-" + strings.ToLower(strings.ReplaceAll(title, " ", "-")),
			"IsLinkedToOtherInterruption": false, "HasResponsibility": false, "CanTakeResponsibility": false,
			"Created": s.now().Format(timeLayout),
		}
		for f, v := range p.scope {
			d[f] = v
		}
		created, err := s.create(c.InSpace(p.space), interruptionsKind, d)
		if err != nil {
			return err
		}
		id = str(created, "Id")
		a := s.answers()
		a.mu.Lock()
		a.waits[strings.ToLower(id)] = ch
		a.mu.Unlock()
		s.setPendingInterruptions(c, j.taskID, true)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create the interruption: %w", err)
	}
	log.add("Info", fmt.Sprintf("Waiting for an answer to %q (interruption %s).", title, id), s.now())
	select {
	case v := <-ch:
		if err := s.mutate(func(c *Call) error {
			s.setPendingInterruptions(c, j.taskID, false)
			return nil
		}); err != nil {
			s.log.Error("emulator task runner: save state", "task", j.taskID, "err", err)
		}
		return v, nil
	case <-ctx.Done():
		a := s.answers()
		a.mu.Lock()
		delete(a.waits, strings.ToLower(id))
		a.mu.Unlock()
		if err := s.mutate(func(c *Call) error {
			if rec := s.st.get(interruptionsKind.Name, p.space, id); rec != nil {
				rec.doc["IsPending"] = false
				c.Changed()
			}
			s.setPendingInterruptions(c, j.taskID, false)
			return nil
		}); err != nil {
			s.log.Error("emulator task runner: save state", "task", j.taskID, "err", err)
		}
		return nil, ctx.Err()
	}
}

// setPendingInterruptions sets a task's HasPendingInterruptions. Expects
// the store locked.
func (s *Server) setPendingInterruptions(c *Call, taskID string, pending bool) {
	if rec := s.st.get(tasksKind.Name, "", taskID); rec != nil {
		rec.doc["HasPendingInterruptions"] = pending
		c.Changed()
	}
}

// manualForm is the form of a manual intervention (Instructions, Notes,
// and the Proceed / Abort buttons of Result), as the real server builds it.
func manualForm(instructions string) Doc {
	return Doc{"Values": map[string]any{}, "Elements": []any{
		map[string]any{"Name": "Instructions", "IsValueRequired": false, "Control": map[string]any{"Type": "Paragraph", "Text": instructions, "ResolveLinks": false}},
		map[string]any{"Name": "Notes", "IsValueRequired": false, "Control": map[string]any{"Type": "TextArea", "Label": "Notes"}},
		map[string]any{"Name": "Result", "IsValueRequired": true, "Control": map[string]any{"Type": "SubmitButtonGroup", "Buttons": []any{
			map[string]any{"Text": "Proceed", "Value": "Proceed", "RequiresConfirmation": false},
			map[string]any{"Text": "Abort", "Value": "Abort", "RequiresConfirmation": true},
		}}},
	}}
}

// guidedForm is the form of a guided failure (Guidance: Fail, Retry,
// Ignore, Exclude).
func guidedForm(failure string) Doc {
	buttons := []any{}
	for _, b := range []string{"Fail", "Retry", "Ignore", "Exclude"} {
		buttons = append(buttons, map[string]any{"Text": b, "Value": b, "RequiresConfirmation": false})
	}
	return Doc{"Values": map[string]any{}, "Elements": []any{
		map[string]any{"Name": "Instructions", "IsValueRequired": false, "Control": map[string]any{"Type": "Paragraph", "Text": failure, "ResolveLinks": false}},
		map[string]any{"Name": "Notes", "IsValueRequired": false, "Control": map[string]any{"Type": "TextArea", "Label": "Notes"}},
		map[string]any{"Name": "Guidance", "IsValueRequired": true, "Control": map[string]any{"Type": "SubmitButtonGroup", "Buttons": buttons}},
	}}
}

// manualIntervention runs an Octopus.Manual action: it holds the task
// until Proceed (the step succeeds) or Abort (it fails).
func (r *runner) manualIntervention(ctx context.Context, j *job, a planAction, log *activity) actionResult {
	s := r.srv
	prop := func(name string) string {
		text, _ := textOf(a.props[name])
		return j.plan.vars.expand(text)
	}
	var teams []string
	for _, t := range strings.Split(prop("Octopus.Action.Manual.ResponsibleTeamIds"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			teams = append(teams, t)
		}
	}
	answer, err := r.interrupt(ctx, j, interruptionManual, a.name, manualForm(prop("Octopus.Action.Manual.Instructions")), teams, log)
	if err != nil {
		return actionResult{err: fmt.Errorf("the manual intervention %s was not answered: the task was canceled or timed out", a.name)}
	}
	if notes := answer["notes"]; notes != "" {
		log.add("Info", "Notes: "+notes, s.now())
	}
	if answer["result"] == "Abort" {
		// An abort is a failure like any other for the run conditions of
		// later steps (OctopusDeploy/docs#2580), but not one guided
		// failure asks about again (OctopusDeploy/Issues #7454).
		return actionResult{err: fmt.Errorf("the manual intervention %s was aborted", a.name), final: true}
	}
	log.add("Info", "The manual intervention "+a.name+" was approved: proceeding.", s.now())
	return actionResult{}
}
