package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Project triggers (ProjectTriggerResource in the 2026.1 swagger): a Filter
// saying when (FilterType CronExpressionSchedule with CronExpression and
// Timezone, as go-octopusdeploy's filters.CronScheduledTriggerFilter sends
// it, or any other filter type) and an Action saying what (ActionType
// RunRunbook with RunbookId, EnvironmentIds, TenantIds and TenantTags, as
// actions.RunRunbookAction). The emulator keeps and validates triggers; it
// does not fire schedules.

var projectTriggersKind *Kind

var (
	triggerFilterTypes = []string{"MachineFilter", "DailySchedule", "DaysPerWeekSchedule", "DaysPerMonthSchedule",
		"CronExpressionSchedule", "OnceDailySchedule", "ContinuousDailySchedule", "FeedFilter", "ArcFeedFilter", "GitFilter"}
	triggerActionTypes = []string{"AutoDeploy", "DeployLatestRelease", "DeployNewRelease", "DeployLatestReleaseToEnvironment", "RunRunbook", "CreateRelease"}
)

func init() {
	projectTriggersKind = registerKind(&Kind{
		Name:          "ProjectTriggers",
		Segment:       "projecttriggers",
		Scope:         SpaceScoped,
		ItemType:      "ProjectTrigger",
		NameField:     "Name",
		TemplateQuery: "{?skip,take,ids,runbooks}",
		NoAll:         true, // the real server has the paged list only
		Shape: func(d Doc) {
			ensure(d, "Description", "")
			ensure(d, "IsDisabled", false)
		},
		BeforeUpdate: keepProps("ProjectId"),
		Validate:     validateProjectTrigger,
		// ?runbooks=Runbooks-1&runbooks=… (or comma separated): the triggers
		// whose action runs one of those runbooks.
		Filter: func(c *Call, d Doc) bool {
			want := c.Query("runbooks")
			if len(want) == 0 {
				return true
			}
			action, _ := d["Action"].(map[string]any)
			for _, v := range want {
				for _, id := range strings.Split(v, ",") {
					if strings.EqualFold(id, str(action, "RunbookId")) {
						return true
					}
				}
			}
			return false
		},
		Links: func(d Doc, self string) map[string]string {
			return map[string]string{"Project": "/api/" + str(d, "SpaceId") + "/projects/" + str(d, "ProjectId")}
		},
	})
	// The project's Triggers link.
	addRoute(http.MethodGet, "projects/{projectId}/triggers", RouteSpace, func(c *Call) (any, error) {
		p, err := c.srv.projectFor(c)
		if err != nil {
			return nil, err
		}
		return c.srv.relatedPage(c, projectTriggersKind, "ProjectId", str(p, "Id"), "projects/"+str(p, "Id")+"/triggers", "{?skip,take,partialName,triggerActionType,triggerActionCategory,runbooks}")
	})
}

// validateProjectTrigger checks what CreateProjectTriggerCommand requires
// (Action, Filter, Name, ProjectId) and the references of the two shapes
// octofleet writes.
func validateProjectTrigger(c *Call, d, old Doc) error {
	var errs []string
	if str(d, "Name") == "" {
		errs = append(errs, "Please provide a value for Name.")
	}
	project := str(d, "ProjectId")
	if project == "" {
		errs = append(errs, "Please provide a value for ProjectId.")
	} else if !c.srv.exists(projectsKind.Name, c.SpaceID, project) {
		errs = append(errs, fmt.Sprintf("The project '%s' does not exist.", project))
	}
	filter, _ := d["Filter"].(map[string]any)
	switch ft := str(filter, "FilterType"); {
	case filter == nil:
		errs = append(errs, "Please provide a value for Filter.")
	case !containsFold(triggerFilterTypes, ft):
		errs = append(errs, fmt.Sprintf("'%s' is not a valid FilterType.", ft))
	case strings.EqualFold(ft, "CronExpressionSchedule") && strings.TrimSpace(str(filter, "CronExpression")) == "":
		errs = append(errs, "Please provide a value for CronExpression.")
	}
	action, _ := d["Action"].(map[string]any)
	switch at := str(action, "ActionType"); {
	case action == nil:
		errs = append(errs, "Please provide a value for Action.")
	case !containsFold(triggerActionTypes, at):
		errs = append(errs, fmt.Sprintf("'%s' is not a valid ActionType.", at))
	case strings.EqualFold(at, "RunRunbook"):
		rb := str(action, "RunbookId")
		if rb == "" {
			errs = append(errs, "Please provide a value for RunbookId.")
		} else if r := c.srv.st.get(runbooksKind.Name, c.SpaceID, rb); r == nil || !strings.EqualFold(str(r.doc, "ProjectId"), project) {
			errs = append(errs, fmt.Sprintf("The runbook '%s' does not exist in project '%s'.", rb, project))
		}
		for _, id := range strs(action, "EnvironmentIds") {
			if !c.srv.exists(environmentsKind.Name, c.SpaceID, id) {
				errs = append(errs, fmt.Sprintf("The environment '%s' does not exist.", id))
			}
		}
		for _, id := range strs(action, "TenantIds") {
			if !c.srv.exists(tenantsKind.Name, c.SpaceID, id) {
				errs = append(errs, fmt.Sprintf("The tenant '%s' does not exist.", id))
			}
		}
	}
	if len(errs) > 0 {
		return badRequest(errs...)
	}
	return nil
}
