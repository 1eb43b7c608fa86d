package emulator

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// pendingManualIntervention deploys a project of one manual intervention
// step, returns its interruption as served (Form controls reduced to the
// swagger's Control, which describes only the base class: the real
// Paragraph, TextArea and SubmitButtonGroup controls carry Text, Label and
// Buttons too), then cancels the task.
func pendingManualIntervention(t *testing.T, s *Server, f *fixture) any {
	t.Helper()
	lc := field(firstOf(t, s, sp+"/lifecycles"), "Id")
	pg := field(firstOf(t, s, sp+"/projectgroups"), "Id")
	p := field(post(t, s, sp+"/projects", map[string]any{"Name": "Conformance Manual", "LifecycleId": lc, "ProjectGroupId": pg}), "Id")
	dp := get(t, s, sp+"/projects/"+p+"/deploymentprocesses").(map[string]any)
	dp["Steps"] = []any{map[string]any{"Name": "Approve", "Actions": []any{map[string]any{"Name": "Approve", "ActionType": "Octopus.Manual",
		"Properties": map[string]any{"Octopus.Action.Manual.Instructions": "Approve it"}}}}}
	conformanceCall(t, s, http.MethodPut, sp+"/deploymentprocesses/"+field(dp, "Id"), dp, http.StatusOK)
	rel := post(t, s, sp+"/releases", map[string]any{"ProjectId": p, "Version": "1.0.0"})
	dep := post(t, s, sp+"/deployments", map[string]any{"ReleaseId": field(rel, "Id"), "EnvironmentId": f.environment(t, s)})
	task := field(dep, "TaskId")
	deadline := time.Now().Add(20 * time.Second)
	var in map[string]any
	for in == nil {
		if items, _ := get(t, s, sp+"/interruptions?pendingOnly=true&regarding="+task).(map[string]any)["Items"].([]any); len(items) > 0 {
			in, _ = items[0].(map[string]any)
		} else if time.Now().After(deadline) {
			t.Fatal("no pending interruption")
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	conformanceCall(t, s, http.MethodPost, "/api/tasks/"+task+"/cancel", nil, http.StatusOK)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitForTasks(ctx); err != nil {
		t.Fatal(err)
	}
	form, _ := in["Form"].(map[string]any)
	for _, el := range form["Elements"].([]any) {
		ctl := el.(map[string]any)["Control"].(map[string]any)
		for k := range ctl {
			if k != "Type" {
				delete(ctl, k)
			}
		}
	}
	return in
}

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
		sample{kind: "Artifacts", definition: "ArtifactResource", get: func(t *testing.T, s *Server, f *fixture) any {
			return post(t, s, sp+"/artifacts", map[string]any{"Filename": "conformance.txt", "ServerTaskId": field(f.runbookRun(t, s), "TaskId")})
		}},
		sample{kind: "Interruptions", definition: "InterruptionResource", get: func(t *testing.T, s *Server, f *fixture) any {
			return pendingManualIntervention(t, s, f)
		}},
		sample{definition: "DeploymentTemplateResource", items: map[string]string{"TenantPromotions": "DeploymentPromotionTenant"},
			get: func(t *testing.T, s *Server, f *fixture) any {
				f.tenant(t, s)
				f.processWithStep(t, s)
				rel := post(t, s, sp+"/releases", map[string]any{"ProjectId": f.project(t, s), "Version": "9.2.0"})
				return get(t, s, sp+"/releases/"+field(rel, "Id")+"/deployments/template")
			}},
		sample{definition: "ProgressionResource", items: map[string]string{"Releases": "ReleaseProgressionResource", "Environments": "ReferenceDataItem"},
			get: func(t *testing.T, s *Server, f *fixture) any {
				f.processWithStep(t, s)
				post(t, s, sp+"/releases", map[string]any{"ProjectId": f.project(t, s), "Version": "9.3.0"})
				return get(t, s, sp+"/progression/"+f.project(t, s))
			}},
		sample{definition: "LifecycleProgressionResource", items: map[string]string{"Phases": "PhaseProgressionResource"},
			get: func(t *testing.T, s *Server, f *fixture) any {
				f.processWithStep(t, s)
				rel := post(t, s, sp+"/releases", map[string]any{"ProjectId": f.project(t, s), "Version": "9.4.0"})
				return get(t, s, sp+"/releases/"+field(rel, "Id")+"/progression")
			}},
		sample{definition: "RunbooksProgressionResource", items: map[string]string{"Environments": "ReferenceDataItem"},
			get: func(t *testing.T, s *Server, f *fixture) any {
				f.runbookRun(t, s)
				return get(t, s, sp+"/progression/runbooks/"+f.runbook(t, s))
			}},
		sample{definition: "RunbooksDashboardItemResourceCollection", items: map[string]string{"Items": "RunbooksDashboardItemResource"},
			get: func(t *testing.T, s *Server, f *fixture) any {
				f.runbookRun(t, s)
				return get(t, s, sp+"/progression/runbooks/taskRuns")
			}},
		sample{definition: "GetServerTaskStatusMessagesResponse", get: func(t *testing.T, s *Server, f *fixture) any {
			return get(t, s, "/api/tasks/"+field(f.runbookRun(t, s), "TaskId")+"/status/messages")
		}},
		sample{definition: "TaskTypeResource", get: func(t *testing.T, s *Server, f *fixture) any {
			list, _ := get(t, s, "/api/tasks/tasktypes").([]any)
			return list[0]
		}},
		sample{definition: "LifecycleResource", get: func(t *testing.T, s *Server, f *fixture) any {
			f.environment(t, s)
			return get(t, s, sp+"/lifecycles/"+field(firstOf(t, s, sp+"/lifecycles"), "Id")+"/preview")
		}},
		sample{definition: "DeploymentPreviewResource", items: map[string]string{"StepsToExecute": "DeploymentTemplateStep"},
			get: func(t *testing.T, s *Server, f *fixture) any {
				f.processWithStep(t, s)
				rel := post(t, s, sp+"/releases", map[string]any{"ProjectId": f.project(t, s), "Version": "9.5.0"})
				return get(t, s, sp+"/releases/"+field(rel, "Id")+"/deployments/preview/"+f.environment(t, s)+"/"+f.tenant(t, s))
			}},
		sample{definition: "RunbookRunPreviewResource", get: func(t *testing.T, s *Server, f *fixture) any {
			return get(t, s, sp+"/runbooks/"+f.runbook(t, s)+"/runbookRuns/preview/"+f.environment(t, s))
		}},
		sample{definition: "RunbookRunTemplateResource", get: func(t *testing.T, s *Server, f *fixture) any {
			snap := post(t, s, sp+"/runbookSnapshots", map[string]any{"ProjectId": f.project(t, s), "RunbookId": f.runbook(t, s), "Name": "For a template"})
			return get(t, s, sp+"/runbookSnapshots/"+field(snap, "Id")+"/runbookRuns/template")
		}},
		sample{definition: "DashboardConfigurationResource", get: func(t *testing.T, s *Server, f *fixture) any {
			return conformanceCall(t, s, http.MethodPut, sp+"/dashboardconfiguration", map[string]any{"IncludedProjectIds": []string{f.project(t, s)}}, http.StatusOK)
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
