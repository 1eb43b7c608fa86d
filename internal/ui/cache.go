package ui

import (
	"context"
	"fmt"
	"github.com/octofleet/octofleet/internal/fleet"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// The cache: pages read only from here. A background loop refreshes every
// instance's overview each interval, and the keyed entries (dashboards,
// releases, tenants, runbooks of a space) that a page read during the last
// few intervals; an entry nobody reads stops costing API calls. So the
// calls per minute depend on the interval and the fleet, not on how many
// people look.

// InstanceView is what the overview shows of an instance.
type InstanceView struct {
	Name, URL       string
	Reachable       bool
	Error           string
	Version         string
	Running, Queued int
	Spaces          []steps.Space
	RecentTasks     []octopus.TaskSummary
	RefreshedAt     time.Time
}

// SpaceName returns the name of a space of the instance ("" if unknown).
func (v *InstanceView) SpaceName(id string) string {
	for _, s := range v.Spaces {
		if strings.EqualFold(s.ID, id) {
			return s.Name
		}
	}
	return ""
}

// TenantView is a fleet tenant of the management space.
type TenantView struct {
	ID, Name, Pattern, Drift string
	// Instance is the name (in the UI's configuration) of the instance the
	// tenant's space lives on, or its URL when the UI does not front it.
	Instance, Space string
	Tags            []string
	// Runs are the tenant's last run of each runbook of the management
	// space's octofleet project, by runbook name.
	Runs []RunView

	lowerName string // what the overview's filter matches
}

// RunView is a tenant's last run of a runbook; its task is on Instance
// (the management instance).
type RunView struct {
	Runbook, State, Instance, TaskID string
	When                             time.Time
}

type lazyEntry struct {
	mu       sync.Mutex // held while loading
	loaded   bool
	val      any
	err      error
	at       time.Time
	lastRead time.Time
	load     func(context.Context) (any, error)
}

// cache is the UI's read model.
type cache struct {
	srv *Server

	mu        sync.RWMutex
	instances map[string]*InstanceView
	tenants   []TenantView
	tenantsAt time.Time
	lazy      map[string]*lazyEntry
}

func newCache(s *Server) *cache {
	c := &cache{srv: s, instances: map[string]*InstanceView{}, lazy: map[string]*lazyEntry{}}
	for _, in := range s.cfg.Instances {
		c.instances[in.Name] = &InstanceView{Name: in.Name, URL: in.URL, Error: "not read yet"}
	}
	return c
}

// instance returns a copy of the view of an instance.
func (c *cache) instance(name string) (InstanceView, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.instances[name]
	if !ok {
		return InstanceView{}, false
	}
	return *v, true
}

func (c *cache) fleetTenants() []TenantView {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tenants
}

// refresh re-reads every instance (concurrently) and the live keyed entries.
func (c *cache) refresh(ctx context.Context) {
	var wg sync.WaitGroup
	for _, in := range c.srv.cfg.Instances {
		wg.Go(func() { c.refreshInstance(ctx, in.Name) })
	}
	wg.Wait()
	c.refreshTenants(ctx)

	now := c.srv.now()
	keep := 3 * c.srv.refreshInterval
	c.mu.Lock()
	var live []*lazyEntry
	for k, e := range c.lazy {
		if now.Sub(e.lastRead) > keep {
			delete(c.lazy, k) // nobody looked lately: stop refreshing it
			continue
		}
		live = append(live, e)
	}
	c.mu.Unlock()
	for _, e := range live {
		wg.Go(func() {
			v, err := e.load(ctx)
			e.mu.Lock()
			if err == nil || !e.loaded {
				e.val, e.err = v, err
			}
			e.loaded, e.at = true, c.srv.now()
			e.mu.Unlock()
		})
	}
	wg.Wait()
}

func (c *cache) refreshInstance(ctx context.Context, name string) {
	v := InstanceView{Name: name, RefreshedAt: c.srv.now()}
	old, _ := c.instance(name)
	v.URL = old.URL
	oct, err := c.srv.client(ctx, name)
	if err == nil {
		err = func() error {
			var err error
			if v.Version, err = oct.ServerVersion(ctx); err != nil {
				return err
			}
			if v.Spaces, err = oct.Spaces(ctx); err != nil {
				return err
			}
			for _, st := range []struct {
				state string
				n     *int
			}{{steps.TaskExecuting, &v.Running}, {steps.TaskQueued, &v.Queued}} {
				page, err := oct.ListTasks(ctx, octopus.TaskFilter{States: []string{st.state}, Take: 0})
				if err != nil {
					return err
				}
				*st.n = page.Total
			}
			page, err := oct.ListTasks(ctx, octopus.TaskFilter{Take: 100})
			if err != nil {
				return err
			}
			v.RecentTasks = page.Items
			return nil
		}()
	}
	if err != nil {
		c.srv.log.Warn("refresh instance", slog.String("instance", name), slog.String("error", err.Error()))
		v = old
		v.Reachable, v.Error, v.RefreshedAt = false, err.Error(), c.srv.now()
	} else {
		v.Reachable = true
	}
	c.mu.Lock()
	c.instances[name] = &v
	c.mu.Unlock()
}

// refreshTenants reads the fleet the way `octofleet fleet` does
// (fleet.LoadHub and fleet.LastRuns: a handful of list reads however many
// tenants): each tenant's pattern, where its space lives, what its last
// Check Drift recorded and its last runbook runs.
func (c *cache) refreshTenants(ctx context.Context) {
	m := c.srv.cfg.ManagementSpace
	if m == nil {
		return
	}
	v, ok := c.instance(m.Instance)
	if !ok || !v.Reachable {
		return
	}
	in, err := c.srv.client(ctx, m.Instance)
	if err != nil {
		return
	}
	hub, ok := in.(*octopus.Client)
	if !ok {
		c.srv.log.Warn("refresh fleet tenants", slog.String("error", "the management instance's client cannot read the fleet"))
		return
	}
	f, err := fleet.LoadHub(ctx, hub, v.URL, m.Space)
	if err != nil {
		c.srv.log.Warn("refresh fleet tenants", slog.String("error", err.Error()))
		return
	}
	runs, err := fleet.LastRuns(ctx, hub, f)
	if err != nil {
		// The tenants are still worth showing; their runs come next time.
		c.srv.log.Warn("refresh fleet last runs", slog.String("error", err.Error()))
	}
	out := make([]TenantView, 0, len(f.Targets))
	for _, t := range f.Targets {
		tv := TenantView{ID: t.TenantID, Name: t.Tenant, Tags: t.Tags, Pattern: string(t.Pattern), Drift: t.DriftSummary(),
			Instance: c.srv.instanceName(t.Instance), Space: t.Space, lowerName: strings.ToLower(t.Tenant)}
		if tv.Pattern == "" {
			tv.Pattern = "-"
		}
		for name, r := range runs[t.TenantID] {
			tv.Runs = append(tv.Runs, RunView{Runbook: name, State: r.State, Instance: m.Instance, TaskID: r.TaskID, When: r.When})
		}
		sort.Slice(tv.Runs, func(i, j int) bool { return tv.Runs[i].Runbook < tv.Runs[j].Runbook })
		out = append(out, tv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lowerName < out[j].lowerName })
	c.mu.Lock()
	c.tenants, c.tenantsAt = out, c.srv.now()
	c.mu.Unlock()
}

// get returns the keyed entry's value, loading it the first time (one
// load however many ask at once); later reads get the refreshed value.
func (c *cache) get(ctx context.Context, key string, load func(context.Context) (any, error)) (any, error) {
	c.mu.Lock()
	e, ok := c.lazy[key]
	if !ok {
		e = &lazyEntry{load: load}
		c.lazy[key] = e
	}
	e.lastRead = c.srv.now()
	c.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.loaded {
		e.val, e.err = load(ctx)
		e.loaded, e.at = true, c.srv.now()
		if e.err != nil {
			// Do not keep a failed first load: the next page view tries again.
			c.mu.Lock()
			delete(c.lazy, key)
			c.mu.Unlock()
		}
	}
	return e.val, e.err
}

// invalidate drops keyed entries whose key starts with prefix (after a
// write the UI made, e.g. a new release).
func (c *cache) invalidate(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.lazy {
		if strings.HasPrefix(k, prefix) {
			delete(c.lazy, k)
		}
	}
}

func typed[T any](v any, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("cache holds %T, want %T", v, zero)
	}
	return t, nil
}

func (c *cache) dashboard(ctx context.Context, instance, spaceID string) (octopus.Dashboard, error) {
	return typed[octopus.Dashboard](c.get(ctx, "dash/"+instance+"/"+spaceID, func(ctx context.Context) (any, error) {
		oct, err := c.srv.client(ctx, instance)
		if err != nil {
			return nil, err
		}
		return oct.Dashboard(ctx, spaceID)
	}))
}

func (c *cache) spaceTenants(ctx context.Context, instance, spaceID string) ([]steps.Tenant, error) {
	return typed[[]steps.Tenant](c.get(ctx, "tenants/"+instance+"/"+spaceID, func(ctx context.Context) (any, error) {
		oct, err := c.srv.client(ctx, instance)
		if err != nil {
			return nil, err
		}
		return oct.Tenants(ctx, spaceID)
	}))
}

func (c *cache) runbooks(ctx context.Context, instance, spaceID string) ([]steps.Runbook, error) {
	return typed[[]steps.Runbook](c.get(ctx, "runbooks/"+instance+"/"+spaceID, func(ctx context.Context) (any, error) {
		oct, err := c.srv.client(ctx, instance)
		if err != nil {
			return nil, err
		}
		return oct.Runbooks(ctx, spaceID)
	}))
}

func (c *cache) releases(ctx context.Context, instance, spaceID, projectID string) ([]steps.Release, error) {
	return typed[[]steps.Release](c.get(ctx, "releases/"+instance+"/"+spaceID+"/"+projectID, func(ctx context.Context) (any, error) {
		oct, err := c.srv.client(ctx, instance)
		if err != nil {
			return nil, err
		}
		return oct.ProjectReleases(ctx, spaceID, projectID)
	}))
}

// taskLog is the task's details, shared by every live log of the task
// and re-read at most once a second.
type taskLog struct {
	task  steps.Task
	lines []steps.TaskLogLine
}

func (c *cache) taskDetails(ctx context.Context, instance, taskID string) (taskLog, error) {
	key := "log/" + instance + "/" + taskID
	c.mu.Lock()
	e, ok := c.lazy[key]
	c.mu.Unlock()
	if ok {
		e.mu.Lock()
		fresh := e.loaded && e.err == nil && c.srv.now().Sub(e.at) < c.srv.logPoll
		e.mu.Unlock()
		if !fresh {
			c.invalidate(key)
		}
	}
	return typed[taskLog](c.get(ctx, key, func(ctx context.Context) (any, error) {
		oct, err := c.srv.client(ctx, instance)
		if err != nil {
			return nil, err
		}
		t, lines, err := oct.TaskDetails(ctx, taskID)
		return taskLog{t, lines}, err
	}))
}
