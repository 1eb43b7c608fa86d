// Command benchfleet measures what a fleet run costs in API calls, writes,
// wall time and emulator memory, side by side with the per-item approach,
// and prints the figures with the goals they are held to:
//
//	go run ./scripts/benchfleet -spaces 1000 -templates 50 -latency 20ms
//
// It starts an emulator in this process, makes a management space "Fleet
// Hub" holding T step templates, and a fleet file of S managed-space
// tenants, then runs the fleet engine (what `octofleet fleet` runs):
//
//  1. a fresh `fleet apply`: S spaces created and seeded (writes ÷ objects
//     created, from the emulator's state before and after);
//  2. a no-op `fleet drift` over all S spaces (calls ÷ minimum, writes);
//  3. the per-item baseline: per space, list the templates, then GET each
//     by id, as a Terraform refresh does;
//  4. `fleet drift` over -sample spaces with -latency injected per request
//     and --parallel P: wall time against calls × latency ÷ P;
//  5. `fleet drift` over -sample spaces against an emulator answering 429
//     beyond -rate-limit-429 requests a minute: failed targets and pace;
//  6. reading a hub fleet of -hub-tenants tenants: the requests it takes.
//
// The minimum of a run is defined as the distinct collections it reads:
// one list read per resource kind per space (paged reads of the same list
// count once), plus the instance-wide lists, and zero writes.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/fleet"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

type config struct {
	spaces, templates, parallel, sample int
	latency                             time.Duration
	limit429, hubTenants                int
	library, memProfile                 string
}

func main() {
	var c config
	flag.IntVar(&c.spaces, "spaces", 1000, "tenant spaces S")
	flag.IntVar(&c.templates, "templates", 50, "step templates T in the management space, seeded into every space")
	flag.IntVar(&c.parallel, "parallel", fleet.DefaultParallel, "targets at once per instance (--parallel)")
	flag.DurationVar(&c.latency, "latency", 20*time.Millisecond, "latency injected per request in the latency run (0 skips it)")
	flag.IntVar(&c.sample, "sample", 100, "spaces in the latency and 429 runs")
	flag.IntVar(&c.limit429, "rate-limit-429", 600, "requests a minute the emulator allows before answering 429, in the 429 runs (0 skips them)")
	flag.IntVar(&c.hubTenants, "hub-tenants", 12000, "tenants of the hub whose fleet read is measured (0 skips it)")
	flag.StringVar(&c.library, "library", "", "folder of Library step templates to use (default: synthetic templates)")
	flag.StringVar(&c.memProfile, "memprofile", "", "write a heap profile after the fresh apply to this file")
	flag.Parse()
	if err := run(context.Background(), c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchfleet:", err)
		os.Exit(1)
	}
}

// measure is one run's figures.
type measure struct {
	approach          string
	calls, writes     int
	minimum           int
	wall              time.Duration
	failed, throttled int
}

func run(ctx context.Context, c config, w io.Writer) error {
	dir, err := os.MkdirTemp("", "benchfleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		return err
	}
	defer emu.Close()
	hub, err := octopus.Dial(ctx, octopus.Options{URL: emu.URL(), APIKey: emu.APIKey()})
	if err != nil {
		return err
	}
	files, err := templateFiles(dir, c)
	if err != nil {
		return err
	}
	if err := apply(ctx, hub, steps.CreateSpace{In: steps.CreateSpaceInput{Name: "Fleet Hub"}}); err != nil {
		return err
	}
	if err := apply(ctx, hub, &steps.SeedTemplates{In: steps.SeedTemplatesInput{TargetSpace: "Fleet Hub", From: files}}); err != nil {
		return err
	}
	f, keys, err := fleetFile(emu, c.spaces)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "benchfleet: S = %d spaces × T = %d templates, --parallel %d, Go %s, %d CPUs\n\n", c.spaces, c.templates, c.parallel, runtime.Version(), runtime.NumCPU())

	// 1. Fresh apply.
	before := objects(emu)
	apply1, err := engineRun(ctx, emu, keys, c.parallel, 0, f.Targets, fleet.ApplyAll)
	if err != nil {
		return err
	}
	created := objects(emu) - before
	apply1.approach = "octofleet `fleet apply` (fresh)"
	apply1.minimum = 0 // the minimum is a no-op's; a fresh apply is held to writes = objects created
	rss := rssMiB()
	if c.memProfile != "" {
		if err := writeHeapProfile(c.memProfile); err != nil {
			return err
		}
	}
	listP50, listMax, err := listLatency(ctx, hub, emu)
	if err != nil {
		return err
	}

	// 2. No-op drift.
	drift, err := engineRun(ctx, emu, keys, c.parallel, 0, f.Targets, fleet.PlanOnly)
	if err != nil {
		return err
	}
	drift.approach = "octofleet `fleet drift` (no-op)"

	// 3. The per-item baseline.
	base, err := perItem(ctx, emu)
	if err != nil {
		return err
	}
	base.minimum = drift.minimum

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "approach\tAPI calls\twrites\twall time\tcalls ÷ minimum\tfailed")
	for _, m := range []measure{drift, base, apply1} {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%d\n", m.approach, m.calls, m.writes, m.wall.Round(time.Millisecond), ratio(m.calls, m.minimum), m.failed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nminimum of a no-op drift: %d (the distinct lists it must read: one per resource kind per space, plus the instance-wide ones)\n", drift.minimum)
	fmt.Fprintf(w, "per-item baseline ÷ octofleet: %.1f× the calls\n", float64(base.calls)/float64(max(drift.calls, 1)))
	fmt.Fprintf(w, "fresh apply: %d writes for %d objects created (writes ÷ objects = %s)\n", apply1.writes, created, ratio(apply1.writes, created))
	fmt.Fprintf(w, "emulator holding %d spaces and %d step templates: process RSS %d MiB (emulator and client together); a space's template list: p50 %s, max %s\n",
		c.spaces+2, (c.spaces+1)*c.templates, rss, listP50.Round(time.Microsecond), listMax.Round(time.Microsecond))

	sample := f.Targets[:min(c.sample, len(f.Targets))]
	// 4. Latency.
	if c.latency > 0 {
		emu.SetFaults(emulator.Faults{Latency: c.latency})
		m, err := engineRun(ctx, emu, keys, c.parallel, 0, sample, fleet.PlanOnly)
		emu.SetFaults(emulator.Faults{})
		if err != nil {
			return err
		}
		bound := time.Duration(float64(m.calls) * float64(c.latency) / float64(c.parallel))
		fmt.Fprintf(w, "latency %s, --parallel %d, %d spaces: %d calls in %s; calls × L ÷ P = %s; wall ÷ that = %.2f (goal ≤ 1.3)\n",
			c.latency, c.parallel, len(sample), m.calls, m.wall.Round(time.Millisecond), bound.Round(time.Millisecond), float64(m.wall)/float64(max(bound, 1)))
	}
	// 5. A 429 limiter: first with --rate-limit at the server's limit (the
	// requests are spaced, none is refused), then with no client limit
	// against a limit half the run's requests, so that the server
	// answers 429 and every worker waits out its Retry-After.
	if c.limit429 > 0 {
		emu.SetFaults(emulator.Faults{RateLimitPerMinute: c.limit429})
		m, err := engineRun(ctx, emu, keys, c.parallel, c.limit429, sample, fleet.PlanOnly)
		if err != nil {
			return err
		}
		pace := float64(m.calls) / m.wall.Minutes()
		fmt.Fprintf(w, "429 limiter at %d/min, --rate-limit %d, %d spaces: %d failed targets, %d requests (%d answered 429) in %s: pace %.0f/min = %.0f%% of the limit (goal 90-100%%)\n",
			c.limit429, c.limit429, len(sample), m.failed, m.calls, m.throttled, m.wall.Round(time.Millisecond), pace, 100*pace/float64(c.limit429))
		small := sample[:min(20, len(sample))]
		// About half the run's requests (a target plans with one list read,
		// plus a handful the run shares): one or two 429 pauses, each up to
		// the end of the emulator's one-minute window.
		limit := max(1, (len(small)+6)/2)
		emu.SetFaults(emulator.Faults{RateLimitPerMinute: limit})
		m, err = engineRun(ctx, emu, keys, c.parallel, 0, small, fleet.PlanOnly)
		emu.SetFaults(emulator.Faults{})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "429 limiter at %d/min, no client limit, %d spaces: %d failed targets, %d requests, %d answered 429 (each paused the instance's workers for its Retry-After), %s\n",
			limit, len(small), m.failed, m.calls, m.throttled, m.wall.Round(time.Second))
	}
	// 6. A large hub.
	if c.hubTenants > 0 {
		n, t, err := hubRead(ctx, dir, c.hubTenants)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "reading a hub fleet of %d tenants: %d requests in %s\n", c.hubTenants, n, t.Round(time.Millisecond))
	}
	return nil
}

func ratio(a, b int) string {
	if b == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(a)/float64(b), 'f', 2, 64)
}

func apply(ctx context.Context, oct steps.Octopus, s steps.Step) error {
	p, err := s.Plan(ctx, oct)
	if err != nil {
		return fmt.Errorf("%s: plan: %w", s.Name(), err)
	}
	if p.Empty() {
		return nil
	}
	if _, err := s.Apply(ctx, oct, p); err != nil {
		return fmt.Errorf("%s: apply: %w", s.Name(), err)
	}
	return nil
}

// templateFiles returns the Library files the management space is seeded
// from: the first T of -library, or T synthetic script templates the size
// of a typical Library template (a 2 KB script, five parameters).
func templateFiles(dir string, c config) ([]string, error) {
	if c.library != "" {
		files, err := filepath.Glob(filepath.Join(c.library, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(files) < c.templates {
			return nil, fmt.Errorf("-library %s holds %d templates, fewer than -templates %d", c.library, len(files), c.templates)
		}
		return files[:c.templates], nil
	}
	body := strings.Repeat("Write-Host \"step #{Step.Parameter}\"\n", 64)
	var files []string
	for i := range c.templates {
		var params []map[string]any
		for j := range 5 {
			params = append(params, map[string]any{"Name": fmt.Sprintf("Bench.P%d", j), "Label": fmt.Sprintf("Parameter %d", j),
				"HelpText": "A parameter.", "DefaultValue": "value", "DisplaySettings": map[string]string{"Octopus.ControlType": "SingleLineText"}})
		}
		doc := map[string]any{
			"Id": fmt.Sprintf("00000000-0000-0000-0000-%012d", i), "Name": fmt.Sprintf("Bench template %03d", i),
			"Description": "A synthetic step template for benchfleet.", "ActionType": "Octopus.Script", "Version": 1,
			"Properties": map[string]string{"Octopus.Action.Script.ScriptBody": body, "Octopus.Action.Script.Syntax": "PowerShell",
				"Octopus.Action.Script.ScriptSource": "Inline"},
			"Parameters": params, "$Meta": map[string]string{"Type": "ActionTemplate"}, "Category": "other",
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, fmt.Sprintf("bench-%03d.json", i))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	return files, nil
}

// fleetFile is a fleet of n managed-space tenants on the emulator, read
// through fleet.ParseFile as `fleet --fleet` reads it.
func fleetFile(emu *emulator.Server, n int) (*fleet.Fleet, fleet.Keys, error) {
	type tenant struct {
		Name    string `json:"name"`
		Pattern string `json:"pattern"`
		Space   string `json:"space"`
	}
	doc := map[string]any{
		"hub":       map[string]string{"server": emu.URL(), "space": "Fleet Hub"},
		"instances": []map[string]string{{"url": emu.URL(), "apiKey": emu.APIKey()}},
	}
	var ts []tenant
	for i := range n {
		ts = append(ts, tenant{Name: fmt.Sprintf("Tenant %04d", i), Pattern: "managed space", Space: fmt.Sprintf("Space %04d", i)})
	}
	doc["tenants"] = ts
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	keys := fleet.Keys{}
	f, err := fleet.ParseFile(raw, keys)
	return f, keys, err
}

// engineRun runs the fleet engine as `octofleet fleet` does, and measures
// it from the emulator's side.
func engineRun(ctx context.Context, emu *emulator.Server, keys fleet.Keys, parallel, rateLimit int, targets []fleet.Target, mode fleet.Mode) (measure, error) {
	emu.ResetRequests()
	e := fleet.New(ctx, fleet.Options{Keys: keys, Parallel: parallel, RateLimitPerMinute: rateLimit})
	start := time.Now()
	results := e.Run(ctx, targets, mode)
	m := measure{wall: time.Since(start)}
	for _, r := range results {
		if r.Err() != nil {
			m.failed++
			if m.failed == 1 {
				fmt.Fprintf(os.Stderr, "benchfleet: %s: %v\n", r.Target.Tenant, r.Err())
			}
		}
	}
	account(emu, &m)
	return m, nil
}

// account fills calls, writes, throttled and the minimum from the
// emulator's request log.
func account(emu *emulator.Server, m *measure) {
	lists := map[string]bool{}
	for _, r := range emu.Requests() {
		m.calls++
		if r.Status == 429 {
			m.throttled++
		}
		if r.Method != "GET" && r.Method != "HEAD" {
			m.writes++
			continue
		}
		if !strings.HasSuffix(r.Route, "{id}") {
			lists[r.Path] = true
		}
	}
	m.minimum = len(lists)
}

// perItem is the per-item approach: per tenant space, list the step
// templates (every page), then GET each one by id.
func perItem(ctx context.Context, emu *emulator.Server) (measure, error) {
	cl, err := octopus.Dial(ctx, octopus.Options{URL: emu.URL(), APIKey: emu.APIKey()})
	if err != nil {
		return measure{}, err
	}
	emu.ResetRequests()
	start := time.Now()
	spaces, err := cl.ListDocuments(ctx, "/api/spaces")
	if err != nil {
		return measure{}, err
	}
	for _, sp := range spaces {
		if name, _ := sp["Name"].(string); !strings.HasPrefix(name, "Space ") {
			continue
		}
		id, _ := sp["Id"].(string)
		ts, err := cl.ListDocuments(ctx, "/api/"+id+"/actiontemplates")
		if err != nil {
			return measure{}, err
		}
		for _, t := range ts {
			tid, _ := t["Id"].(string)
			if _, err := cl.GetDocument(ctx, "/api/"+id+"/actiontemplates/"+tid); err != nil {
				return measure{}, err
			}
		}
	}
	m := measure{approach: "per-item baseline (list, then GET each template)", wall: time.Since(start)}
	account(emu, &m)
	return m, nil
}

// objects counts what a managed-space tenant's steps create: the spaces
// and their step templates (the server's own defaults of a new space, such
// as its lifecycle, are not counted), read through the API.
func objects(emu *emulator.Server) int {
	ctx := context.Background()
	cl, err := octopus.Dial(ctx, octopus.Options{URL: emu.URL(), APIKey: emu.APIKey()})
	if err != nil {
		return -1
	}
	spaces, err := cl.ListDocuments(ctx, "/api/spaces")
	if err != nil {
		return -1
	}
	n := len(spaces)
	for _, sp := range spaces {
		id, _ := sp["Id"].(string)
		docs, err := cl.ListDocuments(ctx, "/api/"+id+"/actiontemplates")
		if err != nil {
			return -1
		}
		n += len(docs)
	}
	return n
}

// listLatency times 200 reads of a space's template list.
func listLatency(ctx context.Context, cl *octopus.Client, emu *emulator.Server) (p50, worst time.Duration, err error) {
	spaces, err := cl.ListDocuments(ctx, "/api/spaces")
	if err != nil {
		return 0, 0, err
	}
	id, _ := spaces[len(spaces)-1]["Id"].(string)
	var ds []time.Duration
	for range 200 {
		start := time.Now()
		if _, err := cl.ListDocuments(ctx, "/api/"+id+"/actiontemplates"); err != nil {
			return 0, 0, err
		}
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2], ds[len(ds)-1], nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.WriteHeapProfile(f)
}

// rssMiB is this process's resident set after a GC, in MiB.
func rssMiB() int {
	runtime.GC()
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb / 1024
		}
	}
	return -1
}

// hubRead installs octofleet into a fresh emulator's management space,
// adds n tenants connected to the project with their tag and variables
// (through the API, directly: registering each with register-tenant would
// measure setup, not the read), and counts the requests fleet.LoadHub
// takes to read them.
func hubRead(ctx context.Context, dir string, n int) (int, time.Duration, error) {
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer emu.Close()
	cl, err := octopus.Dial(ctx, octopus.Options{URL: emu.URL(), APIKey: emu.APIKey()})
	if err != nil {
		return 0, 0, err
	}
	pkg, err := runbooks.Package([]byte("#!/bin/sh\n"), "1.0.0")
	if err != nil {
		return 0, 0, err
	}
	bundle, err := runbooks.Bundle(dir, pkg)
	if err != nil {
		return 0, 0, err
	}
	if err := apply(ctx, cl, &steps.Install{In: steps.InstallInput{Space: "Fleet Hub", Environments: []string{"Production"}, HubAPIKey: emu.APIKey()}, Bundle: bundle}); err != nil {
		return 0, 0, err
	}
	// One tenant through register-tenant, the rest copied from it.
	if err := apply(ctx, cl, &steps.RegisterTenant{In: steps.RegisterTenantInput{Space: "Fleet Hub", Name: "Tenant 00000",
		Tags: []string{runbooks.TagManagedSpace}, Environments: []string{"Production"},
		Variables: map[string]string{runbooks.VarSpaceName: "Space 00000"}}}); err != nil {
		return 0, 0, err
	}
	spaces, err := cl.ListDocuments(ctx, "/api/spaces")
	if err != nil {
		return 0, 0, err
	}
	var spaceID string
	for _, sp := range spaces {
		if sp["Name"] == "Fleet Hub" {
			spaceID, _ = sp["Id"].(string)
		}
	}
	tenants, err := cl.ListDocuments(ctx, "/api/"+spaceID+"/tenants")
	if err != nil || len(tenants) != 1 {
		return 0, 0, fmt.Errorf("the hub's first tenant: %v (%d tenants)", err, len(tenants))
	}
	like := tenants[0]
	for i := 1; i < n; i++ {
		doc := map[string]any{"Name": fmt.Sprintf("Tenant %05d", i), "TenantTags": like["TenantTags"], "ProjectEnvironments": like["ProjectEnvironments"]}
		if _, err := cl.CreateDocument(ctx, "/api/"+spaceID+"/tenants", doc, nil); err != nil {
			return 0, 0, fmt.Errorf("create tenant %d: %w", i, err)
		}
	}
	emu.ResetRequests()
	start := time.Now()
	f, err := fleet.LoadHub(ctx, cl, emu.URL(), "Fleet Hub")
	if err != nil {
		return 0, 0, err
	}
	took := time.Since(start)
	if len(f.Targets) != n {
		return 0, 0, fmt.Errorf("the hub's fleet has %d targets, want %d", len(f.Targets), n)
	}
	return len(emu.Requests()), took, nil
}
