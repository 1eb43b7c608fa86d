package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// runConcurrently runs octofleet with each argument list at the same time,
// each with its own client, against one emulator, and returns the results.
func (h *harness) runConcurrently(t *testing.T, argss ...[]string) []result {
	t.Helper()
	out := make([]result, len(argss))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, args := range argss {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			out[i] = h.run(t, "", args...)
		}()
	}
	start.Done()
	done.Wait()
	return out
}

// namesOnce fails the test unless every Name in the emulator's list at path
// appears once, and returns how many there are.
func namesOnce(t *testing.T, h *harness, path string) int {
	t.Helper()
	var items []struct{ Name string }
	h.callJSON(t, http.MethodGet, path, &items)
	seen := map[string]int{}
	for _, it := range items {
		seen[it.Name]++
	}
	for n, c := range seen {
		if c != 1 {
			t.Errorf("%s: %q appears %d times", path, n, c)
		}
	}
	return len(items)
}

// TestConcurrentCreateSpaceConverges: two create-space runs for one space
// with its environments and groups, started at once, both exit 0 and leave
// one of each; a dry run afterwards is empty.
func TestConcurrentCreateSpaceConverges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := writeFile(t, "race.json", `{"name": "Race", "managerTeams": ["Octopus Administrators"],
		"environments": [{"name": "Dev"}, {"name": "Test"}, {"name": "Prod"}],
		"projectGroups": [{"name": "Apps"}, {"name": "Infra"}],
		"teams": [{"name": "Race Ops"}]}`)
	for i, r := range h.runConcurrently(t, []string{"create-space", "--input", input}, []string{"create-space", "--input", input}) {
		if r.code != exitOK {
			t.Fatalf("run %d: exit %d\nstdout:\n%s\nstderr:\n%s", i, r.code, r.stdout, r.stderr)
		}
	}
	if n := namesOnce(t, h, "/api/spaces/all"); n < 1 {
		t.Fatalf("no spaces")
	}
	id := h.spaceID(t, "Race")
	if n := namesOnce(t, h, "/api/"+id+"/environments/all"); n != 3 {
		t.Errorf("%d environments, want 3", n)
	}
	namesOnce(t, h, "/api/"+id+"/projectgroups/all")
	namesOnce(t, h, "/api/"+id+"/teams/all")
	if r := h.run(t, "", "create-space", "--input", input, "--dry-run", "--exit-code"); r.code != exitOK {
		t.Errorf("dry run after the race: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestConcurrentSeedTemplatesConverges: two seed-templates runs of the same
// 60 templates into one space, started at once, both exit 0 (each adopts
// what the other created) and leave one template per name.
func TestConcurrentSeedTemplatesConverges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	postSpace(t, h, "Shared")
	dir := t.TempDir()
	const n = 60
	for i := range n {
		name := fmt.Sprintf("Template %02d", i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("t%02d.json", i)), []byte(templateFile(name, "echo "+name)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--space", "Shared", "seed-templates", "--from", dir}
	for i, r := range h.runConcurrently(t, args, args, args) {
		if r.code != exitOK {
			t.Fatalf("run %d: exit %d\nstdout:\n%s\nstderr:\n%s", i, r.code, r.stdout, r.stderr)
		}
	}
	if got := namesOnce(t, h, "/api/"+h.spaceID(t, "Shared")+"/actiontemplates/all"); got != n {
		t.Errorf("%d templates, want %d", got, n)
	}
	h.emu.ResetRequests()
	if r := h.run(t, "", append(args, "--dry-run", "--exit-code")...); r.code != exitOK {
		t.Errorf("dry run after the race: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// callJSON reads path from the emulator behind the CLI's back.
func (h *harness) callJSON(t *testing.T, method, path string, out any) {
	t.Helper()
	emulatortest.Call(t, h.emu, method, path, nil, out)
}

// spaceID returns the Id of the space called name.
func (h *harness) spaceID(t *testing.T, name string) string {
	t.Helper()
	var all []struct{ ID, Name string }
	h.callJSON(t, http.MethodGet, "/api/spaces/all", &all)
	for _, s := range all {
		if s.Name == name {
			return s.ID
		}
	}
	t.Fatalf("no space %q", name)
	return ""
}
