package steps_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/octofleet/octofleet/steps"
)

// BenchmarkSeedTemplatesAPICost records the Octopus API requests of one
// seed-templates run as the CLI makes it (plan, then apply unless the plan is
// empty), counted by the adapter: reads/op (GET) and writes/op (the rest).
// "fresh" seeds 50 Library-format templates into a new, empty space; "no-op"
// re-runs against a space that already has them.
//
//	go test ./steps -run '^$' -bench SeedTemplatesAPICost -benchtime 20x
func BenchmarkSeedTemplatesAPICost(b *testing.B) {
	e := newSeedEnv(b)
	dir := b.TempDir()
	for i := range 50 {
		writeTemplate(b, dir, fmt.Sprintf("t%02d.json", i), libraryTemplate(fmt.Sprintf("Template %02d", i), fmt.Sprintf("echo %d", i)))
	}
	run := func(b *testing.B, space string) {
		b.Helper()
		s := &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: space, From: []string{dir}}}
		p, err := s.Plan(context.Background(), e.oct)
		if err != nil {
			b.Fatal(err)
		}
		if !p.Empty() {
			if _, err := s.Apply(context.Background(), e.oct, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	report := func(b *testing.B, reads, writes int) {
		b.Helper()
		b.ReportMetric(float64(reads)/float64(b.N), "reads/op")
		b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
	}

	b.Run("fresh", func(b *testing.B) {
		var reads, writes int
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			name := fmt.Sprintf("Fresh %d", i)
			e.space(name) // behind the client's back: not counted
			before := e.oct.Counts()
			b.StartTimer()
			run(b, name)
			after := e.oct.Counts()
			reads, writes = reads+after.Reads-before.Reads, writes+after.Writes-before.Writes
		}
		report(b, reads, writes)
	})
	b.Run("no-op", func(b *testing.B) {
		e.space("Seeded")
		run(b, "Seeded")
		before := e.oct.Counts()
		for b.Loop() {
			run(b, "Seeded")
		}
		after := e.oct.Counts()
		report(b, after.Reads-before.Reads, after.Writes-before.Writes)
	})
}
