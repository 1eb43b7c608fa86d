package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// installed returns a harness whose emulator has octofleet installed in
// space "Hub" (no package), requests reset.
func installed(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	if r := h.run(t, "", "--space", "Hub", "install", "--no-package"); r.code != 0 {
		t.Fatalf("install: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	h.emu.ResetRequests()
	return h
}

// getJSON reads an API document from the emulator.
func getJSON(t *testing.T, h *harness, path string, out any) {
	t.Helper()
	if code := emulatortest.Call(t, h.emu, http.MethodGet, path, nil, out); code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, code)
	}
}

const regionTenant = `{
  "name": "EU region",
  "tags": ["Octofleet/Managed instance"],
  "variables": {"Octofleet.InstanceUrl": "https://eu.example.com", "Octofleet.InstanceApiKey": "API-EUSECRET0000000000000", "Octofleet.SpaceName": "Regional"}
}`

// TestRegisterTenantConverges: the tenant is created with its tag, its
// connection to every environment of the octofleet project and its
// variables (the API key as a sensitive value); a re-run writes nothing; a
// run without the secret keeps it; a changed value is updated alone.
func TestRegisterTenantConverges(t *testing.T) {
	t.Parallel()
	h := installed(t)
	h.secrets.Add("API-EUSECRET0000000000000")
	in := writeFile(t, "tenant.json", regionTenant)
	r := h.run(t, "", "--space", "Hub", "register-tenant", "--input", in)
	if r.code != 0 {
		t.Fatalf("register-tenant: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "EUSECRET") || !strings.Contains(r.stdout, `create tenant "EU region"`) {
		t.Fatalf("first run output:\n%s", r.stdout)
	}
	var tenants []struct {
		Id                  string
		TenantTags          []string
		ProjectEnvironments map[string][]string
	}
	getJSON(t, h, "/api/Spaces-2/tenants/all", &tenants)
	if len(tenants) != 1 || len(tenants[0].TenantTags) != 1 || tenants[0].TenantTags[0] != "Octofleet/Managed instance" || len(tenants[0].ProjectEnvironments) != 1 {
		t.Fatalf("tenants = %+v", tenants)
	}
	var vars struct {
		ProjectVariables map[string]struct {
			Templates []struct{ Id, Name string }
			Variables map[string]map[string]any
		}
	}
	getJSON(t, h, "/api/Spaces-2/tenants/"+tenants[0].Id+"/variables", &vars)
	values := map[string]any{}
	for _, pv := range vars.ProjectVariables {
		names := map[string]string{}
		for _, tpl := range pv.Templates {
			names[tpl.Id] = tpl.Name
		}
		for _, env := range pv.Variables {
			for id, v := range env {
				values[names[id]] = v
			}
		}
	}
	if values["Octofleet.InstanceUrl"] != "https://eu.example.com" {
		t.Errorf("InstanceUrl = %v", values["Octofleet.InstanceUrl"])
	}
	if key, ok := values["Octofleet.InstanceApiKey"].(map[string]any); !ok || key["HasValue"] != true {
		t.Errorf("InstanceApiKey = %v, want a sensitive value", values["Octofleet.InstanceApiKey"])
	}

	h.emu.ResetRequests()
	if r := h.run(t, "", "--space", "Hub", "register-tenant", "--input", in); r.code != 0 || !strings.Contains(r.stdout, "No changes.") {
		t.Fatalf("second run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := h.emu.Writes(); len(w) != 0 {
		t.Fatalf("second run wrote %q", w)
	}
	// Without the secret, and with one value changed: only that value is written, the key is kept.
	r = h.run(t, "", "--space", "Hub", "register-tenant", "--name", "EU region", "--variable", "Octofleet.SpaceName=Regional 2")
	if r.code != 0 || !strings.Contains(r.stdout, `Octofleet.SpaceName[Production]: "Regional" → "Regional 2"`) {
		t.Fatalf("update: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	getJSON(t, h, "/api/Spaces-2/tenants/"+tenants[0].Id+"/variables", &vars)
	for _, pv := range vars.ProjectVariables {
		for _, tpl := range pv.Templates {
			if tpl.Name != "Octofleet.InstanceApiKey" {
				continue
			}
			for _, env := range pv.Variables {
				if key, ok := env[tpl.Id].(map[string]any); !ok || key["HasValue"] != true {
					t.Errorf("the API key was lost: %v", env[tpl.Id])
				}
			}
		}
	}
}

// TestRegisterTenantErrors: unknown tags, environments and variables are
// named before anything is written; bad input exits 80 untouched.
func TestRegisterTenantErrors(t *testing.T) {
	t.Parallel()
	h := installed(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown tag", []string{"--name", "A", "--tag", "Octofleet/Nope"}, 1, `tag "Octofleet/Nope"`},
		{"unknown environment", []string{"--name", "A", "--environment", "Moon"}, 1, `environment "Moon"`},
		{"unknown variable", []string{"--name", "A", "--variable", "Nope=1"}, exitUsage, `no tenant variable template "Nope"`},
		{"bad tag shape", []string{"--name", "A", "--tag", "no-set"}, exitUsage, "tags[0]"},
		{"no name", []string{"--tag", "Octofleet/Facade"}, exitUsage, "name: is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.emu.ResetRequests()
			r := h.run(t, "", append([]string{"--space", "Hub", "register-tenant"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", r.code, tc.code, tc.want, r.stderr)
			}
			if w := h.emu.Writes(); len(w) != 0 {
				t.Fatalf("wrote %q", w)
			}
		})
	}
}
