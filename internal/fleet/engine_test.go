package fleet_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/fleet"
	"github.com/octofleet/octofleet/internal/fleet/fleettest"
)

func newEngine(t *testing.T, fx *fleettest.Fixture, mut ...func(*fleet.Options)) *fleet.Engine {
	t.Helper()
	keys := fleet.Keys{}
	for u, k := range fx.Keys() {
		keys.Add(u, k)
	}
	opts := fleet.Options{Keys: keys, Package: fx.Package, BackupDir: t.TempDir()}
	for _, m := range mut {
		m(&opts)
	}
	return fleet.New(context.Background(), opts)
}

func loadHub(t *testing.T, e *fleet.Engine, fx *fleettest.Fixture) *fleet.Fleet {
	t.Helper()
	hub, err := e.Pool().Client(fx.Hub.URL())
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.LoadHub(context.Background(), hub, fx.Hub.URL(), fleettest.Space)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFleetDriftApplyConverges: every pattern's tenant is drifted before its
// runbooks ran; apply brings each in line; a second drift finds nothing
// and writes nothing on either instance.
func TestFleetDriftApplyConverges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := fleettest.New(t)

	e := newEngine(t, fx)
	f := loadHub(t, e, fx)
	if len(f.Targets) != len(fleettest.Tenants) {
		t.Fatalf("targets = %d, want %d", len(f.Targets), len(fleettest.Tenants))
	}
	if f.Read > 8 {
		t.Errorf("loading the fleet took %d requests, want at most 8", f.Read)
	}
	for _, tg := range f.Targets {
		if tg.Problem != "" {
			t.Fatalf("%s: %s", tg.Tenant, tg.Problem)
		}
	}
	for _, r := range e.Run(ctx, f.Targets, fleet.PlanOnly) {
		if r.Err() != nil {
			t.Fatalf("drift %s: %v", r.Target.Tenant, r.Err())
		}
		if !r.Drifted() {
			t.Errorf("drift %s: in line before its runbooks ran", r.Target.Tenant)
		}
	}
	if w := append(fx.Hub.Writes(), fx.Regional.Writes()...); len(w) > 0 {
		t.Fatalf("drift wrote %q", w)
	}

	for _, r := range newEngine(t, fx).Run(ctx, f.Targets, fleet.ApplyAll) {
		if r.Err() != nil {
			t.Fatalf("apply %s: %v", r.Target.Tenant, r.Err())
		}
	}
	if len(fx.Regional.Writes()) == 0 {
		t.Error("apply wrote nothing on the regional instance")
	}

	fx.Hub.ResetRequests()
	fx.Regional.ResetRequests()
	e = newEngine(t, fx)
	f = loadHub(t, e, fx)
	for _, r := range e.Run(ctx, f.Targets, fleet.PlanOnly) {
		if r.Err() != nil {
			t.Fatalf("second drift %s: %v", r.Target.Tenant, r.Err())
		}
		if r.Drifted() {
			t.Errorf("second drift %s: %d changes: %+v", r.Target.Tenant, r.Changes, r.Steps)
		}
	}
	if w := append(fx.Hub.Writes(), fx.Regional.Writes()...); len(w) > 0 {
		t.Errorf("second drift wrote %q", w)
	}
	// One connection per instance: each was dialled (GET /api/) once.
	for _, s := range []struct {
		name string
		reqs int
	}{{"hub", countRoot(fx.Hub.Requests())}, {"regional", countRoot(fx.Regional.Requests())}} {
		if s.reqs != 1 {
			t.Errorf("%s: %d dials, want 1", s.name, s.reqs)
		}
	}
}

func countRoot(rs []emulator.Request) int {
	n := 0
	for _, r := range rs {
		if r.Method == "GET" && (r.Path == "/api/" || r.Path == "/api") {
			n++
		}
	}
	return n
}

// TestConcurrentApplyConverges: two fleet applies of the same fleet at
// once (two schedules, or a person and a schedule) both succeed: what the
// other created meanwhile is adopted, and the fleet is in line after.
func TestConcurrentApplyConverges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := fleettest.New(t)
	e1, e2 := newEngine(t, fx), newEngine(t, fx)
	f := loadHub(t, e1, fx)
	results := make([][]fleet.Result, 2)
	done := make(chan struct{})
	go func() { results[1] = e2.Run(ctx, f.Targets, fleet.ApplyAll); close(done) }()
	results[0] = e1.Run(ctx, f.Targets, fleet.ApplyAll)
	<-done
	for i, rs := range results {
		for _, r := range rs {
			if r.Err() != nil {
				t.Errorf("apply %d, %s: %v", i+1, r.Target.Tenant, r.Err())
			}
		}
	}
	fx.Hub.ResetRequests()
	fx.Regional.ResetRequests()
	for _, r := range newEngine(t, fx).Run(ctx, f.Targets, fleet.PlanOnly) {
		if r.Err() != nil || r.Drifted() {
			t.Errorf("drift after concurrent applies, %s: %v, %d changes", r.Target.Tenant, r.Err(), r.Changes)
		}
	}
}

// TestApplyUnderFaultsConverges: with both instances answering 10% of
// requests with 500 and dropping 5% of answers after applying them, one
// fleet apply brings every tenant in line (retries after an existence
// check, adoption of what a lost answer created); a drift after it is
// empty, writes nothing, and no name is duplicated.
func TestApplyUnderFaultsConverges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := fleettest.New(t)
	faults := emulator.Faults{ErrorRate: 0.10, DropRate: 0.05, Seed: 7}
	fx.Hub.SetFaults(faults)
	fx.Regional.SetFaults(faults)
	fast := func(o *fleet.Options) {
		o.Retry = fleet.Retry{BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}
	}
	e := newEngine(t, fx, fast)
	f := loadHub(t, e, fx)
	for _, r := range e.Run(ctx, f.Targets, fleet.ApplyAll) {
		if r.Err() != nil {
			t.Errorf("apply under faults, %s: %v", r.Target.Tenant, r.Err())
		}
	}
	injected := 0
	for _, r := range append(fx.Hub.Requests(), fx.Regional.Requests()...) {
		if r.Status == http.StatusInternalServerError || r.Status == 0 {
			injected++
		}
	}
	if injected == 0 {
		t.Fatal("no fault was injected: the test proves nothing")
	}
	t.Logf("%d faults injected", injected)
	fx.Hub.SetFaults(emulator.Faults{})
	fx.Regional.SetFaults(emulator.Faults{})
	fx.Hub.ResetRequests()
	fx.Regional.ResetRequests()
	for _, r := range newEngine(t, fx).Run(ctx, f.Targets, fleet.PlanOnly) {
		if r.Err() != nil || r.Drifted() {
			t.Errorf("drift after the faulty apply, %s: %v, %d changes", r.Target.Tenant, r.Err(), r.Changes)
		}
	}
	if w := append(fx.Hub.Writes(), fx.Regional.Writes()...); len(w) > 0 {
		t.Errorf("the drift wrote %q", w)
	}
	for _, emu := range []*emulator.Server{fx.Hub, fx.Regional} {
		var spaces struct{ Items []struct{ Id, Name string } }
		emulatortest.Call(t, emu, http.MethodGet, "/api/spaces?take=1000", nil, &spaces)
		for _, sp := range spaces.Items {
			var ts struct{ Items []struct{ Name string } }
			emulatortest.Call(t, emu, http.MethodGet, "/api/"+sp.Id+"/actiontemplates?take=1000", nil, &ts)
			seen := map[string]bool{}
			for _, tpl := range ts.Items {
				if seen[tpl.Name] {
					t.Errorf("space %s holds step template %q twice", sp.Name, tpl.Name)
				}
				seen[tpl.Name] = true
			}
		}
	}
}
