package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/steps"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/<name>.golden (go test ./cmd/... -update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./cmd/octofleet -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// fakeStep returns a fixed plan and counts its Apply calls; it stands in for
// a real step so that printing and sequencing are tested on their own.
type fakeStep struct {
	plan     steps.Plan
	planErr  error
	outputs  steps.Outputs
	applyErr error
	applied  int
}

func (s *fakeStep) Name() string { return "fake" }

func (s *fakeStep) Plan(context.Context, steps.Octopus) (steps.Plan, error) { return s.plan, s.planErr }

func (s *fakeStep) Apply(_ context.Context, _ steps.Octopus, p steps.Plan) (steps.Outputs, error) {
	s.applied++
	return s.outputs, s.applyErr
}

// syntheticPlan has every action, field values of several types, a secret and an HTML-ish string.
func syntheticPlan() steps.Plan {
	return steps.Plan{
		Step:    "fake",
		Outputs: steps.Outputs{"SpaceName": "Acme"},
		Changes: []steps.Change{
			{Action: steps.Create, Kind: "space", Name: "Acme", Fields: map[string][2]any{
				"managerTeams": {nil, []string{"Platform", "Ops"}},
				"description":  {nil, "Acme's space"},
			}},
			{Action: steps.Update, Kind: "environment", Name: "Dev", ID: "Environments-3", Fields: map[string][2]any{
				"useGuidedFailure": {false, true},
				"description":      {"old", "new <b>&</b>"},
				"sortOrder":        {2, 1},
			}},
			{Action: steps.NoOp, Kind: "lifecycle", Name: "Default Lifecycle", ID: "Lifecycles-1"},
			{Action: steps.Update, Kind: "feed", Name: "Docker Hub", ID: "Feeds-2", Fields: map[string][2]any{
				"password": {steps.Sensitive, steps.Sensitive},
			}},
			{Action: steps.Delete, Kind: "team", Name: "Old \"team\"", ID: "Teams-9", Fields: map[string][2]any{
				"members": {[]string{"alice"}, nil},
			}},
			{Action: steps.NoOp, Kind: "project group", Name: "Default Project Group", ID: "ProjectGroups-1"},
		},
	}
}

func TestRunGolden(t *testing.T) {
	t.Parallel()
	applied := steps.Outputs{"SpaceId": "Spaces-2", "SpaceName": "Acme"}
	empty := steps.Plan{Step: "fake", Outputs: steps.Outputs{"SpaceId": "Spaces-2"}, Changes: []steps.Change{
		{Action: steps.NoOp, Kind: "space", Name: "Acme", ID: "Spaces-2"},
	}}
	tests := []struct {
		golden    string
		plan      steps.Plan
		flags     stepFlags
		output    string
		level     slog.Level
		wantApply int
		wantCode  int // 0: no error
	}{
		{golden: "text-dry-run", plan: syntheticPlan(), flags: stepFlags{DryRun: true}, output: "text"},
		{golden: "text-dry-run-debug", plan: syntheticPlan(), flags: stepFlags{DryRun: true}, output: "text", level: slog.LevelDebug},
		{golden: "text-dry-run-exit-code", plan: syntheticPlan(), flags: stepFlags{DryRun: true, ExitCode: true}, output: "text", wantCode: exitChanges},
		{golden: "text-apply", plan: syntheticPlan(), output: "text", wantApply: 1},
		{golden: "text-empty", plan: empty, flags: stepFlags{DryRun: true, ExitCode: true}, output: "text"},
		{golden: "text-empty-apply", plan: empty, output: "text"},
		{golden: "json-dry-run", plan: syntheticPlan(), flags: stepFlags{DryRun: true}, output: "json"},
		{golden: "json-apply", plan: syntheticPlan(), output: "json", wantApply: 1},
		{golden: "json-empty", plan: steps.Plan{Step: "fake"}, output: "json"},
		{golden: "octopus-apply", plan: syntheticPlan(), output: "octopus", wantApply: 1},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			s := &fakeStep{plan: tt.plan, outputs: applied}
			var out bytes.Buffer
			err := tt.flags.run(context.Background(), &out, &Globals{Output: tt.output, LogLevel: tt.level}, nil, s)
			if got := exitCodeOf(err); got != tt.wantCode {
				t.Fatalf("run: %v (exit %d), want exit %d", err, got, tt.wantCode)
			}
			if s.applied != tt.wantApply {
				t.Errorf("Apply called %d times, want %d", s.applied, tt.wantApply)
			}
			golden(t, tt.golden, out.String())
		})
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name      string
		step      *fakeStep
		wantErr   string
		wantApply int
	}{
		{name: "plan fails", step: &fakeStep{planErr: boom}, wantErr: "plan: boom"},
		{name: "apply fails", step: &fakeStep{plan: syntheticPlan(), applyErr: boom}, wantErr: "apply: boom", wantApply: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := (&stepFlags{}).run(context.Background(), &out, &Globals{Output: "json"}, nil, tt.step)
			if !errors.Is(err, boom) || err.Error() != tt.wantErr {
				t.Fatalf("err = %v, want %q wrapping boom", err, tt.wantErr)
			}
			if tt.step.applied != tt.wantApply {
				t.Errorf("Apply called %d times, want %d", tt.step.applied, tt.wantApply)
			}
			if out.Len() != 0 {
				t.Errorf("json output on failure: %s", out.String())
			}
		})
	}
}

var serviceMessageRE = regexp.MustCompile(`^##octopus\[setVariable name='([A-Za-z0-9+/=]*)' value='([A-Za-z0-9+/=]*)'\]$`)

// TestServiceMessage: names and values go base64-encoded, so quotes,
// brackets and newlines in a value cannot end the message early.
func TestServiceMessage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, value string }{
		{"SpaceId", "Spaces-2"},
		{"SpaceName", "Bob's ]['\n\"Fish\" Shack ✓"},
		{"Empty", ""},
	} {
		msg := serviceMessage(tt.name, tt.value)
		m := serviceMessageRE.FindStringSubmatch(msg)
		if m == nil {
			t.Fatalf("%q is not a setVariable service message", msg)
		}
		for i, want := range []string{tt.name, tt.value} {
			got, err := base64.StdEncoding.DecodeString(m[i+1])
			if err != nil || string(got) != want {
				t.Errorf("attribute %d of %q decodes to %q (%v), want %q", i, msg, got, err, want)
			}
		}
	}
	if got, want := serviceMessage("SpaceId", "Spaces-2"), "##octopus[setVariable name='U3BhY2VJZA==' value='U3BhY2VzLTI=']"; got != want {
		t.Errorf("serviceMessage = %s, want %s", got, want)
	}
}

func TestFormatValue(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   any
		want string
	}{
		{nil, "null"},
		{"a <b>", `"a <b>"`},
		{steps.Sensitive, "(sensitive)"},
		{[]string{"x", "y"}, `["x","y"]`},
		{map[string]int{"b": 2, "a": 1}, `{"a":1,"b":2}`},
		{3, "3"},
		{true, "true"},
	} {
		if got := formatValue(tt.in); got != tt.want {
			t.Errorf("formatValue(%#v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// exitCodeOf is the code execute would exit with for a Run error.
func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return 1
}

// outputVariables decodes the setVariable service messages in stdout.
func outputVariables(t *testing.T, stdout string) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for _, l := range strings.Split(stdout, "\n") {
		m := serviceMessageRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		name, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		value, err := base64.StdEncoding.DecodeString(m[2])
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		vars[string(name)] = string(value)
	}
	return vars
}
