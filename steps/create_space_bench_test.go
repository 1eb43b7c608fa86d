package steps_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/octofleet/octofleet/steps"
)

// benchInput is the API-cost case: a space with 3 environments, a
// lifecycle, 2 project groups and a tag set.
func benchInput(name string) steps.CreateSpaceInput {
	in := fullInput()
	in.Name = name
	in.ManagerTeams, in.ManagerUsers, in.TaskQueueStopped, in.Teams = nil, nil, nil, nil
	return in
}

// BenchmarkCreateSpaceAPICost records the Octopus API requests of one
// create-space run as the CLI makes it (plan, then apply unless the plan is
// empty), counted by the emulator: reads/op (GET) and writes/op (the rest).
//
//	go test ./steps -run '^$' -bench CreateSpaceAPICost -benchtime 20x
func BenchmarkCreateSpaceAPICost(b *testing.B) {
	emu, oct := dialNew(b)
	run := func(b *testing.B, step steps.CreateSpace) {
		b.Helper()
		p, err := step.Plan(context.Background(), oct)
		if err != nil {
			b.Fatal(err)
		}
		if !p.Empty() {
			if _, err := step.Apply(context.Background(), oct, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	report := func(b *testing.B) {
		b.Helper()
		reads, writes := 0, 0
		for _, r := range emu.Requests() {
			if r.Method == http.MethodGet {
				reads++
			} else {
				writes++
			}
		}
		b.ReportMetric(float64(reads)/float64(b.N), "reads/op")
		b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
	}

	b.Run("create", func(b *testing.B) {
		emu.ResetRequests()
		for i := 0; b.Loop(); i++ {
			run(b, steps.CreateSpace{In: benchInput(fmt.Sprintf("Bench %d", i))})
		}
		report(b)
	})
	b.Run("no-op", func(b *testing.B) {
		step := steps.CreateSpace{In: benchInput("Bench no-op")}
		run(b, step)
		emu.ResetRequests()
		for b.Loop() {
			run(b, step)
		}
		report(b)
	})
}
