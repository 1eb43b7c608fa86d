package runbooks

import (
	"slices"

	"github.com/octofleet/octofleet/steps"
)

// ProjectFile is the project document's path in the export.
const ProjectFile = "octofleet-project.json"

// Names of the tenant variable templates and project variables the runbooks use.
const (
	VarSpaceName      = "Octofleet.SpaceName"
	VarInstanceURL    = "Octofleet.InstanceUrl"
	VarInstanceAPIKey = "Octofleet.InstanceApiKey"
	VarSpaceID        = "Octofleet.SpaceId"
	VarCustomer       = "Octofleet.Customer"
	// VarHubAPIKey is the project's sensitive variable: the API key the
	// runbooks use on the management instance itself.
	VarHubAPIKey = "Octofleet.Hub.ApiKey"
	// VarSeedTemplates is the project variable naming the management space's
	// step templates seeded into each managed space (a glob).
	VarSeedTemplates = "Octofleet.SeedTemplates"
)

// Tenant variable templates the Check Drift runbook records the tenant's
// last drift check in; fleet status reads them back.
const (
	VarDrifted      = "Octofleet.Drifted" // True, False or Error
	VarDriftChanges = "Octofleet.DriftChanges"
	VarDriftChecked = "Octofleet.DriftChecked" // RFC 3339
	VarDriftTask    = "Octofleet.DriftTask"    // the run's task Id
)

// FacadeProject is the project the Create Facade Project runbook makes in a
// customer's space; its runbook, named like the upstream one, runs Seed
// Templates for the customer's tenant.
const FacadeProject = "Refresh step templates"

// Runbook names.
const (
	RunbookCreateSpace         = "Create Space"
	RunbookSeedTemplates       = "Seed Templates"
	RunbookCreateFacadeProject = "Create Facade Project"
	RunbookCloneSettings       = "Clone Instance Settings"
	RunbookCheckDrift          = "Check Drift"
)

// Project is the management-space project octofleet installs, in a
// space-independent form: everything it refers to is named, never an Id.
type Project struct {
	Name                   string `json:"Name"`
	Description            string `json:"Description"`
	ProjectGroup           string `json:"ProjectGroup"`
	Lifecycle              string `json:"Lifecycle"`
	TenantedDeploymentMode string `json:"TenantedDeploymentMode"`
	// Templates are the tenant variable templates.
	Templates []Parameter `json:"Templates"`
	Runbooks  []Runbook   `json:"Runbooks"`
	Meta      Meta        `json:"$Meta"`
}

// Runbook is one runbook of the project and its process.
type Runbook struct {
	Name             string        `json:"Name"`
	Description      string        `json:"Description"`
	MultiTenancyMode string        `json:"MultiTenancyMode"`
	EnvironmentScope string        `json:"EnvironmentScope"`
	Steps            []RunbookStep `json:"Steps"`
}

// RunbookStep is a step of a runbook that runs an octofleet step template.
type RunbookStep struct {
	Name string `json:"Name"`
	// StepTemplate is the template's name.
	StepTemplate string `json:"StepTemplate"`
	// Parameters are the values of the template's parameters.
	Parameters map[string]string `json:"Parameters"`
	// Condition is the step's run condition (Octopus: Success, the default,
	// Failure, Always or Variable) and ConditionExpression the expression of
	// a Variable condition.
	Condition           string `json:"Condition,omitempty"`
	ConditionExpression string `json:"ConditionExpression,omitempty"`
}

// hubConnection points a step at the management instance itself.
func hubConnection(p map[string]string) map[string]string {
	p[ParamServer] = "#{Octopus.Web.ServerUri}"
	p[ParamAPIKey] = "#{" + VarHubAPIKey + "}"
	return p
}

// tenantConnection points a step at the tenant's instance.
func tenantConnection(p map[string]string) map[string]string {
	p[ParamServer] = "#{" + VarInstanceURL + "}"
	p[ParamAPIKey] = "#{" + VarInstanceAPIKey + "}"
	return p
}

// project returns the project document for the steps that exist.
func project(stepNames []string) Project {
	has := func(s string) bool { return slices.Contains(stepNames, s) }
	text := func(name, label, help, def string) Parameter {
		return Parameter{Name: name, Label: label, HelpText: help, DefaultValue: def, DisplaySettings: map[string]string{controlType: singleLine}}
	}
	p := Project{
		Name:                   "octofleet",
		Description:            "Runs octofleet's steps per tenant: each tenant is one managed space, managed instance or facade customer. Installed and kept up to date by `octofleet install`.",
		ProjectGroup:           "Default Project Group",
		Lifecycle:              "Default Lifecycle",
		TenantedDeploymentMode: "Tenanted",
		Templates: []Parameter{
			text(VarSpaceName, "Space name", "Name of the tenant's space.", "#{Octopus.Deployment.Tenant.Name}"),
			text(VarInstanceURL, "Instance URL", "URL of the Octopus instance the tenant's space lives on. Default: this instance.", "#{Octopus.Web.ServerUri}"),
			{Name: VarInstanceAPIKey, Label: "Instance API key", HelpText: "API key for that instance.", DisplaySettings: map[string]string{controlType: sensitive}},
			text(VarSpaceID, "Space Id", "The tenant space's Id, recorded by the Create Space runbook.", ""),
			text(VarCustomer, "Customer", "For a facade tenant: the customer whose facade space is created.", ""),
		},
		Meta: Meta{ExportedAt: exportedAt, OctopusVersion: octopusVersion, Type: "OctofleetProject"},
	}
	tenanted := func(name, desc string, st ...RunbookStep) Runbook {
		return Runbook{Name: name, Description: desc, MultiTenancyMode: "Tenanted", EnvironmentScope: "All", Steps: st}
	}
	if has("create-space") {
		rb := tenanted(RunbookCreateSpace, "Create or update the tenant's space, then record its Id on the tenant.",
			RunbookStep{Name: "Create Space", StepTemplate: TemplateName("create-space"), Parameters: tenantConnection(map[string]string{
				ParamInput: "{\n  \"name\": \"{{ .Vars.spaceName }}\",\n  \"description\": \"Managed by octofleet for tenant {{ .Tenant.Name }}.\"\n}",
				ParamVars:  "spaceName=#{" + VarSpaceName + "}",
			})})
		if has("register-tenant") {
			rb.Steps = append(rb.Steps, RunbookStep{Name: "Record Space Id", StepTemplate: TemplateName("register-tenant"), Parameters: hubConnection(map[string]string{
				ParamSpace: "#{Octopus.Space.Name}",
				ParamInput: "{\n  \"name\": \"{{ .Tenant.Name }}\",\n  \"variables\": {\"" + VarSpaceID + "\": \"{{ .Vars.spaceId }}\"}\n}",
				ParamVars:  "spaceId=#{Octopus.Action[Create Space].Output.SpaceId}",
			})})
		}
		p.Runbooks = append(p.Runbooks, rb)
	}
	if has("seed-templates") {
		// The target is the tenant's space on the tenant's instance (the hub
		// itself for a managed space, a regional instance for a managed
		// instance); the source is the management space on the hub, reached
		// with the hub's key through OCTOFLEET_SOURCE_API_KEY.
		p.Runbooks = append(p.Runbooks, tenanted(RunbookSeedTemplates, "Copy the management space's shared step templates into the tenant's space, on the tenant's instance.",
			RunbookStep{Name: "Seed Templates", StepTemplate: TemplateName("seed-templates"), Parameters: tenantConnection(map[string]string{
				ParamInput:        "{\n  \"targetSpace\": \"{{ .Vars.spaceName }}\",\n  \"source\": {\"server\": \"#{Octopus.Web.ServerUri}\", \"space\": \"{{ .Vars.hub }}\"},\n  \"templates\": [\"{{ .Vars.templates }}\"]\n}",
				ParamVars:         "spaceName=#{" + VarSpaceName + "}\nhub=#{Octopus.Space.Name}\ntemplates=#{" + VarSeedTemplates + "}",
				ParamSourceAPIKey: "#{" + VarHubAPIKey + "}",
			})}))
	}
	if has("create-facade-project") {
		p.Runbooks = append(p.Runbooks, tenanted(RunbookCreateFacadeProject, "Create the customer's facade: their own space, with a project whose runbook runs this project's Seed Templates runbook for the customer's tenant.",
			RunbookStep{Name: "Create Facade Project", StepTemplate: TemplateName("create-facade-project"), Parameters: hubConnection(map[string]string{
				ParamInput: `{
  "upstream": {
    "serverUrl": "#{Octopus.Web.ServerUri}",
    "space": "{{ .Vars.hub }}",
    "project": "octofleet",
    "tenant": "{{ .Tenant.Name }}",
    "environment": "{{ .Vars.environment }}",
    "runbook": "` + RunbookSeedTemplates + `"
  },
  "space": {"name": "{{ .Vars.spaceName }}", "description": "Self-service space of {{ .Tenant.Name }}."},
  "project": {"name": "` + FacadeProject + `", "environments": ["Production"]}
}`,
				ParamVars:                    "hub=#{Octopus.Space.Name}\nenvironment=#{Octopus.Environment.Name}\nspaceName=#{" + VarSpaceName + "}",
				"Octofleet.ManagementApiKey": "#{" + VarHubAPIKey + "}",
			})}))
	}
	if has("check-drift") {
		p.Templates = append(p.Templates,
			text(VarDrifted, "Drifted", "Recorded by the Check Drift runbook: True when the tenant's last drift check found changes, False when it was in line, Error when the check failed.", ""),
			text(VarDriftChanges, "Drift changes", "Recorded by the Check Drift runbook: how many changes the last drift check found.", ""),
			text(VarDriftChecked, "Drift checked", "Recorded by the Check Drift runbook: when the last drift check ran (RFC 3339).", ""),
			text(VarDriftTask, "Drift task", "Recorded by the Check Drift runbook: the task of the last drift check.", ""),
		)
	}
	if has("clone-instance-settings") {
		p.Runbooks = append(p.Runbooks, tenanted(RunbookCloneSettings, "Make the tenant's instance's shared settings match this (the management) instance.",
			RunbookStep{Name: "Clone Instance Settings", StepTemplate: TemplateName("clone-instance-settings"), Parameters: hubConnection(map[string]string{
				ParamInput:               "{}",
				"Octofleet.TargetServer": "#{" + VarInstanceURL + "}",
				"Octofleet.TargetApiKey": "#{" + VarInstanceAPIKey + "}",
			})}))
	}
	if has("check-drift") && has("register-tenant") {
		// check-drift plans the steps of the tenant's pattern runbooks (the
		// fleet engine derives them from the runbooks above) and exits 2 when
		// the tenant drifted, failing the task so the dashboard shows it.
		// Record Drift runs whenever the check set its outputs (a Variable
		// condition runs after a failed step too, octopus.com/docs/projects/
		// steps/conditions#run-condition) and records them on the tenant.
		p.Runbooks = append(p.Runbooks, tenanted(RunbookCheckDrift, "Plan every step the tenant's runbooks run and change nothing; record the result on the tenant (Octofleet.Drifted, Octofleet.DriftChanges, Octofleet.DriftChecked, Octofleet.DriftTask) and fail when the tenant drifted.",
			RunbookStep{Name: "Check Drift", StepTemplate: TemplateName("check-drift"), Parameters: hubConnection(map[string]string{
				ParamSpace:               "#{Octopus.Space.Name}",
				ParamInput:               "{\n  \"tenant\": \"{{ .Tenant.Name }}\"\n}",
				"Octofleet.TargetApiKey": "#{" + VarInstanceAPIKey + "}",
			})},
			RunbookStep{Name: "Record Drift", StepTemplate: TemplateName("register-tenant"), Condition: "Variable",
				ConditionExpression: "#{if Octopus.Action[Check Drift].Output.Checked}True#{/if}",
				Parameters: hubConnection(map[string]string{
					ParamSpace: "#{Octopus.Space.Name}",
					ParamInput: "{\n  \"name\": \"{{ .Tenant.Name }}\",\n  \"variables\": {\n    \"" + VarDrifted + "\": \"{{ .Vars.drifted }}\",\n    \"" + VarDriftChanges + "\": \"{{ .Vars.changes }}\",\n    \"" + VarDriftChecked + "\": \"{{ .Vars.checked }}\",\n    \"" + VarDriftTask + "\": \"{{ .Vars.task }}\"\n  }\n}",
					ParamVars:  "drifted=#{Octopus.Action[Check Drift].Output.Drifted}\nchanges=#{Octopus.Action[Check Drift].Output.Changes}\nchecked=#{Octopus.Action[Check Drift].Output.Checked}\ntask=#{Octopus.Task.Id}",
				})}))
	}
	return p
}

// promotionStep is the step of the promotion project's deployment process
// (octofleet install --promotion): promote from the source instance to the
// instance of the environment deployed to, through the project's variables
// (the target's URL and key scoped to each environment).
func promotionStep() RunbookStep {
	return RunbookStep{Name: steps.PromotionStep, StepTemplate: TemplateName("promote"), Parameters: map[string]string{
		ParamServer:     "#{" + steps.VarPromotionTargetURL + "}",
		ParamAPIKey:     "#{" + steps.VarPromotionTargetAPIKey + "}",
		ParamFromServer: "#{" + steps.VarPromotionSourceURL + "}",
		ParamFromAPIKey: "#{" + steps.VarPromotionSourceAPIKey + "}",
		ParamInput:      "#{" + steps.VarPromotionInput + "}",
	}}
}
