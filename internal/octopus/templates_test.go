package octopus_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

func dialTemplates(t *testing.T) (*emulator.Server, *octopus.Client) {
	t.Helper()
	emu := emulatortest.New(t)
	c, err := octopus.Dial(context.Background(), octopus.Options{URL: emu.URL(), APIKey: emu.APIKey()})
	if err != nil {
		t.Fatal(err)
	}
	return emu, c
}

func sampleTemplate() steps.ActionTemplate {
	return steps.ActionTemplate{
		Name: "Notify", Description: "Tells someone", ActionType: "Octopus.Script",
		Properties: map[string]string{"Octopus.Action.Script.ScriptBody": "echo hi", "Octopus.Action.Script.Syntax": "Bash"},
		Parameters: []steps.TemplateParameter{
			{Name: "Url", Label: "URL", HelpText: "where", DisplaySettings: map[string]string{"Octopus.ControlType": "SingleLineText"}, Default: steps.PropertyValue{Value: "3"}},
			{Name: "Token", Label: "Token", DisplaySettings: map[string]string{"Octopus.ControlType": "Sensitive"}, Default: steps.PropertyValue{Sensitive: true, Value: "secret"}},
		},
		Packages: []steps.TemplatePackage{{Name: "tool", PackageID: "acme.tool", FeedID: "feeds-builtin", AcquisitionLocation: "Server", Properties: map[string]string{"Extract": "True"}}},
	}
}

// TestActionTemplateRoundTrip: what the adapter writes reads back the same;
// a sensitive default reads back as HasValue only and survives an update
// that does not send it.
func TestActionTemplateRoundTrip(t *testing.T) {
	t.Parallel()
	emu, c := dialTemplates(t)
	ctx := context.Background()
	space := "Spaces-1"
	created, err := c.CreateActionTemplate(ctx, space, sampleTemplate())
	if err != nil {
		t.Fatal(err)
	}
	all, err := c.ActionTemplates(ctx, space)
	if err != nil || len(all) != 1 {
		t.Fatalf("ActionTemplates = %v, %v", all, err)
	}
	got := all[0]
	want := sampleTemplate()
	want.ID, want.Version = created.ID, got.Version
	want.Parameters[1].Default = steps.PropertyValue{Sensitive: true, HasValue: true}
	ignoreIDs := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ID" && len(p) > 2 }, cmp.Ignore())
	if diff := cmp.Diff(want, got, ignoreIDs); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}

	got.Description = "Tells someone else"
	emu.ResetRequests()
	upd, err := c.UpdateActionTemplate(ctx, space, got)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Version != got.Version+1 || upd.Parameters[1].Default != (steps.PropertyValue{Sensitive: true, HasValue: true}) {
		t.Errorf("after update: version %d (was %d), Token %+v", upd.Version, got.Version, upd.Parameters[1].Default)
	}
	if err := c.DeleteActionTemplate(ctx, space, got.ID); err != nil {
		t.Fatal(err)
	}
	if all, _ := c.ActionTemplates(ctx, space); len(all) != 0 {
		t.Errorf("templates after delete = %v", all)
	}
}

// TestCreateActionTemplateAfterDroppedResponse: the POST succeeded but the
// answer was lost; the adapter finds the template instead of creating it twice.
func TestCreateActionTemplateAfterDroppedResponse(t *testing.T) {
	t.Parallel()
	emu, c := dialTemplates(t)
	ctx := context.Background()
	emu.DropNext(http.MethodPost, "/api/Spaces-1/actiontemplates", 1)
	got, err := c.CreateActionTemplate(ctx, "Spaces-1", sampleTemplate())
	if err != nil {
		t.Fatal(err)
	}
	all, err := c.ActionTemplates(ctx, "Spaces-1")
	if err != nil || len(all) != 1 || all[0].ID != got.ID {
		t.Errorf("templates = %+v (%v), want exactly %s", all, err, got.ID)
	}
}

// TestUpdateProjectKeepsOtherSettings: updating the owned fields keeps what
// octofleet does not model.
func TestUpdateProjectKeepsOtherSettings(t *testing.T) {
	t.Parallel()
	emu, c := dialTemplates(t)
	ctx := context.Background()
	lcs, err := c.Lifecycles(ctx, "Spaces-1")
	if err != nil {
		t.Fatal(err)
	}
	groups, err := c.ProjectGroups(ctx, "Spaces-1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.CreateProject(ctx, "Spaces-1", steps.Project{Name: "Web", LifecycleID: lcs[0].ID, ProjectGroupID: groups[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	proc, err := c.DeploymentProcess(ctx, "Spaces-1", p.ID)
	if err != nil {
		t.Fatal(err)
	}
	proc.Steps = []steps.ProcessStep{{Name: "Run", Properties: map[string]string{}, Actions: []steps.ProcessAction{{Name: "Run", ActionType: "Octopus.Script", Properties: map[string]string{"Octopus.Action.Script.ScriptBody": "echo"}}}}}
	updated, err := c.UpdateDeploymentProcess(ctx, "Spaces-1", proc)
	if err != nil {
		t.Fatal(err)
	}
	if updated.Version != proc.Version+1 || len(updated.Steps) != 1 || updated.Steps[0].Actions[0].Properties["Octopus.Action.Script.ScriptBody"] != "echo" {
		t.Errorf("process after update = %+v", updated)
	}
	if _, err := c.UpdateDeploymentProcess(ctx, "Spaces-1", proc); err == nil {
		t.Error("an update with a stale Version succeeded")
	}

	// Settings octofleet does not model, changed behind its back.
	path := "/api/Spaces-1/projects/" + p.ID
	doc := templatesGet(t, emu, path)
	doc["VersioningStrategy"] = map[string]any{"Template": "1.0.#{Octopus.Version.NextPatch}", "DonorPackage": nil}
	templatesPut(t, emu, path, doc)

	p.Description = "The web app"
	got, err := c.UpdateProject(ctx, "Spaces-1", p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "The web app" || got.DeploymentProcessID != p.DeploymentProcessID || got.VariableSetID != p.VariableSetID {
		t.Errorf("project after update = %+v", got)
	}
	if vs := templatesGet(t, emu, path)["VersioningStrategy"]; !cmp.Equal(vs, doc["VersioningStrategy"]) {
		t.Errorf("VersioningStrategy after update = %v, want %v", vs, doc["VersioningStrategy"])
	}
}

func templatesGet(t *testing.T, emu *emulator.Server, path string) map[string]any {
	t.Helper()
	var out map[string]any
	emulatortest.Call(t, emu, http.MethodGet, path, nil, &out)
	return out
}

func templatesPut(t *testing.T, emu *emulator.Server, path string, doc map[string]any) {
	t.Helper()
	var out map[string]any // the answer must be a JSON document too
	emulatortest.Call(t, emu, http.MethodPut, path, doc, &out)
}
