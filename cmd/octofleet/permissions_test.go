package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/octofleet/octofleet/steps"
)

// TestStepPermissionsCoverRequests runs each step (apply, then a second
// run) against a fresh emulator and derives, from every request it made,
// the permission the emulator checks for it (lpNeeds); each
// must be listed in steps.StepPermissions, which doctor checks and --help
// documents.
func TestStepPermissionsCoverRequests(t *testing.T) {
	t.Parallel()
	spaceInput := `{"name": "Team A", "environments": [{"name": "Dev"}, {"name": "Prod"}],
	  "lifecycles": [{"name": "Std", "phases": [{"name": "Dev", "optionalDeploymentTargets": ["Dev"]}, {"name": "Prod", "optionalDeploymentTargets": ["Prod"]}]}],
	  "projectGroups": [{"name": "Web"}], "tenantTagSets": [{"name": "Tier", "tags": [{"name": "Gold", "color": "#FFD700"}]}],
	  "teams": [{"name": "Deployers", "roles": [{"role": "Project deployer", "environments": ["Dev"]}]}]}`
	cases := []struct {
		step  string
		setup func(t *testing.T, h *harness) []string // the step's arguments
	}{
		{"create-space", func(t *testing.T, h *harness) []string {
			return []string{"create-space", "--input", writeFile(t, "space.json", spaceInput)}
		}},
		{"seed-templates", func(t *testing.T, h *harness) []string {
			dir := t.TempDir()
			if r := h.runRaw(t, "", "export", "--out", dir); r.code != 0 {
				t.Fatalf("export: %s", r.stderr)
			}
			if r := h.run(t, "", "create-space", "--name", "Seeded"); r.code != 0 {
				t.Fatalf("create-space: %s", r.stderr)
			}
			return []string{"--space", "Seeded", "seed-templates", "--from", filepath.Join(dir, "step-templates")}
		}},
		{"install", func(t *testing.T, h *harness) []string {
			return []string{"--space", "Hub", "install", "--no-package", "--drift-schedule", "0 3 * * *"}
		}},
		{"register-tenant", func(t *testing.T, h *harness) []string {
			if r := h.run(t, "", "--space", "Hub", "install", "--no-package"); r.code != 0 {
				t.Fatalf("install: %s", r.stderr)
			}
			return []string{"--space", "Hub", "register-tenant", "--input", writeFile(t, "tenant.json", regionTenant)}
		}},
		{"check-drift", func(t *testing.T, h *harness) []string {
			if r := h.run(t, "", "--space", "Hub", "install", "--no-package"); r.code != 0 {
				t.Fatalf("install: %s", r.stderr)
			}
			tenant := `{"name": "BU", "tags": ["Octofleet/Managed space"], "variables": {"Octofleet.SpaceName": "BU space", "Octofleet.InstanceUrl": "` + h.emu.URL() + `"}}`
			if r := h.run(t, "", "--space", "Hub", "register-tenant", "--input", writeFile(t, "bu.json", tenant)); r.code != 0 {
				t.Fatalf("register-tenant: %s", r.stderr)
			}
			if r := h.run(t, "", "--space", "Hub", "fleet", "apply"); r.code != 0 {
				t.Fatalf("fleet apply: %s\n%s", r.stdout, r.stderr)
			}
			return []string{"--space", "Hub", "check-drift", "--tenant-name", "BU"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.step, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			args := tc.setup(t, h)
			h.emu.ResetRequests()
			for range 2 {
				if r := h.run(t, "", args...); r.code != 0 {
					t.Fatalf("%s: exit %d\n%s\n%s", tc.step, r.code, r.stdout, r.stderr)
				}
			}
			listed := steps.StepPermissions[tc.step]
			var missing []string
			for _, req := range h.emu.Requests() {
				perm, ok := lpNeeds(req, "*")
				if !ok {
					continue
				}
				in := listed.Space
				if perm.system {
					in = listed.System
				}
				if !slices.Contains(in, perm.name) && !slices.Contains(missing, perm.name) {
					missing = append(missing, perm.name)
					t.Errorf("%s %s (%s) needs %s, not in steps.StepPermissions[%q]", req.Method, req.Path, req.Route, perm, tc.step)
				}
			}
		})
	}
}
