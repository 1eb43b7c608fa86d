// Package demo runs octofleet's whole management-space story against two
// in-memory Octopus servers (internal/emulator): a hub and a regional
// instance. It installs octofleet into the hub's management space, registers
// one tenant per pattern (two business units as managed spaces, a region as a
// managed instance, a customer as a facade), runs the octofleet runbooks for
// every tenant through the hub's task runner — which executes the step
// templates' Bash with the packaged octofleet binary —, runs the facade
// customer's own facade runbook (which runs the hub's Seed Templates for that
// tenant), and finally checks that nothing is left to change.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// The demo's fixed names and keys. The keys are the emulators' admin keys:
// they guard throw-away loopback servers, and --keep prints them.
const (
	ManagementSpace = "Fleet Hub"
	Environment     = "Production"
	HubAPIKey       = emulator.DefaultAPIKey
	RegionalAPIKey  = "API-REGIONAL000000000000000000000"
)

// Options configure a demo run.
type Options struct {
	// Binary is the octofleet executable the package carries to the
	// runbooks' scripts.
	Binary string
	// Version is the binary's version (the package version derives from it).
	Version string
	// Out receives the progress and the summary.
	Out io.Writer
	// Log receives diagnostics; discarded when nil.
	Log *slog.Logger
}

// Tenant is one tenant of the demo and the runbooks it runs.
type Tenant struct {
	Name     string
	Pattern  string
	Tag      string
	Space    string // the tenant's space
	Regional bool   // the space lives on the regional instance
	Runbooks []string
}

// Tenants are the demo's tenants, one or more per enterprise pattern.
var Tenants = []Tenant{
	{Name: "Business Unit A", Pattern: "managed space", Tag: runbooks.TagManagedSpace, Space: "BU A", Runbooks: []string{runbooks.RunbookCreateSpace, runbooks.RunbookSeedTemplates}},
	{Name: "Business Unit B", Pattern: "managed space", Tag: runbooks.TagManagedSpace, Space: "BU B", Runbooks: []string{runbooks.RunbookCreateSpace, runbooks.RunbookSeedTemplates}},
	{Name: "EU Region", Pattern: "managed instance", Tag: runbooks.TagManagedInstance, Space: "EU Operations", Regional: true, Runbooks: []string{runbooks.RunbookCreateSpace, runbooks.RunbookSeedTemplates, runbooks.RunbookCloneSettings}},
	{Name: "Contoso", Pattern: "facade", Tag: runbooks.TagFacade, Space: "Contoso", Runbooks: []string{runbooks.RunbookCreateFacadeProject}},
}

// Row is one line of the summary: a tenant and how its runbooks went.
type Row struct {
	Tenant Tenant
	Target string // "BU A (Spaces-3) on hub"
	Steps  int    // runbook steps run
	Result string // "ok" or what failed
	Calls  int    // API requests the runbooks' steps made
	// Templates counts the octofleet step templates in the tenant's space:
	// what Seed Templates copied there from the management space.
	Templates int
	// Facade, for a facade tenant, tells how running the customer's own
	// facade runbook went.
	Facade  string
	Failure error
	Log     string // the task logs, for a failure
}

// Result is the outcome of a demo run.
type Result struct {
	Rows []Row
	// Drift lists the changes the final check found (none when converged).
	Drift []string
	// Hub and Regional are the servers; open until Close.
	Hub, Regional *emulator.Server
}

// Failed reports whether any tenant failed or the drift check found changes.
func (r *Result) Failed() bool {
	for _, row := range r.Rows {
		if row.Failure != nil {
			return true
		}
	}
	return len(r.Drift) > 0
}

// Close stops the servers.
func (r *Result) Close() error {
	return errors.Join(r.Hub.Close(), r.Regional.Close())
}

// Run runs the demo. The servers stay up until Result.Close, so that the
// caller can keep them serving (--keep).
func Run(ctx context.Context, opts Options) (*Result, error) {
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	binary, err := os.ReadFile(opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("read the octofleet binary to package: %w", err)
	}
	pkg, err := runbooks.Package(binary, opts.Version)
	if err != nil {
		return nil, err
	}

	hub, err := emulator.New(emulator.Options{APIKey: HubAPIKey, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("start hub: %w", err)
	}
	regional, err := emulator.New(emulator.Options{APIKey: RegionalAPIKey, Logger: log})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start regional instance: %w", err), hub.Close())
	}
	res := &Result{Hub: hub, Regional: regional}
	if err := res.run(ctx, out, log, pkg); err != nil {
		return nil, errors.Join(err, res.Close())
	}
	return res, nil
}

func (r *Result) run(ctx context.Context, out io.Writer, log *slog.Logger, pkg *steps.PackageFile) error {
	hub, err := octopus.Dial(ctx, octopus.Options{URL: r.Hub.URL(), APIKey: HubAPIKey, Logger: log})
	if err != nil {
		return fmt.Errorf("connect to hub: %w", err)
	}
	fmt.Fprintf(out, "Hub %s and regional instance %s are up.\n", r.Hub.URL(), r.Regional.URL())

	dir, err := os.MkdirTemp("", "octofleet-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	install, err := r.install(dir, pkg)
	if err != nil {
		return err
	}
	if _, err := apply(ctx, hub, install); err != nil {
		return fmt.Errorf("install into %q: %w", ManagementSpace, err)
	}
	fmt.Fprintf(out, "Installed octofleet into %q: %d step templates, package %s, project %q with %d runbooks.\n",
		ManagementSpace, countTemplates(install), pkg.Name, install.Bundle.Project.Name, len(install.Bundle.Rendering.Runbooks))

	for _, t := range Tenants {
		if _, err := apply(ctx, hub, r.register(t)); err != nil {
			return fmt.Errorf("register tenant %q: %w", t.Name, err)
		}
	}
	fmt.Fprintf(out, "Registered %d tenants; running their runbooks on the hub's task runner...\n\n", len(Tenants))

	for _, t := range Tenants {
		r.Rows = append(r.Rows, r.runTenant(ctx, hub, t))
	}
	if err := r.table(out); err != nil {
		return err
	}
	for _, row := range r.Rows {
		if row.Facade != "" {
			fmt.Fprintf(out, "\n%s\n", row.Facade)
		}
	}
	if r.Drift, err = r.driftCheck(ctx, hub, install); err != nil {
		return fmt.Errorf("drift check: %w", err)
	}
	if len(r.Drift) == 0 {
		fmt.Fprintln(out, "\nDrift check: install, every tenant, every tenant space, its seeded templates and the facade plan no changes.")
	} else {
		fmt.Fprintf(out, "\nDrift check: %d change(s) left:\n  %s\n", len(r.Drift), strings.Join(r.Drift, "\n  "))
	}
	for _, row := range r.Rows {
		if row.Failure != nil {
			fmt.Fprintf(out, "\n%s failed: %v\n%s", row.Tenant.Name, row.Failure, indent(row.Log))
		}
	}
	return nil
}

// install is the install step for the management space.
func (r *Result) install(dir string, pkg *steps.PackageFile) (*steps.Install, error) {
	bundle, err := runbooks.Bundle(dir, pkg)
	if err != nil {
		return nil, err
	}
	return &steps.Install{
		In:     steps.InstallInput{Space: ManagementSpace, Environments: []string{Environment}, HubAPIKey: HubAPIKey},
		Bundle: bundle,
	}, nil
}

// register is the register-tenant step for a demo tenant.
func (r *Result) register(t Tenant) *steps.RegisterTenant {
	url, key := r.Hub.URL(), HubAPIKey
	if t.Regional {
		url, key = r.Regional.URL(), RegionalAPIKey
	}
	vars := map[string]string{runbooks.VarSpaceName: t.Space, runbooks.VarInstanceURL: url, runbooks.VarInstanceAPIKey: key}
	if t.Pattern == "facade" {
		vars[runbooks.VarCustomer] = t.Name
	}
	return &steps.RegisterTenant{In: steps.RegisterTenantInput{
		Space: ManagementSpace, Name: t.Name, Tags: []string{t.Tag}, Environments: []string{Environment}, Variables: vars,
	}}
}

// runTenant runs a tenant's runbooks one after the other, as the hub's
// tasks, and counts the API requests their steps made.
func (r *Result) runTenant(ctx context.Context, hub *octopus.Client, t Tenant) Row {
	row := Row{Tenant: t, Result: "ok"}
	before := len(r.Hub.Requests()) + len(r.Regional.Requests())
	mine := hub.Counts()
	var logs bytes.Buffer
	for _, name := range t.Runbooks {
		fmt.Fprintf(&logs, "--- runbook %q\n", name)
		trig := steps.Trigger{
			In:      steps.TriggerInput{Space: ManagementSpace, Project: steps.DefaultProject, Tenant: t.Name, Environment: Environment, Runbook: name, Timeout: "2m"},
			Log:     &logs,
			PollMin: 20 * time.Millisecond, PollMax: 200 * time.Millisecond,
		}
		if _, err := apply(ctx, hub, trig); err != nil {
			row.Failure, row.Result = fmt.Errorf("runbook %q: %w", name, err), "FAILED: "+name
			break
		}
		row.Steps += runbookSteps(name)
	}
	if row.Failure == nil && t.Pattern == "facade" {
		if err := r.runFacade(ctx, hub, t, &row, &logs); err != nil {
			row.Failure, row.Result = fmt.Errorf("facade: %w", err), "FAILED: facade"
		}
	}
	row.Log = logs.String()
	after := hub.Counts()
	row.Calls = len(r.Hub.Requests()) + len(r.Regional.Requests()) - before - (after.Reads + after.Writes - mine.Reads - mine.Writes)
	row.Target, row.Templates = r.target(ctx, hub, t)
	return row
}

// runFacade does what the customer does in their own space: it runs the
// facade runbook (untenanted, from its published snapshot), whose step runs
// the packaged octofleet's trigger, which runs the management space's Seed
// Templates runbook for the customer's tenant and copies its log.
func (r *Result) runFacade(ctx context.Context, hub *octopus.Client, t Tenant, row *Row, logs io.Writer) error {
	fmt.Fprintf(logs, "--- facade runbook %q of project %q in space %q\n", runbooks.RunbookSeedTemplates, runbooks.FacadeProject, t.Space)
	spaces, err := hub.Spaces(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(spaces, func(s steps.Space) bool { return s.Name == t.Space })
	if i < 0 {
		return fmt.Errorf("no space %q", t.Space)
	}
	spaceID := spaces[i].ID
	projects, err := hub.Projects(ctx, spaceID)
	if err != nil {
		return err
	}
	j := slices.IndexFunc(projects, func(p steps.Project) bool { return p.Name == runbooks.FacadeProject })
	if j < 0 {
		return fmt.Errorf("no project %q in space %q", runbooks.FacadeProject, t.Space)
	}
	rbs, err := hub.Runbooks(ctx, spaceID)
	if err != nil {
		return err
	}
	k := slices.IndexFunc(rbs, func(rb steps.Runbook) bool {
		return rb.ProjectID == projects[j].ID && rb.Name == runbooks.RunbookSeedTemplates
	})
	if k < 0 {
		return fmt.Errorf("no runbook %q in project %q", runbooks.RunbookSeedTemplates, runbooks.FacadeProject)
	}
	snapshot, err := hub.PublishedRunbookSnapshot(ctx, spaceID, rbs[k].ID)
	if err != nil {
		return err
	}
	envs, err := hub.Environments(ctx, spaceID)
	if err != nil {
		return err
	}
	e := slices.IndexFunc(envs, func(e steps.Environment) bool { return e.Name == Environment })
	if e < 0 {
		return fmt.Errorf("no environment %q in space %q", Environment, t.Space)
	}
	ex, err := hub.StartRunbookRun(ctx, spaceID, steps.RunbookRunRequest{ProjectID: projects[j].ID, RunbookID: rbs[k].ID, SnapshotID: snapshot, EnvironmentID: envs[e].ID})
	if err != nil {
		return err
	}
	if err := r.Hub.WaitForTasks(ctx); err != nil {
		return err
	}
	task, err := hub.Task(ctx, ex.TaskID)
	if err != nil {
		return err
	}
	raw, err := hub.TaskRawLog(ctx, ex.TaskID)
	if err != nil {
		return err
	}
	fmt.Fprint(logs, raw)
	row.Steps += 1 + runbookSteps(runbooks.RunbookSeedTemplates) // the facade's step, then the upstream runbook's
	upstream := fmt.Sprintf("for tenant %q in space %q", t.Name, ManagementSpace)
	if task.State != steps.TaskSuccess || !strings.Contains(raw, upstream) {
		return fmt.Errorf("task %s ended %s: %s", ex.TaskID, task.State, task.ErrorMessage)
	}
	row.Facade = fmt.Sprintf("%s ran its facade %q / %q in space %q (task %s): it ran %q %s and succeeded.",
		t.Name, runbooks.FacadeProject, runbooks.RunbookSeedTemplates, t.Space, ex.TaskID, runbooks.RunbookSeedTemplates, upstream)
	return nil
}

// runbookSteps is the number of steps of a runbook of the embedded project.
func runbookSteps(runbook string) int {
	p, err := runbooks.EmbeddedProject()
	if err != nil {
		return 0
	}
	for _, rb := range p.Runbooks {
		if rb.Name == runbook {
			return len(rb.Steps)
		}
	}
	return 0
}

// target describes the tenant's space (its name, Id and instance) and
// counts the octofleet step templates seeded into it.
func (r *Result) target(ctx context.Context, hub *octopus.Client, t Tenant) (string, int) {
	where, c := "hub", hub
	if t.Regional {
		where = "regional"
		var err error
		if c, err = octopus.Dial(ctx, octopus.Options{URL: r.Regional.URL(), APIKey: RegionalAPIKey}); err != nil {
			return t.Space + " on " + where, 0
		}
	}
	spaces, err := c.Spaces(ctx)
	if err != nil {
		return t.Space + " on " + where, 0
	}
	for _, s := range spaces {
		if s.Name != t.Space {
			continue
		}
		n := 0
		if ts, err := c.ActionTemplates(ctx, s.ID); err == nil {
			for _, tpl := range ts {
				if strings.HasPrefix(tpl.Name, runbooks.TemplatePrefix) {
					n++
				}
			}
		}
		return fmt.Sprintf("%s (%s) on %s", s.Name, s.ID, where), n
	}
	return t.Space + " (missing) on " + where, 0
}

// table prints the summary.
func (r *Result) table(out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tPATTERN\tSPACE / INSTANCE\tSTEPS\tTEMPLATES\tRESULT\tAPI CALLS")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%d\n", row.Tenant.Name, row.Tenant.Pattern, row.Target, row.Steps, row.Templates, row.Result, row.Calls)
	}
	return tw.Flush()
}

// driftCheck plans install, every tenant's registration and every tenant
// space again: all of them must be empty.
func (r *Result) driftCheck(ctx context.Context, hub *octopus.Client, install *steps.Install) ([]string, error) {
	regional, err := octopus.Dial(ctx, octopus.Options{URL: r.Regional.URL(), APIKey: RegionalAPIKey})
	if err != nil {
		return nil, fmt.Errorf("connect to regional instance: %w", err)
	}
	type check struct {
		oct  steps.Octopus
		step steps.Step
	}
	checks := []check{{hub, install}}
	for _, t := range Tenants {
		checks = append(checks, check{hub, r.register(t)})
		oct := steps.Octopus(hub)
		if t.Regional {
			oct = regional
		}
		if t.Pattern == "facade" {
			facade, err := r.facade(t, install.Bundle.Package)
			if err != nil {
				return nil, err
			}
			checks = append(checks, check{hub, facade})
		} else {
			desc := "Managed by octofleet for tenant " + t.Name + "."
			checks = append(checks, check{oct, steps.CreateSpace{In: steps.CreateSpaceInput{Name: t.Space, Description: &desc}}})
		}
		// As the Seed Templates runbook does (the facade's run included): the
		// management space's templates, read on the hub, in the tenant's
		// space on its instance.
		seed := steps.SeedTemplatesInput{TargetSpace: t.Space, Source: steps.TemplateSource{Space: ManagementSpace}, Templates: []string{"*"}}
		checks = append(checks, check{oct, &steps.SeedTemplates{In: seed, Source: hub}})
	}
	var drift []string
	for _, c := range checks {
		p, err := c.step.Plan(ctx, c.oct)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.step.Name(), err)
		}
		for _, ch := range p.Changes {
			if ch.Action != steps.NoOp {
				drift = append(drift, fmt.Sprintf("%s: %s %s %q", c.step.Name(), ch.Action, ch.Kind, ch.Name))
			}
		}
	}
	return drift, nil
}

// facade is the create-facade-project step the Create Facade Project
// runbook runs for a facade tenant (runbooks/project.go), as its input reads
// once Octopus and the templates have filled it in. The management API key
// is left out: the facade's variable keeps the value it has.
func (r *Result) facade(t Tenant, pkg *steps.PackageFile) (steps.CreateFacadeProject, error) {
	desc := "Self-service space of " + t.Name + "."
	in, err := steps.CreateFacadeProjectInput{
		Upstream: steps.FacadeUpstreamInput{ServerURL: r.Hub.URL(), Space: ManagementSpace, Project: steps.DefaultProject,
			Tenant: t.Name, Environment: Environment, Runbook: runbooks.RunbookSeedTemplates},
		Space:   steps.FacadeSpaceInput{Name: t.Space, Description: &desc},
		Project: steps.FacadeProjectInput{Name: runbooks.FacadeProject, Environments: []string{Environment}},
	}.Render(steps.TemplateData{})
	if err != nil {
		return steps.CreateFacadeProject{}, fmt.Errorf("facade of %q: %w", t.Name, err)
	}
	return steps.CreateFacadeProject{In: in, Package: pkg}, nil
}

// apply plans a step and applies the plan unless it is empty.
func apply(ctx context.Context, oct steps.Octopus, s steps.Step) (steps.Outputs, error) {
	p, err := s.Plan(ctx, oct)
	if err != nil {
		return nil, err
	}
	if p.Empty() {
		return p.Outputs, nil
	}
	return s.Apply(ctx, oct, p)
}

func countTemplates(i *steps.Install) int {
	files, err := steps.LoadLibraryTemplates([]string{i.Bundle.Rendering.TemplatesDir})
	if err != nil {
		return 0
	}
	return len(files)
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}
