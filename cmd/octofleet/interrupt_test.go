package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/fleet/fleettest"
	"github.com/octofleet/octofleet/internal/soak"
)

var (
	builtOnce sync.Once
	built     string
	buildErr  error
)

// builtBinary is the octofleet binary, built once for the tests that run it
// as a subprocess (signals and kill -9 need a process of its own).
func builtBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary (-short)")
	}
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "octofleet-interrupt-test-")
		if err != nil {
			buildErr = err
			return
		}
		built, buildErr = soak.Build(context.Background(), dir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// TestInterruptSeedTemplates sends SIGINT (text output) and SIGTERM (json)
// to `octofleet seed-templates` mid-apply against a slow emulator: it exits
// 130, says which templates it seeded and which not (and on stderr that it
// was interrupted), a re-run seeds the rest and a dry run is then empty,
// with every name once.
func TestInterruptSeedTemplates(t *testing.T) {
	t.Parallel()
	bin := builtBinary(t)
	const n = 60
	dir := t.TempDir()
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("t%02d.json", i)), []byte(templateFile(fmt.Sprintf("Template %02d", i), "echo "+strconv.Itoa(i))), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		sig    syscall.Signal
		output string
	}{{syscall.SIGINT, "text"}, {syscall.SIGTERM, "json"}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			w, err := soak.NewWorld(bin, t.TempDir(), dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = w.Close() })
			if r := w.Run(t.Context(), "create-space", "--name", "Lib"); r.Code != 0 {
				t.Fatalf("create-space: %s", r)
			}
			w.Emu.SetFaults(emulator.Faults{Latency: 10 * time.Millisecond})
			args := []string{"--space", "Lib", "--output", tc.output, "seed-templates", "--from", dir}
			r, sent := w.Signal(t.Context(), tc.sig, 25, args...)
			w.Emu.SetFaults(emulator.Faults{})
			if !sent || r.Code != exitInterrupted {
				t.Fatalf("signal sent %v; want exit 130: %s", sent, r)
			}
			if strings.Contains(r.Stdout+r.Stderr, w.Emu.APIKey()) {
				t.Errorf("the API key appears in the output")
			}
			if !strings.Contains(r.Stderr, "octofleet: error: interrupted: ") {
				t.Errorf("stderr does not say it was interrupted:\n%s", r.Stderr)
			}
			var applied, notApplied int
			if tc.output == "json" {
				var doc jsonInterrupted
				if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
					t.Fatalf("json output: %v\n%s", err, r.Stdout)
				}
				if !doc.Interrupted || doc.Applied || len(doc.Changes) != n {
					t.Errorf("json: interrupted %v applied %v, %d changes", doc.Interrupted, doc.Applied, len(doc.Changes))
				}
				applied, notApplied = len(doc.Done), len(doc.NotApplied)
			} else {
				m := regexp.MustCompile(`Interrupted: (\d+) of (\d+) changes applied, (\d+) not applied\.`).FindStringSubmatch(r.Stdout)
				if m == nil || m[2] != strconv.Itoa(n) {
					t.Fatalf("no interrupt summary for %d changes:\n%s", n, r.Stdout)
				}
				applied, _ = strconv.Atoi(m[1])
				notApplied, _ = strconv.Atoi(m[3])
				for _, want := range []string{"\nApplied:\n  + create step template \"Template 00\"", "\nNot applied (a re-run plans them again"} {
					if !strings.Contains(r.Stdout, want) {
						t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
					}
				}
			}
			if applied == 0 || notApplied == 0 || applied+notApplied != n {
				t.Fatalf("%d applied + %d not applied, want both > 0 and %d in all\n%s", applied, notApplied, n, r.Stdout)
			}
			// The request in flight was abandoned: it may have landed (the
			// emulator may even apply it after the process is gone).
			again := w.Run(t.Context(), "--space", "Lib", "seed-templates", "--from", dir)
			m := regexp.MustCompile(`Plan: (\d+) to create, 0 to update, 0 to delete, (\d+) unchanged\.`).FindStringSubmatch(again.Stdout)
			if again.Code != 0 || m == nil {
				t.Fatalf("re-run: %s", again)
			}
			if unchanged, _ := strconv.Atoi(m[2]); unchanged != applied && unchanged != applied+1 {
				t.Errorf("re-run: %d templates unchanged, the interrupted run said %d applied", unchanged, applied)
			}
			if dry := w.Run(t.Context(), "--space", "Lib", "seed-templates", "--from", dir, "--dry-run", "--exit-code"); dry.Code != 0 {
				t.Errorf("dry run after the re-run: %s", dry)
			}
			if dups, err := w.Duplicates(t.Context()); err != nil || len(dups) > 0 {
				t.Errorf("duplicates %q (%v)", dups, err)
			}
		})
	}
}

// TestInterruptFleetApply cancels `fleet apply` as signalContext does on
// SIGINT once the first writes reached the instances: exit 130, the targets
// not applied named, and a re-run applies them and converges.
func TestInterruptFleetApply(t *testing.T) {
	t.Parallel()
	fx := fleettest.New(t)
	fx.Hub.SetFaults(emulator.Faults{Latency: 5 * time.Millisecond})
	fx.Regional.SetFaults(emulator.Faults{Latency: 5 * time.Millisecond})
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	go func() {
		for ctx.Err() == nil && len(writesOf(fx)) < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel(&interruptError{sig: os.Interrupt}) // what signalContext does on SIGINT
	}()
	var out, errs strings.Builder
	code := execute(ctx, append([]string{"--server", fx.Hub.URL(), "--api-key", fleettest.HubAPIKey}, fleetArgs(t, fx, "apply")...),
		strings.NewReader(""), &out, &errs, dialOctopus)
	fx.Hub.SetFaults(emulator.Faults{})
	fx.Regional.SetFaults(emulator.Faults{})
	if code != exitInterrupted {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, out.String(), errs.String())
	}
	m := regexp.MustCompile(`Interrupted: (\d+) of 4 targets applied, (\d+) not applied\.\nNot applied \(a re-run plans them again\):\n`).FindStringSubmatch(out.String())
	if m == nil || m[2] == "0" {
		t.Fatalf("no interrupt summary naming targets not applied:\n%s", out.String())
	}
	if !strings.Contains(errs.String(), "interrupted: ") {
		t.Errorf("stderr:\n%s", errs.String())
	}
	if r := runFleet(t, fx, "apply"); r.code != 0 {
		t.Fatalf("re-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := runFleet(t, fx, "drift"); r.code != 0 {
		t.Fatalf("drift after the re-run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, emu := range []*emulator.Server{fx.Hub, fx.Regional} {
		if dups, err := soak.Duplicates(t.Context(), emu.URL(), emu.APIKey()); err != nil || len(dups) > 0 {
			t.Errorf("%s: duplicates %q (%v)", emu.URL(), dups, err)
		}
	}
}
