package steps_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// fixture is one emulator and the real adapter dialled to it, with the
// users and the system team the inputs below refer to.
type fixture struct {
	t   testing.TB
	emu *emulator.Server
	oct *octopus.Client
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	emu, oct := dialNew(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		if _, _, err := emu.CreateUser(u, strings.ToUpper(u[:1])+u[1:]); err != nil {
			t.Fatalf("create user %s: %v", u, err)
		}
	}
	f := &fixture{t: t, emu: emu, oct: oct}
	f.raw(t, http.MethodPost, "/api/teams", map[string]any{"Name": "Platform", "Description": "System team", "MemberUserIds": []string{}}, nil)
	emu.ResetRequests()
	return f
}

// raw sends one request with the admin API key, behind the tool's back.
func (f *fixture) raw(t testing.TB, method, path string, body, out any) {
	t.Helper()
	emulatortest.Call(t, f.emu, method, path, body, out)
}

// edit reads an Octopus document, lets mutate change it and PUTs it back.
func (f *fixture) edit(t testing.TB, path string, mutate func(doc map[string]any)) {
	t.Helper()
	var doc map[string]any
	f.raw(t, http.MethodGet, path, nil, &doc)
	mutate(doc)
	f.raw(t, http.MethodPut, path, doc, nil)
}

func ptr[T any](v T) *T { return &v }

// fullInput is a space with everything create-space manages.
func fullInput() steps.CreateSpaceInput {
	return steps.CreateSpaceInput{
		Name:             "Team A",
		Description:      ptr("Team A's space"),
		ManagerTeams:     []string{"Platform", "Team A deployers"},
		ManagerUsers:     []string{"alice"},
		TaskQueueStopped: ptr(true),
		Environments: []steps.EnvironmentInput{
			{Name: "Development", Description: ptr("Dev"), UseGuidedFailure: ptr(false)},
			{Name: "Test"},
			{Name: "Production", UseGuidedFailure: ptr(true)},
		},
		Lifecycles: []steps.LifecycleInput{{
			Name:        "Standard",
			Description: ptr("Dev, test, production"),
			Phases: []steps.PhaseInput{
				{Name: "Development", AutomaticDeploymentTargets: []string{"Development"}},
				{Name: "Test", OptionalDeploymentTargets: []string{"Test"}},
				{Name: "Production", OptionalDeploymentTargets: []string{"Production"}, MinimumEnvironmentsBeforePromotion: 1},
			},
			ReleaseRetentionPolicy:  &steps.RetentionInput{QuantityToKeep: 10, Unit: "Items"},
			TentacleRetentionPolicy: &steps.RetentionInput{ShouldKeepForever: true},
		}},
		ProjectGroups: []steps.ProjectGroupInput{{Name: "Web"}, {Name: "Services", Description: ptr("Back end")}},
		TenantTagSets: []steps.TagSetInput{{Name: "Tier", Description: ptr("Service tier"), Tags: []steps.TagInput{
			{Name: "Gold", Color: "#FFD700"}, {Name: "Silver", Color: "#C0C0C0", Description: ptr("Standard")},
		}}},
		Teams: []steps.TeamInput{{
			Name:    "Team A deployers",
			Members: []string{"bob", "carol"},
			Roles: []steps.RoleInput{
				{Role: "Project deployer", Environments: []string{"Development", "Test"}},
				{Role: "Project viewer"},
			},
		}},
	}
}

func mustPlan(t testing.TB, s steps.Step, oct steps.Octopus) steps.Plan {
	t.Helper()
	p, err := s.Plan(context.Background(), oct)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

func mustApply(t testing.TB, s steps.Step, oct steps.Octopus, p steps.Plan) steps.Outputs {
	t.Helper()
	out, err := s.Apply(context.Background(), oct, p)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return out
}

// pending lists the changes of p that are not no-ops, as "action kind name".
func pending(p steps.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		if c.Action != steps.NoOp {
			out = append(out, string(c.Action)+" "+c.Kind+" "+c.Name)
		}
	}
	return out
}

func TestCreateSpaceConverges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	step := steps.CreateSpace{In: fullInput()}

	first := mustPlan(t, step, f.oct)
	if len(f.emu.Writes()) != 0 {
		t.Fatalf("plan wrote: %q", f.emu.Writes())
	}
	want := []string{
		"create space Team A",
		"create environment Development", "create environment Test", "create environment Production",
		"create lifecycle Standard",
		"create project group Web", "create project group Services",
		"create tag set Tier",
		"create team Team A deployers",
		"create scoped user role Team A deployers/Project deployer", "create scoped user role Team A deployers/Project viewer",
		"update space Team A",
	}
	if diff := cmp.Diff(want, pending(first)); diff != "" {
		t.Fatalf("first plan (-want +got):\n%s", diff)
	}
	out := mustApply(t, step, f.oct, first)
	if out[steps.OutputSpaceName] != "Team A" || !strings.HasPrefix(out[steps.OutputSpaceID], "Spaces-") {
		t.Fatalf("outputs = %v", out)
	}

	second := mustPlan(t, step, f.oct)
	if !second.Empty() {
		t.Fatalf("plan after apply is not empty: %q\n%+v", pending(second), second.Changes)
	}
	if second.Outputs[steps.OutputSpaceID] != out[steps.OutputSpaceID] {
		t.Errorf("plan outputs = %v, want the applied %v", second.Outputs, out)
	}

	// A second full run (what the CLI does: plan, and apply only a
	// non-empty plan) makes no write at all.
	f.emu.ResetRequests()
	if p := mustPlan(t, step, f.oct); !p.Empty() {
		t.Fatalf("third plan not empty: %q", pending(p))
	}
	if w := f.emu.Writes(); len(w) != 0 {
		t.Errorf("second run wrote: %q", w)
	}

	checkServerState(t, f, out[steps.OutputSpaceID])
}

// checkServerState reads back what fullInput asked for, through the adapter.
func checkServerState(t *testing.T, f *fixture, spaceID string) {
	t.Helper()
	ctx := context.Background()
	all, err := f.oct.Spaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(s steps.Space) bool { return s.ID == spaceID })
	if i < 0 {
		t.Fatalf("space %s not listed", spaceID)
	}
	sp := all[i]
	if !sp.TaskQueueStopped || sp.Description != "Team A's space" || len(sp.ManagerTeamIDs) != 2 || len(sp.ManagerUserIDs) != 1 {
		t.Errorf("space = %+v", sp)
	}
	envs, err := f.oct.Environments(ctx, spaceID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ids := map[string]string{}
	for _, e := range envs {
		names = append(names, e.Name)
		ids[e.Name] = e.ID
	}
	if diff := cmp.Diff([]string{"Development", "Test", "Production"}, names); diff != "" {
		t.Errorf("environment order (-want +got):\n%s", diff)
	}
	lcs, err := f.oct.Lifecycles(ctx, spaceID)
	if err != nil {
		t.Fatal(err)
	}
	j := slices.IndexFunc(lcs, func(l steps.Lifecycle) bool { return l.Name == "Standard" })
	if j < 0 {
		t.Fatalf("lifecycle Standard missing: %+v", lcs)
	}
	lc := lcs[j]
	if len(lc.Phases) != 3 || !slices.Equal(lc.Phases[0].AutomaticDeploymentTargets, []string{ids["Development"]}) ||
		lc.Phases[2].MinimumEnvironmentsBeforePromotion != 1 || lc.TentacleRetentionPolicy == nil || !lc.TentacleRetentionPolicy.ShouldKeepForever {
		t.Errorf("lifecycle = %+v", lc)
	}
}

func TestCreateSpaceDriftRepair(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		path   func(f *fixture, spaceID string) string
		mutate func(doc map[string]any)
		kind   string
		field  string
	}{
		{
			name:   "space description",
			path:   func(_ *fixture, id string) string { return "/api/spaces/" + id },
			mutate: func(d map[string]any) { d["Description"] = "edited by hand" },
			kind:   steps.KindSpace, field: "description",
		},
		{
			name:   "task queue started",
			path:   func(_ *fixture, id string) string { return "/api/spaces/" + id },
			mutate: func(d map[string]any) { d["TaskQueueStopped"] = false },
			kind:   steps.KindSpace, field: "taskQueueStopped",
		},
		{
			name: "environment guided failure",
			path: func(f *fixture, id string) string {
				return "/api/" + id + "/environments/" + f.find(id, "environments", "Production")
			},
			mutate: func(d map[string]any) { d["UseGuidedFailure"] = false },
			kind:   steps.KindEnvironment, field: "useGuidedFailure",
		},
		{
			name:   "tag colour",
			path:   func(f *fixture, id string) string { return "/api/" + id + "/tagsets/" + f.find(id, "tagsets", "Tier") },
			mutate: func(d map[string]any) { d["Tags"].([]any)[0].(map[string]any)["Color"] = "#000000" },
			kind:   steps.KindTagSet, field: "tags.Gold.color",
		},
		{
			name: "project group description",
			path: func(f *fixture, id string) string {
				return "/api/" + id + "/projectgroups/" + f.find(id, "projectgroups", "Services")
			},
			mutate: func(d map[string]any) { d["Description"] = "" },
			kind:   steps.KindProjectGroup, field: "description",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			step := steps.CreateSpace{In: fullInput()}
			out := mustApply(t, step, f.oct, mustPlan(t, step, f.oct))
			id := out[steps.OutputSpaceID]

			f.edit(t, tc.path(f, id), tc.mutate)
			p := mustPlan(t, step, f.oct)
			var changed []steps.Change
			for _, c := range p.Changes {
				if c.Action != steps.NoOp {
					changed = append(changed, c)
				}
			}
			if len(changed) != 1 || changed[0].Kind != tc.kind || changed[0].Action != steps.Update {
				t.Fatalf("changes = %+v, want one update of a %s", changed, tc.kind)
			}
			if got := changed[0].FieldNames(); !slices.Equal(got, []string{tc.field}) {
				t.Fatalf("fields = %q, want exactly [%s]", got, tc.field)
			}
			f.emu.ResetRequests()
			mustApply(t, step, f.oct, p)
			if w := f.emu.Writes(); len(w) != 1 {
				t.Errorf("repair wrote %q, want one write", w)
			}
			if p := mustPlan(t, step, f.oct); !p.Empty() {
				t.Errorf("plan after repair: %q", pending(p))
			}
		})
	}
}

// find returns the ID of the named item of a space collection.
func (f *fixture) find(spaceID, collection, name string) string {
	f.t.Helper()
	return f.idOf(f.t, "/api/"+spaceID+"/"+collection+"/all", "Name", name)
}

// idOf reads the list at path (an /all endpoint) behind the tool's back and
// returns the Id of the item whose key is value.
func (f *fixture) idOf(t testing.TB, path, key, value string) string {
	t.Helper()
	var items []map[string]any
	f.raw(t, http.MethodGet, path, nil, &items)
	for _, it := range items {
		if it[key] == value {
			return it["Id"].(string)
		}
	}
	t.Fatalf("GET %s: no item with %s %q", path, key, value)
	return ""
}

// TestCreateSpaceLeavesUnnamedAlone checks that what the input does not name
// (server defaults, extra tags, extra environments, hand-made phases) never
// causes a diff and is never deleted, and that an existing space is adopted.
func TestCreateSpaceLeavesUnnamedAlone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	step := steps.CreateSpace{In: fullInput()}
	out := mustApply(t, step, f.oct, mustPlan(t, step, f.oct))
	id := out[steps.OutputSpaceID]

	f.raw(t, http.MethodPost, "/api/"+id+"/environments", map[string]any{"Name": "Hand made", "SpaceId": id}, nil)
	f.edit(t, "/api/"+id+"/tagsets/"+f.find(id, "tagsets", "Tier"), func(d map[string]any) {
		d["Tags"] = append(d["Tags"].([]any), map[string]any{"Name": "Bronze", "Color": "#CD7F32"})
	})
	if p := mustPlan(t, step, f.oct); !p.Empty() {
		t.Fatalf("unnamed things caused a diff: %q", pending(p))
	}

	// A smaller input names less and so changes nothing either.
	small := steps.CreateSpace{In: steps.CreateSpaceInput{Name: "Team A"}}
	if p := mustPlan(t, small, f.oct); !p.Empty() || len(p.Changes) != 1 || p.Changes[0].ID != id {
		t.Fatalf("name-only plan = %+v", p)
	}

	// Reordering the named environments keeps the unnamed one in its slot.
	re := fullInput()
	re.Environments[0], re.Environments[2] = re.Environments[2], re.Environments[0]
	p := mustPlan(t, steps.CreateSpace{In: re}, f.oct)
	if diff := cmp.Diff([]string{"update environment order Team A"}, pending(p)); diff != "" {
		t.Fatalf("reorder plan (-want +got):\n%s", diff)
	}
	mustApply(t, steps.CreateSpace{In: re}, f.oct, p)
	envs, err := f.oct.Environments(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range envs {
		names = append(names, e.Name)
	}
	if diff := cmp.Diff([]string{"Production", "Test", "Development", "Hand made"}, names); diff != "" {
		t.Errorf("order after reorder (-want +got):\n%s", diff)
	}
	if p := mustPlan(t, steps.CreateSpace{In: re}, f.oct); !p.Empty() {
		t.Errorf("plan after reorder: %q", pending(p))
	}
}

func TestCreateSpaceTemplates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := steps.CreateSpaceInput{
		Name:         "{{ .Tenant.Name }}",
		Description:  ptr("Space of {{ .Tenant.Name }} in {{ .Vars.region | upper }}"),
		Environments: []steps.EnvironmentInput{{Name: "{{ .Tenant.Slug }}-dev"}},
	}
	for _, tenant := range []string{"Acme", "Globex"} {
		data := steps.TemplateData{Tenant: steps.TenantData{Name: tenant, Slug: strings.ToLower(tenant)}, Vars: map[string]string{"region": "eu"}}
		rendered, err := in.Render(data)
		if err != nil {
			t.Fatal(err)
		}
		step := steps.CreateSpace{In: rendered}
		p := mustPlan(t, step, f.oct)
		if diff := cmp.Diff([]string{"create space " + tenant, "create environment " + strings.ToLower(tenant) + "-dev"}, pending(p)); diff != "" {
			t.Fatalf("%s plan (-want +got):\n%s", tenant, diff)
		}
		if got := p.Changes[0].Fields["description"][1]; got != "Space of "+tenant+" in EU" {
			t.Errorf("description = %v", got)
		}
		// No manager given: the API key's user manages the new space.
		if got := p.Changes[0].Fields["managerUsers"][1]; !cmp.Equal(got, []string{"admin"}) {
			t.Errorf("managerUsers = %v, want the current user", got)
		}
		mustApply(t, step, f.oct, p)
		if p := mustPlan(t, step, f.oct); !p.Empty() {
			t.Errorf("%s: plan after apply: %q", tenant, pending(p))
		}
	}
	for _, bad := range []string{"{{ now }}", `{{ env "HOME" }}`, "{{ .Vars.missing }}"} {
		_, err := steps.CreateSpaceInput{Name: bad}.Render(steps.TemplateData{})
		var ie *steps.InputError
		if !errors.As(err, &ie) || ie.Field != "name" || ie.ExitCode() != 80 {
			t.Errorf("Render(%q) err = %v, want an InputError for name", bad, err)
		}
	}
	if w := f.emu.Writes(); len(w) != 4 {
		t.Errorf("writes = %q, want 2 spaces and 2 environments", w)
	}
}

func TestCreateSpaceUnknownReferences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(in *steps.CreateSpaceInput)
		want   []string
	}{
		{"unknown manager team", func(in *steps.CreateSpaceInput) { in.ManagerTeams = []string{"Nobody"} },
			[]string{`managerTeams: unknown team "Nobody"`, `"Platform"`}},
		{"unknown manager user", func(in *steps.CreateSpaceInput) { in.ManagerUsers = []string{"mallory"} },
			[]string{`managerUsers: unknown user "mallory"`, `"alice", "bob", "carol"`}},
		{"unknown member", func(in *steps.CreateSpaceInput) { in.Teams[0].Members = []string{"bob", "eve"} },
			[]string{`teams[0].members: unknown user "eve"`}},
		{"unknown role", func(in *steps.CreateSpaceInput) { in.Teams[0].Roles[0].Role = "Overlord" },
			[]string{`teams[0].roles[0].role: unknown user role "Overlord"`, `"Project deployer"`}},
		{"unknown environment in a phase", func(in *steps.CreateSpaceInput) {
			in.Lifecycles[0].Phases[0].AutomaticDeploymentTargets = []string{"Staging"}
		}, []string{`lifecycles[0].phases[0].automaticDeploymentTargets: unknown environment "Staging"`, `"Development"`}},
		{"all at once", func(in *steps.CreateSpaceInput) {
			in.ManagerUsers = []string{"mallory"}
			in.Teams[0].Roles[1].ProjectGroups = []string{"Nope"}
		}, []string{`managerUsers: unknown user "mallory"`, `teams[0].roles[1].projectGroups: unknown project group "Nope"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			in := fullInput()
			tc.mutate(&in)
			_, err := steps.CreateSpace{In: in}.Plan(context.Background(), f.oct)
			if err == nil {
				t.Fatal("plan succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if w := f.emu.Writes(); len(w) != 0 {
				t.Errorf("writes = %q, want none", w)
			}
		})
	}
}

// TestCreateSpacePartialFailure fails a write half-way through an apply; a
// re-run repairs the space without duplicating anything.
func TestCreateSpacePartialFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inject func(f *fixture, spaceID string)
	}{
		{"project group refused", func(f *fixture, id string) {
			f.emu.FailNext(http.MethodPost, "/api/"+id+"/projectgroups", http.StatusBadRequest, 1)
		}},
		{"tag set failing with 500 past the retries", func(f *fixture, id string) {
			f.emu.FailNext(http.MethodPost, "/api/"+id+"/tagsets", http.StatusInternalServerError, 11)
		}},
		{"team create answer lost", func(f *fixture, id string) {
			f.emu.DropNext(http.MethodPost, "/api/"+id+"/teams", 1)
			f.emu.FailNext(http.MethodPost, "/api/scopeduserroles", http.StatusServiceUnavailable, 11)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			// The space exists already, so its ID is known to aim the fault.
			base := steps.CreateSpace{In: steps.CreateSpaceInput{Name: "Team A"}}
			id := mustApply(t, base, f.oct, mustPlan(t, base, f.oct))[steps.OutputSpaceID]

			step := steps.CreateSpace{In: fullInput()}
			tc.inject(f, id)
			p := mustPlan(t, step, f.oct)
			if _, err := step.Apply(context.Background(), f.oct, p); err == nil {
				t.Fatal("apply succeeded despite the injected failure")
			}
			if p := mustPlan(t, step, f.oct); !p.Empty() {
				mustApply(t, step, f.oct, p)
			}
			if p := mustPlan(t, step, f.oct); !p.Empty() {
				t.Fatalf("not converged after the re-run: %q", pending(p))
			}
			for coll, names := range map[string][]string{
				"environments":  {"Development", "Test", "Production"},
				"projectgroups": {"Services", "Web"},
				"tagsets":       {"Tier"},
				"lifecycles":    {"Standard"},
			} {
				var items []map[string]any
				f.raw(t, http.MethodGet, "/api/"+id+"/"+coll+"/all", nil, &items)
				count := map[string]int{}
				for _, it := range items {
					count[it["Name"].(string)]++
				}
				for _, n := range names {
					if count[n] != 1 {
						t.Errorf("%s %q exists %d times", coll, n, count[n])
					}
				}
			}
			teams, err := f.oct.Teams(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, tm := range teams {
				if tm.Name == "Team A deployers" {
					n++
					roles, err := f.oct.ScopedUserRoles(context.Background(), tm.ID)
					if err != nil {
						t.Fatal(err)
					}
					count := map[string]int{}
					for _, r := range roles {
						count[r.UserRoleID]++
					}
					// The server adds userroles-spacemanager because the team manages the space.
					if count["userroles-projectdeployer"] != 1 || count["userroles-projectviewer"] != 1 {
						t.Errorf("team's scoped roles: %+v, want one deployer and one viewer", roles)
					}
				}
			}
			if n != 1 {
				t.Errorf("team exists %d times", n)
			}
		})
	}
}

// TestCreateSpaceScopedRoleScopeChange narrows a role's scope: the existing
// scoped role is updated, not joined by a second one.
func TestCreateSpaceScopedRoleScopeChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	step := steps.CreateSpace{In: fullInput()}
	mustApply(t, step, f.oct, mustPlan(t, step, f.oct))

	in := fullInput()
	in.Teams[0].Roles[0].Environments = []string{"Development"}
	in.Teams[0].Roles[1].ProjectGroups = []string{"Web"}
	narrowed := steps.CreateSpace{In: in}
	p := mustPlan(t, narrowed, f.oct)
	var fields []string
	for _, c := range p.Changes {
		if c.Action != steps.NoOp {
			if c.Action != steps.Update || c.Kind != steps.KindScopedUserRole {
				t.Errorf("unexpected change %+v", c)
			}
			fields = append(fields, c.Name+":"+strings.Join(c.FieldNames(), ","))
		}
	}
	sort.Strings(fields)
	want := []string{"Team A deployers/Project deployer:environments", "Team A deployers/Project viewer:projectGroups"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}
	mustApply(t, narrowed, f.oct, p)
	if p := mustPlan(t, narrowed, f.oct); !p.Empty() {
		t.Errorf("plan after narrowing: %q", pending(p))
	}
}

// TestCreateSpaceBuiltInManagerTeams: the built-in system teams may manage a
// space and converge; the space's own "Space Managers" team (which Octopus
// adds and Space.ManagerTeamIDs never lists) is a plan error, not a diff that
// every run would repeat.
func TestCreateSpaceBuiltInManagerTeams(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	step := steps.CreateSpace{In: steps.CreateSpaceInput{Name: "Team A", ManagerTeams: []string{"Octopus Administrators", "Everyone", "Platform"}}}
	p := mustPlan(t, step, f.oct)
	if got := p.Changes[0].Fields["managerTeams"][1]; !cmp.Equal(got, []string{"Everyone", "Octopus Administrators", "Platform"}) {
		t.Errorf("managerTeams = %v", got)
	}
	id := mustApply(t, step, f.oct, p)[steps.OutputSpaceID]
	var sp map[string]any
	f.raw(t, http.MethodGet, "/api/spaces/"+id, nil, &sp)
	got := sp["SpaceManagersTeams"].([]any)
	for _, want := range []string{"teams-administrators", "teams-everyone", "teams-spacemanagers-" + id} {
		if !slices.Contains(got, any(want)) {
			t.Errorf("SpaceManagersTeams = %v, want %s among them", got, want)
		}
	}
	f.emu.ResetRequests()
	if p := mustPlan(t, step, f.oct); !p.Empty() {
		t.Errorf("plan after apply: %q", pending(p))
	}

	for _, in := range []steps.CreateSpaceInput{
		{Name: "Team A", ManagerTeams: []string{"Space Managers"}},
		{Name: "Team A", ManagerTeams: []string{"Platform", "Space Managers"}, Teams: []steps.TeamInput{{Name: "Space Managers", Members: []string{"bob"}}}},
	} {
		_, err := steps.CreateSpace{In: in}.Plan(context.Background(), f.oct)
		if err == nil || !strings.Contains(err.Error(), `managerTeams: "Space Managers" is the space's own managers team`) {
			t.Errorf("plan %+v: err = %v, want the space managers team refused", in, err)
		}
	}
	if w := f.emu.Writes(); len(w) != 0 {
		t.Errorf("writes = %q, want none", w)
	}
}

// TestCreateSpaceExplicitNoManagerUsers: Octopus needs a manager to create a
// space, so the API key's user manages a new one; an input that lists its
// manager users (here: none) gets exactly those in the same run, so the next
// plan is empty.
func TestCreateSpaceExplicitNoManagerUsers(t *testing.T) {
	t.Parallel()
	for _, in := range []steps.CreateSpaceInput{
		{Name: "Team A", ManagerUsers: []string{}},
		{Name: "Team A", ManagerUsers: []string{}, ManagerTeams: []string{}},
		{Name: "Team A", ManagerUsers: []string{}, ManagerTeams: []string{"Team A deployers"}, Teams: []steps.TeamInput{{Name: "Team A deployers"}}},
	} {
		f := newFixture(t)
		step := steps.CreateSpace{In: in}
		p := mustPlan(t, step, f.oct)
		last := p.Changes[len(p.Changes)-1]
		if got := last.Fields["managerUsers"]; last.Kind != steps.KindSpace || last.Action != steps.Update || !cmp.Equal(got, [2]any{[]string{"admin"}, []string{}}) {
			t.Errorf("%+v: last change %+v, want the default manager removed after the create", in, last)
		}
		id := mustApply(t, step, f.oct, p)[steps.OutputSpaceID]
		var sp map[string]any
		f.raw(t, http.MethodGet, "/api/spaces/"+id, nil, &sp)
		if got := sp["SpaceManagersTeamMembers"]; !cmp.Equal(got, []any{}) {
			t.Errorf("%+v: SpaceManagersTeamMembers = %v, want none", in, got)
		}
		f.emu.ResetRequests()
		if p := mustPlan(t, step, f.oct); !p.Empty() {
			t.Errorf("%+v: plan after apply: %q", in, pending(p))
		}
	}
}
