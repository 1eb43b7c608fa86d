package octopus_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/octofleet/octofleet/steps"
)

// TestDeleteSpace: a space with a running task queue is refused, a stopped
// one is deleted with everything in it, a second delete is ErrNotFound, and
// the default space cannot be deleted.
func TestDeleteSpace(t *testing.T) {
	t.Parallel()
	emu, c := dialTemplates(t)
	ctx := t.Context()
	me, err := c.CurrentUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := c.CreateSpace(ctx, steps.Space{Name: "Doomed", ManagerUserIDs: []string{me.ID}})
	if err != nil {
		t.Fatal(err)
	}
	env, err := c.CreateEnvironment(ctx, steps.Environment{SpaceID: sp.ID, Name: "Dev"})
	if err != nil {
		t.Fatal(err)
	}

	err = c.DeleteSpace(ctx, sp.ID)
	if err == nil || errors.Is(err, steps.ErrNotFound) {
		t.Fatalf("delete with a running task queue: %v, want a refusal", err)
	}
	sp.TaskQueueStopped = true
	if _, err := c.UpdateSpace(ctx, sp); err != nil {
		t.Fatal(err)
	}
	emu.ResetRequests()
	if err := c.DeleteSpace(ctx, sp.ID); err != nil {
		t.Fatalf("delete a stopped space: %v", err)
	}
	if w := emu.Writes(); !slices.Equal(w, []string{"DELETE /api/spaces/" + sp.ID}) {
		t.Errorf("writes = %q, want the one DELETE", w)
	}
	all, err := c.Spaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(all, func(s steps.Space) bool { return s.ID == sp.ID }) {
		t.Errorf("space %s still listed after delete", sp.ID)
	}
	if _, err := c.UpdateEnvironment(ctx, steps.Environment{ID: env.ID, SpaceID: sp.ID, Name: "Dev"}); !errors.Is(err, steps.ErrNotFound) {
		t.Errorf("environment of the deleted space: %v, want ErrNotFound", err)
	}
	if err := c.DeleteSpace(ctx, sp.ID); !errors.Is(err, steps.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}

	def := all[slices.IndexFunc(all, func(s steps.Space) bool { return s.IsDefault })]
	def.TaskQueueStopped = true
	if _, err := c.UpdateSpace(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSpace(ctx, def.ID); err == nil {
		t.Error("the default space was deleted")
	}
}
