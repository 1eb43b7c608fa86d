package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/internal/ui"
	"github.com/octofleet/octofleet/steps"
)

// The deployable project SeedShop makes in the hub's default space, so that
// a deployment and a runbook run can be started from the web UI.
const (
	ShopProject = "Shop"
	ShopRunbook = "Restart"
	ShopRelease = "1.0.0"
	// UIUser is the web UI's one user (an admin).
	UIUser = "admin"
)

// ShopTenants are the Shop's tenants (in the default space, apart from the
// fleet's tenants of the management space).
var ShopTenants = []string{"Acme", "Globex"}

// SeedShop creates in the hub's default space an environment Production,
// a tenanted project Shop whose deployment process is one Bash step run on
// the server, its tenanted runbook Restart (one Bash step, published), the
// tenants Acme and Globex connected to it in Production, and release 1.0.0.
func (r *Result) SeedShop(ctx context.Context) error {
	hub, err := octopus.Dial(ctx, octopus.Options{URL: r.Hub.URL(), APIKey: HubAPIKey})
	if err != nil {
		return fmt.Errorf("connect to hub: %w", err)
	}
	spaces, err := hub.Spaces(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(spaces, func(s steps.Space) bool { return s.Name == "Default" })
	if i < 0 {
		return fmt.Errorf("the hub has no Default space")
	}
	sp := "/api/" + spaces[i].ID
	create := func(path string, doc octopus.Document) (octopus.Document, error) {
		return hub.CreateDocument(ctx, sp+path, doc, nil)
	}
	first := func(path string) (string, error) {
		docs, err := hub.ListDocuments(ctx, sp+path)
		if err != nil {
			return "", err
		}
		if len(docs) == 0 {
			return "", fmt.Errorf("the Default space has no %s", path)
		}
		return docID(docs[0]), nil
	}
	env, err := create("/environments", octopus.Document{"Name": Environment})
	if err != nil {
		return err
	}
	lifecycle, err := first("/lifecycles/all")
	if err != nil {
		return err
	}
	group, err := first("/projectgroups/all")
	if err != nil {
		return err
	}
	project, err := create("/projects", octopus.Document{"Name": ShopProject, "LifecycleId": lifecycle, "ProjectGroupId": group,
		"TenantedDeploymentMode": "Tenanted", "Description": "A small tenanted project of the demo, to deploy from the web UI."})
	if err != nil {
		return err
	}
	proc, err := hub.GetDocument(ctx, sp+"/projects/"+docID(project)+"/deploymentprocesses")
	if err != nil {
		return err
	}
	proc["Steps"] = scriptSteps("Deploy", `echo "Deploying Shop #{Octopus.Release.Number} for #{Octopus.Deployment.Tenant.Name}"
sleep 1
echo "Shop #{Octopus.Release.Number} is live for #{Octopus.Deployment.Tenant.Name}"`)
	if _, err := hub.UpdateDocument(ctx, sp+"/deploymentprocesses/"+docID(proc), proc); err != nil {
		return err
	}
	rb, err := create("/runbooks", octopus.Document{"ProjectId": docID(project), "Name": ShopRunbook, "MultiTenancyMode": "Tenanted",
		"EnvironmentScope": "All", "DefaultGuidedFailureMode": "EnvironmentDefault"})
	if err != nil {
		return err
	}
	rbProc, err := hub.GetDocument(ctx, sp+"/runbookProcesses/"+fmt.Sprint(rb["RunbookProcessId"]))
	if err != nil {
		return err
	}
	rbProc["Steps"] = scriptSteps("Restart", `echo "Restarting Shop for #{Octopus.Deployment.Tenant.Name}"`)
	if _, err := hub.UpdateDocument(ctx, sp+"/runbookProcesses/"+docID(rbProc), rbProc); err != nil {
		return err
	}
	if _, err := create("/runbookSnapshots?publish=true", octopus.Document{"ProjectId": docID(project), "RunbookId": docID(rb), "Name": "Snapshot 1"}); err != nil {
		return err
	}
	for _, tn := range ShopTenants {
		if _, err := create("/tenants", octopus.Document{"Name": tn, "ProjectEnvironments": map[string]any{docID(project): []string{docID(env)}}}); err != nil {
			return err
		}
	}
	if _, err := create("/releases", octopus.Document{"ProjectId": docID(project), "Version": ShopRelease}); err != nil {
		return err
	}
	return nil
}

func docID(d octopus.Document) string { s, _ := d["Id"].(string); return s }

// scriptSteps is a process of one step whose one action runs script with
// Bash on the server.
func scriptSteps(name, script string) []any {
	return []any{map[string]any{"Name": name, "Condition": "Success", "StartTrigger": "StartAfterPrevious", "PackageRequirement": "LetOctopusDecide",
		"Properties": map[string]any{}, "Actions": []any{map[string]any{"Name": name, "ActionType": "Octopus.Script",
			"Properties": map[string]any{"Octopus.Action.Script.ScriptSource": "Inline", "Octopus.Action.Script.Syntax": "Bash",
				"Octopus.Action.Script.ScriptBody": script, "Octopus.Action.RunOnServer": "true"}}}}}
}

// UIConfig writes the web UI's configuration over the demo's two servers
// into dir and loads it as `octofleet ui --config` does: the API keys in
// files of their own (referenced as file:), the management space Fleet
// Hub on the hub, the job database, and one admin user UIUser whose
// password is random, returned here and stored only as its bcrypt hash.
func (r *Result) UIConfig(dir string) (*ui.Config, string, error) {
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", err
	}
	password := base64.RawURLEncoding.EncodeToString(raw)
	hash, err := ui.HashPassword(password)
	if err != nil {
		return nil, "", err
	}
	keyRef := func(name, key string) (string, error) {
		p := filepath.Join(dir, name+".key")
		return "file:" + p, os.WriteFile(p, []byte(key+"\n"), 0o600)
	}
	hubKey, err := keyRef("hub", HubAPIKey)
	if err != nil {
		return nil, "", err
	}
	regionalKey, err := keyRef("regional", RegionalAPIKey)
	if err != nil {
		return nil, "", err
	}
	cfg := ui.Config{
		Database:        filepath.Join(dir, "ui.db"),
		RefreshInterval: "5s",
		Instances: []ui.InstanceConfig{
			{Name: "hub", URL: r.Hub.URL(), APIKey: hubKey},
			{Name: "regional", URL: r.Regional.URL(), APIKey: regionalKey},
		},
		ManagementSpace: &ui.ManagementSpace{Instance: "hub", Space: ManagementSpace},
		Users:           []ui.UserConfig{{Name: UIUser, PasswordHash: hash, Role: ui.RoleAdmin}},
	}
	doc, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, "ui.json")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		return nil, "", err
	}
	loaded, err := ui.LoadConfig(path)
	if err != nil {
		return nil, "", fmt.Errorf("the demo's UI configuration: %w", err)
	}
	return loaded, password, nil
}
