package octopus

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/spaces"

	"github.com/octofleet/octofleet/steps"
)

// TestSpaceManagersTeamHidden: the teams-spacemanagers-* team Octopus adds
// to a space never reaches the steps, and an update keeps it on the server.
// A stopped task queue, which Octopus ignores on create, is set anyway.
func TestSpaceManagersTeamHidden(t *testing.T) {
	t.Parallel()
	_, c := dialEmulator(t)
	ctx := t.Context()

	me := mustCurrentUser(t, c)
	sp, err := c.CreateSpace(ctx, steps.Space{Name: "Team A", Description: "A", TaskQueueStopped: true, ManagerUserIDs: []string{me.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if !sp.TaskQueueStopped || sp.Description != "A" || len(sp.ManagerTeamIDs) != 0 {
		t.Fatalf("created space = %+v", sp)
	}
	raw, err := spaces.GetByID(c.sdk, sp.ID)
	if err != nil {
		t.Fatal(err)
	}
	hidden := slices.IndexFunc(raw.SpaceManagersTeams, func(id string) bool { return strings.HasPrefix(id, managersTeamPrefix) })
	if hidden < 0 {
		t.Fatalf("server's managers %q lack the teams-spacemanagers-* team", raw.SpaceManagersTeams)
	}

	sp.Description, sp.TaskQueueStopped, sp.ManagerTeamIDs = "B", false, []string{}
	got, err := c.UpdateSpace(ctx, sp)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "B" || got.TaskQueueStopped || len(got.ManagerTeamIDs) != 0 {
		t.Errorf("updated space = %+v", got)
	}
	raw, err = spaces.GetByID(c.sdk, sp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(raw.SpaceManagersTeams, func(id string) bool { return strings.HasPrefix(id, managersTeamPrefix) }) {
		t.Errorf("update dropped the teams-spacemanagers-* team: %q", raw.SpaceManagersTeams)
	}

	all, err := c.Spaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		for _, id := range s.ManagerTeamIDs {
			if strings.HasPrefix(id, managersTeamPrefix) {
				t.Errorf("Spaces() shows %s among the managers of %s", id, s.Name)
			}
		}
	}
}

// TestCreateOnceNoDuplicates: a create whose answer is lost is found by
// name instead of being sent twice, for every kind create-space creates.
func TestCreateOnceNoDuplicates(t *testing.T) {
	t.Parallel()
	emu, c := dialEmulator(t)
	ctx := t.Context()
	sp, err := c.CreateSpace(ctx, steps.Space{Name: "Team A", ManagerUserIDs: []string{mustCurrentUser(t, c).ID}})
	if err != nil {
		t.Fatal(err)
	}
	id := sp.ID
	tests := []struct {
		name, prefix string
		create       func() (string, error)
		count        func() (int, error)
	}{
		{"environment", "/api/" + id + "/environments",
			func() (string, error) {
				e, err := c.CreateEnvironment(ctx, steps.Environment{SpaceID: id, Name: "Dev", SortOrder: 1})
				return e.ID, err
			},
			func() (int, error) { l, err := c.Environments(ctx, id); return len(l), err }},
		{"lifecycle", "/api/" + id + "/lifecycles",
			func() (string, error) {
				l, err := c.CreateLifecycle(ctx, steps.Lifecycle{SpaceID: id, Name: "Standard"})
				return l.ID, err
			},
			func() (int, error) { l, err := c.Lifecycles(ctx, id); return len(l), err }},
		{"project group", "/api/" + id + "/projectgroups",
			func() (string, error) {
				g, err := c.CreateProjectGroup(ctx, steps.ProjectGroup{SpaceID: id, Name: "Web"})
				return g.ID, err
			},
			func() (int, error) { l, err := c.ProjectGroups(ctx, id); return len(l), err }},
		{"tag set", "/api/" + id + "/tagsets",
			func() (string, error) {
				ts, err := c.CreateTagSet(ctx, steps.TagSet{SpaceID: id, Name: "Tier", Tags: []steps.Tag{{Name: "Gold", Color: "#FFD700"}}})
				return ts.ID, err
			},
			func() (int, error) { l, err := c.TagSets(ctx, id); return len(l), err }},
		{"team", "/api/" + id + "/teams",
			func() (string, error) {
				tm, err := c.CreateTeam(ctx, steps.Team{SpaceID: id, Name: "Deployers"})
				return tm.ID, err
			},
			func() (int, error) {
				l, err := c.Teams(ctx, id)
				n := 0
				for _, tm := range l {
					if tm.SpaceID == id {
						n++
					}
				}
				return n, err
			}},
		{"system team", "/api/teams",
			func() (string, error) {
				tm, err := c.CreateTeam(ctx, steps.Team{Name: "Auditors"})
				return tm.ID, err
			},
			func() (int, error) {
				l, err := c.Teams(ctx, "")
				n := 0
				for _, tm := range l {
					if tm.SpaceID == "" {
						n++
					}
				}
				return n, err
			}},
	}
	for _, tc := range tests { // sequential: they share the space
		before, err := tc.count()
		if err != nil {
			t.Fatal(err)
		}
		emu.DropNext("POST", tc.prefix, 1)
		gotID, err := tc.create()
		if err != nil || gotID == "" {
			t.Fatalf("%s: create after a dropped answer: id %q, %v", tc.name, gotID, err)
		}
		after, err := tc.count()
		if err != nil {
			t.Fatal(err)
		}
		if after != before+1 {
			t.Errorf("%s: %d → %d items, want exactly one more", tc.name, before, after)
		}
	}
}

// TestCreateSystemTeam: a team without a space is created at /api/teams as
// a system team, not in the client's default space, and is told apart from a
// space's team of the same name.
func TestCreateSystemTeam(t *testing.T) {
	t.Parallel()
	emu, c := dialEmulator(t)
	ctx := t.Context()
	def := c.sdk.GetSpaceID()
	sp, err := c.CreateSpace(ctx, steps.Space{Name: "Team A", ManagerUserIDs: []string{mustCurrentUser(t, c).ID}})
	if err != nil {
		t.Fatal(err)
	}
	inSpace, err := c.CreateTeam(ctx, steps.Team{SpaceID: sp.ID, Name: "Auditors"})
	if err != nil || inSpace.SpaceID != sp.ID {
		t.Fatalf("space team = %+v, %v", inSpace, err)
	}

	emu.ResetRequests()
	sys, err := c.CreateTeam(ctx, steps.Team{Name: "Auditors", Description: "d", MemberUserIDs: []string{mustCurrentUser(t, c).ID}})
	if err != nil {
		t.Fatal(err)
	}
	if sys.SpaceID != "" || sys.ID == inSpace.ID || sys.Description != "d" || len(sys.MemberUserIDs) != 1 {
		t.Errorf("system team = %+v", sys)
	}
	if got, want := emu.Writes(), []string{"POST /api/teams"}; !slices.Equal(got, want) {
		t.Errorf("writes = %q, want %q", got, want)
	}

	system, err := c.Teams(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(system, func(x steps.Team) bool { return x.ID == sys.ID && x.SpaceID == "" }) {
		t.Errorf("system teams %+v lack %s", system, sys.ID)
	}
	inDefault, err := c.Teams(ctx, def)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(inDefault, func(x steps.Team) bool { return x.SpaceID == def && x.Name == "Auditors" }) {
		t.Errorf("the system team landed in the default space %s: %+v", def, inDefault)
	}

	if _, err := c.CreateTeam(ctx, steps.Team{Name: "Auditors"}); !errors.Is(err, steps.ErrConflict) {
		t.Errorf("second system team Auditors: %v, want ErrConflict", err)
	}
}

// mustCurrentUser returns the API key's user: Octopus refuses a space without
// a manager (OctopusDeploy/Issues#9643), so test spaces name this one.
func mustCurrentUser(t *testing.T, c *Client) steps.User {
	t.Helper()
	me, err := c.CurrentUser(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return me
}

// TestUpdateReadModifyWrite: an SDK-backed update reads, then writes only
// the fields it owns; a failed read or write names the step and the ID and
// keeps the error's kind; a cancelled context sends nothing.
func TestUpdateReadModifyWrite(t *testing.T) {
	t.Parallel()
	emu, c := dialEmulator(t)
	ctx := t.Context()
	space := c.sdk.GetSpaceID()
	env, err := c.CreateEnvironment(ctx, steps.Environment{SpaceID: space, Name: "Dev", SortOrder: 7})
	if err != nil {
		t.Fatal(err)
	}

	emu.ResetRequests()
	sortOrder := env.SortOrder
	env.Name, env.Description, env.SortOrder = "Development", "d", sortOrder+1
	got, err := c.UpdateEnvironment(ctx, env)
	if err != nil || got.Name != "Development" || got.Description != "d" || got.SortOrder != sortOrder {
		t.Errorf("updated = %+v, %v; want the new name and description, sort order %d kept", got, err, sortOrder)
	}
	var methods []string
	for _, r := range emu.Requests() {
		methods = append(methods, r.Method)
	}
	if want := []string{"GET", "PUT"}; !slices.Equal(methods, want) {
		t.Errorf("requests = %q, want %q", methods, want)
	}

	missing := env
	missing.ID = "Environments-999"
	if _, err := c.UpdateEnvironment(ctx, missing); !errors.Is(err, steps.ErrNotFound) || !strings.Contains(err.Error(), "read environment Environments-999") {
		t.Errorf("update of a missing environment: %v, want a not-found read error naming it", err)
	}
	emu.FailNext("PUT", "/api/"+space+"/environments/", 409, 1)
	if _, err := c.UpdateEnvironment(ctx, env); !errors.Is(err, steps.ErrConflict) || !strings.Contains(err.Error(), "update environment "+env.ID) {
		t.Errorf("refused update: %v, want a conflict naming the environment", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	emu.ResetRequests()
	if _, err := c.UpdateEnvironment(cancelled, env); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled update: %v, want context.Canceled", err)
	}
	if r := emu.Requests(); len(r) != 0 {
		t.Errorf("a cancelled update sent %v", r)
	}
}
