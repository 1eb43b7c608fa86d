package fleet

import (
	"context"
	"sync"

	"github.com/octofleet/octofleet/steps"
)

// cached is an instance's port as every target of a run shares it: reads
// that many targets repeat (the instance's space list, its users and roles,
// the community library, a space's step templates — the management space's
// above all, which every Seed Templates reads as its source) are read once
// per run. A write through the port drops what it may have changed, so a
// step still sees its own writes.
type cached struct {
	steps.Octopus

	mu    sync.Mutex
	memos map[string]*memo
}

type memo struct {
	done chan struct{}
	val  any
	err  error
}

func newCached(oct steps.Octopus) *cached {
	return &cached{Octopus: oct, memos: map[string]*memo{}}
}

// read returns the value under key, reading it with fn once; concurrent
// callers wait for the first. A failed read is not kept.
func read[T any](ctx context.Context, c *cached, key string, fn func(context.Context) (T, error)) (T, error) {
	c.mu.Lock()
	m, ok := c.memos[key]
	if !ok {
		m = &memo{done: make(chan struct{})}
		c.memos[key] = m
		c.mu.Unlock()
		m.val, m.err = fn(ctx)
		if m.err != nil {
			c.forget(key)
		}
		close(m.done)
	} else {
		c.mu.Unlock()
		select {
		case <-m.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	if m.err != nil {
		var zero T
		return zero, m.err
	}
	// Callers get their own copy of the slice: steps may sort or append.
	return cloneSlice(m.val.(T)), nil
}

func cloneSlice[T any](v T) T {
	switch s := any(v).(type) {
	case []steps.Space:
		return any(append([]steps.Space(nil), s...)).(T)
	case []steps.ActionTemplate:
		return any(append([]steps.ActionTemplate(nil), s...)).(T)
	case []steps.User:
		return any(append([]steps.User(nil), s...)).(T)
	case []steps.UserRole:
		return any(append([]steps.UserRole(nil), s...)).(T)
	case []steps.CommunityTemplate:
		return any(append([]steps.CommunityTemplate(nil), s...)).(T)
	case []steps.Project:
		return any(append([]steps.Project(nil), s...)).(T)
	case []steps.Environment:
		return any(append([]steps.Environment(nil), s...)).(T)
	case []steps.TagSet:
		return any(append([]steps.TagSet(nil), s...)).(T)
	case []steps.Tenant:
		return any(append([]steps.Tenant(nil), s...)).(T)
	}
	return v
}

func (c *cached) forget(keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.memos, k)
	}
}

const (
	keySpaces    = "spaces"
	keyUsers     = "users"
	keyUserRoles = "userroles"
	keyCommunity = "community"
)

func keyTemplates(spaceID string) string { return "templates/" + spaceID }

// Spaces is read once per run.
func (c *cached) Spaces(ctx context.Context) ([]steps.Space, error) {
	return read(ctx, c, keySpaces, c.Octopus.Spaces)
}

// CreateSpace drops the space list.
func (c *cached) CreateSpace(ctx context.Context, s steps.Space) (steps.Space, error) {
	defer c.forget(keySpaces)
	return c.Octopus.CreateSpace(ctx, s)
}

// UpdateSpace drops the space list.
func (c *cached) UpdateSpace(ctx context.Context, s steps.Space) (steps.Space, error) {
	defer c.forget(keySpaces)
	return c.Octopus.UpdateSpace(ctx, s)
}

// DeleteSpace drops the space list and the space's templates.
func (c *cached) DeleteSpace(ctx context.Context, id string) error {
	defer c.forget(keySpaces, keyTemplates(id))
	return c.Octopus.DeleteSpace(ctx, id)
}

// Users is read once per run.
func (c *cached) Users(ctx context.Context) ([]steps.User, error) {
	return read(ctx, c, keyUsers, c.Octopus.Users)
}

// UserRoles is read once per run.
func (c *cached) UserRoles(ctx context.Context) ([]steps.UserRole, error) {
	return read(ctx, c, keyUserRoles, c.Octopus.UserRoles)
}

// CommunityTemplates is read once per run.
func (c *cached) CommunityTemplates(ctx context.Context) ([]steps.CommunityTemplate, error) {
	return read(ctx, c, keyCommunity, c.Octopus.CommunityTemplates)
}

// ActionTemplates is read once per space and run.
func (c *cached) ActionTemplates(ctx context.Context, spaceID string) ([]steps.ActionTemplate, error) {
	return read(ctx, c, keyTemplates(spaceID), func(ctx context.Context) ([]steps.ActionTemplate, error) {
		return c.Octopus.ActionTemplates(ctx, spaceID)
	})
}

// CreateActionTemplate drops the space's templates.
func (c *cached) CreateActionTemplate(ctx context.Context, spaceID string, t steps.ActionTemplate) (steps.ActionTemplate, error) {
	defer c.forget(keyTemplates(spaceID))
	return c.Octopus.CreateActionTemplate(ctx, spaceID, t)
}

// UpdateActionTemplate drops the space's templates.
func (c *cached) UpdateActionTemplate(ctx context.Context, spaceID string, t steps.ActionTemplate) (steps.ActionTemplate, error) {
	defer c.forget(keyTemplates(spaceID))
	return c.Octopus.UpdateActionTemplate(ctx, spaceID, t)
}

// DeleteActionTemplate drops the space's templates.
func (c *cached) DeleteActionTemplate(ctx context.Context, spaceID, id string) error {
	defer c.forget(keyTemplates(spaceID))
	return c.Octopus.DeleteActionTemplate(ctx, spaceID, id)
}

// InstallCommunityTemplate drops the space's templates.
func (c *cached) InstallCommunityTemplate(ctx context.Context, spaceID, communityID string) (steps.ActionTemplate, error) {
	defer c.forget(keyTemplates(spaceID))
	return c.Octopus.InstallCommunityTemplate(ctx, spaceID, communityID)
}

// UpdateCommunityTemplate drops the space's templates.
func (c *cached) UpdateCommunityTemplate(ctx context.Context, spaceID, communityID string) (steps.ActionTemplate, error) {
	defer c.forget(keyTemplates(spaceID))
	return c.Octopus.UpdateCommunityTemplate(ctx, spaceID, communityID)
}

// The management space's projects, environments, tag sets and tenants are
// read by every tenant's Record Space Id step (register-tenant): once per
// space and run.
func keyOf(kind, spaceID string) string { return kind + "/" + spaceID }

// Projects is read once per space and run.
func (c *cached) Projects(ctx context.Context, spaceID string) ([]steps.Project, error) {
	return read(ctx, c, keyOf("projects", spaceID), func(ctx context.Context) ([]steps.Project, error) {
		return c.Octopus.Projects(ctx, spaceID)
	})
}

// CreateProject drops the space's projects.
func (c *cached) CreateProject(ctx context.Context, spaceID string, p steps.Project) (steps.Project, error) {
	defer c.forget(keyOf("projects", spaceID))
	return c.Octopus.CreateProject(ctx, spaceID, p)
}

// UpdateProject drops the space's projects.
func (c *cached) UpdateProject(ctx context.Context, spaceID string, p steps.Project) (steps.Project, error) {
	defer c.forget(keyOf("projects", spaceID))
	return c.Octopus.UpdateProject(ctx, spaceID, p)
}

// Environments is read once per space and run.
func (c *cached) Environments(ctx context.Context, spaceID string) ([]steps.Environment, error) {
	return read(ctx, c, keyOf("environments", spaceID), func(ctx context.Context) ([]steps.Environment, error) {
		return c.Octopus.Environments(ctx, spaceID)
	})
}

// CreateEnvironment drops the space's environments.
func (c *cached) CreateEnvironment(ctx context.Context, e steps.Environment) (steps.Environment, error) {
	defer c.forget(keyOf("environments", e.SpaceID))
	return c.Octopus.CreateEnvironment(ctx, e)
}

// UpdateEnvironment drops the space's environments.
func (c *cached) UpdateEnvironment(ctx context.Context, e steps.Environment) (steps.Environment, error) {
	defer c.forget(keyOf("environments", e.SpaceID))
	return c.Octopus.UpdateEnvironment(ctx, e)
}

// SortEnvironments drops the space's environments.
func (c *cached) SortEnvironments(ctx context.Context, spaceID string, ids []string) error {
	defer c.forget(keyOf("environments", spaceID))
	return c.Octopus.SortEnvironments(ctx, spaceID, ids)
}

// TagSets is read once per space and run.
func (c *cached) TagSets(ctx context.Context, spaceID string) ([]steps.TagSet, error) {
	return read(ctx, c, keyOf("tagsets", spaceID), func(ctx context.Context) ([]steps.TagSet, error) {
		return c.Octopus.TagSets(ctx, spaceID)
	})
}

// CreateTagSet drops the space's tag sets.
func (c *cached) CreateTagSet(ctx context.Context, ts steps.TagSet) (steps.TagSet, error) {
	defer c.forget(keyOf("tagsets", ts.SpaceID))
	return c.Octopus.CreateTagSet(ctx, ts)
}

// UpdateTagSet drops the space's tag sets.
func (c *cached) UpdateTagSet(ctx context.Context, ts steps.TagSet) (steps.TagSet, error) {
	defer c.forget(keyOf("tagsets", ts.SpaceID))
	return c.Octopus.UpdateTagSet(ctx, ts)
}

// Tenants is read once per space and run.
func (c *cached) Tenants(ctx context.Context, spaceID string) ([]steps.Tenant, error) {
	return read(ctx, c, keyOf("tenants", spaceID), func(ctx context.Context) ([]steps.Tenant, error) {
		return c.Octopus.Tenants(ctx, spaceID)
	})
}

// CreateTenant drops the space's tenants.
func (c *cached) CreateTenant(ctx context.Context, spaceID string, t steps.Tenant) (steps.Tenant, error) {
	defer c.forget(keyOf("tenants", spaceID))
	return c.Octopus.CreateTenant(ctx, spaceID, t)
}

// UpdateTenant drops the space's tenants.
func (c *cached) UpdateTenant(ctx context.Context, spaceID string, t steps.Tenant) (steps.Tenant, error) {
	defer c.forget(keyOf("tenants", spaceID))
	return c.Octopus.UpdateTenant(ctx, spaceID, t)
}
