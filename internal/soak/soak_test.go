package soak

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
)

// TestSoakFewSeeds is the suite's share of the soak: every step once under
// 10% 5xx, 5% dropped answers, 429s and latency, once killed with SIGKILL
// and once interrupted with SIGINT (exit 130) at a random request, on the templates the binary embeds. After
// each, a re-run converges, a dry run is empty, no name is duplicated, no
// process panicked and none printed the inputs' secret. The long soak is
// `go run ./scripts/soak -runs 200 -kills 100`.
func TestSoakFewSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it many times (-short)")
	}
	t.Parallel()
	dir := t.TempDir()
	bin, err := Build(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	templates, err := Templates(t.Context(), bin, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cfg := Config{Bin: bin, Templates: templates, Runs: len(Steps), Kills: len(Steps), Interrupts: len(Steps), Seed: 7,
		Faults:      emulator.Faults{ErrorRate: 0.10, DropRate: 0.05, ThrottleRate: 0.01, Latency: time.Millisecond},
		KillLatency: 2 * time.Millisecond, Parallel: 4, Log: &log}
	f, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("figures:\n%s%s", f.Summary(), log.String())
	if !f.OK() {
		t.Fatalf("failures:\n%s", strings.Join(f.Failures, "\n"))
	}
	if f.Runs != len(Steps) || f.Kills+f.Interrupts+f.KillsMissed != 2*len(Steps) || f.ConvergedAfterRerun < f.Kills+f.Interrupts {
		t.Errorf("figures do not add up: %+v", f)
	}
	if f.Kills == 0 || f.Interrupts == 0 {
		t.Errorf("no kill or no interrupt landed before its process ended: %+v", f)
	}
}

// TestDuplicatesFindsTwins: the duplicate check reports two environments
// of one name in a space and two runbooks of one name in a project, and not
// one object per name per scope (a server whose name check the emulator's
// would hide the twins from, so a stub serves them).
func TestDuplicatesFindsTwins(t *testing.T) {
	t.Parallel()
	answers := map[string]string{
		"/api/spaces/all":                `[{"Id": "Spaces-1", "Name": "Default"}, {"Id": "Spaces-2", "Name": "Other"}]`,
		"/api/Spaces-1/environments/all": `[{"Name": "Twin", "SpaceId": "Spaces-1"}, {"Name": "Twin", "SpaceId": "Spaces-1"}, {"Name": "Single", "SpaceId": "Spaces-1"}]`,
		"/api/Spaces-2/environments/all": `[{"Name": "Twin", "SpaceId": "Spaces-2"}]`,
		"/api/Spaces-1/runbooks/all":     `[{"Name": "Run", "ProjectId": "Projects-1"}, {"Name": "Run", "ProjectId": "Projects-2"}, {"Name": "Again", "ProjectId": "Projects-1"}, {"Name": "Again", "ProjectId": "Projects-1"}]`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Octopus-ApiKey") != "API-KEY" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, ok := answers[r.URL.Path]
		if !ok {
			body = "[]"
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	dups, err := Duplicates(t.Context(), srv.URL, "API-KEY")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`Spaces-1 environments "Spaces-1/Twin" ×2`, `Spaces-1 runbooks "Projects-1/Again" ×2`}
	if !slices.Equal(dups, want) {
		t.Errorf("duplicates = %q, want %q", dups, want)
	}
}
