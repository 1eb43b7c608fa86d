package octopus_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/actiontemplates"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/channels"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/client"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/deployments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/environments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/libraryvariablesets"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/lifecycles"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/projectgroups"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/projects"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/tagsets"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/tenants"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/variables"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// projSDK is one emulator and the real go-octopusdeploy client connected to
// it over a socket, bound (for the legacy services) to the default space.
type projSDK struct {
	emu   *emulator.Server
	c     *client.Client
	space string
	lcID  string // the default space's Default Lifecycle
	pgID  string // the default space's Default Project Group
}

func newProjSDK(t *testing.T, opts ...func(*emulator.Options)) *projSDK {
	t.Helper()
	emu := emulatortest.New(t, opts...)
	c := mustCoreClient(t, emu)
	s := &projSDK{emu: emu, c: c, space: c.GetSpaceID()}
	if s.space == "" {
		t.Fatal("client found no default space")
	}
	lcs, err := lifecycles.GetAll(c, s.space)
	if err != nil || len(lcs) == 0 {
		t.Fatalf("lifecycles: %v (%d)", err, len(lcs))
	}
	pgs, err := projectgroups.GetAll(c, s.space)
	if err != nil || len(pgs) == 0 {
		t.Fatalf("project groups: %v (%d)", err, len(pgs))
	}
	s.lcID, s.pgID = lcs[0].ID, pgs[0].ID
	return s
}

// project creates a project through the newclient style.
func (s *projSDK) project(t *testing.T, name string, mutate ...func(*projects.Project)) *projects.Project {
	t.Helper()
	p := projects.NewProject(name, s.lcID, s.pgID)
	p.SpaceID = s.space
	for _, m := range mutate {
		m(p)
	}
	got, err := projects.Add(s.c, p)
	if err != nil {
		t.Fatalf("add project %q: %v", name, err)
	}
	return got
}

// statusOf returns the HTTP status of a newclient-style error (0 if none).
func statusOf(err error) int {
	var e *core.APIError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

func TestSDKProjects(t *testing.T) {
	t.Parallel()
	s := newProjSDK(t)

	// Legacy style create: the server adds the owned documents and links.
	legacy, err := s.c.Projects.Add(projects.NewProject("Sample Project", s.lcID, s.pgID))
	if err != nil {
		t.Fatalf("legacy add: %v", err)
	}
	if !strings.HasPrefix(legacy.ID, "Projects-") || legacy.Slug != "sample-project" || legacy.SpaceID != s.space {
		t.Fatalf("created project = %s slug %q space %q", legacy.ID, legacy.Slug, legacy.SpaceID)
	}
	if want := "deploymentprocess-" + legacy.ID; legacy.DeploymentProcessID != want {
		t.Errorf("DeploymentProcessId = %q, want %q", legacy.DeploymentProcessID, want)
	}
	if want := "variableset-" + legacy.ID; legacy.VariableSetID != want {
		t.Errorf("VariableSetId = %q, want %q", legacy.VariableSetID, want)
	}
	for _, l := range []string{"Self", "DeploymentProcess", "Channels", "Variables", "Runbooks", "Releases", "Web"} {
		if legacy.Links[l] == "" {
			t.Errorf("project link %s missing: %v", l, legacy.Links)
		}
	}
	chs, err := s.c.Projects.GetChannels(legacy)
	if err != nil || len(chs) != 1 || chs[0].Name != "Default" || !chs[0].IsDefault {
		t.Fatalf("GetChannels = %v, %v; want the Default channel", chs, err)
	}

	// Lookup by ID and by slug.
	for _, key := range []string{legacy.ID, "sample-project"} {
		got, err := projects.GetByID(s.c, s.space, key)
		if err != nil || got.ID != legacy.ID {
			t.Errorf("GetByID(%q) = %v, %v", key, got, err)
		}
	}
	if got, err := s.c.Projects.GetByName("sample project"); err != nil || got.ID != legacy.ID {
		t.Errorf("legacy GetByName = %v, %v", got, err)
	}

	// Paging.
	for i := range 4 {
		s.project(t, fmt.Sprintf("Paged %d", i))
	}
	page, err := projects.Get(s.c, s.space, projects.ProjectsQuery{PartialName: "paged", Take: 3})
	if err != nil {
		t.Fatal(err)
	}
	if page.TotalResults != 4 || len(page.Items) != 3 || page.Links.PageNext == "" {
		t.Errorf("page 1: total %d items %d next %q", page.TotalResults, len(page.Items), page.Links.PageNext)
	}
	page, err = projects.Get(s.c, s.space, projects.ProjectsQuery{PartialName: "paged", Skip: 3, Take: 3})
	if err != nil || len(page.Items) != 1 || page.Links.PageNext != "" {
		t.Errorf("page 2: %v items, next %q, %v", len(page.Items), page.Links.PageNext, err)
	}
	all, err := projects.GetAll(s.c, s.space)
	if err != nil || len(all) != 5 {
		t.Errorf("GetAll = %d projects, %v; want 5", len(all), err)
	}
	legacyAll, err := s.c.Projects.GetAll()
	if err != nil || len(legacyAll) != 5 {
		t.Errorf("legacy GetAll = %d, %v", len(legacyAll), err)
	}

	// Update.
	legacy.Description = "changed"
	legacy.TenantedDeploymentMode = core.TenantedDeploymentModeTenantedOrUntenanted
	updated, err := projects.Update(s.c, legacy)
	if err != nil || updated.Description != "changed" || updated.TenantedDeploymentMode != core.TenantedDeploymentModeTenantedOrUntenanted {
		t.Fatalf("update = %+v, %v", updated, err)
	}

	// Duplicate names are a 400.
	dup := projects.NewProject("SAMPLE PROJECT", s.lcID, s.pgID)
	dup.SpaceID = s.space
	if _, err := projects.Add(s.c, dup); statusOf(err) != 400 {
		t.Errorf("duplicate add: %v, want 400", err)
	}

	// Delete removes the project and the documents it owns.
	if err := projects.DeleteByID(s.c, s.space, legacy.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := projects.GetByID(s.c, s.space, legacy.ID); statusOf(err) != 404 {
		t.Errorf("get deleted project: %v, want 404", err)
	}
	if _, err := deployments.GetDeploymentProcessByID(s.c, s.space, legacy.DeploymentProcessID); statusOf(err) != 404 {
		t.Errorf("get deleted project's process: %v, want 404", err)
	}
	if _, err := variables.GetVariableSet(s.c, s.space, legacy.VariableSetID); statusOf(err) != 404 {
		t.Errorf("get deleted project's variables: %v, want 404", err)
	}
	if err := s.c.Projects.DeleteByID(legacy.ID); err == nil {
		t.Error("legacy delete of a deleted project succeeded")
	}
}

func TestSDKDeploymentProcess(t *testing.T) {
	t.Parallel()
	s := newProjSDK(t)
	p := s.project(t, "Process")

	dp, err := deployments.GetDeploymentProcessByID(s.c, s.space, p.DeploymentProcessID)
	if err != nil {
		t.Fatal(err)
	}
	if dp.ProjectID != p.ID || dp.Version != 0 || len(dp.Steps) != 0 {
		t.Fatalf("new process = project %q version %d steps %d", dp.ProjectID, dp.Version, len(dp.Steps))
	}

	step := deployments.NewDeploymentStep("Say hello")
	action := deployments.NewDeploymentAction("Say hello", "Octopus.Script")
	action.Properties["Octopus.Action.Script.ScriptBody"] = core.NewPropertyValue("echo hi", false)
	step.Actions = append(step.Actions, action)
	dp.Steps = append(dp.Steps, step)
	dp, err = deployments.UpdateDeploymentProcess(s.c, dp)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if dp.Version != 1 || len(dp.Steps) != 1 || dp.Steps[0].ID == "" || dp.Steps[0].Actions[0].ID == "" {
		t.Fatalf("updated process: version %d, steps %+v", dp.Version, dp.Steps)
	}
	if got := dp.Steps[0].Actions[0].Properties["Octopus.Action.Script.ScriptBody"].Value; got != "echo hi" {
		t.Errorf("script body = %q", got)
	}

	// A stale Version is rejected (optimistic concurrency).
	stale := *dp
	stale.Version = 0
	if _, err := deployments.UpdateDeploymentProcess(s.c, &stale); statusOf(err) != 400 {
		t.Errorf("stale update: %v, want 400", err)
	}

	// The legacy service reads the same document through the project.
	got, err := s.c.DeploymentProcesses.Get(p, "")
	if err != nil || got.Version != 1 || got.Steps[0].Name != "Say hello" {
		t.Fatalf("legacy get = %+v, %v", got, err)
	}
	got.Steps[0].Name = "Renamed"
	got, err = s.c.DeploymentProcesses.Update(got)
	if err != nil || got.Version != 2 || got.Steps[0].Name != "Renamed" {
		t.Fatalf("legacy update = %+v, %v", got, err)
	}
	if sum, err := s.c.Projects.GetSummary(p); err != nil || !sum.HasDeploymentProcess {
		t.Errorf("summary = %+v, %v", sum, err)
	}
	all, err := deployments.GetAllDeploymentProcesses(s.c, s.space)
	if err != nil || len(all) != 1 {
		t.Errorf("all processes = %d, %v", len(all), err)
	}
	if _, err := deployments.GetDeploymentProcessByID(s.c, s.space, "deploymentprocess-Projects-999"); statusOf(err) != 404 {
		t.Errorf("missing process: %v, want 404", err)
	}
}

func TestSDKChannels(t *testing.T) {
	t.Parallel()
	s := newProjSDK(t)
	p := s.project(t, "Channelled")

	ch := channels.NewChannel("Beta", p.ID)
	ch.SpaceID = s.space
	created, err := channels.Add(s.c, ch)
	if err != nil || !strings.HasPrefix(created.ID, "Channels-") || created.IsDefault {
		t.Fatalf("add channel = %+v, %v", created, err)
	}
	byProject, err := channels.GetByProjectID(s.c, s.space, channels.QueryByProjectID{ProjectID: p.ID})
	if err != nil || byProject.TotalResults != 2 {
		t.Fatalf("project channels = %v, %v", byProject, err)
	}
	created.Description = "beta testers"
	updated, err := channels.Update(s.c, created)
	if err != nil || updated.Description != "beta testers" {
		t.Fatalf("update channel = %+v, %v", updated, err)
	}
	dup := channels.NewChannel("beta", p.ID)
	dup.SpaceID = s.space
	if _, err := channels.Add(s.c, dup); statusOf(err) != 400 {
		t.Errorf("duplicate channel in one project: %v, want 400", err)
	}
	// The same name in another project is fine.
	other := s.project(t, "Other")
	same := channels.NewChannel("Beta", other.ID)
	same.SpaceID = s.space
	if _, err := channels.Add(s.c, same); err != nil {
		t.Errorf("same channel name in another project: %v", err)
	}
	if err := channels.DeleteByID(s.c, s.space, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := channels.GetByID(s.c, s.space, created.ID); statusOf(err) != 404 {
		t.Errorf("deleted channel: %v, want 404", err)
	}
}

func TestSDKProjectVariables(t *testing.T) {
	t.Parallel()
	s := newProjSDK(t)
	p := s.project(t, "Vars")

	plain := variables.NewVariable("Greeting")
	plain.Value = "hello"
	secret := variables.NewVariable("Password")
	secret.IsSensitive, secret.Type, secret.Value = true, "Sensitive", "s3cret"
	if _, err := variables.AddSingle(s.c, s.space, p.ID, plain); err != nil {
		t.Fatal(err)
	}
	vs, err := variables.AddSingle(s.c, s.space, p.ID, secret)
	if err != nil {
		t.Fatal(err)
	}
	if vs.Version != 2 || len(vs.Variables) != 2 || vs.OwnerID != p.ID {
		t.Fatalf("variable set: version %d, %d variables, owner %q", vs.Version, len(vs.Variables), vs.OwnerID)
	}
	for _, v := range vs.Variables {
		if v.ID == "" {
			t.Errorf("variable %s has no Id", v.Name)
		}
		if v.Name == "Password" && (v.Value != "" || !v.IsSensitive) {
			t.Errorf("sensitive variable came back as %q", v.Value)
		}
		if v.Name == "Greeting" && v.Value != "hello" {
			t.Errorf("plain variable = %q", v.Value)
		}
	}

	// Round-tripping the set (the SDK sends the masked secret as "") keeps it.
	raw := rawGet(t, s, "/api/"+s.space+"/variables/"+p.VariableSetID)
	if strings.Contains(raw, "s3cret") {
		t.Fatal("variable set JSON contains the secret")
	}
	vs, err = variables.Update(s.c, s.space, p.ID, vs)
	if err != nil || vs.Version != 3 {
		t.Fatalf("round trip: %v, version %d", err, vs.Version)
	}

	// The legacy service reads the same set.
	legacy, err := s.c.Variables.GetAll(p.ID)
	if err != nil || len(legacy.Variables) != 2 {
		t.Fatalf("legacy variables = %+v, %v", legacy, err)
	}
	found, err := variables.GetByName(s.c, s.space, p.ID, "Greeting", nil)
	if err != nil || len(found) != 1 {
		t.Fatalf("GetByName = %v, %v", found, err)
	}
	if _, err := variables.DeleteSingle(s.c, s.space, p.ID, found[0].ID); err != nil {
		t.Fatal(err)
	}
	vs, err = variables.GetAll(s.c, s.space, p.ID)
	if err != nil || len(vs.Variables) != 1 || vs.Variables[0].Name != "Password" {
		t.Fatalf("after delete: %+v, %v", vs, err)
	}
	if _, err := variables.GetAll(s.c, s.space, "Projects-999"); statusOf(err) != 404 {
		t.Errorf("missing variable set: %v, want 404", err)
	}
}

func TestSDKLibraryVariableSets(t *testing.T) {
	t.Parallel()
	s := newProjSDK(t)

	lvs := variables.NewLibraryVariableSet("Shared")
	lvs.SpaceID = s.space
	created, err := libraryvariablesets.Add(s.c, lvs)
	if err != nil {
		t.Fatal(err)
	}
	if want := "variableset-" + created.ID; created.VariableSetID != want || created.ContentType != "Variables" {
		t.Fatalf("created = %+v", created)
	}
	mod := variables.NewScriptModule("Helpers")
	mod.SpaceID, mod.ScriptBody, mod.Syntax = s.space, "function Hello {}", "PowerShell"
	if _, err := s.c.ScriptModules.Add(mod); err != nil {
		t.Fatalf("add script module: %v", err)
	}
	for _, name := range []string{"Shared 2", "Shared 3"} {
		if _, err := s.c.LibraryVariableSets.Add(variables.NewLibraryVariableSet(name)); err != nil {
			t.Fatal(err)
		}
	}

	onlyVars, err := libraryvariablesets.Get(s.c, s.space, variables.LibraryVariablesQuery{ContentType: "Variables", Take: 2})
	if err != nil || onlyVars.TotalResults != 3 || len(onlyVars.Items) != 2 {
		t.Fatalf("Variables page = %v, %v", onlyVars, err)
	}
	modules, err := libraryvariablesets.Get(s.c, s.space, variables.LibraryVariablesQuery{ContentType: "ScriptModule"})
	if err != nil || modules.TotalResults != 1 || modules.Items[0].Name != "Helpers" {
		t.Fatalf("ScriptModule page = %v, %v", modules, err)
	}

	v := variables.NewVariable("Region")
	v.Value = "eu"
	if _, err := variables.AddSingle(s.c, s.space, created.ID, v); err != nil {
		t.Fatalf("add variable to library set: %v", err)
	}

	created.Description = "for all"
	updated, err := libraryvariablesets.Update(s.c, created)
	if err != nil || updated.Description != "for all" {
		t.Fatalf("update = %+v, %v", updated, err)
	}
	dup := variables.NewLibraryVariableSet("shared")
	dup.SpaceID = s.space
	if _, err := libraryvariablesets.Add(s.c, dup); statusOf(err) != 400 {
		t.Errorf("duplicate: %v, want 400", err)
	}
	if err := libraryvariablesets.DeleteByID(s.c, s.space, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := libraryvariablesets.GetByID(s.c, s.space, created.ID); statusOf(err) != 404 {
		t.Errorf("deleted set: %v, want 404", err)
	}
	if _, err := variables.GetVariableSet(s.c, s.space, created.VariableSetID); statusOf(err) != 404 {
		t.Errorf("deleted set's variables: %v, want 404", err)
	}
}

func TestSDKActionTemplates(t *testing.T) {
	t.Parallel()
	s := newProjSDK(t)

	tmpl := actiontemplates.NewActionTemplate("Hello", "Octopus.Script")
	tmpl.SpaceID = s.space
	tmpl.Properties["Octopus.Action.Script.ScriptBody"] = core.NewPropertyValue("echo #{Who}", false)
	tmpl.Properties["Octopus.Action.Script.Syntax"] = core.NewPropertyValue("Bash", false)
	pw := core.NewPropertyValue("hunter2", true)
	tmpl.Parameters = []actiontemplates.ActionTemplateParameter{
		{Name: "Who", Label: "Who", DefaultValue: &core.PropertyValue{Value: "world"}, DisplaySettings: map[string]string{"Octopus.ControlType": "SingleLineText"}},
		{Name: "Password", DefaultValue: &pw, DisplaySettings: map[string]string{"Octopus.ControlType": "Sensitive"}},
	}
	created, err := actiontemplates.Add(s.c, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.ID, "ActionTemplates-") || created.Version != 0 {
		t.Fatalf("created %s version %d", created.ID, created.Version)
	}
	sens := created.Parameters[1].DefaultValue
	if sens == nil || !sens.IsSensitive || sens.SensitiveValue == nil || !sens.SensitiveValue.HasValue || sens.SensitiveValue.NewValue != nil {
		t.Errorf("sensitive default came back as %+v", sens)
	}
	if raw := rawGet(t, s, "/api/"+s.space+"/actiontemplates/"+created.ID); strings.Contains(raw, "hunter2") {
		t.Fatal("action template JSON contains the secret")
	}
	for _, p := range created.Parameters {
		if p.ID == "" {
			t.Errorf("parameter %s has no Id", p.Name)
		}
	}

	created.Description = "says hello"
	v1, err := actiontemplates.Update(s.c, created)
	if err != nil || v1.Version != 1 {
		t.Fatalf("update = version %d, %v", v1.Version, err)
	}
	v1.Properties["Octopus.Action.Script.ScriptBody"] = core.NewPropertyValue("echo bye", false)
	v2, err := s.c.ActionTemplates.Update(v1)
	if err != nil || v2.Version != 2 {
		t.Fatalf("legacy update = %+v, %v", v2, err)
	}
	old, err := actiontemplates.GetVersionByID(s.c, s.space, created.ID, 1)
	if err != nil || old.Version != 1 || old.Properties["Octopus.Action.Script.ScriptBody"].Value != "echo #{Who}" {
		t.Fatalf("version 1 = %+v, %v", old, err)
	}

	if _, err := s.c.ActionTemplates.Add(actiontemplates.NewActionTemplate("Second", "Octopus.Script")); err != nil {
		t.Fatal(err)
	}
	all, err := s.c.ActionTemplates.GetAll()
	if err != nil || len(all) != 2 {
		t.Fatalf("GetAll = %d, %v", len(all), err)
	}
	page, err := s.c.ActionTemplates.Get(actiontemplates.Query{PartialName: "hel", Take: 1})
	if err != nil || page.TotalResults != 1 || page.Items[0].Name != "Hello" {
		t.Fatalf("Get(partialName) = %+v, %v", page, err)
	}
	cats, err := s.c.ActionTemplates.GetCategories()
	if err != nil || len(cats) == 0 {
		t.Fatalf("categories = %v, %v", cats, err)
	}
	found, err := s.c.ActionTemplates.Search("")
	if err != nil || !slices.ContainsFunc(found, func(r actiontemplates.ActionTemplateSearch) bool { return r.ID == created.ID }) {
		t.Fatalf("search = %v, %v", found, err)
	}

	dup := actiontemplates.NewActionTemplate("hello", "Octopus.Script")
	dup.SpaceID = s.space
	if _, err := actiontemplates.Add(s.c, dup); statusOf(err) != 400 {
		t.Errorf("duplicate: %v, want 400", err)
	}
	if err := actiontemplates.DeleteByID(s.c, s.space, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := actiontemplates.GetByID(s.c, s.space, created.ID); statusOf(err) != 404 {
		t.Errorf("deleted: %v, want 404", err)
	}
}

// libraryTemplate is a small step template in the community Library format.
const libraryTemplate = `{
  "Id": "%s",
  "Name": "%s",
  "Description": "From the library",
  "ActionType": "Octopus.Script",
  "Version": 3,
  "CommunityActionTemplateId": null,
  "Author": "octofleet",
  "Packages": [],
  "Properties": {"Octopus.Action.Script.ScriptBody": "echo hi", "Octopus.Action.Script.Syntax": "Bash"},
  "Parameters": [{"Id": "5e1b0b52-c5c1-4a65-9c38-8c7c3c2d5a0f", "Name": "Who", "Label": "Who", "HelpText": "", "DefaultValue": "world", "DisplaySettings": {"Octopus.ControlType": "SingleLineText"}}],
  "LastModifiedBy": "octofleet",
  "$Meta": {"ExportedAt": "2024-01-01T00:00:00.000Z", "OctopusVersion": "2024.1.0", "Type": "ActionTemplate"},
  "Category": "octofleet"
}`

func TestSDKCommunityActionTemplates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i, name := range []string{"Community One", "Community Two"} {
		body := fmt.Sprintf(libraryTemplate, fmt.Sprintf("0e7c2a4e-8f0b-4c55-9d1c-00000000000%d", i+1), name)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("t%d.json", i)), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := newProjSDK(t, func(o *emulator.Options) { o.CommunityTemplatesDir = dir })

	all, err := s.c.CommunityActionTemplates.GetAll()
	if err != nil || len(all) != 2 {
		t.Fatalf("community GetAll = %d, %v", len(all), err)
	}
	one, err := s.c.CommunityActionTemplates.GetByName("Community One")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(one.ID, "CommunityActionTemplates-") || one.Type != "Octopus.Script" || one.Version != 3 || one.Author != "octofleet" {
		t.Fatalf("community template = %+v", one)
	}

	// The server sends the action type as Type (CommunityActionTemplateResource
	// has no ActionType), but the SDK's Install validates ActionType.
	one.ActionType = one.Type
	if _, err := s.c.CommunityActionTemplates.Install(*one); err != nil {
		t.Fatalf("install: %v", err)
	}
	if _, err := s.c.CommunityActionTemplates.InstallToSpace(*one, s.space); err == nil {
		t.Error("second install succeeded, want 400 Action Template already installed")
	}
	installed, err := s.c.ActionTemplates.GetAll()
	if err != nil || len(installed) != 1 {
		t.Fatalf("installed templates = %d, %v", len(installed), err)
	}
	at := installed[0]
	if at.CommunityActionTemplateID != one.ID || at.Name != "Community One" || at.ActionType != "Octopus.Script" {
		t.Fatalf("installed = %+v", at)
	}
	if _, err := s.c.CommunityActionTemplates.UpdateInSpace(*one, s.space); err != nil {
		t.Fatalf("update installation: %v", err)
	}
	at.Description = "edited"
	if _, err := actiontemplates.Update(s.c, at); statusOf(err) != 400 {
		t.Errorf("editing an installed community template: %v, want 400", err)
	}
	if _, err := s.c.CommunityActionTemplates.GetByID("CommunityActionTemplates-999"); err == nil {
		t.Error("missing community template: no error")
	}
}

func TestSDKTenants(t *testing.T) {
	t.Parallel()
	s := newProjSDK(t)
	env, err := environments.Add(s.c, &environments.Environment{Name: "Production", SpaceID: s.space})
	if err != nil {
		t.Fatal(err)
	}
	p := s.project(t, "Tenanted", func(p *projects.Project) {
		p.TenantedDeploymentMode = core.TenantedDeploymentModeTenanted
		pw := core.NewPropertyValue("", true)
		p.Templates = []actiontemplates.ActionTemplateParameter{
			{Name: "Tenant.Url", Label: "URL", DisplaySettings: map[string]string{"Octopus.ControlType": "SingleLineText"}},
			{Name: "Tenant.Key", Label: "Key", DefaultValue: &pw, DisplaySettings: map[string]string{"Octopus.ControlType": "Sensitive"}},
		}
	})
	ts := tagsets.NewTagSet("Region")
	ts.SpaceID = s.space
	ts.Tags = []*tagsets.Tag{tagsets.NewTag("EU", "#00FF00"), tagsets.NewTag("US", "#0000FF")}
	if _, err := tagsets.Add(s.c, ts); err != nil {
		t.Fatal(err)
	}

	tn := tenants.NewTenant("Acme")
	tn.SpaceID = s.space
	tn.TenantTags = []string{"Region/EU"}
	tn.ProjectEnvironments = map[string][]string{p.ID: {env.ID}}
	created, err := tenants.Add(s.c, tn)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.ID, "Tenants-") || created.Links["Variables"] == "" || created.ProjectEnvironments[p.ID][0] != env.ID {
		t.Fatalf("created tenant = %+v", created)
	}

	bad := []struct {
		name   string
		mutate func(*tenants.Tenant)
	}{
		{"unknown tag", func(t *tenants.Tenant) { t.TenantTags = []string{"Region/Mars"} }},
		{"unknown project", func(t *tenants.Tenant) { t.ProjectEnvironments = map[string][]string{"Projects-999": {env.ID}} }},
		{"unknown environment", func(t *tenants.Tenant) { t.ProjectEnvironments = map[string][]string{p.ID: {"Environments-999"}} }},
		{"duplicate name", func(t *tenants.Tenant) { t.Name = "acme" }},
	}
	for _, b := range bad {
		tn := tenants.NewTenant("Other")
		tn.SpaceID = s.space
		b.mutate(tn)
		if _, err := tenants.Add(s.c, tn); statusOf(err) != 400 {
			t.Errorf("%s: %v, want 400", b.name, err)
		}
	}

	for _, name := range []string{"Beta", "Gamma"} {
		if _, err := s.c.Tenants.Add(tenants.NewTenant(name)); err != nil {
			t.Fatal(err)
		}
	}
	page, err := tenants.Get(s.c, s.space, tenants.TenantsQuery{Take: 2})
	if err != nil || page.TotalResults != 3 || len(page.Items) != 2 {
		t.Fatalf("tenants page = %v, %v", page, err)
	}
	tagged, err := tenants.Get(s.c, s.space, tenants.TenantsQuery{Tags: []string{"Region/EU"}})
	if err != nil || tagged.TotalResults != 1 {
		t.Errorf("by tag = %v, %v", tagged, err)
	}
	byProject, err := tenants.Get(s.c, s.space, tenants.TenantsQuery{ProjectID: p.ID})
	if err != nil || byProject.TotalResults != 1 {
		t.Errorf("by project = %v, %v", byProject, err)
	}

	// Legacy tenant variables: set both templates, the secret never comes back.
	tv, err := s.c.Tenants.GetVariables(created)
	if err != nil {
		t.Fatal(err)
	}
	pv, ok := tv.ProjectVariables[p.ID]
	if !ok || len(pv.Templates) != 2 {
		t.Fatalf("tenant variables = %+v", tv)
	}
	byName := map[string]string{}
	for _, tpl := range pv.Templates {
		byName[tpl.Name] = tpl.ID
	}
	pv.Variables = map[string]map[string]core.PropertyValue{env.ID: {
		byName["Tenant.Url"]: core.NewPropertyValue("https://acme.example", false),
		byName["Tenant.Key"]: core.NewPropertyValue("topsecret", true),
	}}
	tv.ProjectVariables[p.ID] = pv
	if _, err := s.c.Tenants.UpdateVariables(created, tv); err != nil {
		t.Fatalf("update variables: %v", err)
	}
	if raw := rawGet(t, s, created.Links["Variables"]); strings.Contains(raw, "topsecret") {
		t.Fatal("tenant variables JSON contains the secret")
	}

	// New-style per-tenant project variables see the same values.
	got, err := tenants.GetProjectVariables(s.c, variables.GetTenantProjectVariablesQuery{TenantID: created.ID, SpaceID: s.space})
	if err != nil || len(got.Variables) != 2 {
		t.Fatalf("project variables = %+v, %v", got, err)
	}
	for _, v := range got.Variables {
		switch v.Template.Name {
		case "Tenant.Url":
			if v.Value.Value != "https://acme.example" {
				t.Errorf("url = %+v", v.Value)
			}
		case "Tenant.Key":
			if !v.Value.IsSensitive || v.Value.SensitiveValue == nil || !v.Value.SensitiveValue.HasValue || v.Value.SensitiveValue.NewValue != nil {
				t.Errorf("key = %+v", v.Value)
			}
		}
	}
	payload := &variables.ModifyTenantProjectVariablesCommand{}
	for _, v := range got.Variables {
		val := v.Value
		if v.Template.Name == "Tenant.Url" {
			val = core.NewPropertyValue("https://acme.example/v2", false)
		}
		payload.Variables = append(payload.Variables, variables.TenantProjectVariablePayload{
			ID: v.ID, ProjectID: v.ProjectID, TemplateID: v.TemplateID, Value: val, Scope: v.Scope,
		})
	}
	if _, err := tenants.UpdateProjectVariables(s.c, s.space, created.ID, payload); err != nil {
		t.Fatalf("update project variables: %v", err)
	}
	all, err := s.c.TenantVariables.GetAll()
	if err != nil || len(all) != 3 {
		t.Fatalf("tenantvariables/all = %d, %v", len(all), err)
	}
	if _, err := tenants.GetCommonVariables(s.c, variables.GetTenantCommonVariablesQuery{TenantID: created.ID, SpaceID: s.space}); err != nil {
		t.Fatalf("common variables: %v", err)
	}

	created.Description = "customer"
	created.TenantTags = []string{"Region/US"}
	updated, err := tenants.Update(s.c, created)
	if err != nil || updated.Description != "customer" || updated.TenantTags[0] != "Region/US" {
		t.Fatalf("update = %+v, %v", updated, err)
	}
	if err := tenants.DeleteByID(s.c, s.space, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tenants.GetByID(s.c, s.space, created.ID); statusOf(err) != 404 {
		t.Errorf("deleted tenant: %v, want 404", err)
	}
}

// rawGet fetches path with plain net/http and returns the body, so tests can
// check what actually travels on the wire.
func rawGet(t *testing.T, s *projSDK, path string) string {
	t.Helper()
	var body string
	if code := emulatortest.Call(t, s.emu, http.MethodGet, path, nil, &body); code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, code)
	}
	return body
}
