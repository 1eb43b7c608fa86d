package main

import (
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

type installedAction struct {
	Name         string
	WorkerPoolId string
	Container    struct{ Image, FeedId string }
	Properties   map[string]any
}

// installedActions returns the actions of every runbook of the octofleet
// project, and the script syntax of every step template, as the server
// holds them.
func (h *harness) installedActions(t *testing.T, spaceID string) ([]installedAction, map[string]string) {
	t.Helper()
	var runbooks []struct{ Name, RunbookProcessId string }
	emulatortest.Call(t, h.emu, "GET", "/api/"+spaceID+"/runbooks/all", nil, &runbooks)
	var out []installedAction
	for _, rb := range runbooks {
		var proc struct {
			Steps []struct{ Actions []installedAction }
		}
		emulatortest.Call(t, h.emu, "GET", "/api/"+spaceID+"/runbookProcesses/"+rb.RunbookProcessId, nil, &proc)
		for _, st := range proc.Steps {
			out = append(out, st.Actions...)
		}
	}
	var templates []struct {
		Name       string
		Properties map[string]any
	}
	emulatortest.Call(t, h.emu, "GET", "/api/"+spaceID+"/actiontemplates/all", nil, &templates)
	syntax := map[string]string{}
	for _, tpl := range templates {
		syntax[tpl.Name], _ = tpl.Properties["Octopus.Action.Script.Syntax"].(string)
	}
	if len(out) == 0 || len(syntax) == 0 {
		t.Fatalf("no runbook actions (%d) or templates (%d)", len(out), len(syntax))
	}
	return out, syntax
}

// TestInstallWorkerPoolAndContainer: --worker-pool and --container-image
// put every runbook step on that pool, in that container; a re-run writes
// nothing; dropping the flags puts the steps back on the default pool. A
// pool or feed the space does not have exits 80 naming it, writing nothing.
func TestInstallWorkerPoolAndContainer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if r := h.run(t, "", "--space", "Hub", "install", "--no-package"); r.code != 0 {
		t.Fatalf("install: exit %d\n%s", r.code, r.stderr)
	}
	space := h.spaceID(t, "Hub")
	var pool, feed struct{ Id string }
	emulatortest.Call(t, h.emu, "POST", "/api/"+space+"/workerpools", map[string]any{"Name": "Linux arm64", "WorkerPoolType": "StaticWorkerPool"}, &pool)
	emulatortest.Call(t, h.emu, "POST", "/api/"+space+"/feeds", map[string]any{"Name": "Docker Hub", "FeedType": "Docker", "FeedUri": "https://index.docker.io"}, &feed)

	args := []string{"--space", "Hub", "install", "--no-package", "--worker-pool", "Linux arm64", "--container-image", "octopusdeploy/worker-tools:6-ubuntu.22.04", "--container-feed", "Docker Hub"}
	r := h.run(t, "", args...)
	if r.code != 0 || !strings.Contains(r.stdout, `update runbook process "Create Space"`) {
		t.Fatalf("install --worker-pool: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	actions, _ := h.installedActions(t, space)
	for _, a := range actions {
		if a.WorkerPoolId != pool.Id || a.Container.Image != "octopusdeploy/worker-tools:6-ubuntu.22.04" || a.Container.FeedId != feed.Id {
			t.Errorf("action %q: pool %q container %+v, want pool %s, the image from %s", a.Name, a.WorkerPoolId, a.Container, pool.Id, feed.Id)
		}
	}
	h.emu.ResetRequests()
	if r := h.run(t, "", args...); r.code != 0 || !strings.Contains(r.stdout, "No changes.") || len(h.emu.Writes()) != 0 {
		t.Fatalf("second install: exit %d, writes %q\n%s", r.code, h.emu.Writes(), r.stdout)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--worker-pool", "Windows"}, `--worker-pool: space "Hub" has no worker pool "Windows" (it has "Default Worker Pool", "Linux arm64")`},
		{[]string{"--container-image", "x", "--container-feed", "Quay"}, `--container-feed: space "Hub" has no feed "Quay"`},
		{[]string{"--container-feed", "Docker Hub"}, "--container-feed: a container feed needs --container-image"},
		{[]string{"--script-syntax", "cmd"}, `--script-syntax: "cmd" is not bash or powershell`},
	} {
		h.emu.ResetRequests()
		r := h.run(t, "", append([]string{"--space", "Hub", "install", "--no-package"}, bad.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, bad.want) {
			t.Errorf("install %q: exit %d, want %d with %q\n%s", bad.args, r.code, exitUsage, bad.want, r.stderr)
		}
		if w := h.emu.Writes(); len(w) != 0 {
			t.Errorf("install %q wrote %q", bad.args, w)
		}
	}
	if r := h.run(t, "", "--space", "New", "install", "--no-package", "--worker-pool", "Linux arm64"); r.code != exitUsage || !strings.Contains(r.stderr, `space "New" does not exist yet`) {
		t.Errorf("install into a new space on a pool: exit %d\n%s", r.code, r.stderr)
	}

	if r := h.run(t, "", "--space", "Hub", "install", "--no-package"); r.code != 0 {
		t.Fatalf("install without the flags: exit %d\n%s", r.code, r.stderr)
	}
	actions, _ = h.installedActions(t, space)
	for _, a := range actions {
		if a.WorkerPoolId != "" || a.Container.Image != "" {
			t.Errorf("action %q stays on pool %q, container %+v", a.Name, a.WorkerPoolId, a.Container)
		}
	}
}

// TestInstallScriptSyntax: --script-syntax powershell installs the
// PowerShell templates and runbook steps, converging; without the flag the
// syntax follows the default worker pool: a dynamic pool of Windows
// workers gets PowerShell, of Ubuntu workers Bash.
func TestInstallScriptSyntax(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	syntaxes := func(space, want string) {
		t.Helper()
		actions, templates := h.installedActions(t, space)
		for name, s := range templates {
			if s != want {
				t.Errorf("template %q is %s, want %s", name, s, want)
			}
		}
		for _, a := range actions {
			if s := a.Properties["Octopus.Action.Script.Syntax"]; s != want {
				t.Errorf("runbook action %q is %v, want %s", a.Name, s, want)
			}
		}
	}
	r := h.run(t, "", "--space", "Hub", "--output", "json", "install", "--no-package", "--script-syntax", "powershell")
	if r.code != 0 || !strings.Contains(r.stdout, `"ScriptSyntax": "PowerShell"`) {
		t.Fatalf("install --script-syntax powershell: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	space := h.spaceID(t, "Hub")
	syntaxes(space, "PowerShell")
	h.emu.ResetRequests()
	if r := h.run(t, "", "--space", "Hub", "install", "--no-package", "--script-syntax", "PowerShell"); r.code != 0 || len(h.emu.Writes()) != 0 {
		t.Fatalf("second install: exit %d, writes %q\n%s", r.code, h.emu.Writes(), r.stdout)
	}

	// The default pool decides: Octopus Cloud's hosted pools are dynamic.
	var pool struct{ Id string }
	emulatortest.Call(t, h.emu, "POST", "/api/"+space+"/workerpools", map[string]any{"Name": "Hosted Ubuntu", "WorkerPoolType": "DynamicWorkerPool", "WorkerType": "UbuntuDefault", "IsDefault": true}, &pool)
	if r := h.run(t, "", "--space", "Hub", "install", "--no-package"); r.code != 0 || !strings.Contains(r.stdout, `update step template "octofleet - Create Space"`) {
		t.Fatalf("install on a Ubuntu pool: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	syntaxes(space, "Bash")
	emulatortest.Call(t, h.emu, "POST", "/api/"+space+"/workerpools", map[string]any{"Name": "Hosted Windows", "WorkerPoolType": "DynamicWorkerPool", "WorkerType": "WindowsDefault", "IsDefault": true}, &pool)
	if r := h.run(t, "", "--space", "Hub", "install", "--no-package"); r.code != 0 {
		t.Fatalf("install on a Windows pool: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	syntaxes(space, "PowerShell")
	h.emu.ResetRequests()
	if r := h.run(t, "", "--space", "Hub", "install", "--no-package"); r.code != 0 || len(h.emu.Writes()) != 0 {
		t.Fatalf("re-run on the Windows pool: exit %d, writes %q\n%s", r.code, h.emu.Writes(), r.stdout)
	}
	// --worker-pool chooses the pool whose workers decide.
	if r := h.run(t, "", "--space", "Hub", "install", "--no-package", "--worker-pool", "Hosted Ubuntu"); r.code != 0 {
		t.Fatalf("install --worker-pool 'Hosted Ubuntu': exit %d\n%s", r.code, r.stderr)
	}
	syntaxes(space, "Bash")
}
