package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// TriggerInput says what to start in the (management) space: a runbook, or a
// deployment of a release, in an environment, for one tenant. Its JSON form
// is schemas/trigger.schema.json.
type TriggerInput struct {
	// Space is the space's name or Id; the CLI fills it from --space.
	Space          string `json:"space,omitempty" kong:"-"`
	Project        string `json:"project,omitempty" help:"Project name." placeholder:"NAME"`
	Tenant         string `json:"tenant,omitempty" help:"Tenant name: the run or deployment is for exactly this tenant." placeholder:"NAME"`
	Environment    string `json:"environment,omitempty" help:"Environment name." placeholder:"NAME"`
	Runbook        string `json:"runbook,omitempty" help:"Runbook name: run its published snapshot. Without it, deploy a release." placeholder:"NAME"`
	ReleaseVersion string `json:"releaseVersion,omitempty" help:"Release version to deploy; the latest release (of --channel, if given) when not given." placeholder:"VERSION"`
	Channel        string `json:"channel,omitempty" help:"Channel whose latest release is deployed." placeholder:"NAME"`
	Timeout        string `json:"timeout,omitempty" help:"How long to wait for the task (Go duration); then it is canceled and trigger fails. Default 1h." placeholder:"DURATION"`
	NoWait         bool   `json:"noWait,omitempty" help:"Return once the run or deployment has started."`
}

// DefaultTriggerTimeout bounds the wait for the upstream task.
const DefaultTriggerTimeout = time.Hour

// The kinds of change trigger plans.
const (
	KindRunbookRun = "runbook run"
	KindDeployment = "deployment"
)

// Outputs trigger publishes.
const (
	OutputTaskID    = "TaskId"
	OutputTaskState = "TaskState"
)

// Trigger is the trigger step: Plan resolves the names (and the snapshot or
// release) and shows what it will start; Apply starts it and, unless NoWait,
// follows the task to its end, copying its new log lines to Log.
type Trigger struct {
	In TriggerInput
	// Log receives the task's log lines as they appear; nil discards them.
	Log io.Writer
	// PollMin and PollMax shape the polling of the task: the wait doubles
	// from PollMin up to PollMax. Defaults 250ms and 5s.
	PollMin, PollMax time.Duration
}

var _ Step = Trigger{}

// Name returns "trigger".
func (Trigger) Name() string { return "trigger" }

// Check checks what the schema cannot; errors exit 80. It is not named
// Validate: kong would call it while parsing, before --space is merged in.
func (in TriggerInput) Check() error {
	for _, f := range [][2]string{{"space", in.Space}, {"project", in.Project}, {"tenant", in.Tenant}, {"environment", in.Environment}} {
		if strings.TrimSpace(f[1]) == "" {
			return &InputError{Field: f[0], Err: errors.New("is required")}
		}
	}
	if in.Runbook != "" && (in.ReleaseVersion != "" || in.Channel != "") {
		return &InputError{Field: "runbook", Err: errors.New("a runbook run takes no release version or channel")}
	}
	if in.Timeout != "" {
		if d, err := time.ParseDuration(in.Timeout); err != nil || d <= 0 {
			return &InputError{Field: "timeout", Err: fmt.Errorf("%q is not a positive duration such as 30m", in.Timeout)}
		}
	}
	return nil
}

func (in TriggerInput) timeout() time.Duration {
	if d, err := time.ParseDuration(in.Timeout); err == nil && d > 0 {
		return d
	}
	return DefaultTriggerTimeout
}

// triggerTarget is what a plan resolved.
type triggerTarget struct {
	spaceID, spaceName string
	project            Project
	tenant, env        Ref
	runbook            *Runbook
	snapshotID         string
	release            *Release
}

// resolve finds everything the input names; each missing name is an error
// that lists the names that exist. pinned, when set, is the snapshot Id or
// release version the plan chose.
func (s Trigger) resolve(ctx context.Context, oct Octopus, pinned string) (*triggerTarget, error) {
	in := s.In
	if err := in.Check(); err != nil {
		return nil, err
	}
	t := &triggerTarget{}
	spaces, err := oct.Spaces(ctx)
	if err != nil {
		return nil, fmt.Errorf("list spaces: %w", err)
	}
	for _, sp := range spaces {
		if sp.Name == in.Space || strings.EqualFold(sp.ID, in.Space) {
			t.spaceID, t.spaceName = sp.ID, sp.Name
			break
		}
	}
	if t.spaceID == "" {
		return nil, fmt.Errorf("space: %w", unknownNamesError("space", []string{in.Space}, refNames(spaces, func(s Space) Ref { return Ref{ID: s.ID, Name: s.Name} })))
	}
	projects, err := oct.Projects(ctx, t.spaceID)
	if err != nil {
		return nil, fmt.Errorf("list projects of space %q: %w", t.spaceName, err)
	}
	i := slices.IndexFunc(projects, func(p Project) bool { return p.Name == in.Project })
	if i < 0 {
		return nil, fmt.Errorf("project: %w", unknownNamesError("project", []string{in.Project}, refNames(projects, func(p Project) Ref { return Ref{ID: p.ID, Name: p.Name} })))
	}
	t.project = projects[i]
	tenants, err := oct.FacadeTenants(ctx, t.spaceID)
	if err != nil {
		return nil, fmt.Errorf("list tenants of space %q: %w", t.spaceName, err)
	}
	if t.tenant, err = findRef("tenant", in.Tenant, tenants); err != nil {
		return nil, err
	}
	envs, err := oct.Environments(ctx, t.spaceID)
	if err != nil {
		return nil, fmt.Errorf("list environments of space %q: %w", t.spaceName, err)
	}
	if t.env, err = findRef("environment", in.Environment, refNames2(envs, func(e Environment) Ref { return Ref{ID: e.ID, Name: e.Name} })); err != nil {
		return nil, err
	}
	if in.Runbook != "" {
		return t, s.resolveRunbook(ctx, oct, t, pinned)
	}
	return t, s.resolveRelease(ctx, oct, t, pinned)
}

// resolveRunbook finds the runbook and its published snapshot. trigger never
// publishes one itself: publishing ships the runbook's current draft, which
// is the runbook owner's decision, and a tenant cannot run an unpublished
// runbook from the web portal either (octopus.com/docs/runbooks/runbook-publishing).
func (s Trigger) resolveRunbook(ctx context.Context, oct Octopus, t *triggerTarget, pinned string) error {
	rbs, err := oct.Runbooks(ctx, t.spaceID)
	if err != nil {
		return fmt.Errorf("list runbooks of space %q: %w", t.spaceName, err)
	}
	var ofProject []Runbook
	for _, r := range rbs {
		if r.ProjectID == t.project.ID {
			ofProject = append(ofProject, r)
		}
	}
	i := slices.IndexFunc(ofProject, func(r Runbook) bool { return r.Name == s.In.Runbook })
	if i < 0 {
		return fmt.Errorf("runbook: %w", unknownNamesError("runbook", []string{s.In.Runbook},
			refNames(ofProject, func(r Runbook) Ref { return Ref{ID: r.ID, Name: r.Name} })))
	}
	t.runbook = &ofProject[i]
	if t.snapshotID, err = oct.PublishedRunbookSnapshot(ctx, t.spaceID, t.runbook.ID); err != nil {
		return fmt.Errorf("runbook %q: %w", t.runbook.Name, err)
	}
	if t.snapshotID == "" {
		return fmt.Errorf("runbook %q of project %q has no published snapshot: publish it in space %q (trigger runs only published runbooks, as tenants in the web portal do)",
			t.runbook.Name, t.project.Name, t.spaceName)
	}
	if pinned != "" && pinned != t.snapshotID {
		return fmt.Errorf("runbook %q: the published snapshot changed from %s to %s since the plan; run again", t.runbook.Name, pinned, t.snapshotID)
	}
	return nil
}

// resolveRelease finds the release to deploy: the given version, or the
// most recently assembled release (of the channel, when one is named).
func (s Trigger) resolveRelease(ctx context.Context, oct Octopus, t *triggerTarget, pinned string) error {
	in := s.In
	channelID := ""
	if in.Channel != "" {
		chs, err := oct.ProjectChannels(ctx, t.spaceID, t.project.ID)
		if err != nil {
			return fmt.Errorf("list channels of project %q: %w", t.project.Name, err)
		}
		ch, err := findRef("channel", in.Channel, chs)
		if err != nil {
			return err
		}
		channelID = ch.ID
	}
	rels, err := oct.ProjectReleases(ctx, t.spaceID, t.project.ID)
	if err != nil {
		return fmt.Errorf("list releases of project %q: %w", t.project.Name, err)
	}
	version := in.ReleaseVersion
	if pinned != "" {
		version = pinned
	}
	for i, r := range rels {
		switch {
		case version != "":
			if r.Version == version {
				t.release = &rels[i]
			}
		case channelID == "" || r.ChannelID == channelID:
			if t.release == nil || r.Assembled.After(t.release.Assembled) {
				t.release = &rels[i]
			}
		}
		if version != "" && t.release != nil {
			break
		}
	}
	switch {
	case t.release != nil:
		return nil
	case version != "":
		return fmt.Errorf("project %q has no release %q", t.project.Name, version)
	case in.Channel != "":
		return fmt.Errorf("project %q has no release in channel %q", t.project.Name, in.Channel)
	}
	return fmt.Errorf("project %q has no release to deploy", t.project.Name)
}

// refNames maps the name of each item's Ref to its ID.
func refNames[T any](items []T, ref func(T) Ref) map[string]string {
	m := make(map[string]string, len(items))
	for _, it := range items {
		r := ref(it)
		m[r.Name] = r.ID
	}
	return m
}

func refNames2[T any](items []T, ref func(T) Ref) []Ref {
	out := make([]Ref, 0, len(items))
	for _, it := range items {
		out = append(out, ref(it))
	}
	return out
}

func findRef(kind, name string, refs []Ref) (Ref, error) {
	for _, r := range refs {
		if r.Name == name {
			return r, nil
		}
	}
	return Ref{}, fmt.Errorf("%s: %w", kind, unknownNamesError(kind, []string{name}, refNames(refs, func(r Ref) Ref { return r })))
}

// Plan resolves the input and returns one change: the runbook run or the
// deployment trigger would start. It writes nothing.
func (s Trigger) Plan(ctx context.Context, oct Octopus) (Plan, error) {
	t, err := s.resolve(ctx, oct, "")
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Step: s.Name()}
	f := fieldDiff{"space": {nil, t.spaceName}, "project": {nil, t.project.Name}, "tenant": {nil, t.tenant.Name}, "environment": {nil, t.env.Name}}
	if t.runbook != nil {
		f["snapshot"] = [2]any{nil, t.snapshotID}
		return p.With(Change{Action: Create, Kind: KindRunbookRun, Name: t.project.Name + "/" + t.runbook.Name, Fields: f}), nil
	}
	f["release"] = [2]any{nil, t.release.Version}
	return p.With(Change{Action: Create, Kind: KindDeployment, Name: t.project.Name + " " + t.release.Version, Fields: f}), nil
}

// Apply starts what the plan says (the same snapshot or release version) and,
// unless NoWait, waits for its task: it polls the task's details with
// backoff, writes each new log line to Log once, and ends with the task. It
// returns TaskId and TaskState, also with an error: the task failed, was
// canceled or timed out, or the wait ran out (then the task is canceled, so
// that nothing keeps running unobserved).
func (s Trigger) Apply(ctx context.Context, oct Octopus, p Plan) (Outputs, error) {
	if len(p.Changes) != 1 {
		return nil, fmt.Errorf("trigger: the plan has %d changes, want 1", len(p.Changes))
	}
	c := p.Changes[0]
	pinned := ""
	if v, ok := c.Fields["snapshot"]; ok {
		pinned, _ = v[1].(string)
	}
	if v, ok := c.Fields["release"]; ok {
		pinned, _ = v[1].(string)
	}
	t, err := s.resolve(ctx, oct, pinned)
	if err != nil {
		return nil, err
	}
	var ex Execution
	if t.runbook != nil {
		ex, err = oct.StartRunbookRun(ctx, t.spaceID, RunbookRunRequest{ProjectID: t.project.ID, RunbookID: t.runbook.ID,
			SnapshotID: t.snapshotID, EnvironmentID: t.env.ID, TenantID: t.tenant.ID})
	} else {
		ex, err = oct.StartDeployment(ctx, t.spaceID, DeploymentRequest{ProjectID: t.project.ID, ReleaseID: t.release.ID,
			EnvironmentID: t.env.ID, TenantID: t.tenant.ID})
	}
	if err != nil {
		return nil, fmt.Errorf("%s %q for tenant %q: %w", c.Kind, c.Name, t.tenant.Name, err)
	}
	out := Outputs{OutputTaskID: ex.TaskID, OutputTaskState: TaskQueued}
	if s.Log != nil {
		if _, err := fmt.Fprintf(s.Log, "Started %s %q for tenant %q in space %q: task %s.\n", c.Kind, c.Name, t.tenant.Name, t.spaceName, ex.TaskID); err != nil {
			return out, fmt.Errorf("write the log: %w", err)
		}
	}
	if s.In.NoWait {
		task, err := oct.Task(ctx, ex.TaskID)
		if err != nil {
			return out, fmt.Errorf("started task %s: %w", ex.TaskID, err)
		}
		out[OutputTaskState] = task.State
		return out, nil
	}
	task, err := s.follow(ctx, oct, ex.TaskID)
	if task.State != "" {
		out[OutputTaskState] = task.State
	}
	if err != nil {
		return out, err
	}
	if task.State != TaskSuccess {
		msg := task.ErrorMessage
		if msg == "" {
			msg = "no error message"
		}
		return out, fmt.Errorf("%s %q for tenant %q: task %s ended %s: %s", c.Kind, c.Name, t.tenant.Name, ex.TaskID, task.State, msg)
	}
	return out, nil
}

// follow polls the task until it completes, copying new log lines to s.Log.
func (s Trigger) follow(ctx context.Context, oct Octopus, taskID string) (Task, error) {
	minPoll, maxPoll := s.PollMin, s.PollMax
	if minPoll <= 0 {
		minPoll = 250 * time.Millisecond
	}
	if maxPoll < minPoll {
		maxPoll = max(5*time.Second, minPoll)
	}
	limit := s.In.timeout()
	wait, cancelWait := context.WithTimeout(ctx, limit)
	defer cancelWait()
	lw := &logWriter{w: s.Log, seen: map[string]int{}}
	delay := minPoll
	var last Task
	for {
		task, lines, err := oct.TaskDetails(wait, taskID)
		if err == nil {
			last = task
			if err := lw.write(lines); err != nil {
				return last, fmt.Errorf("write the log of task %s: %w", taskID, err)
			}
			if task.IsCompleted {
				return task, nil
			}
		} else if wait.Err() == nil {
			return last, fmt.Errorf("follow task %s: %w", taskID, err)
		}
		timer := time.NewTimer(delay)
		select {
		case <-wait.Done():
			timer.Stop()
			return s.abandon(ctx, oct, taskID, last, limit)
		case <-timer.C:
		}
		delay = min(2*delay, maxPoll)
	}
}

// abandon cancels a task trigger stops waiting for: after --timeout, or when
// trigger itself is canceled (for example the facade's task was canceled).
func (s Trigger) abandon(ctx context.Context, oct Octopus, taskID string, last Task, limit time.Duration) (Task, error) {
	why := fmt.Sprintf("timed out after %s", limit)
	if ctx.Err() != nil {
		why = "canceled"
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := oct.CancelTask(cctx, taskID); err != nil {
		return last, fmt.Errorf("%s waiting for task %s (state %s), and canceling it failed: %w", why, taskID, last.State, err)
	}
	if t, err := oct.Task(cctx, taskID); err == nil {
		last = t
	}
	return last, fmt.Errorf("%s waiting for task %s; asked the server to cancel it (state now %s)", why, taskID, last.State)
}

// logWriter copies task log lines to w once each: a line is identified by
// its activity and its position there, and an activity's lines only ever
// grow, so the highest position written per activity is all it remembers.
// A line from another activity than the previous one is preceded by that
// activity's name ("== Step 1: Hello ==").
type logWriter struct {
	w    io.Writer
	seen map[string]int
	last string // the activity of the last line written
}

func (l *logWriter) write(lines []TaskLogLine) error {
	var b strings.Builder
	for _, ln := range lines {
		if ln.Number <= l.seen[ln.Activity] {
			continue
		}
		l.seen[ln.Activity] = ln.Number
		if ln.Activity != l.last && ln.ActivityName != "" {
			b.WriteString("== " + neutralise(ln.ActivityName) + " ==\n")
		}
		l.last = ln.Activity
		prefix := ""
		switch ln.Category {
		case "", "Info", "Highlight":
		default:
			prefix = ln.Category + ": "
		}
		for _, text := range strings.Split(ln.Text, "\n") {
			b.WriteString(prefix + neutralise(text) + "\n")
		}
	}
	if l.w == nil || b.Len() == 0 {
		return nil
	}
	_, err := io.WriteString(l.w, b.String())
	return err
}

// neutralise keeps an upstream line from acting as a service message in the
// facade's own task: Octopus interprets "##octopus[" in a script's output
// (Calamari's ServiceMessageParser), so a copied setVariable or
// stdout-ignore would take effect a second time, in the wrong space.
func neutralise(text string) string {
	return strings.ReplaceAll(text, "##octopus[", "## octopus[")
}
