package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"

	"github.com/alecthomas/kong"

	"github.com/octofleet/octofleet/steps"
)

// triggerCmd is `octofleet trigger`: start a runbook run or a deployment in
// --space for one tenant and follow its task. The facade project's step runs
// it with the API key in OCTOPUS_API_KEY.
type triggerCmd struct {
	stepFlags
	steps.TriggerInput `embed:""`
}

// Help is the long help of trigger.
func (c *triggerCmd) Help() string {
	return `Start a runbook run (--runbook: its published snapshot) or a deployment (the
release --release-version, or the latest release of --channel or of the project)
in --space, in --environment, for exactly the tenant --tenant. Then wait for the
task, copying its new log lines to stdout (stderr with --output json), and exit
with its result: non-zero when it failed, was canceled or timed out, or when
--timeout ran out (the task is then canceled). --no-wait returns once started.
A runbook without a published snapshot is an error: trigger never publishes.

Outputs: TaskId, TaskState (--output octopus sets them as output variables).`
}

// Validate loads the input (flags or --input) through the schema and checks
// it with the global --space, so bad input exits 80 before any network call.
func (c *triggerCmd) Validate(kctx *kong.Context) error {
	if err := c.load("trigger", &c.TriggerInput); err != nil {
		return err
	}
	in := c.TriggerInput
	if in.Space == "" {
		in.Space = globalFlag(kctx, "space")
	}
	return in.Check()
}

// globalFlag returns the parsed value of a string flag (kong has applied
// flags and environment variables before it validates).
func globalFlag(kctx *kong.Context, name string) string {
	for _, f := range kctx.Flags() {
		if f.Name == name {
			s, _ := kctx.FlagValue(f).(string)
			return s
		}
	}
	return ""
}

// Run plans, prints and (unless --dry-run) starts and follows the run or
// deployment. TaskId and TaskState are printed also when the task fails.
func (c *triggerCmd) Run(ctx context.Context, w io.Writer, kctx *kong.Context, g *Globals, oct steps.Octopus) error {
	in := c.TriggerInput
	if in.Space == "" {
		in.Space = g.Space
	}
	if err := in.Check(); err != nil {
		return err
	}
	step := steps.Trigger{In: in, Log: w}
	if g.Output == "json" {
		step.Log = kctx.Stderr // stdout carries one JSON document
	}
	if c.DryRun {
		return c.run(ctx, w, g, oct, step)
	}
	plan, err := step.Plan(ctx, oct)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	out := &printer{w: w, format: g.Output, verbose: g.LogLevel <= slog.LevelDebug}
	if err := out.plan(plan); err != nil {
		return err
	}
	outputs := maps.Clone(plan.Outputs)
	if outputs == nil {
		outputs = steps.Outputs{}
	}
	applied, err := step.Apply(ctx, oct, plan)
	maps.Copy(outputs, applied)
	if perr := out.result(plan, outputs, err == nil); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("trigger: %w", err)
	}
	return nil
}
