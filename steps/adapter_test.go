package steps_test

import (
	"context"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
)

// dialNew starts an emulator (opts applied to its Options) and dials the
// real adapter to it with the admin API key.
func dialNew(t testing.TB, opts ...func(*emulator.Options)) (*emulator.Server, *octopus.Client) {
	t.Helper()
	emu := emulatortest.New(t, opts...)
	return emu, mustDial(t, emu)
}

// mustDial dials the real adapter to emu with the admin API key.
func mustDial(t testing.TB, emu *emulator.Server) *octopus.Client {
	t.Helper()
	// Retries back off in milliseconds, not the production 200ms-5s, so
	// that tests of faults stay quick.
	oct, err := octopus.Dial(context.Background(), octopus.Options{URL: emu.URL(), APIKey: emu.APIKey(),
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("dial emulator: %v", err)
	}
	return oct
}
