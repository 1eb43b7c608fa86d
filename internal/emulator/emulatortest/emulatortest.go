// Package emulatortest starts an Octopus API emulator for a test.
package emulatortest

import (
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
)

// New starts an emulator listening on a free loopback port, applies opts to
// its Options, and closes it when the test ends. It fails the test if the
// emulator cannot start or close.
func New(t testing.TB, opts ...func(*emulator.Options)) *emulator.Server {
	t.Helper()
	var o emulator.Options
	for _, fn := range opts {
		fn(&o)
	}
	s, err := emulator.New(o)
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close emulator: %v", err)
		}
	})
	return s
}
