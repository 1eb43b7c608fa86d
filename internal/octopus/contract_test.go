package octopus_test

// The contract suite: the same cases run through the adapter against the
// emulator (always) and against a real Octopus Server when OCTOPUS_TEST_URL
// and OCTOPUS_TEST_API_KEY are set. Fakes drift; this is the check.
//
// The cases must be safe on a production-like server: everything they create
// lives in a fresh space named octofleet-contract-<random>, managed by the
// API key's user, and the test stops its task queue and deletes it at the
// end, pass or fail. The key needs SpaceCreate, SpaceEdit, SpaceDelete and
// the space permissions a space manager has. The space name is 27
// characters: Octopus allows 50 since 2025.2.1408 (OctopusDeploy/Issues#9272),
// older servers only 20, so they fail at the first create.
//
// Assertions are what a real server guarantees as well: no emulator IDs,
// no error texts. Where the real server's behaviour is not verified, the
// case says so and asserts the weaker property.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// TestContractEmulator runs the contract cases against the emulator.
func TestContractEmulator(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	// Runs after runContract's cleanup: the space it made is gone again.
	t.Cleanup(func() {
		w := emu.Writes()
		if len(w) == 0 || !strings.HasPrefix(w[len(w)-1], "DELETE /api/spaces/") {
			t.Errorf("the contract space was not deleted last; writes end with %q", w[max(0, len(w)-3):])
		}
		if n := strings.Count(strings.Join(w, "\n"), "POST /api/spaces\n"); n != 1 {
			t.Errorf("%d spaces created, want 1", n)
		}
	})
	runContract(t, emu.URL(), emu.APIKey())
}

// TestContractServer runs the contract cases against the real Octopus
// Server named by OCTOPUS_TEST_URL and OCTOPUS_TEST_API_KEY.
func TestContractServer(t *testing.T) {
	t.Parallel()
	url, key := os.Getenv("OCTOPUS_TEST_URL"), os.Getenv("OCTOPUS_TEST_API_KEY")
	if url == "" || key == "" {
		t.Skip("set OCTOPUS_TEST_URL and OCTOPUS_TEST_API_KEY to run the contract suite against a real Octopus Server " +
			"(it works in a fresh space octofleet-contract-<random> and deletes it afterwards)")
	}
	runContract(t, url, key)
}

// contract is what every case gets: a client, the test space and its user.
type contract struct {
	c      *octopus.Client
	url    string
	space  steps.Space
	me     steps.User
	suffix string
}

func runContract(t *testing.T, url, key string) {
	// The client outlives t.Context(), which is cancelled before cleanups
	// run: the space is deleted in a cleanup. Cleanups run last-in first-out,
	// so cancel runs after the delete.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, err := octopus.Dial(ctx, octopus.Options{URL: url, APIKey: key})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	me, err := c.CurrentUser(t.Context())
	if err != nil {
		t.Fatalf("CurrentUser: %v", err)
	}
	suffix := randomHex(t, 4)
	name := "octofleet-contract-" + suffix
	sp, err := c.CreateSpace(t.Context(), steps.Space{Name: name, Description: "octofleet contract test; safe to delete",
		ManagerUserIDs: []string{me.ID}})
	if err != nil {
		t.Fatalf("create the contract space %s: %v", name, err)
	}
	t.Cleanup(func() { deleteContractSpace(t, c, sp.ID) })

	k := &contract{c: c, url: url, space: sp, me: me, suffix: suffix}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, k *contract)
	}{
		{"space", contractSpace},
		{"environments", contractEnvironments},
		{"lifecycles and project groups", contractLifecyclesAndGroups},
		{"tag set", contractTagSet},
		{"team with scoped role", contractTeam},
		{"action template", contractActionTemplate},
		{"project and deployment process", contractProject},
		{"unknown ID", contractUnknownID},
		{"wrong API key", contractWrongKey},
	} {
		// Sequential: the cases share the space, and one of them reorders
		// every environment in it.
		t.Run(tc.name, func(t *testing.T) { tc.run(t, k) })
	}
}

// deleteContractSpace stops the space's task queue and deletes it, with a
// context of its own: t.Context() is already cancelled.
func deleteContractSpace(t *testing.T, c *octopus.Client, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	all, err := c.Spaces(ctx)
	if err != nil {
		t.Errorf("cleanup: list spaces: %v; delete space %s by hand", err, id)
		return
	}
	i := slices.IndexFunc(all, func(s steps.Space) bool { return s.ID == id })
	if i < 0 {
		return
	}
	sp := all[i]
	if sp.IsDefault {
		t.Errorf("cleanup: space %s became the default space; not deleting it", id)
		return
	}
	sp.TaskQueueStopped = true
	if _, err := c.UpdateSpace(ctx, sp); err != nil {
		t.Errorf("cleanup: stop the task queue of %s: %v; delete it by hand", id, err)
		return
	}
	if err := c.DeleteSpace(ctx, id); err != nil {
		t.Errorf("cleanup: %v; delete it by hand", err)
		return
	}
	// DELETE /api/spaces/{id} answers 200 once the space is gone (swagger
	// 2026.1 deleteSpace; the SDK's e2e DeleteTestSpace reads it back at once).
	all, err = c.Spaces(ctx)
	if err != nil {
		t.Errorf("cleanup: list spaces after the delete: %v", err)
	} else if slices.ContainsFunc(all, func(s steps.Space) bool { return s.ID == id }) {
		t.Errorf("cleanup: space %s still listed after the delete", id)
	}
}

func contractSpace(t *testing.T, k *contract) {
	ctx := t.Context()
	if k.space.ID == "" || k.space.Name != "octofleet-contract-"+k.suffix || k.space.IsDefault || k.space.TaskQueueStopped {
		t.Errorf("created space = %+v", k.space)
	}
	if !slices.Contains(k.space.ManagerUserIDs, k.me.ID) {
		t.Errorf("created space managers %q lack the current user %s", k.space.ManagerUserIDs, k.me.ID)
	}

	byName := mustSpaceNamed(t, k.c, k.space.Name)
	if byName.ID != k.space.ID || byName.Description != k.space.Description {
		t.Errorf("space read by name = %+v, created %+v", byName, k.space)
	}
	if _, err := spaceNamed(ctx, k.c, k.space.Name+"-missing"); !errors.Is(err, steps.ErrNotFound) {
		t.Errorf("space by an unused name: %v, want ErrNotFound", err)
	}

	upd := byName
	upd.Description = "updated by the octofleet contract test"
	upd.TaskQueueStopped = true
	got, err := k.c.UpdateSpace(ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	reread := mustSpaceNamed(t, k.c, k.space.Name)
	for _, s := range []steps.Space{got, reread} {
		if s.Description != upd.Description || !s.TaskQueueStopped || !slices.Contains(s.ManagerUserIDs, k.me.ID) {
			t.Errorf("space after update = %+v", s)
		}
	}
	// Start the queue again: the update goes both ways.
	upd.TaskQueueStopped = false
	if got, err := k.c.UpdateSpace(ctx, upd); err != nil || got.TaskQueueStopped {
		t.Errorf("restart the task queue: %+v, %v", got, err)
	}
}

func contractEnvironments(t *testing.T, k *contract) {
	ctx := t.Context()
	names := []string{"Contract Dev", "Contract Test", "Contract Prod"}
	var created []steps.Environment
	for i, n := range names {
		e, err := k.c.CreateEnvironment(ctx, steps.Environment{SpaceID: k.space.ID, Name: n, SortOrder: i})
		if err != nil {
			t.Fatal(err)
		}
		if e.ID == "" || e.Name != n || e.SpaceID != k.space.ID {
			t.Errorf("created environment = %+v", e)
		}
		created = append(created, e)
	}
	// Whether a server honours SortOrder on create is not verified; a new
	// environment going last is what both do, so creation order is the order.
	if got := envNames(t, k); !slices.Equal(got, names) {
		t.Errorf("environments = %q, want %q", got, names)
	}

	ids := []string{created[2].ID, created[0].ID, created[1].ID}
	if err := k.c.SortEnvironments(ctx, k.space.ID, ids); err != nil {
		t.Fatal(err)
	}
	if got, want := envNames(t, k), []string{names[2], names[0], names[1]}; !slices.Equal(got, want) {
		t.Errorf("environments after sorting = %q, want %q", got, want)
	}

	e := created[1]
	e.Description, e.UseGuidedFailure = "the contract test's test", true
	got, err := k.c.UpdateEnvironment(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != e.ID || got.Description != e.Description || !got.UseGuidedFailure || got.Name != e.Name {
		t.Errorf("updated environment = %+v", got)
	}
	all, err := k.c.Environments(ctx, k.space.ID)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(all, func(x steps.Environment) bool { return x.ID == e.ID }); i < 0 ||
		all[i].Description != e.Description || !all[i].UseGuidedFailure {
		t.Errorf("environments after update = %+v", all)
	}

	_, err = k.c.CreateEnvironment(ctx, steps.Environment{SpaceID: k.space.ID, Name: names[0]})
	if !errors.Is(err, steps.ErrConflict) {
		t.Errorf("duplicate environment name: %v, want ErrConflict", err)
	}
	if got := envNames(t, k); len(got) != len(names) {
		t.Errorf("environments after the duplicate = %q", got)
	}
}

func contractLifecyclesAndGroups(t *testing.T, k *contract) {
	ctx := t.Context()
	lc, err := k.c.CreateLifecycle(ctx, steps.Lifecycle{SpaceID: k.space.ID, Name: "Contract lifecycle", Description: "one",
		ReleaseRetentionPolicy: &steps.Retention{QuantityToKeep: 3, Unit: steps.RetentionItems}})
	if err != nil {
		t.Fatal(err)
	}
	lc.Description = "two"
	lc.ReleaseRetentionPolicy = &steps.Retention{QuantityToKeep: 5, Unit: steps.RetentionDays}
	if _, err := k.c.UpdateLifecycle(ctx, lc); err != nil {
		t.Fatal(err)
	}
	lcs, err := k.c.Lifecycles(ctx, k.space.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(lcs, func(x steps.Lifecycle) bool { return x.ID == lc.ID })
	if i < 0 {
		t.Fatalf("lifecycle %s not listed: %+v", lc.ID, lcs)
	}
	if got := lcs[i]; got.Name != lc.Name || got.Description != "two" || got.ReleaseRetentionPolicy == nil ||
		got.ReleaseRetentionPolicy.QuantityToKeep != 5 || got.ReleaseRetentionPolicy.Unit != steps.RetentionDays {
		t.Errorf("lifecycle after update = %+v (release retention %+v)", got, got.ReleaseRetentionPolicy)
	}

	g, err := k.c.CreateProjectGroup(ctx, steps.ProjectGroup{SpaceID: k.space.ID, Name: "Contract group", Description: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if g.ID == "" || g.Description != "one" {
		t.Errorf("created project group = %+v", g)
	}
	g.Name, g.Description = "Contract group renamed", "two"
	if _, err := k.c.UpdateProjectGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	groups, err := k.c.ProjectGroups(ctx, k.space.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(groups, func(x steps.ProjectGroup) bool { return x == g }) {
		t.Errorf("project groups = %+v, want %+v among them", groups, g)
	}
}

func contractTagSet(t *testing.T, k *contract) {
	ctx := t.Context()
	ts, err := k.c.CreateTagSet(ctx, steps.TagSet{SpaceID: k.space.ID, Name: "Contract tier", Description: "one", Tags: []steps.Tag{
		{Name: "Gold", Color: "#FFD700"}, {Name: "Silver", Color: "#C0C0C0", Description: "second"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagNames(ts); !slices.Equal(got, []string{"Gold", "Silver"}) || ts.Tags[0].ID == "" || ts.Tags[1].ID == "" {
		t.Fatalf("created tag set = %+v", ts)
	}
	gold := ts.Tags[0]
	ts.Description = "two"
	ts.Tags[1].Name, ts.Tags[1].Color = "Platinum", "#E5E4E2"
	ts.Tags = append(ts.Tags, steps.Tag{Name: "Bronze", Color: "#CD7F32"})
	if _, err := k.c.UpdateTagSet(ctx, ts); err != nil {
		t.Fatal(err)
	}
	sets, err := k.c.TagSets(ctx, k.space.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(sets, func(x steps.TagSet) bool { return x.ID == ts.ID })
	if i < 0 {
		t.Fatalf("tag set %s not listed: %+v", ts.ID, sets)
	}
	got := sets[i]
	// Tags carry a SortOrder the port does not model; whether a real server
	// lists tags added without one in the order sent is not verified, so the
	// names are compared as a set.
	names := tagNames(got)
	slices.Sort(names)
	if got.Description != "two" || !slices.Equal(names, []string{"Bronze", "Gold", "Platinum"}) {
		t.Errorf("tag set after update = %+v", got)
	}
	for _, tg := range got.Tags {
		switch tg.Name {
		case "Gold":
			if tg.ID != gold.ID {
				t.Errorf("Gold's ID changed from %s to %s", gold.ID, tg.ID)
			}
		case "Platinum":
			// Whether a real server keeps a colour's case is not verified.
			if tg.ID != ts.Tags[1].ID || !strings.EqualFold(tg.Color, "#E5E4E2") {
				t.Errorf("Platinum (renamed Silver) = %+v, want ID %s and colour #E5E4E2", tg, ts.Tags[1].ID)
			}
		}
	}
}

func contractTeam(t *testing.T, k *contract) {
	ctx := t.Context()
	roles, err := k.c.UserRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(roles, func(r steps.UserRole) bool { return r.Name == "Project viewer" })
	if i < 0 {
		t.Fatalf("no built-in user role named %q among %d roles", "Project viewer", len(roles))
	}
	viewer := roles[i]
	g, err := k.c.CreateProjectGroup(ctx, steps.ProjectGroup{SpaceID: k.space.ID, Name: "Contract viewed group"})
	if err != nil {
		t.Fatal(err)
	}

	tm, err := k.c.CreateTeam(ctx, steps.Team{SpaceID: k.space.ID, Name: "Contract viewers", Description: "one",
		MemberUserIDs: []string{k.me.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if tm.ID == "" || tm.SpaceID != k.space.ID || !slices.Equal(tm.MemberUserIDs, []string{k.me.ID}) {
		t.Errorf("created team = %+v", tm)
	}
	tm.Description = "two"
	if _, err := k.c.UpdateTeam(ctx, tm); err != nil {
		t.Fatal(err)
	}
	teams, err := k.c.Teams(ctx, k.space.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j := slices.IndexFunc(teams, func(x steps.Team) bool { return x.ID == tm.ID }); j < 0 ||
		teams[j].Description != "two" || teams[j].SpaceID != k.space.ID {
		t.Errorf("team %s after update not found as updated in %+v", tm.ID, teams)
	}

	sr, err := k.c.CreateScopedUserRole(ctx, steps.ScopedUserRole{TeamID: tm.ID, UserRoleID: viewer.ID, SpaceID: k.space.ID})
	if err != nil {
		t.Fatal(err)
	}
	if sr.ID == "" || sr.TeamID != tm.ID || sr.UserRoleID != viewer.ID || sr.SpaceID != k.space.ID {
		t.Errorf("created scoped role = %+v", sr)
	}
	sr.ProjectGroupIDs = []string{g.ID}
	if _, err := k.c.UpdateScopedUserRole(ctx, sr); err != nil {
		t.Fatal(err)
	}
	srs, err := k.c.ScopedUserRoles(ctx, tm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(srs) != 1 || srs[0].ID != sr.ID || srs[0].UserRoleID != viewer.ID || !slices.Equal(srs[0].ProjectGroupIDs, []string{g.ID}) {
		t.Errorf("scoped roles of the team = %+v, want %s limited to %s", srs, sr.ID, g.ID)
	}
}

func contractActionTemplate(t *testing.T, k *contract) {
	ctx := t.Context()
	at := steps.ActionTemplate{Name: "Contract notify", Description: "one", ActionType: "Octopus.Script",
		Properties: map[string]string{
			"Octopus.Action.Script.ScriptSource": "Inline",
			"Octopus.Action.Script.Syntax":       "Bash",
			"Octopus.Action.Script.ScriptBody":   "echo \"#{Greeting}\"",
		},
		Parameters: []steps.TemplateParameter{{Name: "Greeting", Label: "Greeting", HelpText: "what to say",
			DisplaySettings: map[string]string{"Octopus.ControlType": "SingleLineText"}, Default: steps.PropertyValue{Value: "hello"}}},
	}
	created, err := k.c.CreateActionTemplate(ctx, k.space.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Name != at.Name || created.Properties["Octopus.Action.Script.ScriptBody"] != at.Properties["Octopus.Action.Script.ScriptBody"] ||
		len(created.Parameters) != 1 || created.Parameters[0].Default.Value != "hello" {
		t.Errorf("created template = %+v", created)
	}

	upd := created
	upd.Description = "two"
	got, err := k.c.UpdateActionTemplate(ctx, k.space.ID, upd)
	if err != nil {
		t.Fatal(err)
	}
	// The server bumps Version on every update; by one on the emulator, and
	// only "increases" is promised by the port.
	if got.Description != "two" || got.Version <= created.Version {
		t.Errorf("after update: description %q, version %d (was %d)", got.Description, got.Version, created.Version)
	}
	all, err := k.c.ActionTemplates(ctx, k.space.ID)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(all, func(x steps.ActionTemplate) bool { return x.ID == created.ID }); i < 0 ||
		all[i].Version != got.Version || all[i].Description != "two" {
		t.Errorf("templates = %+v, want %s at version %d", all, created.ID, got.Version)
	}

	if err := k.c.DeleteActionTemplate(ctx, k.space.ID, created.ID); err != nil {
		t.Fatal(err)
	}
	all, err = k.c.ActionTemplates(ctx, k.space.ID)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(all, func(x steps.ActionTemplate) bool { return x.ID == created.ID }) {
		t.Errorf("template %s still listed after delete", created.ID)
	}
	if err := k.c.DeleteActionTemplate(ctx, k.space.ID, created.ID); !errors.Is(err, steps.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
}

func contractProject(t *testing.T, k *contract) {
	ctx := t.Context()
	lc, err := k.c.CreateLifecycle(ctx, steps.Lifecycle{SpaceID: k.space.ID, Name: "Contract project lifecycle"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := k.c.CreateProjectGroup(ctx, steps.ProjectGroup{SpaceID: k.space.ID, Name: "Contract project group"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.c.CreateProject(ctx, k.space.ID, steps.Project{Name: "Contract project", Description: "one",
		LifecycleID: lc.ID, ProjectGroupID: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID == "" || p.LifecycleID != lc.ID || p.ProjectGroupID != g.ID || p.DeploymentProcessID == "" || p.VariableSetID == "" {
		t.Errorf("created project = %+v", p)
	}
	projects, err := k.c.Projects(ctx, k.space.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(projects, func(x steps.Project) bool { return x.ID == p.ID && x.Name == p.Name }) {
		t.Errorf("projects = %+v, want %s among them", projects, p.ID)
	}

	proc, err := k.c.DeploymentProcess(ctx, k.space.ID, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if proc.ID != p.DeploymentProcessID || proc.ProjectID != p.ID || len(proc.Steps) != 0 {
		t.Errorf("new project's process = %+v", proc)
	}
	script := map[string]string{
		"Octopus.Action.RunOnServer":         "true",
		"Octopus.Action.Script.ScriptSource": "Inline",
		"Octopus.Action.Script.Syntax":       "Bash",
		"Octopus.Action.Script.ScriptBody":   "echo hello",
	}
	proc.Steps = []steps.ProcessStep{{Name: "Say hello", Condition: "Success", StartTrigger: "StartAfterPrevious",
		PackageRequirement: "LetOctopusDecide", Actions: []steps.ProcessAction{{Name: "Say hello", ActionType: "Octopus.Script", Properties: script}}}}
	upd, err := k.c.UpdateDeploymentProcess(ctx, k.space.ID, proc)
	if err != nil {
		t.Fatal(err)
	}
	back, err := k.c.DeploymentProcess(ctx, k.space.ID, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []steps.Process{upd, back} {
		if got.Version <= proc.Version || len(got.Steps) != 1 || len(got.Steps[0].Actions) != 1 ||
			got.Steps[0].Name != "Say hello" || got.Steps[0].Actions[0].ActionType != "Octopus.Script" ||
			got.Steps[0].Actions[0].Properties["Octopus.Action.Script.ScriptBody"] != "echo hello" {
			t.Errorf("process after update = %+v (was version %d)", got, proc.Version)
		}
	}
	// The server refuses a stale Version (optimistic concurrency). Which
	// status a real server answers with is not verified; only that it fails.
	if _, err := k.c.UpdateDeploymentProcess(ctx, k.space.ID, proc); err == nil {
		t.Error("an update based on a stale version succeeded")
	}
}

func contractUnknownID(t *testing.T, k *contract) {
	ctx := t.Context()
	// IDs of the server's own shape that no server of this size has issued.
	const n = "-987654321"
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"update space", func() error {
			_, err := k.c.UpdateSpace(ctx, steps.Space{ID: "Spaces" + n, Name: "octofleet-contract-" + k.suffix + "-x"})
			return err
		}},
		{"update environment", func() error {
			_, err := k.c.UpdateEnvironment(ctx, steps.Environment{ID: "Environments" + n, SpaceID: k.space.ID, Name: "x"})
			return err
		}},
		{"update project group", func() error {
			_, err := k.c.UpdateProjectGroup(ctx, steps.ProjectGroup{ID: "ProjectGroups" + n, SpaceID: k.space.ID, Name: "x"})
			return err
		}},
		{"deployment process", func() error {
			_, err := k.c.DeploymentProcess(ctx, k.space.ID, "Projects"+n)
			return err
		}},
		{"delete action template", func() error { return k.c.DeleteActionTemplate(ctx, k.space.ID, "ActionTemplates"+n) }},
		{"delete space", func() error { return k.c.DeleteSpace(ctx, "Spaces"+n) }},
	} {
		if err := tc.call(); !errors.Is(err, steps.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", tc.name, err)
		}
	}
}

func contractWrongKey(t *testing.T, k *contract) {
	// A fresh random key of the accepted shape: never one the server issued.
	key := "API-" + strings.ToUpper(randomHex(t, 13)) + "X"
	c, err := octopus.Dial(t.Context(), octopus.Options{URL: k.url, APIKey: key, MaxRetries: -1})
	if err == nil {
		// Dial reads the API root and the space list; whether every server
		// version refuses the root to a wrong key is not verified, so a
		// successful Dial is allowed and the first authenticated read must fail.
		_, err = c.CurrentUser(t.Context())
	}
	if !errors.Is(err, steps.ErrUnauthorized) {
		t.Errorf("wrong API key: %v, want ErrUnauthorized", err)
	}
	if err != nil && strings.Contains(err.Error(), key) {
		t.Error("the error shows the API key")
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// spaceNamed reads a space by exact name through the port (Spaces has no
// name filter; the adapter lists them all).
func spaceNamed(ctx context.Context, c *octopus.Client, name string) (steps.Space, error) {
	all, err := c.Spaces(ctx)
	if err != nil {
		return steps.Space{}, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
	}
	return steps.Space{}, fmt.Errorf("space %q: %w", name, steps.ErrNotFound)
}

func mustSpaceNamed(t *testing.T, c *octopus.Client, name string) steps.Space {
	t.Helper()
	s, err := spaceNamed(t.Context(), c, name)
	if err != nil {
		t.Fatalf("space %q: %v", name, err)
	}
	return s
}

func envNames(t *testing.T, k *contract) []string {
	t.Helper()
	all, err := k.c.Environments(t.Context(), k.space.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range all {
		out = append(out, e.Name)
	}
	return out
}

func tagNames(ts steps.TagSet) []string {
	var out []string
	for _, tg := range ts.Tags {
		out = append(out, tg.Name)
	}
	return out
}
