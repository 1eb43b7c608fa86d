package fleet_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octofleet/octofleet/internal/fleet"
)

// FuzzParseFile: a fleet file, JSON or YAML, parses or fails as bad input
// (exit 80, naming what is wrong); it never panics, and every parsed target
// has an instance and a space.
func FuzzParseFile(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "schemas", "testdata", "fleet", "*", "*.json"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("hub:\n  server: https://hub.example.com\n  space: Hub\ntenants:\n  - name: A\n    pattern: managed space\n    space: 'A #{Octopus.Deployment.Tenant.Name}'\n"))
	f.Add([]byte("hub: {server: 'https://h', space: S}\ntenants: [{name: '#{Octopus.Space.Name}', pattern: facade}]\n"))
	f.Add([]byte("hub: {server: 'https://h', space: '#{Octofleet.InstanceUrl}'}\ntenants: [{name: B, pattern: managed instance, instance: '#{Octopus.Space.Name}'}]\n"))
	f.Add([]byte("instances: [{url: 'https://h', apiKey: API-X}]\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		fl, err := fleet.ParseFile(raw, fleet.Keys{})
		if err != nil {
			var ec interface{ ExitCode() int }
			if !errors.As(err, &ec) || ec.ExitCode() != 80 {
				t.Fatalf("ParseFile(%q): %v (%T), want bad input (exit 80)", raw, err, err)
			}
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("ParseFile(%q): an empty error", raw)
			}
			return
		}
		for _, tg := range fl.Targets {
			if strings.TrimSpace(tg.Instance) == "" || strings.TrimSpace(tg.Space) == "" {
				t.Errorf("target %q has instance %q and space %q", tg.Tenant, tg.Instance, tg.Space)
			}
		}
	})
}
