package steps_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/steps"
)

func TestParseLibraryTemplate(t *testing.T) {
	t.Parallel()
	doc := "\xef\xbb\xbf" + `{
  "Id": "x", "Name": "Notify", "Description": "Tells", "ActionType": "Octopus.Script", "Version": 7,
  "Properties": {"Octopus.Action.Script.ScriptBody": "echo", "Octopus.Action.Script.ScriptFileName": null, "Flag": true},
  "Parameters": [
    {"Id": "p1", "Name": "Retries", "Label": "Retries", "HelpText": "", "DefaultValue": 3, "DisplaySettings": {"Octopus.ControlType": "SingleLineText"}, "Links": {}},
    {"Name": "Token", "Label": "Token", "HelpText": "", "DefaultValue": null, "DisplaySettings": {"Octopus.ControlType": "Sensitive"}}
  ],
  "Packages": [{"Id": "k", "Name": "", "PackageId": null, "FeedId": null, "AcquisitionLocation": "Server", "Properties": {"SelectionMode": "deferred"}}],
  "$Meta": {"Type": "ActionTemplate"}, "Category": "other", "LastModifiedBy": "someone", "StepPackageId": "ignored"
}`
	got, err := steps.ParseLibraryTemplate("notify.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := steps.ActionTemplate{
		Name: "Notify", Description: "Tells", ActionType: "Octopus.Script",
		Properties: map[string]string{"Octopus.Action.Script.ScriptBody": "echo", "Flag": "true"},
		Parameters: []steps.TemplateParameter{
			{Name: "Retries", Label: "Retries", DisplaySettings: map[string]string{"Octopus.ControlType": "SingleLineText"}, Default: steps.PropertyValue{Value: "3"}},
			{Name: "Token", Label: "Token", DisplaySettings: map[string]string{"Octopus.ControlType": "Sensitive"}, Default: steps.PropertyValue{Sensitive: true}},
		},
		Packages: []steps.TemplatePackage{{AcquisitionLocation: "Server", Properties: map[string]string{"SelectionMode": "deferred"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed (-want +got):\n%s", diff)
	}
}

func TestLoadLibraryTemplatesDuplicateNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []string{"a.json", "b.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(`{"Name": "Same", "ActionType": "Octopus.Script"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err := steps.LoadLibraryTemplates([]string{dir})
	if err == nil || !cmp.Equal(err.Error(), "step template file "+filepath.Join(dir, "b.json")+`: template name "Same" is also used by `+filepath.Join(dir, "a.json")) {
		t.Errorf("err = %v", err)
	}
	if _, err := steps.LoadLibraryTemplates([]string{filepath.Join(dir, "missing.json")}); err == nil {
		t.Error("a missing path loaded")
	}
}
