package steps_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/steps"
)

// TestConvergeAdoptsWhatAnotherRunCreated: between plan and apply, another
// writer creates the space and one environment (with a different
// description). A plain Apply fails with ErrConflict; Converge plans again,
// adopts both, updates the description and converges with one of each.
func TestConvergeAdoptsWhatAnotherRunCreated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emu, oct := dialNew(t)
	step := steps.CreateSpace{In: steps.CreateSpaceInput{
		Name: "Race", Description: ptr("mine"), ManagerTeams: []string{"Octopus Administrators"},
		Environments: []steps.EnvironmentInput{{Name: "Dev"}, {Name: "Prod", Description: ptr("prod")}},
	}}
	plan, err := step.Plan(ctx, oct)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := step.Apply(ctx, oct, plan); err != nil {
		t.Fatal(err)
	}
	// A second space, raced: the other writer wins the space and Prod.
	step.In.Name = "Race 2"
	plan, err = step.Plan(ctx, oct)
	if err != nil {
		t.Fatal(err)
	}
	var sp struct {
		ID string `json:"Id"`
	}
	emulatortest.Call(t, emu, http.MethodPost, "/api/spaces", map[string]any{"Name": "Race 2", "Description": "theirs", "SpaceManagersTeams": []string{"teams-administrators"}}, &sp)
	emulatortest.Call(t, emu, http.MethodPost, "/api/"+sp.ID+"/environments", map[string]any{"Name": "Prod", "Description": "theirs"}, nil)

	if _, err := step.Apply(ctx, oct, plan); !errors.Is(err, steps.ErrConflict) {
		t.Fatalf("plain Apply = %v, want ErrConflict", err)
	}
	pr := &steps.Progress{}
	final, out, err := steps.Converge(steps.WithProgress(ctx, pr), oct, step, plan)
	if err != nil {
		t.Fatalf("Converge: %v", err)
	}
	if out[steps.OutputSpaceID] != sp.ID || pr.Conflicts() != 1 {
		t.Errorf("outputs %v, re-plans %d, want the new space's Id after one", out, pr.Conflicts())
	}
	if len(pr.Applied()) == 0 || final.Empty() {
		t.Errorf("applied %v, final plan %+v", pr.Applied(), final)
	}
	again, err := step.Plan(ctx, oct)
	if err != nil || !again.Empty() {
		t.Fatalf("plan after Converge: %+v, %v", again, err)
	}
	var envs []struct{ Name, Description string }
	emulatortest.Call(t, emu, http.MethodGet, "/api/"+sp.ID+"/environments/all", nil, &envs)
	if len(envs) != 2 {
		t.Errorf("environments %+v, want Dev and Prod once", envs)
	}
}
