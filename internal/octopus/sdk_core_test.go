package octopus_test

// The real go-octopusdeploy client, in both its styles (legacy services such
// as client.Spaces.Add and the newclient package functions such as
// spaces.GetByID(c, id)), against the emulator over a socket: the emulator's
// core resources must be indistinguishable from a real server's for it.

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/client"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/environments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/feeds"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/lifecycles"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/projectgroups"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/spaces"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/tagsets"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/teams"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/userroles"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/users"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// coreClient connects the real client to emu with key, bound to spaceID ("" =
// the default space, found through GET /api/spaces).
func coreClient(t *testing.T, emu *emulator.Server, key, spaceID string) (*client.Client, error) {
	t.Helper()
	u, err := url.Parse(emu.URL())
	if err != nil {
		t.Fatal(err)
	}
	return client.NewClient(nil, u, key, spaceID)
}

// newCoreSpace starts an emulator and returns a client bound to its default
// space, and that space's Id.
func newCoreSpace(t *testing.T) (*client.Client, string) {
	t.Helper()
	c := mustCoreClient(t, emulatortest.New(t))
	return c, c.GetSpaceID()
}

// mustCoreClient is coreClient that fails the test on error.
func mustCoreClient(t *testing.T, emu *emulator.Server) *client.Client {
	t.Helper()
	c, err := coreClient(t, emu, emu.APIKey(), "")
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

// makeSpaceManager adds a user to the space's managers team, so that the
// user may work in that space.
func makeSpaceManager(t *testing.T, c *client.Client, userID, spaceID string) {
	t.Helper()
	team, err := c.Teams.GetByID("teams-spacemanagers-" + spaceID)
	if err != nil {
		t.Fatalf("space managers team: %v", err)
	}
	team.MemberUserIDs = append(team.MemberUserIDs, userID)
	if _, err := c.Teams.Update(team); err != nil {
		t.Fatalf("add %s to the space managers: %v", userID, err)
	}
}

// coreStatus returns the HTTP status inside an SDK error (0 when there is none).
func coreStatus(err error) int {
	var apiErr *core.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}

// wantStatus fails unless err carries status.
func wantStatus(t *testing.T, what string, err error, status int) {
	t.Helper()
	if got := coreStatus(err); got != status {
		t.Fatalf("%s: error %v (status %d), want status %d", what, err, got, status)
	}
}

// wantFailure fails unless err is a failure mentioning substr: the legacy
// services turn a 400 with Errors into a plain error that quotes them.
func wantFailure(t *testing.T, what string, err error, substr string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), substr) {
		t.Fatalf("%s: error %v, want one mentioning %q", what, err, substr)
	}
}

func TestSDKCoreConnect(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	tests := []struct {
		name, key, space string
		wantSpace        string
		wantErr          bool
	}{
		{name: "default space discovered", key: emu.APIKey(), wantSpace: "Spaces-1"},
		{name: "explicit space", key: emu.APIKey(), space: "Spaces-1", wantSpace: "Spaces-1"},
		{name: "unknown space", key: emu.APIKey(), space: "Spaces-99", wantErr: true},
		{name: "wrong key", key: "API-WRONGKEY00000000000000000", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := coreClient(t, emu, tt.key, tt.space)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewClient succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			if got := c.GetSpaceID(); got != tt.wantSpace {
				t.Errorf("space = %q, want %q", got, tt.wantSpace)
			}
			// A legacy service built from the root links works.
			if _, err := c.Environments.GetAll(); err != nil {
				t.Errorf("Environments.GetAll: %v", err)
			}
		})
	}
}

func TestSDKCoreUnauthorized(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)
	id, key, err := emu.CreateUser("temp", "Temp")
	if err != nil {
		t.Fatal(err)
	}
	makeSpaceManager(t, c, id, "Spaces-1")
	other, err := coreClient(t, emu, key, "Spaces-1")
	if err != nil {
		t.Fatalf("client with the new user's key: %v", err)
	}
	if err := users.DeleteByID(c, id); err != nil {
		t.Fatalf("delete user: %v", err)
	}
	// The deleted user's key no longer works: newclient reports a 401 APIError.
	_, err = environments.GetAll(other, "Spaces-1")
	wantStatus(t, "after the user is deleted", err, 401)
}

func TestSDKCoreSpaces(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)

	var ids []string
	for _, name := range []string{"Alpha", "Beta", "Gamma"} {
		sp := spaces.NewSpace(name)
		sp.SpaceManagersTeams = []string{"teams-administrators"}
		s, err := c.Spaces.Add(sp)
		if err != nil {
			t.Fatalf("Spaces.Add %s: %v", name, err)
		}
		if !slices.Contains(s.SpaceManagersTeams, "teams-spacemanagers-"+s.ID) {
			t.Errorf("%s: SpaceManagersTeams = %v, want its own managers team", name, s.SpaceManagersTeams)
		}
		ids = append(ids, s.ID)
	}
	dup := spaces.NewSpace("alpha")
	dup.SpaceManagersTeams = []string{"teams-administrators"}
	if _, err := c.Spaces.Add(dup); err == nil {
		t.Fatal("duplicate space name (other case) accepted")
	}
	// A space needs a manager, team or user (OctopusDeploy/Issues#9643).
	if _, err := c.Spaces.Add(spaces.NewSpace("Unmanaged")); err == nil {
		t.Fatal("space without managers accepted")
	}

	page, err := c.Spaces.Get(spaces.SpacesQuery{Take: 2})
	if err != nil {
		t.Fatalf("Spaces.Get: %v", err)
	}
	if page.TotalResults != 4 || len(page.Items) != 2 || page.Links.PageNext == "" {
		t.Fatalf("first page: total %d, %d items, next %q", page.TotalResults, len(page.Items), page.Links.PageNext)
	}
	all, err := spaces.GetAll(c) // follows Page.Next
	if err != nil || len(all) != 4 {
		t.Fatalf("spaces.GetAll: %d spaces, %v", len(all), err)
	}
	byIDs, err := spaces.Get(c, spaces.SpacesQuery{IDs: ids[:2]})
	if err != nil || byIDs.TotalResults != 2 {
		t.Fatalf("spaces.Get by ids: %v, %+v", err, byIDs)
	}

	got, err := spaces.GetByID(c, ids[1])
	if err != nil || got.Name != "Beta" || got.Slug != "beta" {
		t.Fatalf("spaces.GetByID: %+v, %v", got, err)
	}
	got.Description = "second"
	if _, err := spaces.Update(c, got); err != nil {
		t.Fatalf("spaces.Update: %v", err)
	}
	again, err := c.Spaces.GetByID(ids[1])
	if err != nil || again.Description != "second" {
		t.Fatalf("after update: %+v, %v", again, err)
	}

	// Deleting needs the task queue stopped first, as on a real server.
	if err := c.Spaces.DeleteByID(ids[1]); err == nil {
		t.Fatal("deleted a space whose task queue runs")
	}
	again.TaskQueueStopped = true
	if _, err := c.Spaces.Update(again); err != nil {
		t.Fatalf("stop task queue: %v", err)
	}
	if err := c.Spaces.DeleteByID(ids[1]); err != nil {
		t.Fatalf("Spaces.DeleteByID: %v", err)
	}
	_, err = spaces.GetByID(c, ids[1])
	wantStatus(t, "deleted space", err, 404)
	if _, err := c.Teams.GetByID("teams-spacemanagers-" + ids[1]); err == nil {
		t.Error("the deleted space's managers team survived")
	}
	if err := c.Spaces.DeleteByID("Spaces-1"); err == nil {
		t.Error("deleted the default space")
	}
}

func TestSDKCoreUsersAndAPIKeys(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)

	me, err := c.Users.GetMe()
	if err != nil || me.Username != "admin" {
		t.Fatalf("GetMe: %+v, %v", me, err)
	}
	u := users.NewUser("jdoe", "Jane Doe")
	u.Password = "secret-pass1"
	created, err := users.Add(c, u)
	if err != nil {
		t.Fatalf("users.Add: %v", err)
	}
	if created.Password != "" {
		t.Error("the password came back")
	}
	if _, err := users.Add(c, users.NewUser("jdoe", "Again")); err == nil {
		t.Error("duplicate username accepted")
	}
	created.DisplayName = "Jane D."
	if _, err := c.Users.Update(created); err != nil {
		t.Fatalf("Users.Update: %v", err)
	}
	got, err := users.GetByID(c, created.ID)
	if err != nil || got.DisplayName != "Jane D." {
		t.Fatalf("users.GetByID: %+v, %v", got, err)
	}
	list, err := c.Users.Get(users.UsersQuery{Filter: "jane"})
	if err != nil || list.TotalResults != 1 {
		t.Fatalf("Users.Get filter: %+v, %v", list, err)
	}

	key, err := c.APIKeys.Create(users.NewAPIKey("ci", created.ID))
	if err != nil || !strings.HasPrefix(key.APIKey, "API-") {
		t.Fatalf("APIKeys.Create: %+v, %v", key, err)
	}
	keys, err := c.APIKeys.GetByUserID(created.ID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("APIKeys.GetByUserID: %d keys, %v", len(keys), err)
	}
	if k := keys[0].APIKey; k == nil || !k.HasValue || k.NewValue != "" {
		t.Errorf("listed key = %+v, want HasValue only", k)
	}
	makeSpaceManager(t, c, created.ID, "Spaces-1")
	jane, err := coreClient(t, emu, key.APIKey, "Spaces-1")
	if err != nil {
		t.Fatalf("client with the created key: %v", err)
	}
	if who, err := jane.Users.GetMe(); err != nil || who.ID != created.ID {
		t.Fatalf("GetMe with the created key: %+v, %v", who, err)
	}

	if err := users.DeleteByID(c, created.ID); err != nil {
		t.Fatalf("users.DeleteByID: %v", err)
	}
	_, err = users.GetByID(c, created.ID)
	wantStatus(t, "deleted user", err, 404)
}

func TestSDKCoreTeamsAndRoles(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	c := mustCoreClient(t, emu)
	uid, _, err := emu.CreateUser("ops", "Ops")
	if err != nil {
		t.Fatal(err)
	}

	// Built-in roles are seeded and cannot be deleted.
	mgr, err := userroles.GetByID(c, "userroles-spacemanager")
	if err != nil || mgr.Name != "Space manager" || mgr.CanBeDeleted {
		t.Fatalf("built-in Space manager: %+v, %v", mgr, err)
	}
	if err := userroles.DeleteByID(c, mgr.ID); err == nil {
		t.Error("deleted a built-in role")
	}
	role := userroles.NewUserRole("Deployer lite")
	role.GrantedSpacePermissions = []string{"DeploymentCreate", "ProjectView"}
	role, err = userroles.Add(c, role)
	if err != nil || !role.CanBeDeleted {
		t.Fatalf("userroles.Add: %+v, %v", role, err)
	}
	bad := userroles.NewUserRole("Bad")
	bad.GrantedSpacePermissions = []string{"FlyToTheMoon"}
	if _, err := c.UserRoles.Add(bad); err == nil {
		t.Error("unknown permission accepted")
	}
	role.Description = "deploys"
	if _, err := c.UserRoles.Update(role); err != nil {
		t.Fatalf("UserRoles.Update: %v", err)
	}
	found, err := userroles.Get(c, "", userroles.UserRolesQuery{PartialName: "lite"})
	if err != nil || found.TotalResults != 1 || found.Items[0].Description != "deploys" {
		t.Fatalf("userroles.Get partialName: %+v, %v", found, err)
	}

	team := teams.NewTeam("Deployers")
	team.SpaceID = "Spaces-1"
	team.MemberUserIDs = []string{uid}
	team, err = c.Teams.Add(team)
	if err != nil || !team.CanBeDeleted {
		t.Fatalf("Teams.Add: %+v, %v", team, err)
	}
	if _, err := teams.Add(c, &teams.Team{Name: "Deployers", SpaceID: "Spaces-1"}); err == nil {
		t.Error("duplicate team name in a space accepted")
	}
	byID, err := teams.GetByID(c, "Spaces-1", team.ID)
	if err != nil || byID.Name != "Deployers" {
		t.Fatalf("teams.GetByID: %+v, %v", byID, err)
	}
	spaceOnly, err := c.Teams.Get(teams.TeamsQuery{Spaces: []string{"Spaces-1"}, IncludeSystem: false})
	if err != nil {
		t.Fatalf("Teams.Get: %v", err)
	}
	var names []string
	for _, tm := range spaceOnly.Items {
		names = append(names, tm.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"Deployers", "Space Managers"}) {
		t.Errorf("Spaces-1 teams without system = %v", names)
	}

	sur := userroles.NewScopedUserRole(role.ID)
	sur.TeamID, sur.SpaceID = team.ID, "Spaces-1"
	sur, err = c.ScopedUserRoles.Add(sur)
	if err != nil {
		t.Fatalf("ScopedUserRoles.Add: %v", err)
	}
	sur.EnvironmentIDs = []string{}
	if _, err := c.ScopedUserRoles.Update(sur); err != nil {
		t.Fatalf("ScopedUserRoles.Update: %v", err)
	}
	if got, err := c.ScopedUserRoles.GetByID(sur.ID); err != nil || got.UserRoleID != role.ID {
		t.Fatalf("ScopedUserRoles.GetByID: %+v, %v", got, err)
	}
	roles, err := c.Teams.GetScopedUserRoles(*team, core.SkipTakeQuery{Take: 10})
	if err != nil || roles.TotalResults != 1 {
		t.Fatalf("Teams.GetScopedUserRoles: %+v, %v", roles, err)
	}
	badScope := userroles.NewScopedUserRole("userroles-nope")
	badScope.TeamID = team.ID
	if _, err := c.ScopedUserRoles.Add(badScope); err == nil {
		t.Error("scoped role with an unknown user role accepted")
	}

	team.Name = "Deployers EU"
	if _, err := c.Teams.Update(team); err != nil {
		t.Fatalf("Teams.Update: %v", err)
	}
	if err := c.Teams.Delete(team); err != nil {
		t.Fatalf("Teams.Delete: %v", err)
	}
	if _, err := c.ScopedUserRoles.GetByID(sur.ID); err == nil {
		t.Error("the deleted team's scoped role survived")
	}
	if err := teams.DeleteByID(c, "", "teams-administrators"); err == nil {
		t.Error("deleted a built-in team")
	}
	if err := c.ScopedUserRoles.DeleteByID("ScopedUserRoles-999"); err == nil {
		t.Error("deleted a missing scoped role")
	}
	if err := userroles.DeleteByID(c, role.ID); err != nil {
		t.Fatalf("userroles.DeleteByID: %v", err)
	}
}

func TestSDKCoreEnvironments(t *testing.T) {
	t.Parallel()
	c, space := newCoreSpace(t)

	for i, name := range []string{"Dev", "Test", "Staging", "Production"} {
		e := environments.NewEnvironment(name)
		e.SpaceID = space
		var err error
		if i%2 == 0 {
			e, err = environments.Add(c, e)
		} else {
			e, err = c.Environments.Add(e)
		}
		if err != nil {
			t.Fatalf("add %s: %v", name, err)
		}
		if e.SortOrder != i {
			t.Errorf("%s SortOrder = %d, want %d", name, e.SortOrder, i)
		}
	}
	if _, err := environments.Add(c, &environments.Environment{Name: "dev", SpaceID: space}); err == nil {
		t.Error("duplicate environment name accepted")
	}
	page, err := environments.Get(c, space, environments.EnvironmentsQuery{Take: 3})
	if err != nil || len(page.Items) != 3 || page.Links.PageNext == "" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	last, err := environments.Get(c, space, environments.EnvironmentsQuery{Skip: 3, Take: 3})
	if err != nil || len(last.Items) != 1 || last.Links.PageNext != "" {
		t.Fatalf("last page: %+v, %v", last, err)
	}
	all, err := environments.GetAll(c, space)
	if err != nil || len(all) != 4 {
		t.Fatalf("environments.GetAll: %d, %v", len(all), err)
	}
	legacyAll, err := c.Environments.GetAll()
	if err != nil || len(legacyAll) != 4 {
		t.Fatalf("Environments.GetAll: %d, %v", len(legacyAll), err)
	}
	partial, err := c.Environments.GetByPartialName("TAG")
	if err != nil || len(partial) != 1 || partial[0].Name != "Staging" {
		t.Fatalf("GetByPartialName: %+v, %v", partial, err)
	}
	byIDs, err := c.Environments.GetByIDs([]string{all[0].ID, all[3].ID})
	if err != nil || len(byIDs) != 2 {
		t.Fatalf("GetByIDs: %d, %v", len(byIDs), err)
	}

	dev := all[0]
	dev.Description = "developers"
	dev.UseGuidedFailure = true
	if _, err := environments.Update(c, dev); err != nil {
		t.Fatalf("environments.Update: %v", err)
	}
	got, err := c.Environments.GetByID(dev.ID)
	if err != nil || got.Description != "developers" || !got.UseGuidedFailure || got.Slug != "dev" {
		t.Fatalf("after update: %+v, %v", got, err)
	}
	if err := environments.DeleteByID(c, space, dev.ID); err != nil {
		t.Fatalf("environments.DeleteByID: %v", err)
	}
	_, err = environments.GetByID(c, space, dev.ID)
	wantStatus(t, "deleted environment", err, 404)
	if _, err := c.Environments.GetByID(dev.ID); err == nil {
		t.Error("legacy GetByID found a deleted environment")
	}
}

func TestSDKCoreLifecyclesAndProjectGroups(t *testing.T) {
	t.Parallel()
	c, space := newCoreSpace(t)

	env, err := environments.Add(c, &environments.Environment{Name: "Dev", SpaceID: space})
	if err != nil {
		t.Fatal(err)
	}
	lc := lifecycles.NewLifecycle("Fast")
	lc.SpaceID = space
	phase := lifecycles.NewPhase("Development")
	phase.AutomaticDeploymentTargets = []string{env.ID}
	lc.Phases = []*lifecycles.Phase{phase}
	lc, err = lifecycles.Add(c, lc)
	if err != nil {
		t.Fatalf("lifecycles.Add: %v", err)
	}
	if lc.Phases[0].ID == "" {
		t.Error("phase got no Id")
	}
	badPhase := lifecycles.NewPhase("Nowhere")
	badPhase.AutomaticDeploymentTargets = []string{"Environments-999"}
	if _, err := c.Lifecycles.Add(&lifecycles.Lifecycle{Name: "Bad", Phases: []*lifecycles.Phase{badPhase}}); err == nil {
		t.Error("phase with an unknown environment accepted")
	}
	if _, err := c.Lifecycles.Add(lifecycles.NewLifecycle("fast")); err == nil {
		t.Error("duplicate lifecycle name accepted")
	}
	all, err := c.Lifecycles.GetAll()
	if err != nil || len(all) != 2 {
		t.Fatalf("Lifecycles.GetAll: %d, %v", len(all), err)
	}
	lc.Description = "quick"
	if _, err := c.Lifecycles.Update(lc); err != nil {
		t.Fatalf("Lifecycles.Update: %v", err)
	}
	got, err := lifecycles.GetByID(c, space, lc.ID)
	if err != nil || got.Description != "quick" || got.Phases[0].ID != lc.Phases[0].ID {
		t.Fatalf("after update: %+v, %v", got, err)
	}
	if err := lifecycles.DeleteByID(c, space, lc.ID); err != nil {
		t.Fatalf("lifecycles.DeleteByID: %v", err)
	}

	pg, err := projectgroups.Add(c, &projectgroups.ProjectGroup{Name: "Web", SpaceID: space})
	if err != nil {
		t.Fatalf("projectgroups.Add: %v", err)
	}
	if _, err := c.ProjectGroups.Add(&projectgroups.ProjectGroup{Name: "WEB"}); err == nil {
		t.Error("duplicate project group accepted")
	}
	pg.Description = "web apps"
	if _, err := projectgroups.Update(c, *pg); err != nil {
		t.Fatalf("projectgroups.Update: %v", err)
	}
	byName, err := c.ProjectGroups.GetByName("Web")
	if err != nil || byName.Description != "web apps" {
		t.Fatalf("ProjectGroups.GetByName: %+v, %v", byName, err)
	}
	groups, err := projectgroups.Get(c, space, projectgroups.ProjectGroupsQuery{PartialName: "default"})
	if err != nil || groups.TotalResults != 1 {
		t.Fatalf("projectgroups.Get: %+v, %v", groups, err)
	}
	if err := c.ProjectGroups.DeleteByID(pg.ID); err != nil {
		t.Fatalf("ProjectGroups.DeleteByID: %v", err)
	}
	_, err = projectgroups.GetByID(c, space, pg.ID)
	wantStatus(t, "deleted project group", err, 404)
}

func TestSDKCoreTagSets(t *testing.T) {
	t.Parallel()
	c, space := newCoreSpace(t)

	ts := tagsets.NewTagSet("Region")
	ts.SpaceID = space
	ts.Tags = []*tagsets.Tag{tagsets.NewTag("EU", "#112233"), tagsets.NewTag("US", "#445566")}
	ts, err := tagsets.Add(c, ts)
	if err != nil {
		t.Fatalf("tagsets.Add: %v", err)
	}
	if ts.Tags[0].ID == "" || ts.Tags[0].CanonicalTagName != "Region/EU" {
		t.Fatalf("tags = %+v", ts.Tags[0])
	}
	euID := ts.Tags[0].ID
	if _, err := c.TagSets.Add(tagsets.NewTagSet("region")); err == nil {
		t.Error("duplicate tag set accepted")
	}
	ts.Tags = append(ts.Tags, tagsets.NewTag("APAC", "#778899"))
	ts.Tags[0].ID = "" // a tag sent again by name keeps its Id
	if _, err := c.TagSets.Update(ts); err != nil {
		t.Fatalf("TagSets.Update: %v", err)
	}
	got, err := tagsets.GetByID(c, space, ts.ID)
	if err != nil || len(got.Tags) != 3 || got.Tags[0].ID != euID || got.Tags[2].CanonicalTagName != "Region/APAC" {
		t.Fatalf("after update: %+v, %v", got, err)
	}
	all, err := tagsets.GetAll(c, space)
	if err != nil || len(all) != 1 {
		t.Fatalf("tagsets.GetAll: %d, %v", len(all), err)
	}
	if err := tagsets.DeleteByID(c, space, ts.ID); err != nil {
		t.Fatalf("tagsets.DeleteByID: %v", err)
	}
	_, err = tagsets.GetByID(c, space, ts.ID)
	wantStatus(t, "deleted tag set", err, 404)
}

func TestSDKCoreFeeds(t *testing.T) {
	t.Parallel()
	c, space := newCoreSpace(t)

	builtIn, err := feeds.GetByID(c, space, "feeds-builtin")
	if err != nil || builtIn.GetFeedType() != feeds.FeedTypeBuiltIn {
		t.Fatalf("built-in feed: %+v, %v", builtIn, err)
	}
	if err := feeds.DeleteByID(c, space, "feeds-builtin"); err == nil {
		t.Error("deleted the built-in feed")
	}
	nuget, err := feeds.NewNuGetFeed("NuGet.org", "https://api.nuget.org/v3/index.json")
	if err != nil {
		t.Fatal(err)
	}
	nuget.SpaceID = space
	nuget.Username = "bot"
	nuget.Password = core.NewSensitiveValue("hunter2")
	created, err := feeds.Add(c, nuget)
	if err != nil {
		t.Fatalf("feeds.Add: %v", err)
	}
	if pw := created.GetPassword(); pw == nil || !pw.HasValue || pw.NewValue != nil {
		t.Fatalf("password on create = %+v, want HasValue only", pw)
	}
	if _, err := c.Feeds.Add(nuget); err == nil {
		t.Error("duplicate feed name accepted")
	}
	// Update without a new password keeps the stored one.
	created.SetName("NuGet")
	if _, err := c.Feeds.Update(created); err != nil {
		t.Fatalf("Feeds.Update: %v", err)
	}
	got, err := c.Feeds.GetByID(created.GetID())
	if err != nil || got.GetName() != "NuGet" || got.GetPassword() == nil || !got.GetPassword().HasValue {
		t.Fatalf("after update: %+v, %v", got, err)
	}
	page, err := feeds.Get(c, space, feeds.FeedsQuery{FeedType: "NuGet"})
	if err != nil || page.TotalResults != 1 {
		t.Fatalf("feeds.Get feedType: %+v, %v", page, err)
	}
	all, err := feeds.GetAll(c, space)
	if err != nil || len(all) != 3 {
		t.Fatalf("feeds.GetAll: %d, %v", len(all), err)
	}
	if err := c.Feeds.DeleteByID(created.GetID()); err != nil {
		t.Fatalf("Feeds.DeleteByID: %v", err)
	}
	_, err = feeds.GetByID(c, space, created.GetID())
	wantStatus(t, "deleted feed", err, 404)
}
