package emulator_test

import (
	"net/http"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// TestWorkerPools: every space has one default pool; making another the
// default moves the flag; the default cannot be deleted.
func TestWorkerPools(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	sp := must(t, do(t, s, http.MethodPost, "/api/spaces", map[string]any{"Name": "Team A", "SpaceManagersTeams": []string{"teams-administrators"}}), http.StatusCreated).Body
	base := "/api/" + str(sp, "Id") + "/workerpools"

	pools := must(t, do(t, s, http.MethodGet, base+"/all", nil), http.StatusOK).Array
	if len(pools) != 1 {
		t.Fatalf("new space has %d worker pools, want 1", len(pools))
	}
	def := pools[0].(map[string]any)
	if str(def, "Name") != "Default Worker Pool" || def["IsDefault"] != true || str(def, "WorkerPoolType") != "StaticWorkerPool" {
		t.Errorf("default pool = %v", def)
	}
	if r := do(t, s, http.MethodDelete, base+"/"+str(def, "Id"), nil); r.Status != http.StatusBadRequest {
		t.Errorf("delete the default pool: %d, want 400", r.Status)
	}
	if r := do(t, s, http.MethodPost, base, map[string]any{"Name": "Default Worker Pool"}); r.Status != http.StatusBadRequest {
		t.Errorf("duplicate pool name: %d, want 400", r.Status)
	}
	if r := do(t, s, http.MethodPost, base, map[string]any{"Name": "Dyn", "WorkerPoolType": "DynamicWorkerPool"}); r.Status != http.StatusBadRequest {
		t.Errorf("dynamic pool without WorkerType: %d, want 400", r.Status)
	}

	linux := must(t, do(t, s, http.MethodPost, base, map[string]any{"Name": "Linux", "IsDefault": true}), http.StatusCreated).Body
	if got := must(t, do(t, s, http.MethodGet, base+"/"+str(def, "Id"), nil), http.StatusOK).Body; got["IsDefault"] != false {
		t.Errorf("old default still IsDefault after a new default: %v", got)
	}
	must(t, do(t, s, http.MethodDelete, base+"/"+str(def, "Id"), nil), http.StatusOK)
	if got := must(t, do(t, s, http.MethodGet, base+"/"+str(linux, "Id"), nil), http.StatusOK).Body; got["IsDefault"] != true {
		t.Errorf("new default = %v", got)
	}
	// The default space has its own default pool.
	if pools := must(t, do(t, s, http.MethodGet, "/api/Spaces-1/workerpools/all", nil), http.StatusOK).Array; len(pools) != 1 {
		t.Errorf("default space has %d pools, want 1", len(pools))
	}
}
