package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// newProject creates a project in the default space (Spaces-1) and returns its Id.
func newProject(t *testing.T, s *emulator.Server, name string) string {
	t.Helper()
	lc := items(t, must(t, do(t, s, http.MethodGet, "/api/Spaces-1/lifecycles", nil), http.StatusOK))[0]
	pg := items(t, must(t, do(t, s, http.MethodGet, "/api/Spaces-1/projectgroups", nil), http.StatusOK))[0]
	p := must(t, do(t, s, http.MethodPost, "/api/Spaces-1/projects", map[string]any{
		"Name": name, "LifecycleId": lc["Id"], "ProjectGroupId": pg["Id"],
	}), http.StatusCreated)
	return str(p.Body, "Id")
}

// TestRunbooks: a runbook gets its process, names are unique per project,
// processes obey Version, and deleting the runbook deletes its process.
func TestRunbooks(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	p1, p2 := newProject(t, s, "One"), newProject(t, s, "Two")

	rb := must(t, do(t, s, http.MethodPost, "/api/Spaces-1/runbooks", map[string]any{"Name": "Restart", "ProjectId": p1}), http.StatusCreated).Body
	id := str(rb, "Id")
	if want := "RunbookProcess-" + id; str(rb, "RunbookProcessId") != want {
		t.Errorf("RunbookProcessId = %q, want %q", str(rb, "RunbookProcessId"), want)
	}
	for k, want := range map[string]string{"EnvironmentScope": "All", "MultiTenancyMode": "Untenanted", "DefaultGuidedFailureMode": "EnvironmentDefault", "Slug": "restart"} {
		if str(rb, k) != want {
			t.Errorf("%s = %q, want %q", k, str(rb, k), want)
		}
	}
	links, _ := rb["Links"].(map[string]any)
	if str(links, "RunbookProcess") != "/api/Spaces-1/runbookProcesses/RunbookProcess-"+id {
		t.Errorf("Links.RunbookProcess = %v", links["RunbookProcess"])
	}

	// Same name: refused in the same project, fine in another one.
	r := do(t, s, http.MethodPost, "/api/Spaces-1/runbooks", map[string]any{"Name": "Restart", "ProjectId": p1})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Raw), "already exists") {
		t.Errorf("duplicate runbook in a project: %d %s", r.Status, r.Raw)
	}
	must(t, do(t, s, http.MethodPost, "/api/Spaces-1/projects/"+p2+"/runbooks", map[string]any{"Name": "Restart"}), http.StatusCreated)
	if r := do(t, s, http.MethodPost, "/api/Spaces-1/runbooks", map[string]any{"Name": "X", "ProjectId": "Projects-999"}); r.Status != http.StatusBadRequest {
		t.Errorf("runbook of an unknown project: %d", r.Status)
	}
	all := must(t, do(t, s, http.MethodGet, "/api/Spaces-1/projects/"+p1+"/runbooks/all", nil), http.StatusOK)
	if len(all.Array) != 1 {
		t.Errorf("project runbooks = %d, want 1", len(all.Array))
	}

	proc := "/api/Spaces-1/runbookProcesses/" + str(rb, "RunbookProcessId")
	got := must(t, do(t, s, http.MethodGet, proc, nil), http.StatusOK).Body
	if str(got, "RunbookId") != id || str(got, "ProjectId") != p1 {
		t.Errorf("process = %v", got)
	}
	steps := []any{map[string]any{"Name": "Restart", "Actions": []any{map[string]any{"Name": "Restart", "ActionType": "Octopus.Script"}}}}
	upd := must(t, do(t, s, http.MethodPut, proc, map[string]any{"Version": 0, "Steps": steps}), http.StatusOK).Body
	if v, _ := upd["Version"].(float64); v != 1 {
		t.Errorf("Version after an update = %v, want 1", upd["Version"])
	}
	if r := do(t, s, http.MethodPut, proc, map[string]any{"Version": 0, "Steps": steps}); r.Status != http.StatusBadRequest {
		t.Errorf("stale Version: %d, want 400", r.Status)
	}
	if r := do(t, s, http.MethodPut, proc, map[string]any{"Version": 1}); r.Status != http.StatusBadRequest {
		t.Errorf("no Steps: %d, want 400", r.Status)
	}

	must(t, do(t, s, http.MethodDelete, "/api/Spaces-1/runbooks/"+id, nil), http.StatusOK)
	if r := do(t, s, http.MethodGet, proc, nil); r.Status != http.StatusNotFound {
		t.Errorf("process after deleting its runbook: %d, want 404", r.Status)
	}
}
