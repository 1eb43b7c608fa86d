package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/runbooks"
)

// The end-to-end facade test: a management space with a tenanted project (a
// runbook and a deployment process, both Bash scripts that print their
// tenant), a facade created by `octofleet create-facade-project`, and the
// facade run in the customer space by the customer team's user. The
// facade's step runs the real octofleet binary, built once by the test.

// buildOctofleet compiles this package into dir and returns the binary.
func buildOctofleet(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: the end-to-end facade test builds the octofleet binary the facade's step runs")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not on PATH: the emulator's task runner runs the facade's step with Bash")
	}
	bin := filepath.Join(t.TempDir(), "octofleet")
	out, err := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// facadeWorld is one emulator with a management space, its caller (the
// management API key's user) and the customer user.
type facadeWorld struct {
	h *harness
	*emulatortest.Tenanted
	mgmtKey, aliceKey string
}

func newFacadeWorld(t *testing.T, runbookScript string) *facadeWorld {
	t.Helper()
	h := newHarness(t)
	w := &facadeWorld{h: h}
	var err error
	if _, w.mgmtKey, err = h.emu.CreateUser("facade-caller", "Facade caller"); err != nil {
		t.Fatal(err)
	}
	if _, w.aliceKey, err = h.emu.CreateUser("alice", "Alice"); err != nil {
		t.Fatal(err)
	}
	// The management space; its team lets the facade's key run and deploy there.
	mgmt := writeFile(t, "management.json", `{"name": "Management", "environments": [{"name": "Production"}],
	  "teams": [{"name": "Facade callers", "members": ["facade-caller"], "roles": [{"role": "Project deployer"}]}]}`)
	if r := h.run(t, "", "create-space", "--input", mgmt, "--output", "json"); r.code != 0 {
		t.Fatalf("create-space: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	admin := h.emu.APIKey()
	var spaces []map[string]any
	emulatortest.CallAs(t, h.emu, admin, http.MethodGet, "/api/spaces/all", nil, &spaces)
	var mgmtSpace string
	for _, s := range spaces {
		if s["Name"] == "Management" {
			mgmtSpace = s["Id"].(string)
		}
	}
	w.Tenanted = emulatortest.NewTenanted(t, h.emu, mgmtSpace, "Customer operations", "Say hello", "Acme", "Globex")
	w.SetDeployScript(t, `echo "Deployed for #{Octopus.Tenant.Name}"`)
	w.Release(t, "1.0.0")
	w.SetRunbookScript(t, runbookScript, true)
	return w
}

// facadeFile is the create-facade-project input for tenant Acme; an empty
// command leaves the facade to carry the octofleet package.
func (w *facadeWorld) facadeFile(t *testing.T, command, target string) string {
	t.Helper()
	cmd := ""
	if command != "" {
		cmd = fmt.Sprintf(`,
  "command": %q`, command)
	}
	return writeFile(t, "facade.json", fmt.Sprintf(`{
  "upstream": {"serverUrl": %q, "space": "Management", "project": "Customer operations",
    "tenant": "{{ .Tenant.Name }}", "environment": "Production", %s, "timeout": "2m"},
  "space": {"name": "{{ .Tenant.Name }}"},
  "project": {"name": "Self-service", "environments": ["Production"]},
  "team": {"name": "{{ .Tenant.Name }} operators", "members": ["alice"]}%s
}`, w.h.emu.URL(), target, cmd))
}

// runFacade starts the facade in the customer space as alice and waits for
// every task (the facade's and the upstream one it starts).
func (w *facadeWorld) runFacade(t *testing.T, runbook bool, out map[string]string) (taskID string) {
	t.Helper()
	emu, cs := w.h.emu, "/api/"+out["SpaceId"]
	var envs []map[string]any
	if code := emulatortest.CallAs(t, emu, w.aliceKey, http.MethodGet, cs+"/environments/all", nil, &envs); code != http.StatusOK {
		t.Fatalf("alice lists the customer space's environments: %d", code)
	}
	var exec map[string]any
	var code int
	if runbook {
		var rb map[string]any
		emulatortest.CallAs(t, emu, w.aliceKey, http.MethodGet, cs+"/runbooks/"+out["RunbookId"], nil, &rb)
		code = emulatortest.CallAs(t, emu, w.aliceKey, http.MethodPost, cs+"/runbookRuns", map[string]any{"RunbookId": out["RunbookId"],
			"RunbookSnapshotId": rb["PublishedRunbookSnapshotId"], "EnvironmentId": envs[0]["Id"]}, &exec)
	} else {
		var rel map[string]any
		if code = emulatortest.CallAs(t, emu, w.aliceKey, http.MethodPost, cs+"/releases", map[string]any{"ProjectId": out["ProjectId"], "Version": "0.0.1"}, &rel); code != http.StatusCreated {
			t.Fatalf("alice creates a release of the facade: %d", code)
		}
		code = emulatortest.CallAs(t, emu, w.aliceKey, http.MethodPost, cs+"/deployments", map[string]any{"ReleaseId": rel["Id"], "EnvironmentId": envs[0]["Id"]}, &exec)
	}
	if code != http.StatusCreated {
		t.Fatalf("alice starts the facade: %d", code)
	}
	if err := emu.WaitForTasks(context.Background()); err != nil {
		t.Fatal(err)
	}
	return exec["TaskId"].(string)
}

func TestFacadeEndToEnd(t *testing.T) {
	t.Parallel()
	bin := buildOctofleet(t)
	// The package the packaged case uploads: octofleet.<version>.tar.gz, as build.sh names it.
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := runbooks.Package(data, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	pkgFile := filepath.Join(t.TempDir(), pkg.Name)
	if err := os.WriteFile(pkgFile, pkg.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		packed  bool // no command: the facade carries the octofleet package
		runbook bool
		script  string // the upstream runbook's script
		target  string // the upstream part of the facade input
		state   string // the facade task's end state
		log     string // a line the facade's log must show (copied from upstream)
	}{
		{name: "runbook", runbook: true, script: `echo "Hello from #{Octopus.Tenant.Name}"`, target: `"runbook": "Say hello"`,
			state: "Success", log: "Hello from Acme"},
		{name: "deployment", script: `echo unused`, target: `"release": {"channel": "Default"}`,
			state: "Success", log: "Deployed for Acme"},
		{name: "runbook, packaged", packed: true, runbook: true, script: `echo "Hello from #{Octopus.Tenant.Name}"`, target: `"runbook": "Say hello"`,
			state: "Success", log: "Hello from Acme"},
		{name: "upstream failure", runbook: true, script: `echo "about to fail for #{Octopus.Tenant.Name}"; exit 3`, target: `"runbook": "Say hello"`,
			state: "Failed", log: "about to fail for Acme"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newFacadeWorld(t, tc.script)
			h, admin := w.h, w.h.emu.APIKey()
			var captured strings.Builder
			command, extra := bin, []string{}
			if tc.packed {
				command, extra = "", []string{"--package", pkgFile}
			}
			file := w.facadeFile(t, command, tc.target)
			args := append([]string{"create-facade-project", "--input", file, "--tenant-name", "Acme", "--management-api-key", w.mgmtKey, "--output", "json"}, extra...)
			r := h.run(t, "", args...)
			captured.WriteString(r.stdout + r.stderr)
			if r.code != 0 {
				t.Fatalf("create-facade-project: %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			var res struct{ Outputs map[string]string }
			if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
				t.Fatalf("json output: %v\n%s", err, r.stdout)
			}
			if again := h.run(t, "", append([]string{"create-facade-project", "--input", file, "--tenant-name", "Acme"}, extra...)...); again.code != 0 || !strings.Contains(again.stdout, "No changes.") {
				t.Errorf("re-run: %d\n%s\n%s", again.code, again.stdout, again.stderr)
			} else {
				captured.WriteString(again.stdout + again.stderr)
			}

			taskID := w.runFacade(t, tc.runbook, res.Outputs)
			var task map[string]any
			emulatortest.CallAs(t, h.emu, w.aliceKey, http.MethodGet, "/api/tasks/"+taskID, nil, &task)
			var raw string
			if code := emulatortest.CallAs(t, h.emu, w.aliceKey, http.MethodGet, "/api/tasks/"+taskID+"/raw", nil, &raw); code != http.StatusOK {
				t.Fatalf("alice reads the facade's log: %d", code)
			}
			captured.WriteString(raw)
			t.Logf("facade task log:\n%s", raw)
			if task["State"] != tc.state {
				t.Errorf("facade task %s = %v, want %s\n%s", taskID, task["State"], tc.state, raw)
			}
			if !strings.Contains(raw, tc.log) {
				t.Errorf("the facade's log lacks the upstream line %q:\n%s", tc.log, raw)
			}
			if got := strings.Contains(raw, "Extracted package octofleet 1.0.0"); got != tc.packed {
				t.Errorf("the facade extracted the octofleet package: %v, want %v\n%s", got, tc.packed, raw)
			}
			if strings.Contains(raw, "Globex") {
				t.Errorf("the facade's log shows another tenant:\n%s", raw)
			}

			// Exactly one upstream run or deployment, for Acme.
			kind := "deployments"
			if tc.runbook {
				kind = "runbookRuns"
			}
			var upstream struct{ Items []map[string]any }
			emulatortest.CallAs(t, h.emu, admin, http.MethodGet, "/api/"+w.SpaceID+"/"+kind, nil, &upstream)
			if len(upstream.Items) != 1 || upstream.Items[0]["TenantId"] != w.Tenants["Acme"] {
				t.Errorf("upstream %s = %v, want one for Acme (%s)", kind, upstream.Items, w.Tenants["Acme"])
			}

			// The customer's user sees nothing of the management space.
			for _, path := range []string{"/api/" + w.SpaceID + "/projects", "/api/spaces/" + w.SpaceID} {
				if code := emulatortest.CallAs(t, h.emu, w.aliceKey, http.MethodGet, path, nil, nil); code != http.StatusForbidden {
					t.Errorf("alice GET %s = %d, want 403", path, code)
				}
			}
			if code := emulatortest.CallAs(t, h.emu, w.aliceKey, http.MethodPost, "/api/"+w.SpaceID+"/runbookRuns", map[string]any{"RunbookId": w.RunbookID}, nil); code != http.StatusForbidden {
				t.Errorf("alice starts a management run: %d, want 403", code)
			}

			// The management key is in no output, plan, log or error; the
			// customer's own reads of the facade never return it.
			var vars string
			var project map[string]any
			emulatortest.CallAs(t, h.emu, admin, http.MethodGet, "/api/"+res.Outputs["SpaceId"]+"/projects/"+res.Outputs["ProjectId"], nil, &project)
			emulatortest.CallAs(t, h.emu, w.aliceKey, http.MethodGet, "/api/"+res.Outputs["SpaceId"]+"/variables/"+project["VariableSetId"].(string), nil, &vars)
			captured.WriteString(vars)
			var upstreamLog string
			if len(upstream.Items) == 1 {
				emulatortest.CallAs(t, h.emu, admin, http.MethodGet, "/api/tasks/"+upstream.Items[0]["TaskId"].(string)+"/raw", nil, &upstreamLog)
				captured.WriteString(upstreamLog)
			}
			if strings.Contains(captured.String(), w.mgmtKey) {
				t.Errorf("the management API key appears in what the test captured")
			}
		})
	}
}

func TestCreateFacadeProjectCmdBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	key := "API-SECRETINPUT000000000000000000"
	h.secrets.Add(key)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no input", []string{"create-facade-project"}, "takes its input from --input"},
		{"schema", []string{"create-facade-project", "--input", writeFile(t, "bad.json", `{"space": {}}`)}, "upstream: is required"},
		{"malformed key", []string{"create-facade-project", "--management-api-key", "api-" + key, "--input", writeFile(t, "ok.json",
			`{"upstream": {"serverUrl": "https://o.example.com", "space": "M", "project": "P", "tenant": "T", "environment": "E", "runbook": "R"},
			  "space": {"name": "S"}, "project": {"name": "F", "environments": ["Production"]}}`)}, "--management-api-key: an Octopus API key is"},
		{"trigger without space", []string{"trigger", "--project", "P", "--tenant", "T", "--environment", "E"}, "space: is required"},
		{"package version", []string{"create-facade-project", "--package-version", "banana", "--input", writeFile(t, "pv.json",
			`{"upstream": {"serverUrl": "https://o.example.com", "space": "M", "project": "P", "tenant": "T", "environment": "E", "runbook": "R"},
			  "space": {"name": "S"}, "project": {"name": "F", "environments": ["Production"]}}`)}, `--package-version: "banana" is not a semantic version`},
		{"package file name", []string{"create-facade-project", "--package", writeFile(t, "octofleet.zip", "x"), "--input", writeFile(t, "pf.json",
			`{"upstream": {"serverUrl": "https://o.example.com", "space": "M", "project": "P", "tenant": "T", "environment": "E", "runbook": "R"},
			  "space": {"name": "S"}, "project": {"name": "F", "environments": ["Production"]}}`)}, "--package: package octofleet.zip: the name is not octofleet.<version>"},
	}
	for _, tc := range cases {
		r := h.run(t, "", tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 80 and %q", tc.name, r.code, r.stderr, tc.want)
		}
		if strings.Contains(r.stdout+r.stderr, key) {
			t.Errorf("%s: the key is echoed", tc.name)
		}
	}
	if n := h.dials.Load(); n != 0 {
		t.Errorf("bad input dialled %d times", n)
	}
}
