package octopus

import (
	"context"
	"fmt"
	"net/url"

	"github.com/octofleet/octofleet/steps"
)

// WorkerPools implements steps.TemplateOctopus with one GET of /all.
func (c *Client) WorkerPools(ctx context.Context, spaceID string) ([]steps.Ref, error) {
	return c.namedRefs(ctx, spacePath(spaceID, "workerpools", "all"), "worker pools")
}

// WorkerPoolDetails implements steps.WorkerOctopus with one GET of /all. A
// dynamic pool's document carries WorkerType (the SDK's DynamicWorkerPool;
// the swagger's WorkerPoolResource lists only the common fields).
func (c *Client) WorkerPoolDetails(ctx context.Context, spaceID string) ([]steps.WorkerPool, error) {
	var ws []struct {
		ID             string `json:"Id"`
		Name           string `json:"Name"`
		IsDefault      bool   `json:"IsDefault"`
		WorkerPoolType string `json:"WorkerPoolType"`
		WorkerType     string `json:"WorkerType"`
	}
	if err := c.getRaw(ctx, spacePath(spaceID, "workerpools", "all"), &ws); err != nil {
		return nil, fmt.Errorf("list worker pools: %w", err)
	}
	out := make([]steps.WorkerPool, 0, len(ws))
	for _, w := range ws {
		out = append(out, steps.WorkerPool{ID: w.ID, Name: w.Name, IsDefault: w.IsDefault, Type: w.WorkerPoolType, WorkerType: w.WorkerType})
	}
	return out, nil
}

// PoolWorkers implements steps.WorkerOctopus with one GET of the first page
// of /workers filtered by pool: what install needs to tell the pool's OS.
func (c *Client) PoolWorkers(ctx context.Context, spaceID, poolID string) ([]steps.Worker, error) {
	var page struct {
		Items []struct {
			Name            string `json:"Name"`
			OperatingSystem string `json:"OperatingSystem"`
			ShellName       string `json:"ShellName"`
		} `json:"Items"`
	}
	path := spacePath(spaceID, "workers") + "?take=100&workerPoolIds=" + url.QueryEscape(poolID)
	if err := c.getRaw(ctx, path, &page); err != nil {
		return nil, fmt.Errorf("list workers of pool %s: %w", poolID, err)
	}
	out := make([]steps.Worker, 0, len(page.Items))
	for _, w := range page.Items {
		out = append(out, steps.Worker{Name: w.Name, OperatingSystem: w.OperatingSystem, ShellName: w.ShellName})
	}
	return out, nil
}
