package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// createSpaceInputFile is a space with 3 environments, a lifecycle, 2
// project groups and a tag set: what the golden plans show.
const createSpaceInputFile = `{
  "name": "{{ .Tenant.Name }}",
  "description": "Space of {{ .Tenant.Name }}",
  "environments": [
    {"name": "Development", "useGuidedFailure": false},
    {"name": "Test", "description": "Integration tests"},
    {"name": "Production", "useGuidedFailure": true}
  ],
  "lifecycles": [{
    "name": "Standard",
    "phases": [
      {"name": "Development", "automaticDeploymentTargets": ["Development"]},
      {"name": "Test", "optionalDeploymentTargets": ["Test"]},
      {"name": "Production", "optionalDeploymentTargets": ["Production"], "minimumEnvironmentsBeforePromotion": 1}
    ],
    "releaseRetentionPolicy": {"quantityToKeep": 30, "unit": "Days"},
    "tentacleRetentionPolicy": {"shouldKeepForever": true}
  }],
  "projectGroups": [{"name": "Web"}, {"name": "Services", "description": "Back-end services"}],
  "tenantTagSets": [{"name": "Tier", "tags": [{"name": "Gold", "color": "#FFD700"}, {"name": "Silver", "color": "#C0C0C0"}]}]
}`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// postSystemTeam creates a system team on the emulator behind the CLI's back.
func postSystemTeam(t *testing.T, h *harness, name string) {
	t.Helper()
	code := emulatortest.Call(t, h.emu, http.MethodPost, "/api/teams", map[string]any{"Name": name, "MemberUserIds": []string{}}, nil)
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("create team %s: %d", name, code)
	}
	h.emu.ResetRequests()
}

// TestCreateSpaceCmdBadInput: bad input exits 80 naming the field, before
// any request; an unknown team, user or role fails the plan listing what
// exists, before any write.
func TestCreateSpaceCmdBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string // --input document; none when empty
		args  []string
		code  int
		want  []string // on stderr
	}{
		{name: "missing name", args: []string{"--description", "x"}, code: exitUsage, want: []string{"name: is required"}},
		{name: "unknown property", input: `{"name": "A", "owner": "me"}`, code: exitUsage, want: []string{"owner: is not allowed (unknown property)"}},
		{name: "wrong types", input: `{"name": 3, "taskQueueStopped": "yes", "environments": [{"name": "Dev", "useGuidedFailure": 1}]}`, code: exitUsage,
			want: []string{"name: Invalid type. Expected: string, given: integer", "taskQueueStopped: Invalid type", "environments[0].useGuidedFailure: Invalid type"}},
		{name: "name over the server's limit", args: []string{"--name", strings.Repeat("n", 51)}, code: exitUsage,
			want: []string{"name: String length must be less than or equal to 50"}},
		{name: "environment name over the limit", input: `{"name": "A", "environments": [{"name": "` + strings.Repeat("e", 51) + `"}]}`, code: exitUsage,
			want: []string{"environments[0].name: String length must be less than or equal to 50"}},
		{name: "rendered name over the limit", args: []string{"--name", "{{ .Vars.n }}", "--var", "n=" + strings.Repeat("n", 51)}, code: exitUsage,
			want: []string{"name:", "longer than 50 characters"}},
		{name: "bad tag colour", input: `{"name": "A", "tenantTagSets": [{"name": "T", "tags": [{"name": "G", "color": "gold"}]}]}`, code: exitUsage,
			want: []string{"tenantTagSets[0].tags[0].color: Does not match pattern"}},
		{name: "now is not hermetic", args: []string{"--name", "{{ now }}"}, code: exitUsage, want: []string{`name: parse template`, `function "now" not defined`}},
		{name: "env is not hermetic", args: []string{"--name", `{{ env "HOME" }}`}, code: exitUsage, want: []string{`function "env" not defined`}},
		{name: "tenant not given", args: []string{"--name", "{{ .Tenant.Name }}"}, code: exitUsage, want: []string{"name: render template"}},
		{name: "unknown manager team", args: []string{"--name", "A", "--manager-team", "Nobody"}, code: exitFailure,
			want: []string{`managerTeams: unknown team "Nobody"`, `"Platform"`}},
		{name: "team name with a comma is one name", args: []string{"--name", "A", "--manager-team", "Ops, EU", "--manager-team", "Platform"}, code: exitFailure,
			want: []string{`managerTeams: unknown team "Ops, EU"`}},
		{name: "unknown manager user", args: []string{"--name", "A", "--manager-user", "mallory"}, code: exitFailure,
			want: []string{`managerUsers: unknown user "mallory"`, `"admin"`}},
		{name: "unknown role", input: `{"name": "A", "teams": [{"name": "T", "roles": [{"role": "Overlord"}]}]}`, code: exitFailure,
			want: []string{`teams[0].roles[0].role: unknown user role "Overlord"`, `"Project deployer"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			postSystemTeam(t, h, "Platform")
			args := append([]string{"create-space"}, tc.args...)
			if tc.input != "" {
				args = append(args, "--input", writeFile(t, "in.json", tc.input))
			}
			r := h.run(t, "", args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if tc.code == exitUsage {
				h.assertUntouched(t)
			}
			if w := h.emu.Writes(); len(w) != 0 {
				t.Errorf("the emulator saw writes %q", w)
			}
		})
	}
}

// TestCreateSpaceCmdGolden pins the text and JSON plans of a new space, and
// the text plan of a drifted one.
func TestCreateSpaceCmdGolden(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := writeFile(t, "space.json", createSpaceInputFile)
	base := []string{"create-space", "--input", in, "--tenant-name", "Acme"}

	r := h.run(t, "", append(base, "--dry-run")...)
	if r.code != exitOK {
		t.Fatalf("dry run: exit %d\n%s", r.code, r.stderr)
	}
	golden(t, "create-space-plan", r.stdout)

	r = h.run(t, "", append([]string{"--output", "json"}, append(base, "--dry-run")...)...)
	if r.code != exitOK {
		t.Fatalf("json dry run: exit %d\n%s", r.code, r.stderr)
	}
	golden(t, "create-space-plan-json", r.stdout)
	if w := h.emu.Writes(); len(w) != 0 {
		t.Fatalf("dry runs wrote %q", w)
	}

	if r = h.run(t, "", base...); r.code != exitOK {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	drifted := strings.NewReplacer(`"Integration tests"`, `"Integration and load tests"`, `"#FFD700"`, `"#FFC000"`, `"quantityToKeep": 30`, `"quantityToKeep": 60`).
		Replace(createSpaceInputFile)
	r = h.run(t, "", "create-space", "--input", writeFile(t, "drift.json", drifted), "--tenant-name", "Acme", "--dry-run", "--exit-code")
	if r.code != exitChanges {
		t.Fatalf("drift dry run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	golden(t, "create-space-drift", r.stdout)
}

// TestCreateSpaceCmdManagedSpace is the "done when": a space managed
// by a system team is created, the re-run changes nothing, and --output
// octopus publishes SpaceId and SpaceName.
func TestCreateSpaceCmdManagedSpace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	postSystemTeam(t, h, "Platform")
	args := []string{"--output", "octopus", "create-space", "--name", "Team A", "--manager-team", "Platform", "--task-queue-stopped"}

	r := h.run(t, "", args...)
	vars := outputVariables(t, r.stdout)
	if r.code != exitOK || !strings.HasPrefix(vars["SpaceId"], "Spaces-") || vars["SpaceName"] != "Team A" {
		t.Fatalf("exit %d, variables %v\nstdout:\n%s\nstderr:\n%s", r.code, vars, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, `managerTeams: ["Platform"]`) || !strings.Contains(r.stdout, "taskQueueStopped: true") {
		t.Errorf("plan does not show the managers and task queue:\n%s", r.stdout)
	}

	h.emu.ResetRequests()
	r = h.run(t, "", args...)
	again := outputVariables(t, r.stdout)
	if r.code != exitOK || !strings.Contains(r.stdout, "No changes.") || again["SpaceId"] != vars["SpaceId"] {
		t.Fatalf("re-run: exit %d, variables %v\nstdout:\n%s\nstderr:\n%s", r.code, again, r.stdout, r.stderr)
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Errorf("re-run wrote %q", w)
	}
}
