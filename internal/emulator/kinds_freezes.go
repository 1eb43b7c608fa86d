package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Deployment freezes (swagger DeploymentFreezeResource): instance-wide
// documents at /api/deploymentfreezes that scope projects' environments
// (ProjectEnvironmentScope: project ID -> environment IDs) and tenants'
// (TenantProjectEnvironmentScope) in any space. The list is not the paging
// envelope: GetDeploymentFreezesResponse is {DeploymentFreezes, Count}.
// DeploymentFreezeResource has no Links, SpaceId or LastModified
// properties.

var deploymentFreezesKind *Kind

// freezeStatuses are the ?status values: where the freeze's window is
// relative to now.
var freezeStatuses = []string{"Active", "Scheduled", "Expired"}

func init() {
	deploymentFreezesKind = registerKind(&Kind{
		Name:      "DeploymentFreezes",
		Segment:   "deploymentfreezes",
		Scope:     SystemScoped,
		ItemType:  "DeploymentFreeze",
		NameField: "Name",
		// Freeze names are unique (GetDeploymentFreezesByNamesRequest looks
		// them up by name).
		UniqueNames: true,
		NoList:      true, // served by deploymentFreezeList
		Less: func(a, b Doc) bool {
			return str(a, "Start") < str(b, "Start") || (str(a, "Start") == str(b, "Start") && byName(a, b))
		},
		Shape: func(d Doc) {
			ensure(d, "Description", "")
			ensure(d, "ProjectEnvironmentScope", Doc{})
			ensure(d, "TenantProjectEnvironmentScope", []any{})
			ensure(d, "RecurringSchedule", nil)
		},
		Validate: validateFreeze,
		Present: func(d Doc) {
			for _, f := range []string{"Links", "LastModifiedOn", "LastModifiedBy", "SpaceId"} {
				delete(d, f)
			}
		},
	})
	addRoute(http.MethodGet, "deploymentfreezes", RouteSystem, deploymentFreezeList)
}

// freezeWindow parses Start and End.
func freezeWindow(d Doc) (start, end time.Time, err error) {
	for _, f := range []struct {
		name string
		to   *time.Time
	}{{"Start", &start}, {"End", &end}} {
		v := str(d, f.name)
		if v == "" {
			return start, end, badRequest("Please provide a value for " + f.name + ".")
		}
		if *f.to, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return start, end, badRequest(fmt.Sprintf("%s '%s' is not a date and time (RFC 3339).", f.name, v))
		}
	}
	return start, end, nil
}

func validateFreeze(c *Call, d, _ Doc) error {
	start, end, err := freezeWindow(d)
	if err != nil {
		return err
	}
	if !end.After(start) {
		return badRequest("End must be after Start.")
	}
	scope, ok := d["ProjectEnvironmentScope"].(map[string]any)
	if !ok {
		return badRequest("ProjectEnvironmentScope must be an object of project IDs to environment ID lists.")
	}
	for p, envs := range scope {
		if !anySpaceHas(c, projectsKind, p) {
			return badRequest(fmt.Sprintf("ProjectEnvironmentScope: the project '%s' does not exist.", p))
		}
		list, ok := envs.([]any)
		if !ok {
			return badRequest(fmt.Sprintf("ProjectEnvironmentScope['%s'] must be a list of environment IDs.", p))
		}
		for _, e := range list {
			if id, _ := e.(string); !anySpaceHas(c, environmentsKind, id) {
				return badRequest(fmt.Sprintf("ProjectEnvironmentScope['%s']: the environment '%v' does not exist.", p, e))
			}
		}
	}
	tpe, ok := d["TenantProjectEnvironmentScope"].([]any)
	if !ok {
		return badRequest("TenantProjectEnvironmentScope must be a list.")
	}
	for i, x := range tpe {
		m, _ := x.(map[string]any)
		for _, ref := range []struct {
			field string
			k     *Kind
		}{{"TenantId", tenantsKind}, {"ProjectId", projectsKind}, {"EnvironmentId", environmentsKind}} {
			if !anySpaceHas(c, ref.k, str(m, ref.field)) {
				return badRequest(fmt.Sprintf("TenantProjectEnvironmentScope[%d].%s: '%s' does not exist.", i, ref.field, str(m, ref.field)))
			}
		}
	}
	if rs, ok := d["RecurringSchedule"].(map[string]any); ok {
		if t := str(rs, "Type"); !slices.Contains([]string{"Daily", "Weekly", "Monthly", "Annually"}, t) {
			return badRequest(fmt.Sprintf("RecurringSchedule.Type '%s' is not one of Daily, Weekly, Monthly, Annually.", t))
		}
		if t := str(rs, "EndType"); !slices.Contains([]string{"Never", "OnDate", "AfterOccurrences"}, t) {
			return badRequest(fmt.Sprintf("RecurringSchedule.EndType '%s' is not one of Never, OnDate, AfterOccurrences.", t))
		}
	}
	return nil
}

// anySpaceHas reports whether a document of the space-scoped kind k with ID
// id exists in some space (IDs are unique across spaces).
func anySpaceHas(c *Call, k *Kind, id string) bool {
	if id == "" {
		return false
	}
	for _, r := range c.srv.st.all(spacesKind.Name) {
		if c.srv.st.get(k.Name, str(r.doc, "Id"), id) != nil {
			return true
		}
	}
	return false
}

// freezeStatus is where now is relative to the freeze's window. A
// recurring freeze is judged by its first window and its series' end.
func freezeStatus(d Doc, now time.Time) string {
	start, end, err := freezeWindow(d)
	if err != nil {
		return ""
	}
	if rs, ok := d["RecurringSchedule"].(map[string]any); ok {
		switch str(rs, "EndType") {
		case "Never", "AfterOccurrences":
			end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		case "OnDate":
			if t, err := time.Parse(time.RFC3339Nano, str(rs, "EndOnDate")); err == nil {
				end = t
			}
		}
	}
	switch {
	case now.Before(start):
		return "Scheduled"
	case now.Before(end):
		return "Active"
	}
	return "Expired"
}

// deploymentFreezeList serves GET /api/deploymentfreezes with the filters
// of GetDeploymentFreezesRequest.
func deploymentFreezeList(c *Call) (any, error) {
	s := c.srv
	skip, err := c.queryInt("skip", 0)
	if err != nil {
		return nil, err
	}
	take, err := c.queryInt("take", defaultTake)
	if err != nil {
		return nil, err
	}
	status := c.QueryValue("status")
	if status != "" && !slices.ContainsFunc(freezeStatuses, func(x string) bool { return strings.EqualFold(x, status) }) {
		return nil, badRequest(fmt.Sprintf("status '%s' is not one of %s.", status, strings.Join(freezeStatuses, ", ")))
	}
	now := s.now()
	if v := c.QueryValue("effectiveDate"); v != "" {
		if now, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return nil, badRequest(fmt.Sprintf("effectiveDate '%s' is not a date and time (RFC 3339).", v))
		}
	}
	// "Set to false to only return active Deployment Freezes" (swagger):
	// false leaves out the expired ones; absent, every freeze is listed
	// (the SDK cannot send false: omitempty).
	includeComplete := c.queryBool("includeComplete", true)
	projects, envs, tenants := c.Query("projectIds"), c.Query("environmentIds"), c.Query("tenantIds")
	items := []any{}
	n := 0
	for _, rec := range s.selected(c, deploymentFreezesKind) {
		d := rec.doc
		st := freezeStatus(d, now)
		if status != "" && !strings.EqualFold(st, status) {
			continue
		}
		if !includeComplete && st == "Expired" {
			continue
		}
		var ps, es, ts []string
		scope, _ := d["ProjectEnvironmentScope"].(map[string]any)
		for p, list := range scope {
			ps = append(ps, p)
			for _, e := range list.([]any) {
				es = append(es, fmt.Sprint(e))
			}
		}
		tpe, _ := d["TenantProjectEnvironmentScope"].([]any)
		for _, x := range tpe {
			m, _ := x.(map[string]any)
			ts, ps, es = append(ts, str(m, "TenantId")), append(ps, str(m, "ProjectId")), append(es, str(m, "EnvironmentId"))
		}
		if !anyOf(projects, ps) || !anyOf(envs, es) || !anyOf(tenants, ts) {
			continue
		}
		if n >= skip && len(items) < take {
			items = append(items, s.present(deploymentFreezesKind, rec))
		}
		n++
	}
	return Doc{"DeploymentFreezes": items, "Count": n}, nil
}

// anyOf reports whether want is empty or shares an ID with have.
func anyOf(want, have []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		if containsFold(have, w) {
			return true
		}
	}
	return false
}
