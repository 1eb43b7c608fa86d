package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// KindRunbookTrigger is a project's scheduled runbook trigger.
const KindRunbookTrigger = "runbook trigger"

// DriftTriggerName is the name of the trigger install --drift-schedule
// keeps: it runs the drift runbook for every tenant on a cron schedule.
const DriftTriggerName = "Scheduled drift check"

// DriftTimezone is the time zone of the drift schedule.
const DriftTimezone = "UTC"

// ProjectTrigger is a project trigger that runs a runbook on a cron
// schedule: Filter CronExpressionSchedule (CronExpression, Timezone) and
// Action RunRunbook (RunbookId, EnvironmentIds, TenantIds, TenantTags).
type ProjectTrigger struct {
	ID             string
	Name           string
	Description    string
	ProjectID      string
	IsDisabled     bool
	CronExpression string
	Timezone       string
	RunbookID      string
	EnvironmentIDs []string
	TenantIDs      []string
	TenantTags     []string
	// Other is set for a trigger of another shape (another filter or
	// action type): its schedule fields are then empty.
	Other string
}

// TriggerOctopus is what install needs for the drift schedule.
type TriggerOctopus interface {
	// ProjectTriggers returns every project trigger in the space.
	ProjectTriggers(ctx context.Context, spaceID string) ([]ProjectTrigger, error)
	// CreateProjectTrigger adds a scheduled runbook trigger.
	CreateProjectTrigger(ctx context.Context, spaceID string, t ProjectTrigger) (ProjectTrigger, error)
	// UpdateProjectTrigger replaces the schedule, action and settings of the
	// trigger t.ID; properties it does not own are kept.
	UpdateProjectTrigger(ctx context.Context, spaceID string, t ProjectTrigger) (ProjectTrigger, error)
}

// cronFields are the fields of an Octopus cron expression, in order, with
// their ranges and names.
var cronFields = []struct {
	name     string
	min, max int
	names    []string // names for min, min+1, …
}{
	{name: "second", max: 59},
	{name: "minute", max: 59},
	{name: "hour", max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day of week", max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

// NormalizeCron checks a cron expression and returns it in the form Octopus
// stores: six fields, seconds first ("0 0 3 * * *"; Octopus's scheduled
// trigger cron has a seconds field, octopus.com/docs/projects/
// project-triggers/scheduled-runbook-trigger; the Terraform provider's own
// tests schedule "0 0 06 * * Mon-Fri"). A five-field expression (the
// usual crontab form, "0 3 * * *") runs at second 0.
func NormalizeCron(expr string) (string, error) {
	fields := strings.Fields(expr)
	switch len(fields) {
	case 5:
		fields = append([]string{"0"}, fields...)
	case 6:
	default:
		return "", fmt.Errorf("%q: want 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got %d", expr, len(fields))
	}
	for i, f := range fields {
		if err := checkCronField(f, i); err != nil {
			return "", fmt.Errorf("%q: %s field %q: %w", expr, cronFields[i].name, f, err)
		}
	}
	return strings.Join(fields, " "), nil
}

func checkCronField(f string, i int) error {
	spec := cronFields[i]
	value := func(s string) (int, error) {
		if n, err := strconv.Atoi(s); err == nil {
			if n < spec.min || n > spec.max {
				return 0, fmt.Errorf("%d is out of range %d-%d", n, spec.min, spec.max)
			}
			return n, nil
		}
		if j := slices.Index(spec.names, strings.ToUpper(s)); j >= 0 {
			return spec.min + j, nil
		}
		return 0, fmt.Errorf("%q is not a number from %d to %d", s, spec.min, spec.max)
	}
	for _, part := range strings.Split(f, ",") {
		rng, step, hasStep := strings.Cut(part, "/")
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || n < 1 {
				return fmt.Errorf("step %q is not a positive number", step)
			}
		}
		switch {
		case rng == "*" || (rng == "?" && (i == 3 || i == 5)):
			continue
		case rng == "":
			return errors.New("empty value")
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, err := value(lo)
		if err != nil {
			return err
		}
		if isRange {
			b, err := value(hi)
			if err != nil {
				return err
			}
			if b < a {
				return fmt.Errorf("range %s ends before it starts", rng)
			}
		}
	}
	return nil
}

// driftTrigger is the trigger install wants, by names: what is compared.
type driftTrigger struct {
	cron         string
	runbook      string
	environments []string
	tenantTags   []string
}

func (s *Install) wantTrigger() (driftTrigger, error) {
	cron, err := NormalizeCron(s.In.DriftSchedule)
	if err != nil {
		return driftTrigger{}, &InputError{Field: "--drift-schedule", Err: err}
	}
	if s.Bundle.DriftRunbook == "" {
		return driftTrigger{}, &InputError{Field: "--drift-schedule", Err: errors.New("this build has no drift runbook to schedule")}
	}
	var tags []string
	for _, t := range s.Bundle.TagSet.Tags {
		tags = append(tags, s.Bundle.TagSet.Name+"/"+t.Name)
	}
	slices.Sort(tags)
	envs := s.In.Environments
	if len(envs) > 1 {
		// Tenants are connected to the first environment (register-tenant's
		// default is all, the runbooks run in the first).
		envs = envs[:1]
	}
	return driftTrigger{cron: cron, runbook: s.Bundle.DriftRunbook, environments: slices.Clone(envs), tenantTags: tags}, nil
}

func (d driftTrigger) flat(description string) flat {
	return flat{
		"cronExpression": d.cron, "timezone": DriftTimezone, "runbook": d.runbook,
		"environments": strings.Join(d.environments, ", "), "tenantTags": strings.Join(d.tenantTags, ", "),
		"tenants": "", "isDisabled": false, "description": description, "filter": "",
	}
}

// driftDescription is the trigger's description.
func (d driftTrigger) description() string {
	return "Runs " + d.runbook + " for every tenant tagged " + strings.Join(d.tenantTags, ", ") + ". Kept by `octofleet install --drift-schedule`."
}

// triggerState is what planTrigger read, for applyTrigger.
type triggerState struct {
	have   *ProjectTrigger
	envIDs map[string]string // environment name -> Id
	rbID   string
}

// planTrigger diffs the drift schedule's trigger (none unless
// --drift-schedule; an existing trigger is left alone without it).
// runbooks are the project's runbooks by name; a runbook not created yet
// makes the trigger a create.
func (s *Install) planTrigger(ctx context.Context, oct Octopus, spaceID, projectID string, runbooks map[string]Runbook) (Change, *triggerState, error) {
	want, err := s.wantTrigger()
	if err != nil {
		return Change{}, nil, err
	}
	c := Change{Action: Create, Kind: KindRunbookTrigger, Name: DriftTriggerName}
	st := &triggerState{envIDs: map[string]string{}}
	if projectID == "" {
		return c, st, nil
	}
	rb, ok := runbooks[want.runbook]
	if ok {
		st.rbID = rb.ID
	}
	envs, err := oct.Environments(ctx, spaceID)
	if err != nil {
		return Change{}, nil, fmt.Errorf("list environments: %w", err)
	}
	envName := map[string]string{}
	for _, e := range envs {
		st.envIDs[e.Name] = e.ID
		envName[e.ID] = e.Name
	}
	all, err := oct.ProjectTriggers(ctx, spaceID)
	if err != nil {
		return Change{}, nil, fmt.Errorf("list project triggers: %w", err)
	}
	for i, t := range all {
		if t.ProjectID == projectID && t.Name == DriftTriggerName {
			st.have = &all[i]
		}
	}
	if st.have == nil {
		return c, st, nil
	}
	h := *st.have
	var names []string
	for _, id := range h.EnvironmentIDs {
		n := envName[id]
		if n == "" {
			n = id
		}
		names = append(names, n)
	}
	tags := slices.Clone(h.TenantTags)
	slices.Sort(tags)
	rbName := ""
	for _, r := range runbooks {
		if r.ID == h.RunbookID {
			rbName = r.Name
		}
	}
	if rbName == "" {
		rbName = h.RunbookID
	}
	have := flat{
		"cronExpression": h.CronExpression, "timezone": h.Timezone, "runbook": rbName,
		"environments": strings.Join(names, ", "), "tenantTags": strings.Join(tags, ", "),
		"tenants": strings.Join(h.TenantIDs, ", "), "isDisabled": h.IsDisabled, "description": h.Description, "filter": h.Other,
	}
	c.ID = h.ID
	c.Fields = fieldDiffOf(have, want.flat(want.description()))
	return settle(c, false), st, nil
}

// applyTrigger creates or updates the drift schedule's trigger, once the
// project and its runbooks exist.
func (s *Install) applyTrigger(ctx context.Context, oct Octopus, spaceID, projectID string) error {
	all, err := oct.Runbooks(ctx, spaceID)
	if err != nil {
		return fmt.Errorf("list runbooks: %w", err)
	}
	byName := map[string]Runbook{}
	for _, rb := range all {
		if rb.ProjectID == projectID {
			byName[rb.Name] = rb
		}
	}
	c, st, err := s.planTrigger(ctx, oct, spaceID, projectID, byName)
	if err != nil || c.Action == NoOp {
		return err
	}
	want, _ := s.wantTrigger()
	if st.rbID == "" {
		return fmt.Errorf("trigger %q: project has no runbook %q", DriftTriggerName, want.runbook)
	}
	t := ProjectTrigger{Name: DriftTriggerName, Description: want.description(), ProjectID: projectID,
		CronExpression: want.cron, Timezone: DriftTimezone, RunbookID: st.rbID, TenantTags: want.tenantTags, TenantIDs: []string{}}
	for _, e := range want.environments {
		id, ok := st.envIDs[e]
		if !ok {
			return fmt.Errorf("trigger %q: no environment %q", DriftTriggerName, e)
		}
		t.EnvironmentIDs = append(t.EnvironmentIDs, id)
	}
	if st.have == nil {
		if _, err := oct.CreateProjectTrigger(ctx, spaceID, t); err != nil {
			return fmt.Errorf("create trigger %q: %w", DriftTriggerName, err)
		}
		return nil
	}
	t.ID = st.have.ID
	if _, err := oct.UpdateProjectTrigger(ctx, spaceID, t); err != nil {
		return fmt.Errorf("update trigger %q: %w", DriftTriggerName, err)
	}
	return nil
}
