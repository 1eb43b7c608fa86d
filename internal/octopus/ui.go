package octopus

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/releases"
)

// What the web UI (internal/ui) reads beyond the steps port: the server's
// version, task lists with their filters, the space dashboard, and release
// creation. The types are plain structs (no SDK types leave this package).

// ServerVersion reads the Version the API root (GET /api/) claims.
func (c *Client) ServerVersion(ctx context.Context) (string, error) {
	var w struct {
		Version string `json:"Version"`
	}
	if err := c.getRaw(ctx, "/api/", &w); err != nil {
		return "", fmt.Errorf("read server version: %w", err)
	}
	return w.Version, nil
}

// TaskFilter selects server tasks (the /api/tasks query parameters).
// Empty fields do not filter.
type TaskFilter struct {
	States        []string
	SpaceIDs      []string
	TenantID      string
	ProjectID     string
	EnvironmentID string
	Skip, Take    int
}

// TaskSummary is one task of a task list.
type TaskSummary struct {
	ID, SpaceID, Name, Description, State, ErrorMessage string
	IsCompleted                                         bool
	QueueTime, StartTime, CompletedTime                 time.Time
}

// TaskPage is one page of a task list and the number of tasks that match.
type TaskPage struct {
	Items []TaskSummary
	Total int
}

// ListTasks reads one page of GET /api/tasks with the filter. Take 0 asks
// for the count only (the server answers TotalResults with no items).
func (c *Client) ListTasks(ctx context.Context, f TaskFilter) (TaskPage, error) {
	q := url.Values{}
	for _, s := range f.States {
		q.Add("states", s)
	}
	for _, s := range f.SpaceIDs {
		q.Add("spaces", s)
	}
	for k, v := range map[string]string{"tenant": f.TenantID, "project": f.ProjectID, "environment": f.EnvironmentID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("skip", strconv.Itoa(f.Skip))
	q.Set("take", strconv.Itoa(f.Take))
	var w struct {
		TotalResults int `json:"TotalResults"`
		Items        []struct {
			ID            string `json:"Id"`
			SpaceID       string `json:"SpaceId"`
			Name          string `json:"Name"`
			Description   string `json:"Description"`
			State         string `json:"State"`
			ErrorMessage  string `json:"ErrorMessage"`
			IsCompleted   bool   `json:"IsCompleted"`
			QueueTime     string `json:"QueueTime"`
			StartTime     string `json:"StartTime"`
			CompletedTime string `json:"CompletedTime"`
		} `json:"Items"`
	}
	if err := c.getRaw(ctx, "/api/tasks?"+q.Encode(), &w); err != nil {
		return TaskPage{}, fmt.Errorf("list tasks: %w", err)
	}
	out := TaskPage{Total: w.TotalResults, Items: make([]TaskSummary, 0, len(w.Items))}
	for _, it := range w.Items {
		out.Items = append(out.Items, TaskSummary{ID: it.ID, SpaceID: it.SpaceID, Name: it.Name, Description: it.Description,
			State: it.State, ErrorMessage: it.ErrorMessage, IsCompleted: it.IsCompleted,
			QueueTime: parseTime(it.QueueTime), StartTime: parseTime(it.StartTime), CompletedTime: parseTime(it.CompletedTime)})
	}
	return out, nil
}

// parseTime reads an Octopus timestamp; zero when absent or malformed.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Dashboard is a space's DashboardResource: its projects, environments and
// tenants, and one item per project × environment (× tenant) with the
// latest deployment there.
type Dashboard struct {
	Projects     []DashboardProject
	Environments []NamedID
	Tenants      []NamedID
	Items        []DashboardItem
}

// NamedID is an Octopus resource's Id and Name.
type NamedID struct{ ID, Name string }

// DashboardProject is a dashboard's project and the environments it shows.
type DashboardProject struct {
	ID, Name       string
	Tenanted       bool
	EnvironmentIDs []string
}

// DashboardItem is one cell: the latest (IsCurrent) or last good
// (IsPrevious) deployment of a project to an environment for a tenant.
type DashboardItem struct {
	ProjectID, EnvironmentID, TenantID, ReleaseID, ReleaseVersion string
	TaskID, State, ErrorMessage                                   string
	IsCurrent, IsPrevious, IsCompleted                            bool
	Created, CompletedTime                                        time.Time
}

// Dashboard reads GET /api/{space}/dashboard. The SDK's DashboardService
// has no methods in v2.115.0, so this goes through the raw helpers.
func (c *Client) Dashboard(ctx context.Context, spaceID string) (Dashboard, error) {
	type named struct {
		ID   string `json:"Id"`
		Name string `json:"Name"`
	}
	var w struct {
		Projects []struct {
			ID                     string   `json:"Id"`
			Name                   string   `json:"Name"`
			TenantedDeploymentMode string   `json:"TenantedDeploymentMode"`
			EnvironmentIDs         []string `json:"EnvironmentIds"`
		} `json:"Projects"`
		Environments []named `json:"Environments"`
		Tenants      []named `json:"Tenants"`
		Items        []struct {
			ProjectID      string `json:"ProjectId"`
			EnvironmentID  string `json:"EnvironmentId"`
			TenantID       string `json:"TenantId"`
			ReleaseID      string `json:"ReleaseId"`
			ReleaseVersion string `json:"ReleaseVersion"`
			TaskID         string `json:"TaskId"`
			State          string `json:"State"`
			ErrorMessage   string `json:"ErrorMessage"`
			IsCurrent      bool   `json:"IsCurrent"`
			IsPrevious     bool   `json:"IsPrevious"`
			IsCompleted    bool   `json:"IsCompleted"`
			Created        string `json:"Created"`
			CompletedTime  string `json:"CompletedTime"`
		} `json:"Items"`
	}
	if err := c.getRaw(ctx, spacePath(spaceID, "dashboard"), &w); err != nil {
		return Dashboard{}, fmt.Errorf("read dashboard of %s: %w", spaceID, err)
	}
	var d Dashboard
	for _, p := range w.Projects {
		d.Projects = append(d.Projects, DashboardProject{ID: p.ID, Name: p.Name, Tenanted: p.TenantedDeploymentMode == "Tenanted", EnvironmentIDs: p.EnvironmentIDs})
	}
	for _, e := range w.Environments {
		d.Environments = append(d.Environments, NamedID(e))
	}
	for _, t := range w.Tenants {
		d.Tenants = append(d.Tenants, NamedID(t))
	}
	for _, it := range w.Items {
		d.Items = append(d.Items, DashboardItem{ProjectID: it.ProjectID, EnvironmentID: it.EnvironmentID, TenantID: it.TenantID,
			ReleaseID: it.ReleaseID, ReleaseVersion: it.ReleaseVersion, TaskID: it.TaskID, State: it.State, ErrorMessage: it.ErrorMessage,
			IsCurrent: it.IsCurrent, IsPrevious: it.IsPrevious, IsCompleted: it.IsCompleted,
			Created: parseTime(it.Created), CompletedTime: parseTime(it.CompletedTime)})
	}
	return d, nil
}

// CreateRelease creates a release of project (Id or name) in the space with
// the release create v1 command the Octopus CLI uses: with version "" the
// server picks the next version and the latest packages. It is not
// retried after an ambiguous failure (a release is found again by its
// version only when one was given).
func (c *Client) CreateRelease(ctx context.Context, spaceID, project, version string) (NamedID, error) {
	if err := ctx.Err(); err != nil {
		return NamedID{}, err
	}
	cmd := releases.NewCreateReleaseCommandV1(spaceID, project)
	cmd.ReleaseVersion = version
	got, err := releases.CreateReleaseV1(c.sdk, cmd)
	if err != nil {
		return NamedID{}, fmt.Errorf("create release of %s: %w", project, normalize(err))
	}
	return NamedID{ID: got.ReleaseID, Name: got.ReleaseVersion}, nil
}
