package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/steps"
)

// libraryDir is the OctopusDeploy/Library step-templates folder next to the
// repository.
var libraryDir = filepath.Join("..", "..", "..", "shared", "octopus-library", "step-templates")

// fastRetries shortens the backoff so that tests under faults take
// milliseconds per retry, not the production 200ms-5s.
func fastRetries(o *octopus.Options) {
	o.RetryBaseDelay, o.RetryMaxDelay = time.Millisecond, 20*time.Millisecond
}

// runFast is h.run with fastRetries.
func (h *harness) runFast(t *testing.T, args ...string) result {
	t.Helper()
	args = append([]string{"--server", h.emu.URL(), "--api-key", h.emu.APIKey()}, args...)
	var out, errs bytes.Buffer
	code := execute(t.Context(), args, strings.NewReader(""), &out, &errs,
		func(ctx context.Context, g *Globals, log *slog.Logger) (steps.Octopus, error) {
			return dialOctopusWith(ctx, g, log, fastRetries)
		})
	return result{code: code, stdout: out.String(), stderr: errs.String()}
}

// TestSeedLibraryUnderFaultsConvergesInOneRun seeds the whole community
// Library (484 templates) while the server answers 10% of requests with 500
// and drops 5% of answers after applying them: one run must exit 0 with
// every template seeded once, and a dry run afterwards must be empty.
func TestSeedLibraryUnderFaultsConvergesInOneRun(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(libraryDir, "*.json"))
	if len(files) == 0 {
		t.Skipf("no Library corpus at %s", libraryDir)
	}
	if testing.Short() {
		t.Skip("-short")
	}
	for _, seed := range []int64{1, 2} {
		h := newHarness(t)
		postSpace(t, h, "Library")
		h.emu.SetFaults(emulator.Faults{ErrorRate: 0.10, DropRate: 0.05, Seed: seed})
		r := h.runFast(t, "--space", "Library", "seed-templates", "--from", libraryDir)
		h.emu.SetFaults(emulator.Faults{})
		failed, dropped := 0, 0
		for _, q := range h.emu.Requests() {
			switch q.Status {
			case 500:
				failed++
			case 0:
				dropped++
			}
		}
		if failed == 0 || dropped == 0 {
			t.Fatalf("seed %d: the server failed %d and dropped %d requests; the test injects nothing", seed, failed, dropped)
		}
		t.Logf("seed %d: %d requests, %d answered 500, %d dropped", seed, len(h.emu.Requests()), failed, dropped)
		if r.code != exitOK {
			t.Fatalf("seed %d: first run exit %d\nstderr:\n%s", seed, r.code, tail(r.stderr, 3000))
		}
		if got := namesOnce(t, h, "/api/"+h.spaceID(t, "Library")+"/actiontemplates/all"); got != len(files) {
			t.Errorf("seed %d: %d templates, want %d", seed, got, len(files))
		}
		if r := h.runFast(t, "--space", "Library", "seed-templates", "--from", libraryDir, "--dry-run", "--exit-code"); r.code != exitOK {
			t.Errorf("seed %d: dry run after: exit %d\n%s", seed, r.code, tail(r.stdout+r.stderr, 3000))
		}
	}
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// TestFinalErrorNamesObjectRequestAndAnswer: when every attempt fails, the
// error names the object, the request and the server's last answer.
func TestFinalErrorNamesObjectRequestAndAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	postSpace(t, h, "Team A")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "n.json"), []byte(templateFile("Notify", "echo")), 0o600); err != nil {
		t.Fatal(err)
	}
	h.emu.FailNext("POST", "/api/", 503, 1000)
	r := h.runFast(t, "--space", "Team A", "--retries", "3", "seed-templates", "--from", dir)
	if r.code != exitFailure {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{`"Notify"`, "POST /api/Spaces-", "/actiontemplates answered HTTP 503", "Injected failure (503)", "retry budget (--retries 3)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}
