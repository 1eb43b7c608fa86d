package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/steps"
)

// The least-privilege tests run each step with the key of a user whose only
// team holds a custom user role with exactly the step's permissions
// (steps.StepPermissions): its system permissions at the system level, its
// space permissions in the step's space. Each scenario (a step in one state:
// a space it creates, an existing one, one that drifted) must apply, and a
// re-run must write nothing. The requests it made say which of the
// permissions it needs (lpNeeds); each of those, taken away in the first
// scenario that needs it, must make the step fail (in its apply or its
// re-run) with exit 1 and the server's 403 naming the permission, with no
// request needing it accepted; when the failed run wrote something, a run
// with the whole role must then finish. A permission of the table no
// scenario needs is an error unless lpNotProven says why.
//
// A step that creates its space holds the space's permissions there as the
// space's manager (Octopus makes the API key's user one when the input names
// no manager), so those scenarios take away only system permissions; the
// same step against an existing space takes away the space ones.

// lpCase is one least-privilege scenario of a step.
type lpCase struct {
	name, step string
	// setup prepares the world with the admin key and returns the step's
	// arguments and the name of the space the role is granted in ("" when
	// the step creates it).
	setup func(t *testing.T, h *harness) (args []string, space string)
	// oneShot steps write every run (trigger starts a run): the second run
	// is not checked for zero writes.
	oneShot bool
}

var lpUsers atomic.Int64

// keyWith creates a custom user role holding exactly p, and a user whose
// only team has that role at the system level (its system permissions) and
// in spaceID when given (its space permissions); it returns the user's key.
func keyWith(t *testing.T, h *harness, p steps.Permissions, spaceID string) string {
	t.Helper()
	n := lpUsers.Add(1)
	role := fmt.Sprintf("least-privilege-%d", n)
	emulatortest.Call(t, h.emu, http.MethodPost, "/api/userroles", map[string]any{
		"Name": role, "GrantedSystemPermissions": orNone(p.System), "GrantedSpacePermissions": orNone(p.Space)}, nil)
	grants := []emulatortest.Grant{{Role: role}}
	if spaceID != "" {
		grants = append(grants, emulatortest.Grant{Role: role, SpaceID: spaceID})
	}
	return emulatortest.NewUser(t, h.emu, fmt.Sprintf("lp-user-%d", n), grants...).APIKey
}

func orNone(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// lpPerm is one permission at one level of a step's role.
type lpPerm struct {
	name   string
	system bool
}

func (p lpPerm) String() string {
	if p.system {
		return p.name + " (system)"
	}
	return p.name + " (space)"
}

// lpPerms lists p's permissions with their levels.
func lpPerms(p steps.Permissions) []lpPerm {
	var out []lpPerm
	for _, n := range p.System {
		out = append(out, lpPerm{n, true})
	}
	for _, n := range p.Space {
		out = append(out, lpPerm{n, false})
	}
	return out
}

// without returns p less perm at its level.
func without(p steps.Permissions, perm lpPerm) steps.Permissions {
	drop := func(l []string, level bool) []string {
		if level != perm.system {
			return l
		}
		return slices.DeleteFunc(slices.Clone(l), func(s string) bool { return s == perm.name })
	}
	return steps.Permissions{System: drop(p.System, true), Space: drop(p.Space, false)}
}

// runAs runs octofleet with the emulator's URL and key.
func (h *harness) runAs(t *testing.T, key string, args ...string) result {
	t.Helper()
	r := h.runRaw(t, "", append([]string{"--server", h.emu.URL(), "--api-key", key}, args...)...)
	if strings.Contains(r.stdout+r.stderr, key) {
		t.Errorf("the API key appears in the output of %q", args)
	}
	return r
}

// successfulWrites are the non-GET requests since the last reset that
// the server accepted.
func successfulWrites(emu *emulator.Server) []string {
	var out []string
	for _, r := range emu.Requests() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Status > 0 && r.Status < 400 {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func lpCases() []lpCase {
	// spaceInputAs is create-space's input with every description d.
	spaceInputAs := func(d string) string {
		return strings.ReplaceAll(`{"name": "Team A", "description": "D", "environments": [{"name": "Dev", "description": "D"}, {"name": "Prod"}],
	  "lifecycles": [{"name": "Std", "description": "D", "phases": [{"name": "Dev", "optionalDeploymentTargets": ["Dev"]}, {"name": "Prod", "optionalDeploymentTargets": ["Prod"]}]}],
	  "projectGroups": [{"name": "Web", "description": "D"}], "tenantTagSets": [{"name": "Tier", "description": "D", "tags": [{"name": "Gold", "color": "#FFD700"}]}],
	  "teams": [{"name": "Deployers", "description": "D", "roles": [{"role": "Project deployer", "environments": ["Dev"]}]}]}`, `"D"`, `"`+d+`"`)
	}
	spaceInput := spaceInputAs("A team's space")
	adminRun := func(t *testing.T, h *harness, args ...string) {
		t.Helper()
		if r := h.run(t, "", args...); r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	// management is a management space with a tenanted project (a runbook
	// and a release), and alice, the facade's customer user.
	management := func(t *testing.T, h *harness) (mgmtKey string) {
		t.Helper()
		adminRun(t, h, "create-space", "--input", writeFile(t, "management.json", `{"name": "Management", "environments": [{"name": "Production"}]}`))
		w := emulatortest.NewTenanted(t, h.emu, h.spaceID(t, "Management"), "Customer operations", "Say hello", "Acme")
		w.SetDeployScript(t, `echo "Deployed for #{Octopus.Tenant.Name}"`)
		w.Release(t, "1.0.0")
		w.SetRunbookScript(t, `echo "Hello from #{Octopus.Tenant.Name}"`, true)
		if _, _, err := h.emu.CreateUser("alice", "Alice"); err != nil {
			t.Fatal(err)
		}
		_, mgmtKey, err := h.emu.CreateUser("facade-caller", "Facade caller")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = h.emu.WaitForTasks(t.Context()) })
		return mgmtKey
	}
	trigger := []string{"trigger", "--space", "Management", "--project", "Customer operations", "--tenant", "Acme", "--environment", "Production"}
	// facade is create-facade-project's arguments for a facade of tenant
	// Acme: target is the upstream part, more the project's extra fields.
	facade := func(t *testing.T, h *harness, mgmtKey, target, more string) []string {
		return []string{"create-facade-project", "--tenant-name", "Acme", "--management-api-key", mgmtKey, "--input", writeFile(t, "facade.json", fmt.Sprintf(`{
  "upstream": {"serverUrl": %q, "space": "Management", "project": "Customer operations",
    "tenant": "{{ .Tenant.Name }}", "environment": "Production", %s, "timeout": "2m"},
  "space": {"name": "{{ .Tenant.Name }}", "description": "Acme's facade"},
  "project": {"name": "Self-service", "environments": ["Production"]%s},
  "team": {"name": "{{ .Tenant.Name }} operators", "members": ["alice"]},
  "command": "octofleet"
}`, h.emu.URL(), target, more))}
	}
	return []lpCase{
		{name: "trigger runbook", step: "trigger", oneShot: true,
			setup: func(t *testing.T, h *harness) ([]string, string) {
				management(t, h)
				return append(trigger, "--runbook", "Say hello"), "Management"
			}},
		{name: "trigger deployment", step: "trigger", oneShot: true,
			setup: func(t *testing.T, h *harness) ([]string, string) {
				management(t, h)
				return trigger, "Management"
			}},
		{name: "create-facade-project new", step: "create-facade-project",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				key := management(t, h)
				return facade(t, h, key, `"runbook": "Say hello"`, ""), ""
			}},
		{name: "create-facade-project existing", step: "create-facade-project",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				key := management(t, h)
				adminRun(t, h, "create-space", "--name", "Acme")
				return facade(t, h, key, `"runbook": "Say hello"`, ""), "Acme"
			}},
		{name: "create-facade-project deployment", step: "create-facade-project",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				key := management(t, h)
				adminRun(t, h, "create-space", "--name", "Acme")
				return facade(t, h, key, `"release": {"channel": "Default"}`, `, "group": "Facades"`), "Acme"
			}},
		{name: "create-facade-project drifted", step: "create-facade-project",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				key := management(t, h)
				adminRun(t, h, facade(t, h, key, `"runbook": "Say hello"`, `, "description": "before"`)...)
				return facade(t, h, key, `"runbook": "Say hello"`, `, "description": "after"`), "Acme"
			}},
		{name: "create-space new", step: "create-space",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				return []string{"create-space", "--input", writeFile(t, "space.json", spaceInput)}, ""
			}},
		{name: "create-space existing", step: "create-space",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				adminRun(t, h, "create-space", "--name", "Team A")
				return []string{"create-space", "--input", writeFile(t, "space.json", spaceInput)}, "Team A"
			}},
		{name: "create-space drifted", step: "create-space",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				adminRun(t, h, "create-space", "--input", writeFile(t, "before.json", spaceInputAs("before")))
				return []string{"create-space", "--input", writeFile(t, "space.json", spaceInput)}, "Team A"
			}},
		{name: "seed-templates", step: "seed-templates",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				dir := t.TempDir()
				adminRun(t, h, "export", "--out", dir)
				adminRun(t, h, "create-space", "--name", "Seeded")
				return []string{"--space", "Seeded", "seed-templates", "--from", filepath.Join(dir, "step-templates")}, "Seeded"
			}},
		{name: "seed-templates drifted", step: "seed-templates",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				// Seeded with one template more, which the source then loses
				// (--prune deletes it), and one the source then changes.
				dir := t.TempDir()
				adminRun(t, h, "export", "--out", dir)
				adminRun(t, h, "create-space", "--name", "Seeded")
				from := filepath.Join(dir, "step-templates")
				trigger := filepath.Join(from, "octofleet-trigger.json")
				var tmpl map[string]any
				readJSONFile(t, trigger, &tmpl)
				extra := maps.Clone(tmpl)
				extra["Id"], extra["Name"] = "5f0e0d6e-0000-4000-8000-000000000001", "octofleet - Extra"
				writeJSONFile(t, filepath.Join(from, "extra.json"), extra)
				adminRun(t, h, "--space", "Seeded", "seed-templates", "--from", from)
				if err := os.Remove(filepath.Join(from, "extra.json")); err != nil {
					t.Fatal(err)
				}
				tmpl["Description"] = "Changed upstream."
				writeJSONFile(t, trigger, tmpl)
				return []string{"--space", "Seeded", "seed-templates", "--from", from, "--prune"}, "Seeded"
			}},
		{name: "seed-templates projects", step: "seed-templates",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				// The upstream space is read with the admin key: the role
				// is the target space's.
				adminRun(t, h, "--space", "Hub", "install", "--no-package")
				adminRun(t, h, "create-space", "--name", "Seeded")
				return []string{"--space", "Seeded", "seed-templates", "--source-server", h.emu.URL(), "--source-api-key", h.emu.APIKey(),
					"--from-space", "Hub", "--template", "*", "--project", "octofleet"}, "Seeded"
			}},
		{name: "install new", step: "install",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				return []string{"--space", "Hub", "install", "--no-package", "--drift-schedule", "0 3 * * *"}, ""
			}},
		{name: "install existing", step: "install",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				adminRun(t, h, "create-space", "--name", "Hub")
				return []string{"--space", "Hub", "install", "--no-package", "--drift-schedule", "0 3 * * *"}, "Hub"
			}},
		{name: "install drifted", step: "install",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				adminRun(t, h, "--space", "Hub", "install", "--no-package", "--drift-schedule", "0 4 * * *")
				// Someone changed the project, a step template and the tag set.
				sp := "/api/" + h.spaceID(t, "Hub")
				tamper := func(list, name string, change func(map[string]any)) {
					var all []map[string]any
					h.callJSON(t, http.MethodGet, sp+"/"+list+"/all", &all)
					for _, d := range all {
						if d["Name"] == name {
							change(d)
							emulatortest.Call(t, h.emu, http.MethodPut, sp+"/"+list+"/"+d["Id"].(string), d, nil)
							return
						}
					}
					t.Fatalf("no %s %q", list, name)
				}
				tamper("projects", "octofleet", func(d map[string]any) { d["Description"] = "tampered" })
				tamper("actiontemplates", "octofleet - Trigger", func(d map[string]any) { d["Description"] = "tampered" })
				tamper("tagsets", "Octofleet", func(d map[string]any) { d["Tags"] = []any{} })
				return []string{"--space", "Hub", "install", "--no-package", "--drift-schedule", "0 3 * * *"}, "Hub"
			}},
		{name: "register-tenant", step: "register-tenant",
			setup: func(t *testing.T, h *harness) ([]string, string) {
				adminRun(t, h, "--space", "Hub", "install", "--no-package")
				return []string{"--space", "Hub", "register-tenant", "--input", writeFile(t, "tenant.json", regionTenant)}, "Hub"
			}},
	}
}

// lpNotProven are the permissions of steps.StepPermissions no scenario
// here proves needed, because the emulator does not check them where the
// real server does, or because only a state the scenarios do not build
// needs them; each says why. The test fails when a listed permission is
// proven after all (drop it from here) or when a permission is neither.
var lpNotProven = map[string]map[lpPerm]string{
	"create-space": {
		{"SpaceView", true}: seeSpaces,
		{"TeamView", true}:  notChecked + ": reading teams (managerTeams may name system teams)",
		{"TeamView", false}: notChecked + ": reading the space's teams",
	},
	"create-facade-project": {
		{"SpaceView", true}: seeSpaces,
		{"TeamView", true}:  notChecked + ": reading teams (managerTeams may name system teams)",
		{"TeamView", false}: notChecked + ": reading the facade space's teams",
	},
	"trigger": {
		{"TaskCancel", false}: "canceling the task when --timeout passes or the run is interrupted; the scenarios' tasks finish",
	},
	"install": {
		{"SpaceView", true}:        seeSpaces,
		{"BuiltInFeedPush", false}: "pushing octofleet's package to the built-in feed; the scenarios run --no-package (building the package is slow)",
	},
	"register-tenant": {
		{"VariableView", false}: notChecked + ": the tenant's variables are read with TenantView there (tenantvariables); the real server also checks VariableView for the values",
	},
	"seed-templates": {
		{"ProcessEdit", false}: "copying a template project with deployment steps; the scenario's (octofleet's project) has runbooks only",
		{"ProjectEdit", false}: onlyDrift + " (a copied template project changed upstream)",
	},
}

// Reasons of lpNotProven.
const (
	notChecked = "the emulator does not check this where the real server does"
	onlyDrift  = "needed only when an object octofleet owns drifted"
	seeSpaces  = "no request is refused without it: GET /api/spaces lists only the spaces the caller has a role in; with it the step also finds a space of its name the caller has no role in, instead of creating it again and being refused as a duplicate"
)

// lpNeeds is the permission the emulator checks for req, at the level
// whose grant satisfies it in a scenario: emulator.PermissionFor, plus the
// system-level reads PermissionFor does not report (the users list, the
// user roles) and task reads (TaskView in the task's space). Teams, their
// roles and the space itself are system routes that a grant in the space
// satisfies (permissions.go authorizeSystem: space managers manage their
// space's teams), so they are space permissions in the space the role is
// granted in (spaceID), and the space managers' (none of the role's) in a
// space the step creates (spaceID ""). Space requests elsewhere than
// spaceID (an upstream space read with another key) need nothing of the
// role; "*" takes every space as the role's.
func lpNeeds(req emulator.Request, spaceID string) (lpPerm, bool) {
	perm, system := emulator.PermissionFor(req.Method, req.Route)
	route := strings.ToLower(req.Route)
	switch {
	case perm == "" && req.Method == http.MethodGet && route == "/api/users":
		perm, system = "UserView", true
	case perm == "" && req.Method == http.MethodGet && strings.HasPrefix(route, "/api/userroles"):
		perm, system = "UserRoleView", true
	case perm == "" && req.Method == http.MethodGet && strings.HasPrefix(route, "/api/tasks/{id}"):
		// The task's space decides (permissions.go authorize).
		perm, system = "TaskView", false
	case system && req.Method != http.MethodPost && strings.HasPrefix(route, "/api/spaces/{"),
		system && (strings.HasPrefix(route, "/api/teams") || strings.HasPrefix(route, "/api/scopeduserroles")):
		if spaceID == "" {
			return lpPerm{}, false
		}
		system = false
	case !system && spaceID != "" && spaceID != "*" && !strings.HasPrefix(strings.ToLower(req.Path), strings.ToLower("/api/"+spaceID+"/")):
		return lpPerm{}, false
	}
	return lpPerm{perm, system}, perm != ""
}

// lpProof is what the scenarios found, per step.
type lpProof struct {
	mu      sync.Mutex
	refused map[string]map[lpPerm]bool // permissions whose removal failed the step as it should
}

func (p *lpProof) add(step string, perm lpPerm) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused == nil {
		p.refused = map[string]map[lpPerm]bool{}
	}
	if p.refused[step] == nil {
		p.refused[step] = map[lpPerm]bool{}
	}
	p.refused[step][perm] = true
}

// forbidden reports whether stderr names perm as the server's 403 does:
// its message ("Missing permission: X"), or its detail line ("requires the X
// permission"), which is all go-octopusdeploy keeps of a refused create.
func forbidden(stderr string, perm lpPerm) bool {
	return strings.Contains(stderr, "Missing permission: "+perm.name) || strings.Contains(stderr, "requires the "+perm.name+" permission")
}

func TestLeastPrivilege(t *testing.T) {
	t.Parallel()
	var proof lpProof
	cases := lpCases()
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		for step, perms := range steps.StepPermissions {
			if !slices.ContainsFunc(cases, func(c lpCase) bool { return c.step == step }) {
				continue
			}
			for _, perm := range lpPerms(perms) {
				reason, excused := lpNotProven[step][perm]
				switch proved := proof.refused[step][perm]; {
				case proved && excused:
					t.Errorf("%s: %s is proven needed now: drop it from lpNotProven (%s)", step, perm, reason)
				case !proved && !excused:
					t.Errorf("%s: steps.StepPermissions lists %s but no scenario needs it: drop it from the table, or add a scenario or a reason to lpNotProven", step, perm)
				}
			}
		}
	})
	// First every scenario with exactly the step's permissions: apply,
	// then a second run that changes nothing. The requests say which
	// permissions the scenario needs.
	needed := make([][]lpPerm, len(cases))
	t.Run("exactly", func(t *testing.T) {
		for i, tc := range cases {
			perms := steps.StepPermissions[tc.step]
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				args, space := tc.setup(t, h)
				spaceID := spaceIDOrEmpty(t, h, space)
				key := keyWith(t, h, perms, spaceID)
				for run := range 2 {
					h.emu.ResetRequests()
					r := h.runAs(t, key, args...)
					if r.code != 0 {
						t.Fatalf("run %d with exactly %v: exit %d\n%s", run+1, perms, r.code, lastLines(r.stderr, 5))
					}
					for _, req := range h.emu.Requests() {
						perm, ok := lpNeeds(req, spaceID)
						if !ok || slices.Contains(needed[i], perm) {
							continue
						}
						if !slices.Contains(lpPerms(perms), perm) {
							t.Errorf("%s %s needs %s, not in steps.StepPermissions[%q]", req.Method, req.Path, perm, tc.step)
							continue
						}
						// A step that creates its space holds the space's
						// permissions as its manager, not through the role.
						if perm.system || space != "" {
							needed[i] = append(needed[i], perm)
							t.Logf("needs %s: %s %s", perm, req.Method, req.Path)
						}
					}
				}
				if w := successfulWrites(h.emu); len(w) > 0 && !tc.oneShot {
					t.Errorf("second run wrote %d times: %v", len(w), w)
				}
			})
		}
	})
	// Then each needed permission taken away, in the first scenario that
	// needs it.
	tried := map[string]map[lpPerm]bool{}
	for i, tc := range cases {
		perms := steps.StepPermissions[tc.step]
		if tried[tc.step] == nil {
			tried[tc.step] = map[lpPerm]bool{}
		}
		for _, perm := range needed[i] {
			if tried[tc.step][perm] {
				continue
			}
			tried[tc.step][perm] = true
			t.Run(tc.name+" without "+perm.String(), func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				args, space := tc.setup(t, h)
				spaceID := spaceIDOrEmpty(t, h, space)
				key := keyWith(t, h, without(perms, perm), spaceID)
				// Some permissions only a re-run needs (reading what the
				// first run created): apply, then run again.
				var r result
				for range 2 {
					h.emu.ResetRequests()
					if r = h.runAs(t, key, args...); r.code != 0 {
						break
					}
				}
				if r.code != exitFailure {
					t.Fatalf("without %s: exit %d, want %d\n%s", perm, r.code, exitFailure, lastLines(r.stderr, 5))
				}
				if !forbidden(r.stderr, perm) {
					t.Fatalf("without %s: stderr does not name it:\n%s", perm, lastLines(r.stderr, 5))
				}
				for _, req := range h.emu.Requests() {
					if p, _ := lpNeeds(req, spaceID); p == perm && req.Status < 400 {
						t.Errorf("without %s: %s %s succeeded", perm, req.Method, req.Path)
					}
				}
				proof.add(tc.step, perm)
				if len(successfulWrites(h.emu)) == 0 {
					return // refused while planning: nothing to finish
				}
				// What the failed run applied, a run with the whole role
				// finishes.
				full := keyWith(t, h, perms, spaceID)
				if r := h.runAs(t, full, args...); r.code != 0 {
					t.Fatalf("the whole role after the failure: exit %d\n%s", r.code, lastLines(r.stderr, 5))
				}
			})
		}
	}
}

// spaceIDOrEmpty is the ID of the space called name ("" for "").
func spaceIDOrEmpty(t *testing.T, h *harness, name string) string {
	t.Helper()
	if name == "" {
		return ""
	}
	return h.spaceID(t, name)
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestPermissionsDocumented checks that each step's --help and README's
// table say what steps.StepPermissions lists.
func TestPermissionsDocumented(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for step, p := range steps.StepPermissions {
		r := h.runRaw(t, "", step, "--help")
		if r.code != 0 {
			t.Fatalf("%s --help: exit %d\n%s", step, r.code, r.stderr)
		}
		_, text, ok := strings.Cut(r.stdout, "Octopus permissions the API key needs")
		if !ok {
			t.Errorf("%s --help does not list its permissions:\n%s", step, r.stdout)
			continue
		}
		text, _, _ = strings.Cut(text, "Flags:")
		system, space, _ := strings.Cut(text, "in the space:")
		for _, l := range []struct {
			text  string
			perms []string
		}{{system, p.System}, {space, p.Space}} {
			fields := strings.FieldsFunc(l.text, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
			for _, perm := range l.perms {
				if !slices.Contains(fields, perm) {
					t.Errorf("%s --help does not list %s in its place:\n%s", step, perm, text)
				}
			}
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- permissions table: generated from steps.StepPermissions -->\n", "<!-- end of permissions table -->"
	head, rest, ok := strings.Cut(string(readme), begin)
	table, tail, ok2 := strings.Cut(rest, end)
	if want := permissionsTable(); !ok || !ok2 || table != want {
		if ok && ok2 && os.Getenv("OCTOFLEET_UPDATE_README") != "" {
			if err := os.WriteFile("../../README.md", []byte(head+begin+want+end+tail), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README's permissions table (between %q and %q) is not steps.StepPermissions (OCTOFLEET_UPDATE_README=1 rewrites it); want:\n%s", begin, end, want)
	}
}

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
