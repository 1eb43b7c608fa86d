// Package fleettest sets up a fleet for tests: a hub emulator with octofleet
// installed into a management space and a second (regional) emulator, and
// tenants of every pattern registered in the hub.
package fleettest

import (
	"context"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/runbooks"
	"github.com/octofleet/octofleet/steps"
)

// The fixture's names and keys.
const (
	Space          = "Fleet Hub"
	Environment    = "Production"
	HubAPIKey      = emulator.DefaultAPIKey
	RegionalAPIKey = "API-REGIONAL000000000000000000000"
)

// Tenant is a tenant the fixture registers.
type Tenant struct {
	Name, Tag, Space string
	Regional         bool
}

// Tenants are one or more tenants per pattern.
var Tenants = []Tenant{
	{Name: "Business Unit A", Tag: runbooks.TagManagedSpace, Space: "BU A"},
	{Name: "Business Unit B", Tag: runbooks.TagManagedSpace, Space: "BU B"},
	{Name: "EU Region", Tag: runbooks.TagManagedInstance, Space: "EU Operations", Regional: true},
	{Name: "Contoso", Tag: runbooks.TagFacade, Space: "Contoso"},
}

// Binary is what the fixture's octofleet package carries as the binary the
// runbooks' steps run: it fails for tenant Business Unit B, so that runbook
// runs have a failing tenant, and succeeds for the others.
const Binary = `#!/bin/sh
case "$*" in
*"Business Unit B"*) echo "octofleet: the server refused tenant B's space" >&2; exit 3 ;;
esac
echo "octofleet ran: $1"
`

// Fixture is the hub, the regional instance and the facade package.
type Fixture struct {
	Hub, Regional *emulator.Server
	Package       *steps.PackageFile
}

// New starts both emulators, installs octofleet into the hub's management
// space and registers Tenants. opts apply to the regional emulator.
func New(t testing.TB, regional ...func(*emulator.Options)) *Fixture {
	t.Helper()
	ctx := context.Background()
	f := &Fixture{
		Hub:      emulatortest.New(t),
		Regional: emulatortest.New(t, append([]func(*emulator.Options){func(o *emulator.Options) { o.APIKey = RegionalAPIKey }}, regional...)...),
	}
	pkg, err := runbooks.Package([]byte(Binary), "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	f.Package = pkg
	hub, err := octopus.Dial(ctx, octopus.Options{URL: f.Hub.URL(), APIKey: HubAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := runbooks.Bundle(t.TempDir(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	apply(t, hub, &steps.Install{In: steps.InstallInput{Space: Space, Environments: []string{Environment}, HubAPIKey: HubAPIKey}, Bundle: bundle})
	for _, tn := range Tenants {
		url, key := f.Hub.URL(), HubAPIKey
		if tn.Regional {
			url, key = f.Regional.URL(), RegionalAPIKey
		}
		vars := map[string]string{runbooks.VarSpaceName: tn.Space, runbooks.VarInstanceURL: url, runbooks.VarInstanceAPIKey: key}
		if tn.Tag == runbooks.TagFacade {
			vars[runbooks.VarCustomer] = tn.Name
		}
		apply(t, hub, &steps.RegisterTenant{In: steps.RegisterTenantInput{
			Space: Space, Name: tn.Name, Tags: []string{tn.Tag}, Environments: []string{Environment}, Variables: vars,
		}})
	}
	f.Hub.ResetRequests()
	f.Regional.ResetRequests()
	return f
}

func apply(t testing.TB, oct steps.Octopus, s steps.Step) {
	t.Helper()
	ctx := context.Background()
	p, err := s.Plan(ctx, oct)
	if err != nil {
		t.Fatalf("%s: plan: %v", s.Name(), err)
	}
	if p.Empty() {
		return
	}
	if _, err := s.Apply(ctx, oct, p); err != nil {
		t.Fatalf("%s: apply: %v", s.Name(), err)
	}
}

// Keys are the API keys of both instances.
func (f *Fixture) Keys() map[string]string {
	return map[string]string{f.Hub.URL(): HubAPIKey, f.Regional.URL(): RegionalAPIKey}
}
