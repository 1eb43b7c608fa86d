package emulator

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// Conformance samples for the task runner's documents (see
// conformance_test.go): runbook runs, deployments, tasks and their details,
// and built-in feed packages.

func init() {
	samples = append(samples,
		sample{kind: "RunbookRuns", definition: "RunbookRunResource", get: func(t *testing.T, s *Server, f *fixture) any {
			return f.runbookRun(t, s)
		}},
		sample{kind: "Deployments", definition: "DeploymentResource", get: func(t *testing.T, s *Server, f *fixture) any {
			f.processWithStep(t, s)
			rel := post(t, s, sp+"/releases", map[string]any{"ProjectId": f.project(t, s), "Version": "9.0.0"})
			return post(t, s, sp+"/deployments", map[string]any{"ReleaseId": field(rel, "Id"), "EnvironmentId": f.environment(t, s), "TenantId": f.tenant(t, s)})
		}},
		sample{kind: "Tasks", definition: "TaskResource", get: func(t *testing.T, s *Server, f *fixture) any {
			return get(t, s, "/api/tasks/"+field(f.runbookRun(t, s), "TaskId"))
		}},
		sample{definition: "TaskDetailsResource", items: map[string]string{"ActivityLogs": "ActivityLogTreeNode"}, get: func(t *testing.T, s *Server, f *fixture) any {
			id := field(f.runbookRun(t, s), "TaskId")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.WaitForTasks(ctx); err != nil {
				t.Fatal(err)
			}
			return get(t, s, "/api/tasks/"+id+"/details")
		}},
		sample{kind: "Packages", definition: "PackageFromBuiltInFeedResource", get: func(t *testing.T, s *Server, f *fixture) any {
			emptyZip := []byte("PK\x05\x06" + string(make([]byte, 18)))
			if status, raw := UploadPackage(t, s, "conformance.1.0.0.zip", emptyZip, ""); status != http.StatusCreated {
				t.Fatalf("upload: %d %s", status, raw)
			}
			return firstOf(t, s, sp+"/packages")
		}},
	)
}

// runbookRun runs the fixture runbook (once) from a snapshot of its own.
func (f *fixture) runbookRun(t *testing.T, s *Server) any {
	t.Helper()
	id := f.id(t, s, "runbookRun", func() string {
		rb := f.runbook(t, s)
		snap := post(t, s, sp+"/runbookSnapshots", map[string]any{"ProjectId": f.project(t, s), "RunbookId": rb, "Name": "For a run"})
		return field(post(t, s, sp+"/runbookRuns", map[string]any{"RunbookId": rb, "RunbookSnapshotId": field(snap, "Id"), "EnvironmentId": f.environment(t, s)}), "Id")
	})
	return get(t, s, sp+"/runbookRuns/"+id)
}
