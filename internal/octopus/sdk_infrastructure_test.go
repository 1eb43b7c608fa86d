package octopus_test

// Accounts, machine policies, deployment targets and workers through the
// real client: create -> get -> list -> modify -> delete, field by field.

import (
	"net/url"
	"strings"
	"testing"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/accounts"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/environments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/machines"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/workers"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

func TestSDKAccounts(t *testing.T) {
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)
	space := c.GetSpaceID()
	env, err := c.Environments.Add(environments.NewEnvironment("Acc Env"))
	if err != nil {
		t.Fatal(err)
	}
	up, err := accounts.NewUsernamePasswordAccount("Deployer", func(a *accounts.UsernamePasswordAccount) {
		a.Username = "deploy"
		a.Password = core.NewSensitiveValue("hunter2")
	})
	if err != nil {
		t.Fatal(err)
	}
	up.EnvironmentIDs = []string{env.GetID()}
	added, err := accounts.Add(c, up)
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	got, err := accounts.GetByID(c, space, added.GetID())
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	u, ok := got.(*accounts.UsernamePasswordAccount)
	if !ok {
		t.Fatalf("got %T, want *accounts.UsernamePasswordAccount", got)
	}
	if u.Name != "Deployer" || u.Username != "deploy" || u.GetAccountType() != accounts.AccountTypeUsernamePassword ||
		len(u.EnvironmentIDs) != 1 || u.EnvironmentIDs[0] != env.GetID() || u.TenantedDeploymentMode != "Untenanted" || u.Slug != "deployer" {
		t.Errorf("served %+v", u)
	}
	if u.Password == nil || !u.Password.HasValue || u.Password.NewValue != nil {
		t.Errorf("password served as %+v, want HasValue and no value", u.Password)
	}
	// Every account type of the swagger is accepted.
	tok, _ := accounts.NewTokenAccount("Api Token", core.NewSensitiveValue("t0ken"))
	if _, err := accounts.Add(c, tok); err != nil {
		t.Fatalf("add token account: %v", err)
	}
	list, err := accounts.Get(c, space, &accounts.AccountsQuery{AccountType: accounts.AccountTypeToken})
	if err != nil || len(list.Items) != 1 || list.Items[0].GetName() != "Api Token" {
		t.Fatalf("list by accountType: %v %+v", err, list)
	}
	all, err := accounts.GetAll(c, space)
	if err != nil || len(all) != 2 {
		t.Fatalf("all: %v %d", err, len(all))
	}
	u.Username = "deploy2"
	// u.Password is as served (HasValue, no NewValue): the secret is kept.
	if _, err := accounts.Update(c, u); err != nil {
		t.Fatalf("update: %v", err)
	}
	got, _ = accounts.GetByID(c, space, u.GetID())
	if g := got.(*accounts.UsernamePasswordAccount); g.Username != "deploy2" || g.Password == nil || !g.Password.HasValue {
		t.Errorf("after update: %+v (password %+v)", g, g.Password)
	}
	var raw string
	emulatortest.Call(t, emu, "GET", "/api/"+space+"/accounts/"+u.GetID(), nil, &raw)
	if strings.Contains(raw, "hunter2") {
		t.Errorf("the secret is served: %s", raw)
	}
	if err := accounts.DeleteByID(c, space, u.GetID()); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := accounts.GetByID(c, space, u.GetID()); err == nil {
		t.Error("deleted account still served")
	}
	status := emulatortest.CallAs(t, emu, emu.APIKey(), "POST", "/api/"+space+"/accounts", map[string]any{"Name": "Bad", "AccountType": "Nope"}, nil)
	if status != 400 {
		t.Errorf("unknown AccountType: status %d, want 400", status)
	}
}

func TestSDKMachinesAndWorkers(t *testing.T) {
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)
	space := c.GetSpaceID()
	env, err := c.Environments.Add(environments.NewEnvironment("Mach Env"))
	if err != nil {
		t.Fatal(err)
	}
	policies, err := c.MachinePolicies.GetAll()
	if err != nil || len(policies) != 1 || !policies[0].IsDefault || policies[0].Name != "Default Machine Policy" {
		t.Fatalf("default machine policy: %v %+v", err, policies)
	}
	tmpl, err := c.MachinePolicies.GetTemplate()
	if err != nil || tmpl.MachineHealthCheckPolicy == nil || tmpl.MachineHealthCheckPolicy.HealthCheckType != "RunScript" {
		t.Fatalf("template: %v %+v", err, tmpl)
	}
	mp := machines.NewMachinePolicy("Fast checks")
	mp.Description = "d"
	mp, err = c.MachinePolicies.Add(mp)
	if err != nil {
		t.Fatalf("add policy: %v", err)
	}
	if mp.IsDefault || mp.ConnectionRetryCountLimit == 0 || mp.MachineCleanupPolicy == nil {
		t.Errorf("new policy %+v", mp)
	}

	target := machines.NewDeploymentTarget("web-1", machines.NewSSHEndpoint("web1.example", 22, "aa:bb"), []string{env.GetID()}, []string{"web"})
	target.MachinePolicyID = mp.GetID()
	added, err := machines.Add(c, target)
	if err != nil {
		t.Fatalf("add target: %v", err)
	}
	got, err := machines.GetByID(c, space, added.GetID())
	if err != nil {
		t.Fatalf("get target: %v", err)
	}
	ssh, _ := got.Endpoint.(*machines.SSHEndpoint)
	if got.Name != "web-1" || got.HealthStatus != "Healthy" || got.MachinePolicyID != mp.GetID() || len(got.Roles) != 1 || got.Roles[0] != "web" ||
		ssh == nil || ssh.Host != "web1.example" || ssh.Port != 22 || got.TenantedDeploymentMode != "Untenanted" {
		t.Errorf("served target %+v (endpoint %+v)", got, got.Endpoint)
	}
	list, err := machines.Get(c, space, machines.MachinesQuery{Roles: []string{"web"}, HealthStatuses: []string{"Healthy"}})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list by role and health: %v %+v", err, list)
	}
	if none, _ := machines.Get(c, space, machines.MachinesQuery{Roles: []string{"db"}}); none == nil || len(none.Items) != 0 {
		t.Errorf("roles=db lists %+v", none)
	}
	got.IsDisabled = true
	got.Roles = []string{"web", "api"}
	if _, err := machines.Update(c, got); err != nil {
		t.Fatalf("update target: %v", err)
	}
	got, _ = machines.GetByID(c, space, added.GetID())
	if !got.IsDisabled || len(got.Roles) != 2 || got.HealthStatus != "Healthy" {
		t.Errorf("after update %+v", got)
	}
	var roles []string
	emulatortest.Call(t, emu, "GET", "/api/"+space+"/machineroles/all", nil, &roles)
	if strings.Join(roles, ",") != "api,web" {
		t.Errorf("machineroles/all = %v", roles)
	}
	var envMachines struct{ Items []map[string]any }
	emulatortest.Call(t, emu, "GET", "/api/"+space+"/environments/"+env.GetID()+"/machines", nil, &envMachines)
	if len(envMachines.Items) != 1 {
		t.Errorf("environment's machines: %+v", envMachines)
	}
	if _, err := c.MachinePolicies.GetByID(mp.GetID()); err != nil {
		t.Fatal(err)
	}
	if status := emulatortest.CallAs(t, emu, emu.APIKey(), "DELETE", "/api/"+space+"/machinepolicies/"+mp.GetID(), nil, nil); status != 400 {
		t.Errorf("delete a policy in use: %d, want 400", status)
	}

	pools, err := c.WorkerPools.GetAll()
	if err != nil || len(pools) == 0 {
		t.Fatalf("worker pools: %v", err)
	}
	uri, _ := url.Parse("https://worker1:10933/")
	w := machines.NewWorker("worker-1", machines.NewListeningTentacleEndpoint(uri, "ABCDEF"))
	w.WorkerPoolIDs = []string{pools[0].ID}
	w.SpaceID = space
	addedW, err := workers.Add(c, w)
	if err != nil {
		t.Fatalf("add worker: %v", err)
	}
	gotW, err := workers.GetByID(c, space, addedW.GetID())
	if err != nil || gotW.Name != "worker-1" || gotW.HealthStatus != "Healthy" || len(gotW.WorkerPoolIDs) != 1 || gotW.MachinePolicyID == "" {
		t.Fatalf("get worker: %v %+v", err, gotW)
	}
	gotW.Name = "worker-one"
	if _, err := workers.Update(c, gotW); err != nil {
		t.Fatalf("update worker: %v", err)
	}
	ws, err := workers.Get(c, space, machines.WorkersQuery{WorkerPoolIDs: []string{pools[0].ID}})
	if err != nil || len(ws.Items) != 1 || ws.Items[0].Name != "worker-one" {
		t.Fatalf("list workers by pool: %v %+v", err, ws)
	}
	if err := workers.DeleteByID(c, space, addedW.GetID()); err != nil {
		t.Fatalf("delete worker: %v", err)
	}
	if err := machines.DeleteByID(c, space, added.GetID()); err != nil {
		t.Fatalf("delete target: %v", err)
	}
	if err := c.MachinePolicies.DeleteByID(mp.GetID()); err != nil {
		t.Fatalf("delete policy: %v", err)
	}
}
