package steps

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// CreateFacadeProjectInput is the desired state of a customer's facade: the
// customer's space (created or converged by create-space), a project there
// whose single step runs `octofleet trigger` against the management space for
// the customer's tenant, the project variables that step reads, and a
// customer team that can run the facade and sees only that space. Its JSON
// form is schemas/create-facade-project.schema.json.
type CreateFacadeProjectInput struct {
	Upstream FacadeUpstreamInput `json:"upstream"`
	Space    FacadeSpaceInput    `json:"space"`
	Project  FacadeProjectInput  `json:"project"`
	Team     *FacadeTeamInput    `json:"team,omitempty"`
	// Command is how the worker runs octofleet: a name on its PATH or an
	// absolute path. Default "octofleet". Not used when the step carries the
	// octofleet package (CreateFacadeProject.Package).
	Command string `json:"command,omitempty"`
}

// FacadeUpstreamInput is what the facade calls in the management space, and
// how it gets there.
type FacadeUpstreamInput struct {
	ServerURL   string `json:"serverUrl,omitempty"`
	Space       string `json:"space,omitempty"`
	Project     string `json:"project,omitempty"`
	Tenant      string `json:"tenant,omitempty"`
	Environment string `json:"environment,omitempty"`
	// Runbook, when set, makes a runbook facade: the facade runs this runbook's
	// published snapshot. Otherwise Release makes a deployment facade.
	Runbook string              `json:"runbook,omitempty"`
	Release *FacadeReleaseInput `json:"release,omitempty"`
	// Timeout bounds the wait for the upstream task (a Go duration, e.g. "45m");
	// trigger's default when empty.
	Timeout string `json:"timeout,omitempty"`
	// APIKeyVariable names the sensitive project variable holding the
	// management API key. Default "Management.ApiKey".
	APIKeyVariable string `json:"apiKeyVariable,omitempty"`
	// APIKey is the management API key: written when the variable has no
	// value yet, or when RotateAPIKey is set. Never printed.
	APIKey       string `json:"apiKey,omitempty"`
	RotateAPIKey bool   `json:"rotateApiKey,omitempty"`
}

// FacadeReleaseInput picks the upstream release a deployment facade deploys:
// Version, or the latest release of Channel (the project's default channel
// when empty).
type FacadeReleaseInput struct {
	Version string `json:"version,omitempty"`
	Channel string `json:"channel,omitempty"`
}

// FacadeSpaceInput is the customer's space; create-space creates or converges
// it with these fields.
type FacadeSpaceInput struct {
	Name         string   `json:"name,omitempty"`
	Description  *string  `json:"description,omitempty"`
	ManagerTeams []string `json:"managerTeams,omitempty"`
	ManagerUsers []string `json:"managerUsers,omitempty"`
}

// FacadeProjectInput is the facade project in the customer's space.
type FacadeProjectInput struct {
	Name        string  `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	// Group is the project group (created when missing). Default "Default Project Group".
	Group string `json:"group,omitempty"`
	// Lifecycle must exist in the customer space. Default "Default Lifecycle".
	Lifecycle string `json:"lifecycle,omitempty"`
	// Environments of the customer space the facade runs in (created when
	// missing); the facade runbook is scoped to them.
	Environments []string `json:"environments,omitempty"`
	// Runbook is the facade runbook's name (runbook facades). Default: the
	// upstream runbook's name.
	Runbook string `json:"runbook,omitempty"`
	// StepName is the name of the facade's step. Default "Run upstream".
	StepName string `json:"stepName,omitempty"`
}

// FacadeTeamInput is the customer team: created in the customer space, its
// roles granted in that space only.
type FacadeTeamInput struct {
	Name        string   `json:"name,omitempty"`
	Description *string  `json:"description,omitempty"`
	Members     []string `json:"members,omitempty"`
	// Roles default to "Project viewer" and "Runbook consumer" for a runbook
	// facade, "Project deployer" and "Release creator" for a deployment facade.
	Roles []string `json:"roles,omitempty"`
}

// Defaults of the facade input.
const (
	DefaultFacadeCommand        = "octofleet"
	DefaultFacadeAPIKeyVariable = "Management.ApiKey"
	DefaultFacadeStepName       = "Run upstream"
	DefaultFacadeProjectGroup   = "Default Project Group"
	DefaultFacadeLifecycle      = "Default Lifecycle"
)

// The non-secret project variables the facade step reads.
const (
	FacadeVarServerURL = "Management.ServerUrl"
	FacadeVarSpace     = "Management.Space"
	FacadeVarProject   = "Management.Project"
	FacadeVarTenant    = "Management.Tenant"
)

// IsRunbook reports whether the facade calls a runbook (else a deployment).
func (in CreateFacadeProjectInput) IsRunbook() bool { return in.Upstream.Runbook != "" }

// serverURLShape is what trigger's --server accepts.
var serverURLShape = regexp.MustCompile(`^https?://[^\s/?#]+(/[^\s?#]*)?$`)

// Render expands the templates in every string field (see Render), fills the
// defaults, and checks what the schema cannot: lengths after rendering and a
// parseable timeout. The API key is never a template and never echoed.
func (in CreateFacadeProjectInput) Render(data TemplateData) (CreateFacadeProjectInput, error) {
	out := in
	out.Space.Description = clonePtr(in.Space.Description)
	out.Space.ManagerTeams = slices.Clone(in.Space.ManagerTeams)
	out.Space.ManagerUsers = slices.Clone(in.Space.ManagerUsers)
	out.Project.Description = clonePtr(in.Project.Description)
	out.Project.Environments = slices.Clone(in.Project.Environments)
	if in.Upstream.Release != nil {
		r := *in.Upstream.Release
		out.Upstream.Release = &r
	}
	if in.Team != nil {
		t := *in.Team
		t.Description = clonePtr(t.Description)
		t.Members, t.Roles = slices.Clone(t.Members), slices.Clone(t.Roles)
		out.Team = &t
	}
	r := renderer{data: data}
	u := &out.Upstream
	for _, f := range []struct {
		field string
		s     *string
	}{
		{"upstream.serverUrl", &u.ServerURL}, {"upstream.space", &u.Space}, {"upstream.project", &u.Project},
		{"upstream.tenant", &u.Tenant}, {"upstream.environment", &u.Environment}, {"upstream.runbook", &u.Runbook},
		{"upstream.apiKeyVariable", &u.APIKeyVariable}, {"space.name", &out.Space.Name}, {"project.name", &out.Project.Name},
		{"project.group", &out.Project.Group}, {"project.lifecycle", &out.Project.Lifecycle}, {"project.runbook", &out.Project.Runbook},
		{"project.stepName", &out.Project.StepName}, {"command", &out.Command},
	} {
		r.str(f.field, f.s)
	}
	if u.Release != nil {
		r.str("upstream.release.version", &u.Release.Version)
		r.str("upstream.release.channel", &u.Release.Channel)
	}
	r.ptr("space.description", out.Space.Description)
	r.all("space.managerTeams", out.Space.ManagerTeams)
	r.all("space.managerUsers", out.Space.ManagerUsers)
	r.ptr("project.description", out.Project.Description)
	r.all("project.environments", out.Project.Environments)
	if out.Team != nil {
		r.named("team", &out.Team.Name, out.Team.Description)
		r.all("team.members", out.Team.Members)
		r.all("team.roles", out.Team.Roles)
		r.maxLen("team.name", out.Team.Name, maxTeamName)
	}
	r.maxLen("space.name", out.Space.Name, maxSpaceName)
	for i, e := range out.Project.Environments {
		r.maxLen(fmt.Sprintf("project.environments[%d]", i), e, maxEnvironmentName)
	}
	if r.err != nil {
		return CreateFacadeProjectInput{}, r.err
	}
	if !serverURLShape.MatchString(u.ServerURL) {
		return CreateFacadeProjectInput{}, &InputError{Field: "upstream.serverUrl", Err: fmt.Errorf("%q is not an http(s) URL without query or fragment", u.ServerURL)}
	}
	if u.Timeout != "" {
		if d, err := time.ParseDuration(u.Timeout); err != nil || d <= 0 {
			return CreateFacadeProjectInput{}, &InputError{Field: "upstream.timeout", Err: fmt.Errorf("%q is not a positive duration such as 30m", u.Timeout)}
		}
	}
	for _, f := range [][2]string{{"space.name", out.Space.Name}, {"project.name", out.Project.Name},
		{"upstream.space", u.Space}, {"upstream.project", u.Project}, {"upstream.tenant", u.Tenant}, {"upstream.environment", u.Environment}} {
		if strings.TrimSpace(f[1]) == "" {
			return CreateFacadeProjectInput{}, &InputError{Field: f[0], Err: errors.New("renders to an empty name")}
		}
	}
	(&out).fillDefaults()
	for _, kv := range out.variables() {
		if out.Upstream.APIKeyVariable == kv[0] {
			return CreateFacadeProjectInput{}, &InputError{Field: "upstream.apiKeyVariable", Err: fmt.Errorf("%q is one of the facade's own variables", kv[0])}
		}
	}
	return out, nil
}

// fillDefaults sets every optional field the plan relies on.
func (in *CreateFacadeProjectInput) fillDefaults() {
	if in.Command == "" {
		in.Command = DefaultFacadeCommand
	}
	if in.Upstream.APIKeyVariable == "" {
		in.Upstream.APIKeyVariable = DefaultFacadeAPIKeyVariable
	}
	if in.Project.Group == "" {
		in.Project.Group = DefaultFacadeProjectGroup
	}
	if in.Project.Lifecycle == "" {
		in.Project.Lifecycle = DefaultFacadeLifecycle
	}
	if in.Project.StepName == "" {
		in.Project.StepName = DefaultFacadeStepName
	}
	if in.IsRunbook() && in.Project.Runbook == "" {
		in.Project.Runbook = in.Upstream.Runbook
	}
	if !in.IsRunbook() && in.Upstream.Release == nil {
		in.Upstream.Release = &FacadeReleaseInput{}
	}
	if in.Team != nil && in.Team.Roles == nil {
		if in.IsRunbook() {
			in.Team.Roles = []string{"Project viewer", "Runbook consumer"}
		} else {
			in.Team.Roles = []string{"Project deployer", "Release creator"}
		}
	}
}

// spaceInput is what create-space makes of the customer space: the space,
// the facade's environments and project group, and the customer team with
// its roles granted in this space (create-space only ever scopes a team's
// roles to its own space, so the team cannot see the management space).
func (in CreateFacadeProjectInput) spaceInput() CreateSpaceInput {
	out := CreateSpaceInput{
		Name:         in.Space.Name,
		Description:  clonePtr(in.Space.Description),
		ManagerTeams: slices.Clone(in.Space.ManagerTeams),
		ManagerUsers: slices.Clone(in.Space.ManagerUsers),
	}
	for _, e := range in.Project.Environments {
		out.Environments = append(out.Environments, EnvironmentInput{Name: e})
	}
	if in.Project.Group != DefaultFacadeProjectGroup {
		out.ProjectGroups = []ProjectGroupInput{{Name: in.Project.Group}}
	}
	if t := in.Team; t != nil {
		ti := TeamInput{Name: t.Name, Description: clonePtr(t.Description), Members: slices.Clone(t.Members), Roles: []RoleInput{}}
		for _, r := range t.Roles {
			ti.Roles = append(ti.Roles, RoleInput{Role: r})
		}
		out.Teams = []TeamInput{ti}
	}
	return out
}

// variables are the facade's project variables, by name, in the order the
// plan lists them; the API key is not among them (it is sensitive).
func (in CreateFacadeProjectInput) variables() [][2]string {
	u := in.Upstream
	return [][2]string{
		{FacadeVarServerURL, u.ServerURL},
		{FacadeVarSpace, u.Space},
		{FacadeVarProject, u.Project},
		{FacadeVarTenant, u.Tenant},
	}
}

// Script returns the Bash body of the facade step. The upstream coordinates
// and the API key are read from the project variables at run time with
// get_octopusvariable, so no value is ever pasted into a command line and no
// quoting of names can break: the API key reaches trigger only through the
// OCTOPUS_API_KEY environment variable (Octopus masks sensitive values in
// the task log as well). The literal arguments are shell-quoted, and "#{"
// in them is escaped as "##{" so Octopus does not substitute it.
func (in CreateFacadeProjectInput) Script() string { return in.script(shellQuote(in.Command)) }

// packagedCommand is the facade script's command when the step references
// the octofleet package: the binary in the folder Octopus extracted the
// package reference named ref to (Octopus.Action.Package[ref].ExtractedPath,
// as scripts/step.sh runs it).
func packagedCommand(ref string) string {
	return fmt.Sprintf(`"$(get_octopusvariable %s)/octofleet"`, shellQuote("Octopus.Action.Package["+ref+"].ExtractedPath"))
}

// script is the facade step's Bash body with command (already quoted) as
// the octofleet binary.
func (in CreateFacadeProjectInput) script(command string) string {
	u := in.Upstream
	var b strings.Builder
	b.WriteString("# Managed by octofleet create-facade-project: changes here are overwritten on its next run.\n")
	b.WriteString("set -eu\n")
	fmt.Fprintf(&b, "OCTOPUS_URL=\"$(get_octopusvariable %s)\"\n", shellQuote(FacadeVarServerURL))
	fmt.Fprintf(&b, "OCTOPUS_API_KEY=\"$(get_octopusvariable %s)\"\n", shellQuote(u.APIKeyVariable))
	b.WriteString("export OCTOPUS_URL OCTOPUS_API_KEY\n")
	fmt.Fprintf(&b, "exec %s trigger \\\n", command)
	fmt.Fprintf(&b, "  --space \"$(get_octopusvariable %s)\" \\\n", shellQuote(FacadeVarSpace))
	fmt.Fprintf(&b, "  --project \"$(get_octopusvariable %s)\" \\\n", shellQuote(FacadeVarProject))
	fmt.Fprintf(&b, "  --tenant \"$(get_octopusvariable %s)\" \\\n", shellQuote(FacadeVarTenant))
	fmt.Fprintf(&b, "  --environment %s \\\n", shellQuote(u.Environment))
	if in.IsRunbook() {
		fmt.Fprintf(&b, "  --runbook %s \\\n", shellQuote(u.Runbook))
	} else {
		if u.Release.Version != "" {
			fmt.Fprintf(&b, "  --release-version %s \\\n", shellQuote(u.Release.Version))
		}
		if u.Release.Channel != "" {
			fmt.Fprintf(&b, "  --channel %s \\\n", shellQuote(u.Release.Channel))
		}
	}
	if u.Timeout != "" {
		fmt.Fprintf(&b, "  --timeout %s \\\n", shellQuote(u.Timeout))
	}
	b.WriteString("  --output octopus\n")
	return b.String()
}

// shellQuote quotes s for Bash and escapes Octopus's "#{".
func shellQuote(s string) string {
	s = strings.ReplaceAll(s, "#{", "##{")
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// The properties of the facade's script action.
const (
	propScriptSource = "Octopus.Action.Script.ScriptSource"
	propScriptSyntax = "Octopus.Action.Script.Syntax"
	propScriptBody   = "Octopus.Action.Script.ScriptBody"
	propRunOnServer  = "Octopus.Action.RunOnServer"
	scriptActionType = "Octopus.Script"
	// builtInFeedID is the Id of the built-in package feed, the same in
	// every space.
	builtInFeedID = "feeds-builtin"
)

// facadeStep is the step the facade owns: one Bash script action that runs
// on the server's built-in worker (or the default worker pool). With pkg it
// references the octofleet package in the space's built-in feed, extracted
// for the step, and runs the binary from it: the worker needs no octofleet
// of its own and nothing is downloaded at run time.
func (in CreateFacadeProjectInput) facadeStep(keep *ProcessStep, pkg *PackageFile) ProcessStep {
	st := ProcessStep{Name: in.Project.StepName, Condition: "Success", StartTrigger: "StartAfterPrevious",
		PackageRequirement: "LetOctopusDecide", Properties: map[string]string{}}
	body := in.Script()
	var pkgs []TemplatePackage
	if pkg != nil {
		body = in.script(packagedCommand(pkg.PackageID))
		pkgs = []TemplatePackage{{Name: pkg.PackageID, PackageID: pkg.PackageID, FeedID: builtInFeedID, AcquisitionLocation: "Server",
			Properties: map[string]string{"Extract": "True", "SelectionMode": "immediate", "Purpose": ""}}}
	}
	a := ProcessAction{Name: in.Project.StepName, ActionType: scriptActionType, Packages: pkgs, Properties: map[string]string{
		propScriptSource: "Inline", propScriptSyntax: "Bash", propScriptBody: body, propRunOnServer: "true",
	}}
	if keep != nil { // update in place: keep the step's and action's Ids and settings octofleet does not own
		st.ID, st.Condition, st.StartTrigger, st.PackageRequirement = keep.ID, keep.Condition, keep.StartTrigger, keep.PackageRequirement
		if keep.Properties != nil {
			st.Properties = keep.Properties
		}
		if len(keep.Actions) > 0 {
			k := keep.Actions[0]
			a.ID, a.Notes, a.Environments, a.ExcludedEnvironments, a.Channels, a.TenantTags = k.ID, k.Notes, k.Environments, k.ExcludedEnvironments, k.Channels, k.TenantTags
			a.WorkerPoolID, a.WorkerPoolVariable, a.Condition = k.WorkerPoolID, k.WorkerPoolVariable, k.Condition
			for key, v := range k.Properties {
				if _, owned := a.Properties[key]; !owned {
					a.Properties[key] = v
				}
			}
		}
	}
	st.Actions = []ProcessAction{a}
	return st
}
