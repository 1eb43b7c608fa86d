package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// hubWithOctofleet starts an emulator with octofleet installed in the
// management space (the package carrying the built binary) and returns a
// client for it.
func hubWithOctofleet(t *testing.T) (*emulator.Server, *octopus.Client) {
	t.Helper()
	needBinary(t)
	ctx := t.Context()
	srv := emulatortest.New(t)
	oct, err := octopus.Dial(ctx, octopus.Options{URL: srv.URL(), APIKey: srv.APIKey()})
	if err != nil {
		t.Fatal(err)
	}
	pkg := mustPackage(t)
	bundle, err := runbooks.Bundle(t.TempDir(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	install := &steps.Install{In: steps.InstallInput{Space: ManagementSpace, Environments: []string{Environment}, HubAPIKey: srv.APIKey()}, Bundle: bundle}
	if _, err := apply(ctx, oct, install); err != nil {
		t.Fatalf("install: %v", err)
	}
	return srv, oct
}

func register(t *testing.T, oct *octopus.Client, name string, vars map[string]string) {
	t.Helper()
	in := steps.RegisterTenantInput{Space: ManagementSpace, Name: name, Tags: []string{runbooks.TagManagedSpace}, Variables: vars}
	if _, err := apply(t.Context(), oct, &steps.RegisterTenant{In: in}); err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
}

func runRunbook(ctx context.Context, oct *octopus.Client, tenant, runbook string) (string, error) {
	var log bytes.Buffer
	trig := steps.Trigger{In: steps.TriggerInput{Space: ManagementSpace, Project: steps.DefaultProject, Tenant: tenant, Environment: Environment, Runbook: runbook, Timeout: "2m"}, Log: &log, PollMin: 20 * time.Millisecond, PollMax: 200 * time.Millisecond}
	_, err := apply(ctx, oct, trig)
	return log.String(), err
}

// spaceIDOf returns the Id of the space named name, "" when there is none.
func spaceIDOf(t *testing.T, oct *octopus.Client, name string) string {
	t.Helper()
	spaces, err := oct.Spaces(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, s := range spaces {
		if s.Name == name {
			id = s.ID
		}
	}
	return id
}

// tenantVariable returns a tenant's value of a project variable template.
func tenantVariable(t *testing.T, oct *octopus.Client, tenant, name string) string {
	t.Helper()
	ctx := t.Context()
	spaceID := spaceIDOf(t, oct, ManagementSpace)
	projects, err := oct.Projects(ctx, spaceID)
	if err != nil {
		t.Fatal(err)
	}
	var project steps.Project
	for _, p := range projects {
		if p.Name == steps.DefaultProject {
			project = p
		}
	}
	tenants, err := oct.Tenants(ctx, spaceID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range tenants {
		if tn.Name != tenant {
			continue
		}
		vals, err := oct.TenantProjectVariables(ctx, spaceID, tn.ID, project.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tpl := range project.Templates {
			if tpl.Name == name {
				for _, env := range vals {
					return env[tpl.ID].Value
				}
			}
		}
	}
	return ""
}

// TestRunbooksPerTenant: for each tenant, a Create Space run creates that
// tenant's space with the name from its variable and records the space's Id
// on the tenant, and a Seed Templates run seeds the management space's
// templates into it.
func TestRunbooksPerTenant(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	t.Parallel()
	srv, oct := hubWithOctofleet(t)
	ctx := t.Context()
	tenants := map[string]string{"Alpha": "Alpha Space", "Beta": "Beta Space"}
	for tenant, space := range tenants {
		register(t, oct, tenant, map[string]string{runbooks.VarSpaceName: space, runbooks.VarInstanceURL: srv.URL(), runbooks.VarInstanceAPIKey: srv.APIKey()})
	}
	for tenant, space := range tenants {
		for _, rb := range []string{runbooks.RunbookCreateSpace, runbooks.RunbookSeedTemplates} {
			if log, err := runRunbook(ctx, oct, tenant, rb); err != nil {
				t.Fatalf("%s for %s: %v\n%s", rb, tenant, err, log)
			}
		}
		id := spaceIDOf(t, oct, space)
		if id == "" {
			t.Fatalf("tenant %s: no space %q after Create Space", tenant, space)
		}
		if got := tenantVariable(t, oct, tenant, runbooks.VarSpaceID); got != id {
			t.Errorf("tenant %s: %s = %q, want %q", tenant, runbooks.VarSpaceID, got, id)
		}
		templates, err := oct.ActionTemplates(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tpl := range templates {
			names = append(names, tpl.Name)
		}
		if !strings.Contains(strings.Join(names, ","), runbooks.TemplateName("create-space")) {
			t.Errorf("space %q was not seeded: templates %q", space, names)
		}
	}
}

// TestFailingStepFailsTask: a step that fails (a space name over the
// server's 50 characters) fails its task, and the task log says why.
func TestFailingStepFailsTask(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end (-short)")
	}
	t.Parallel()
	srv, oct := hubWithOctofleet(t)
	long := strings.Repeat("x", 60)
	register(t, oct, "Gamma", map[string]string{runbooks.VarSpaceName: long, runbooks.VarInstanceURL: srv.URL(), runbooks.VarInstanceAPIKey: srv.APIKey()})
	log, err := runRunbook(t.Context(), oct, "Gamma", runbooks.RunbookCreateSpace)
	if err == nil || !strings.Contains(err.Error(), "ended Failed") {
		t.Fatalf("error = %v, want the task to have failed\n%s", err, log)
	}
	if !strings.Contains(log, "50 characters") || !strings.Contains(log, "exit code 80") {
		t.Errorf("the task log does not say why:\n%s", log)
	}
	if strings.Contains(log, srv.APIKey()) {
		t.Error("the task log shows the API key")
	}
}
