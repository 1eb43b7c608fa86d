package emulatortest

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
)

// Tenanted is a tenanted project that NewTenanted builds in a space, with a
// tenanted runbook and tenants connected to the space's first environment.
// Its methods change it behind the back of the code under test.
type Tenanted struct {
	Server                                       *emulator.Server
	SpaceID, ProjectID, EnvironmentID, RunbookID string
	Tenants                                      map[string]string // name → Id
}

// NewTenanted creates, in space spaceID (which has an environment, a
// lifecycle and a project group), project name (tenanted deployments) with
// runbook runbook (tenanted, every environment) and the tenants named,
// each connected to the project in the space's first environment. The
// deployment and runbook processes stay empty: see SetDeployScript and
// SetRunbookScript.
func NewTenanted(t testing.TB, srv *emulator.Server, spaceID, name, runbook string, tenants ...string) *Tenanted {
	t.Helper()
	p := &Tenanted{Server: srv, SpaceID: spaceID, Tenants: map[string]string{}}
	sp := "/api/" + spaceID
	var envs, lcs, pgs []map[string]any
	Call(t, srv, http.MethodGet, sp+"/environments/all", nil, &envs)
	Call(t, srv, http.MethodGet, sp+"/lifecycles/all", nil, &lcs)
	Call(t, srv, http.MethodGet, sp+"/projectgroups/all", nil, &pgs)
	if len(envs) == 0 || len(lcs) == 0 || len(pgs) == 0 {
		t.Fatalf("space %s needs an environment, a lifecycle and a project group: %d, %d, %d", spaceID, len(envs), len(lcs), len(pgs))
	}
	p.EnvironmentID = envs[0]["Id"].(string)
	var project, rb map[string]any
	Call(t, srv, http.MethodPost, sp+"/projects", map[string]any{"Name": name, "LifecycleId": lcs[0]["Id"],
		"ProjectGroupId": pgs[0]["Id"], "TenantedDeploymentMode": "Tenanted"}, &project)
	p.ProjectID = project["Id"].(string)
	Call(t, srv, http.MethodPost, sp+"/runbooks", map[string]any{"ProjectId": p.ProjectID, "Name": runbook,
		"MultiTenancyMode": "Tenanted", "EnvironmentScope": "All", "DefaultGuidedFailureMode": "EnvironmentDefault"}, &rb)
	p.RunbookID = rb["Id"].(string)
	for _, tn := range tenants {
		var tenant map[string]any
		Call(t, srv, http.MethodPost, sp+"/tenants", map[string]any{"Name": tn,
			"ProjectEnvironments": map[string]any{p.ProjectID: []string{p.EnvironmentID}}}, &tenant)
		p.Tenants[tn] = tenant["Id"].(string)
	}
	return p
}

// SetDeployScript makes the deployment process one step that runs script
// (Bash, on the server).
func (p *Tenanted) SetDeployScript(t testing.TB, script string) {
	t.Helper()
	sp := "/api/" + p.SpaceID
	var proc map[string]any
	Call(t, p.Server, http.MethodGet, sp+"/projects/"+p.ProjectID+"/deploymentprocesses", nil, &proc)
	proc["Steps"] = ScriptSteps("Hello", script)
	Call(t, p.Server, http.MethodPut, sp+"/deploymentprocesses/"+proc["Id"].(string), proc, nil)
}

// snapshots numbers the snapshots SetRunbookScript publishes.
var snapshots atomic.Int64

// SetRunbookScript makes the runbook's process one step that runs script
// (Bash, on the server) and, if publish, publishes a snapshot of it.
func (p *Tenanted) SetRunbookScript(t testing.TB, script string, publish bool) {
	t.Helper()
	sp := "/api/" + p.SpaceID
	var rb, proc map[string]any
	Call(t, p.Server, http.MethodGet, sp+"/runbooks/"+p.RunbookID, nil, &rb)
	Call(t, p.Server, http.MethodGet, sp+"/runbookProcesses/"+rb["RunbookProcessId"].(string), nil, &proc)
	proc["Steps"] = ScriptSteps("Hello", script)
	Call(t, p.Server, http.MethodPut, sp+"/runbookProcesses/"+proc["Id"].(string), proc, nil)
	if publish {
		Call(t, p.Server, http.MethodPost, sp+"/runbookSnapshots?publish=true", map[string]any{"ProjectId": p.ProjectID,
			"RunbookId": p.RunbookID, "Name": fmt.Sprintf("Snapshot %d", snapshots.Add(1))}, nil)
	}
}

// Release creates a release of the current deployment process.
func (p *Tenanted) Release(t testing.TB, version string) {
	t.Helper()
	Call(t, p.Server, http.MethodPost, "/api/"+p.SpaceID+"/releases", map[string]any{"ProjectId": p.ProjectID, "Version": version}, nil)
}

// ScriptSteps is a process of one step, name, whose one action runs script
// with Bash on the server.
func ScriptSteps(name, script string) []map[string]any {
	return []map[string]any{{"Name": name, "Condition": "Success", "StartTrigger": "StartAfterPrevious", "PackageRequirement": "LetOctopusDecide",
		"Properties": map[string]any{}, "Actions": []map[string]any{{"Name": name, "ActionType": "Octopus.Script",
			"Properties": map[string]any{"Octopus.Action.Script.ScriptSource": "Inline", "Octopus.Action.Script.Syntax": "Bash",
				"Octopus.Action.Script.ScriptBody": script, "Octopus.Action.RunOnServer": "true"}}}}}
}
