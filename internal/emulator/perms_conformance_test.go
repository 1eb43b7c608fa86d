package emulator

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// Conformance samples (see conformance_test.go) for the dashboard, a
// user's permission set and team membership.

func init() {
	samples = append(samples,
		sample{definition: "DashboardResource", items: map[string]string{"Items": "DashboardItemResource", "Projects": "DashboardProjectResource",
			"Environments": "DashboardEnvironmentResource", "Tenants": "DashboardTenantResource", "ProjectGroups": "DashboardProjectGroupResource"},
			get: func(t *testing.T, s *Server, f *fixture) any {
				f.processWithStep(t, s)
				rel := post(t, s, sp+"/releases", map[string]any{"ProjectId": f.project(t, s), "Version": "9.1.0"})
				post(t, s, sp+"/deployments", map[string]any{"ReleaseId": field(rel, "Id"), "EnvironmentId": f.environment(t, s), "TenantId": f.tenant(t, s)})
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := s.WaitForTasks(ctx); err != nil {
					t.Fatal(err)
				}
				return get(t, s, sp+"/dashboard")
			}},
		sample{definition: "UserPermissionSetResource", items: map[string]string{"Teams": "ProjectedTeamReferenceDataItem"},
			get: func(t *testing.T, s *Server, f *fixture) any {
				me := get(t, s, "/api/users/me")
				return get(t, s, "/api/users/"+field(me, "Id")+"/permissions")
			}},
		sample{definition: "TeamMembership", get: func(t *testing.T, s *Server, f *fixture) any {
			me := get(t, s, "/api/users/me")
			list, _ := get(t, s, "/api/teammembership?userId="+field(me, "Id")).([]any)
			if len(list) == 0 {
				t.Fatal("the admin is a member of no team")
			}
			return list[0]
		}},
		sample{definition: "PermissionDescription", get: func(t *testing.T, s *Server, f *fixture) any {
			all, _ := conformanceCall(t, s, http.MethodGet, "/api/permissions/all", nil, http.StatusOK).(map[string]any)
			if len(all) != len(permissionNames) {
				t.Errorf("%d permissions described, want %d", len(all), len(permissionNames))
			}
			return all["DeploymentCreate"]
		}},
	)
}
