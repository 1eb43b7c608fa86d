package octopus

import (
	"errors"
	"net/http"
	"testing"

	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/environments"
	"github.com/OctopusDeploy/go-octopusdeploy/v2/pkg/spaces"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/steps"
)

func TestRawRoundTrip(t *testing.T) {
	t.Parallel()
	emu, c := dialEmulator(t)
	ctx := t.Context()
	path := "/api/" + c.sdk.GetSpaceID() + "/environments"

	var created env
	if err := c.postRaw(ctx, path, env{Name: "Raw", Description: "one"}, &created); err != nil {
		t.Fatalf("postRaw: %v", err)
	}
	if created.ID == "" || created.Name != "Raw" {
		t.Fatalf("created %+v", created)
	}
	item := path + "/" + created.ID
	created.Description = "two"
	var updated env
	if err := c.putRaw(ctx, item, created, &updated); err != nil || updated.Description != "two" {
		t.Fatalf("putRaw = %+v, %v", updated, err)
	}
	var got env
	if err := c.getRaw(ctx, item, &got); err != nil || got != updated {
		t.Fatalf("getRaw = %+v, %v; want %+v", got, err, updated)
	}
	if err := c.deleteRaw(ctx, item); err != nil {
		t.Fatalf("deleteRaw: %v", err)
	}
	err := c.getRaw(ctx, item, &got)
	if !errors.Is(err, steps.ErrNotFound) {
		t.Fatalf("getRaw after delete = %v, want ErrNotFound", err)
	}
	if err := c.deleteRaw(ctx, item); !errors.Is(err, steps.ErrNotFound) {
		t.Errorf("second deleteRaw = %v, want ErrNotFound (no lost attempt to excuse it)", err)
	}
	if w := emu.Writes(); len(w) != 4 {
		t.Errorf("emulator writes = %q, want POST, PUT, DELETE, DELETE", w)
	}
}

func TestListAllPages(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	opts := Options{URL: emu.URL(), APIKey: emu.APIKey(), PageSize: 2}
	c := mustDial(t, opts)
	ctx := t.Context()
	path := "/api/" + c.sdk.GetSpaceID() + "/environments"
	var all []env
	if err := c.getRaw(ctx, path+"/all", &all); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"E1", "E2", "E3", "E4", "E5"} {
		if err := c.postRaw(ctx, path, env{Name: name}, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := len(all) + 5
	before := c.Counts().ByRoute["GET /api/{id}/environments"]
	got, err := ListAll[env](ctx, c, path)
	if err != nil {
		t.Fatalf("ListAll: %v", err)
	}
	if len(got) != want {
		t.Errorf("ListAll returned %d items, want %d", len(got), want)
	}
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e.ID] {
			t.Errorf("item %s listed twice", e.ID)
		}
		seen[e.ID] = true
	}
	pages := c.Counts().ByRoute["GET /api/{id}/environments"] - before
	if wantPages := (want + 1) / 2; pages != wantPages {
		t.Errorf("ListAll sent %d requests for %d items at 2 a page, want %d", pages, want, wantPages)
	}

	// With the default page size, the whole collection is one request.
	c = mustDial(t, Options{URL: emu.URL(), APIKey: emu.APIKey()})
	got, err = ListAll[env](ctx, c, path+"?partialName=E")
	if err != nil || len(got) != 5 {
		t.Fatalf("filtered ListAll = %d items, %v; want 5", len(got), err)
	}
	if n := c.Counts().ByRoute["GET /api/{id}/environments"]; n != 1 {
		t.Errorf("one page took %d requests", n)
	}
}

// TestSDKErrorShapesAgainstEmulator drives the SDK's own calls into each
// not-found and duplicate shape and checks normalize maps them.
func TestSDKErrorShapesAgainstEmulator(t *testing.T) {
	t.Parallel()
	emu := emulatortest.New(t)
	c := mustDial(t, testOptions(emu, newFakeClock(), &logBuffer{}))
	space := c.sdk.GetSpaceID()
	if _, err := environments.Add(c.sdk, &environments.Environment{Name: "Dup", SpaceID: space}); err != nil {
		t.Fatalf("add environment: %v", err)
	}
	dup := spaces.NewSpace("Dup Space")
	dup.SpaceManagersTeamMembers = []string{mustCurrentUser(t, c).ID}
	if _, err := c.sdk.Spaces.Add(dup); err != nil {
		t.Fatalf("add space: %v", err)
	}
	call := func(f func() error) error { return normalize(f()) }
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"newclient GetByID 404", call(func() error { _, err := spaces.GetByID(c.sdk, "Spaces-999"); return err }), steps.ErrNotFound},
		{"newclient space-scoped 404", call(func() error { _, err := environments.GetByID(c.sdk, space, "Environments-999"); return err }), steps.ErrNotFound},
		{"legacy GetByID 404", call(func() error { _, err := c.sdk.Spaces.GetByID("Spaces-999"); return err }), steps.ErrNotFound},
		{"legacy GetByName ErrItemNotFound", call(func() error { _, err := c.sdk.Spaces.GetByName("No Such Space"); return err }), steps.ErrNotFound},
		{"newclient duplicate name", call(func() error {
			_, err := environments.Add(c.sdk, &environments.Environment{Name: "Dup", SpaceID: space})
			return err
		}), steps.ErrConflict},
		{"legacy duplicate name", call(func() error { _, err := c.sdk.Spaces.Add(dup); return err }), steps.ErrConflict},
		{"newclient 500", func() error {
			emu.FailNext(http.MethodGet, "/api/spaces", http.StatusInternalServerError, 20)
			return call(func() error { _, err := spaces.GetByID(c.sdk, space); return err })
		}(), nil},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, s := range []error{steps.ErrNotFound, steps.ErrConflict, steps.ErrUnauthorized, steps.ErrForbidden} {
			if errors.Is(tt.err, s) != (s == tt.want) {
				t.Errorf("%s: %q: errors.Is(%v) = %v", tt.name, tt.err, s, !(s == tt.want))
			}
		}
	}
}
