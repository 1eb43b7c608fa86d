package octopus

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/core"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/lifecycles"

	"github.com/octofleet/octofleet/steps"
)

// Lifecycles returns the lifecycles of a space, in one request per 1000.
func (c *Client) Lifecycles(ctx context.Context, spaceID string) ([]steps.Lifecycle, error) {
	return listAs(ctx, c, "/api/"+url.PathEscape(spaceID)+"/lifecycles", lifecycleFromSDK)
}

// CreateLifecycle creates a lifecycle in l.SpaceID. Retention policies left
// nil get go-octopusdeploy's default (keep 30 days), as in the Octopus UI.
func (c *Client) CreateLifecycle(ctx context.Context, l steps.Lifecycle) (steps.Lifecycle, error) {
	lc := lifecycles.NewLifecycle(l.Name)
	lc.SpaceID = l.SpaceID
	lc.Description = l.Description
	lc.Phases = mergePhases(nil, l.Phases)
	if l.ReleaseRetentionPolicy != nil {
		lc.ReleaseRetentionPolicy = retentionToSDK(l.ReleaseRetentionPolicy)
	}
	if l.TentacleRetentionPolicy != nil {
		lc.TentacleRetentionPolicy = retentionToSDK(l.TentacleRetentionPolicy)
	}
	got, err := createOnce(ctx, c, fmt.Sprintf("lifecycle %q", l.Name),
		func() (*lifecycles.Lifecycle, error) { return lifecycles.Add(c.sdk, lc) },
		func() (*lifecycles.Lifecycle, error) {
			return findListed(ctx, c, "/api/"+url.PathEscape(l.SpaceID)+"/lifecycles?partialName="+url.QueryEscape(l.Name),
				l.Name, "lifecycle", func(x *lifecycles.Lifecycle) string { return x.Name })
		})
	if err != nil {
		return steps.Lifecycle{}, err
	}
	return lifecycleFromSDK(got), nil
}

// UpdateLifecycle reads the lifecycle, replaces its name, description,
// phases and retention policies (a nil policy keeps the current one) and
// writes it. Phases are matched by ID, so a phase keeps its own retention
// policies and priority flag.
func (c *Client) UpdateLifecycle(ctx context.Context, l steps.Lifecycle) (steps.Lifecycle, error) {
	updated, err := readModifyWrite(ctx, "lifecycle "+l.ID,
		func() (*lifecycles.Lifecycle, error) { return lifecycles.GetByID(c.sdk, l.SpaceID, l.ID) },
		func(got *lifecycles.Lifecycle) {
			got.Name = l.Name
			got.Description = l.Description
			got.SpaceID = l.SpaceID
			got.Phases = mergePhases(got.Phases, l.Phases)
			if l.ReleaseRetentionPolicy != nil {
				got.ReleaseRetentionPolicy = retentionToSDK(l.ReleaseRetentionPolicy)
			}
			if l.TentacleRetentionPolicy != nil {
				got.TentacleRetentionPolicy = retentionToSDK(l.TentacleRetentionPolicy)
			}
		},
		func(got *lifecycles.Lifecycle) (*lifecycles.Lifecycle, error) { return lifecycles.Update(c.sdk, got) })
	if err != nil {
		return steps.Lifecycle{}, err
	}
	return lifecycleFromSDK(updated), nil
}

// mergePhases builds the SDK phases for want, starting from the SDK phase of
// the same ID when there is one.
func mergePhases(have []*lifecycles.Phase, want []steps.Phase) []*lifecycles.Phase {
	byID := map[string]*lifecycles.Phase{}
	for _, p := range have {
		if p != nil && p.ID != "" {
			byID[p.ID] = p
		}
	}
	out := make([]*lifecycles.Phase, 0, len(want))
	for _, w := range want {
		p := lifecycles.NewPhase(w.Name)
		// A new phase inherits the lifecycle's retention (nil) rather than
		// NewPhase's 30 days.
		p.ReleaseRetentionPolicy, p.TentacleRetentionPolicy = nil, nil
		if h, ok := byID[w.ID]; ok && w.ID != "" {
			c := *h
			p = &c
		}
		p.Name = w.Name
		p.AutomaticDeploymentTargets = append([]string{}, w.AutomaticDeploymentTargets...)
		p.OptionalDeploymentTargets = append([]string{}, w.OptionalDeploymentTargets...)
		p.MinimumEnvironmentsBeforePromotion = int32(w.MinimumEnvironmentsBeforePromotion)
		p.IsOptionalPhase = w.IsOptionalPhase
		out = append(out, p)
	}
	return out
}

// retentionToSDK writes a policy the way both old servers (QuantityToKeep 0 =
// forever) and 2024+ servers (Strategy Forever/Count) read it.
func retentionToSDK(r *steps.Retention) *core.RetentionPeriod {
	if r.ShouldKeepForever {
		return core.KeepForeverRetentionPeriod()
	}
	return core.CountBasedRetentionPeriod(int32(r.QuantityToKeep), r.Unit)
}

func retentionFromSDK(r *core.RetentionPeriod) *steps.Retention {
	if r == nil {
		return nil
	}
	forever := r.ShouldKeepForever || r.Strategy == core.RetentionStrategyForever
	if forever {
		return &steps.Retention{ShouldKeepForever: true}
	}
	return &steps.Retention{QuantityToKeep: int(r.QuantityToKeep), Unit: r.Unit}
}

func lifecycleFromSDK(l *lifecycles.Lifecycle) steps.Lifecycle {
	out := steps.Lifecycle{ID: l.ID, SpaceID: l.SpaceID, Name: l.Name, Description: l.Description,
		ReleaseRetentionPolicy: retentionFromSDK(l.ReleaseRetentionPolicy), TentacleRetentionPolicy: retentionFromSDK(l.TentacleRetentionPolicy)}
	for _, p := range l.Phases {
		if p == nil {
			continue
		}
		out.Phases = append(out.Phases, steps.Phase{
			ID: p.ID, Name: p.Name,
			AutomaticDeploymentTargets:         slices.Clone(p.AutomaticDeploymentTargets),
			OptionalDeploymentTargets:          slices.Clone(p.OptionalDeploymentTargets),
			MinimumEnvironmentsBeforePromotion: int(p.MinimumEnvironmentsBeforePromotion),
			IsOptionalPhase:                    p.IsOptionalPhase,
		})
	}
	return out
}
