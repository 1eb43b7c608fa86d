package main

import (
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// driftTrigger reads the drift schedule's trigger of the project octofleet
// in space through the API (nil when there is none), with the Id of the
// Check Drift runbook.
func driftTrigger(t *testing.T, h *harness, space string) (*steps.ProjectTrigger, string, *octopus.Client, string) {
	t.Helper()
	ctx := t.Context()
	oct, err := octopus.Dial(ctx, octopus.Options{URL: h.emu.URL(), APIKey: h.emu.APIKey()})
	if err != nil {
		t.Fatal(err)
	}
	spaces, err := oct.Spaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var spaceID string
	for _, s := range spaces {
		if s.Name == space {
			spaceID = s.ID
		}
	}
	rbs, err := oct.Runbooks(ctx, spaceID)
	if err != nil {
		t.Fatal(err)
	}
	var rbID string
	for _, rb := range rbs {
		if rb.Name == runbooks.RunbookCheckDrift {
			rbID = rb.ID
		}
	}
	all, err := oct.ProjectTriggers(ctx, spaceID)
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range all {
		if tr.Name == steps.DriftTriggerName {
			return &all[i], rbID, oct, spaceID
		}
	}
	return nil, rbID, oct, spaceID
}

// TestInstallDriftSchedule: --drift-schedule creates the trigger that runs
// Check Drift for every Octofleet-tagged tenant on that cron schedule (in
// Octopus's six-field form); a re-run writes nothing; a run without the flag
// leaves a changed trigger alone, and one with it puts it back.
func TestInstallDriftSchedule(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	install := func(extra ...string) result {
		t.Helper()
		r := h.run(t, "", append([]string{"--space", "Fleet Hub", "install", "--no-package"}, extra...)...)
		if r.code != 0 {
			t.Fatalf("install %q: exit %d\n%s\n%s", extra, r.code, r.stdout, r.stderr)
		}
		return r
	}
	r := install("--drift-schedule", "0 3 * * *")
	if !strings.Contains(r.stdout, `create runbook trigger "`+steps.DriftTriggerName+`"`) {
		t.Errorf("install does not say it creates the trigger:\n%s", r.stdout)
	}
	tr, rbID, oct, spaceID := driftTrigger(t, h, "Fleet Hub")
	if tr == nil {
		t.Fatal("no drift trigger after install --drift-schedule")
	}
	if tr.CronExpression != "0 0 3 * * *" || tr.Timezone != "UTC" || tr.RunbookID != rbID || rbID == "" || len(tr.EnvironmentIDs) != 1 || tr.IsDisabled {
		t.Errorf("trigger = %+v, want cron 0 0 3 * * * in UTC running %s in one environment", tr, rbID)
	}
	if got, want := strings.Join(tr.TenantTags, ","), strings.Join([]string{runbooks.TagFacade, runbooks.TagManagedInstance, runbooks.TagManagedSpace}, ","); got != want {
		t.Errorf("trigger tenant tags = %s, want %s", got, want)
	}

	h.emu.ResetRequests()
	r = install("--drift-schedule", "0 3 * * *")
	if !strings.Contains(r.stdout, "No changes.") || len(h.emu.Writes()) != 0 {
		t.Fatalf("second install: writes %q\n%s", h.emu.Writes(), r.stdout)
	}
	h.emu.ResetRequests()
	if r := install("--drift-schedule", "0 0 3 * * *"); len(h.emu.Writes()) != 0 {
		t.Fatalf("the same schedule in six fields wrote %q\n%s", h.emu.Writes(), r.stdout)
	}

	// Someone changes the schedule in the portal: install without the flag
	// keeps it; with the flag, puts it back.
	tr.CronExpression = "0 30 4 * * MON"
	if _, err := oct.UpdateProjectTrigger(t.Context(), spaceID, *tr); err != nil {
		t.Fatal(err)
	}
	h.emu.ResetRequests()
	if r := install(); !strings.Contains(r.stdout, "No changes.") || len(h.emu.Writes()) != 0 {
		t.Fatalf("install without --drift-schedule touched the trigger: writes %q\n%s", h.emu.Writes(), r.stdout)
	}
	if got, _, _, _ := driftTrigger(t, h, "Fleet Hub"); got.CronExpression != "0 30 4 * * MON" {
		t.Fatalf("trigger cron = %q after install without the flag", got.CronExpression)
	}
	r = install("--drift-schedule", "0 3 * * *")
	if !strings.Contains(r.stdout, `update runbook trigger "`+steps.DriftTriggerName+`"`) || !strings.Contains(r.stdout, "cronExpression") {
		t.Errorf("install does not say it updates the schedule:\n%s", r.stdout)
	}
	if got, _, _, _ := driftTrigger(t, h, "Fleet Hub"); got.CronExpression != "0 0 3 * * *" {
		t.Fatalf("trigger cron = %q, want it put back", got.CronExpression)
	}
	h.emu.ResetRequests()
	if install("--drift-schedule", "0 3 * * *"); len(h.emu.Writes()) != 0 {
		t.Fatalf("install after the update wrote %q", h.emu.Writes())
	}
}

// TestInstallDriftScheduleInvalid: a bad cron expression exits 80 naming
// --drift-schedule and what is wrong, before any request.
func TestInstallDriftScheduleInvalid(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, c := range []struct{ cron, want string }{
		{"0 3 * *", "want 5 fields"},
		{"0 25 * * *", "hour field \"25\": 25 is out of range 0-23"},
		{"0 3 * * FUNDAY", "day of week field"},
		{"*/0 3 * * *", "step \"0\""},
		{"0 3 10-2 * *", "ends before it starts"},
	} {
		h.emu.ResetRequests()
		r := h.run(t, "", "--space", "Fleet Hub", "install", "--no-package", "--drift-schedule", c.cron)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--drift-schedule") || !strings.Contains(r.stderr, c.want) {
			t.Errorf("--drift-schedule %q: exit %d, want %d naming the flag and %q:\n%s", c.cron, r.code, exitUsage, c.want, r.stderr)
		}
		if n := len(h.emu.Requests()); n != 0 {
			t.Errorf("--drift-schedule %q: %d requests before failing", c.cron, n)
		}
	}
}
