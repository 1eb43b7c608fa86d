package octopus

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"

	"github.com/octofleet/octofleet/steps"
)

// Server tasks: state, log and cancel (steps.FacadeOctopus). The task routes
// are instance-wide (/api/tasks/{id}); a task's space is in its SpaceId.

// wireTask is the part of TaskResource octofleet reads.
type wireTask struct {
	ID           string `json:"Id"`
	SpaceID      string `json:"SpaceId"`
	Description  string `json:"Description"`
	State        string `json:"State"`
	IsCompleted  bool   `json:"IsCompleted"`
	ErrorMessage string `json:"ErrorMessage"`
}

func (w wireTask) domain() steps.Task {
	return steps.Task{ID: w.ID, SpaceID: w.SpaceID, Description: w.Description, State: w.State,
		IsCompleted: w.IsCompleted, ErrorMessage: w.ErrorMessage}
}

// wireActivity is ActivityElement: a node of the task log tree.
type wireActivity struct {
	ID          string `json:"Id"`
	Name        string `json:"Name"`
	LogElements []struct {
		Category    string `json:"Category"`
		MessageText string `json:"MessageText"`
		Number      int    `json:"Number"`
	} `json:"LogElements"`
	Children []wireActivity `json:"Children"`
}

// Task implements steps.FacadeOctopus.
func (c *Client) Task(ctx context.Context, taskID string) (steps.Task, error) {
	var w wireTask
	if err := c.getRaw(ctx, taskPath(taskID), &w); err != nil {
		return steps.Task{}, fmt.Errorf("read task %s: %w", taskID, err)
	}
	return w.domain(), nil
}

// TaskDetails implements steps.FacadeOctopus. The log tree is flattened
// depth first (an activity's own lines, then its children's), the order the
// web portal and /raw show it in. A line without a Number (servers that omit
// it) gets its position in its activity.
func (c *Client) TaskDetails(ctx context.Context, taskID string) (steps.Task, []steps.TaskLogLine, error) {
	var w struct {
		Task         wireTask       `json:"Task"`
		ActivityLogs []wireActivity `json:"ActivityLogs"`
	}
	if err := c.getRaw(ctx, taskPath(taskID, "details"), &w); err != nil {
		return steps.Task{}, nil, fmt.Errorf("read task %s details: %w", taskID, err)
	}
	var lines []steps.TaskLogLine
	var walk func(a wireActivity)
	walk = func(a wireActivity) {
		for i, le := range a.LogElements {
			n := le.Number
			if n == 0 {
				n = i + 1
			}
			lines = append(lines, steps.TaskLogLine{Activity: a.ID, ActivityName: a.Name, Number: n,
				Category: le.Category, Text: le.MessageText})
		}
		for _, ch := range a.Children {
			walk(ch)
		}
	}
	for _, a := range w.ActivityLogs {
		walk(a)
	}
	return w.Task.domain(), lines, nil
}

// TaskRawLog implements steps.FacadeOctopus. /raw answers text/plain, which
// the JSON helpers cannot decode, so it is read through the SDK's session
// directly (same transport, headers and error mapping).
func (c *Client) TaskRawLog(ctx context.Context, taskID string) (string, error) {
	path := taskPath(taskID, "raw")
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.relPath(path), nil)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := c.sdk.HttpSession().DoRawRequest(req)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", path, normalize(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode >= 300 {
		return "", fmt.Errorf("GET %s: %w", path, normalize(&core.APIError{StatusCode: resp.StatusCode, ErrorMessage: http.StatusText(resp.StatusCode)}))
	}
	return string(body), nil
}

// CancelTask implements steps.FacadeOctopus (POST /api/tasks/{id}/cancel).
func (c *Client) CancelTask(ctx context.Context, taskID string) error {
	if err := c.postRaw(ctx, taskPath(taskID, "cancel"), struct{}{}, nil); err != nil {
		return fmt.Errorf("cancel task %s: %w", taskID, err)
	}
	return nil
}
