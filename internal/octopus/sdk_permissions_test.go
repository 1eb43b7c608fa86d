package octopus_test

// A user's permissions as the real client reads them (Users.GetPermissions
// and GetPermissionsConfiguration follow the user's links), the permission
// descriptions and team membership (no SDK methods: over HTTP).

import (
	"net/http"
	"slices"
	"testing"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/permissions"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

func TestSDKUserPermissions(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	u := emulatortest.NewUser(t, emu, "acme-ops",
		emulatortest.Grant{Role: "Project deployer", SpaceID: tasksSpace, Tenants: []string{"Tenants-7"}, Environments: []string{"Environments-3"}},
		emulatortest.Grant{Role: "userroles-usermanager"})
	uc, err := coreClient(t, emu, u.APIKey, tasksSpace)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	me, err := uc.Users.GetMe()
	if err != nil || me.GetID() != u.ID {
		t.Fatalf("me: %v %v", me, err)
	}
	for name, get := range map[string]func() (*permissions.UserPermissionSet, error){
		"permissions":   func() (*permissions.UserPermissionSet, error) { return uc.Users.GetPermissions(me) },
		"configuration": func() (*permissions.UserPermissionSet, error) { return uc.Users.GetPermissionsConfiguration(me) },
	} {
		set, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		dc := set.SpacePermissions.DeploymentCreate
		if len(dc) != 1 || dc[0].SpaceID != tasksSpace || !slices.Equal(dc[0].RestrictedToTenantIds, []string{"Tenants-7"}) ||
			!slices.Equal(dc[0].RestrictedToEnvironmentIds, []string{"Environments-3"}) || len(dc[0].RestrictedToProjectIds) != 0 {
			t.Errorf("%s: DeploymentCreate %+v", name, dc)
		}
		if len(set.SpacePermissions.ProjectCreate) != 0 || len(set.SpacePermissions.AdministerSystem) != 0 {
			t.Errorf("%s: permissions the roles do not grant: %+v %+v", name, set.SpacePermissions.ProjectCreate, set.SpacePermissions.AdministerSystem)
		}
		if !slices.Contains(set.SystemPermissions, "UserView") || slices.Contains(set.SystemPermissions, "AdministerSystem") {
			t.Errorf("%s: system permissions %v", name, set.SystemPermissions)
		}
		var teams []string
		for _, tm := range set.Teams {
			teams = append(teams, tm.ID)
		}
		if !slices.Contains(teams, u.TeamID) || !slices.Contains(teams, "teams-everyone") || !set.IsPermissionsComplete {
			t.Errorf("%s: teams %v", name, teams)
		}
	}

	// The admin's set holds every space permission, unrestricted.
	ac := mustCoreClient(t, emu)
	admin, err := ac.Users.GetMe()
	if err != nil {
		t.Fatal(err)
	}
	set, err := ac.Users.GetPermissions(admin)
	if err != nil {
		t.Fatal(err)
	}
	if dc := set.SpacePermissions.DeploymentCreate; len(dc) != 1 || len(dc[0].RestrictedToTenantIds) != 0 || !slices.Contains(set.SystemPermissions, "AdministerSystem") {
		t.Errorf("admin: DeploymentCreate %+v system %v", dc, set.SystemPermissions)
	}

	// Someone else's permissions need UserView: a user without it is refused
	// (over HTTP: the SDK's GetPermissions panics on an error answer).
	other := emulatortest.NewUser(t, emu, "nobody")
	if status := emulatortest.CallAs(t, emu, other.APIKey, http.MethodGet, "/api/users/"+u.ID+"/permissions", nil, nil); status != 403 {
		t.Errorf("another user's permissions: %d, want 403", status)
	}

	var all map[string]permissions.PermissionDescription
	emulatortest.Call(t, emu, http.MethodGet, "/api/permissions/all", nil, &all)
	if d := all["DeploymentCreate"]; !slices.Equal(d.SupportedRestrictions, []string{"Projects", "ProjectGroups", "Environments", "Tenants"}) ||
		d.CanApplyAtSpaceLevel == nil || !*d.CanApplyAtSpaceLevel || *d.CanApplyAtSystemLevel || d.Description == "" {
		t.Errorf("DeploymentCreate description %+v", d)
	}
	if d := all["AdministerSystem"]; *d.CanApplyAtSpaceLevel || !*d.CanApplyAtSystemLevel {
		t.Errorf("AdministerSystem description %+v", d)
	}
	var members []map[string]any
	if status := emulatortest.CallAs(t, emu, u.APIKey, http.MethodGet, "/api/teammembership?userId="+u.ID, nil, &members); status != 200 {
		t.Fatalf("team membership: %d", status)
	}
	found := false
	for _, m := range members {
		found = found || (m["TeamId"] == u.TeamID && m["UserId"] == u.ID && m["IsDirectlyAssigned"] == true)
	}
	if !found {
		t.Errorf("team membership %v lacks %s", members, u.TeamID)
	}
	if status := emulatortest.CallAs(t, emu, other.APIKey, http.MethodGet, "/api/teammembership?userId="+u.ID, nil, nil); status != 403 {
		t.Errorf("another user's membership: %d, want 403", status)
	}
}
