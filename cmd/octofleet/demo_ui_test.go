package main

import (
	"strings"
	"testing"
)

// TestDemoUIAddress: demo --ui serves plain HTTP, so a non-loopback or
// malformed address is bad input (exit 80) before any server starts.
func TestDemoUIAddress(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "192.0.2.1:8080", "localhost"} {
		r := h.runRaw(t, "", "demo", "--ui", addr)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--ui") {
			t.Errorf("demo --ui %s: exit %d, stderr %q; want %d naming --ui", addr, r.code, r.stderr, exitUsage)
		}
		if strings.Contains(r.stdout, "are up") {
			t.Errorf("demo --ui %s started the servers:\n%s", addr, r.stdout)
		}
	}
}
