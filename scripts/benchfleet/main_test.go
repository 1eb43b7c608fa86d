package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
)

// TestBenchfleetSmall runs the harness on a small fleet: the figures it
// prints hold the goals a user reads them for (a fresh apply writes each
// object once, a no-op drift writes nothing and reads no more than the
// minimum allows, the large-hub read takes a handful of requests).
func TestBenchfleetSmall(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), config{spaces: 4, templates: 3, parallel: 2, sample: 4, hubTenants: 30}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	t.Log("\n" + s)
	for _, re := range []string{
		`octofleet .fleet drift. \(no-op\)\s+\d+\s+0\s+\S+\s+1\.\d\d\s+0\n`,
		`per-item baseline \(list, then GET each template\)\s+\d+\s+0\s`,
		`fresh apply: 16 writes for 16 objects created \(writes ÷ objects = 1\.00\)`,
		`reading a hub fleet of 30 tenants: [1-9] requests`,
	} {
		if !regexp.MustCompile(re).MatchString(s) {
			t.Errorf("output lacks %s", re)
		}
	}
}
