// Package steps holds octofleet's runbook steps. Each step reads the live state
// through the Octopus port, plans the changes to the fields it owns, and applies
// exactly that plan. The package imports neither kong nor go-octopusdeploy.
package steps

import (
	"context"
	"sort"
)

// Action completes the sentence "space Acme has been …" (cf. controller-runtime's OperationResult).
type Action string

// The actions a Change can carry.
const (
	NoOp   Action = "no-op"
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
)

// Sensitive stands in for a secret in plans, outputs and errors. Secrets are
// inputs only: they are never printed, and the API never returns them.
const Sensitive = "(sensitive)"

// Change is one planned mutation, printable before anything is written.
// Fields maps a field name to [have, want]. Secret values are replaced by
// Sensitive before they reach a Change.
type Change struct {
	Action Action            `json:"action"`
	Kind   string            `json:"kind"`
	Name   string            `json:"name"`
	ID     string            `json:"id,omitempty"`
	Fields map[string][2]any `json:"fields,omitempty"`
}

// FieldNames returns the names of the changed fields in sorted order, so that
// printed plans are deterministic.
func (c Change) FieldNames() []string {
	names := make([]string, 0, len(c.Fields))
	for n := range c.Fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Plan is the ordered list of changes a step would make, plus the output
// variables already known while planning (for example the Id of a space that
// exists).
type Plan struct {
	Step    string   `json:"step"`
	Changes []Change `json:"changes"`
	// Outputs are the step's results known at plan time; Apply returns the complete set.
	Outputs Outputs `json:"outputs,omitempty"`
}

// With returns p with the changes appended.
func (p Plan) With(c ...Change) Plan {
	p.Changes = append(p.Changes, c...)
	return p
}

// Empty reports whether the plan would write nothing.
func (p Plan) Empty() bool {
	for _, c := range p.Changes {
		if c.Action != NoOp {
			return false
		}
	}
	return true
}

// Outputs are a step's results, published as Octopus output variables with
// --output octopus (for example SpaceId and SpaceName).
type Outputs map[string]string

// Step is implemented by every runbook step. Name() == subcommand == schema name.
type Step interface {
	// Name is the subcommand, the schema file's base name and the runbook step's command.
	Name() string
	// Plan reads the live state and returns the changes; it never writes.
	Plan(ctx context.Context, oct Octopus) (Plan, error)
	// Apply does exactly what p says, re-reading after each write, and returns the step's outputs.
	Apply(ctx context.Context, oct Octopus, p Plan) (Outputs, error)
}

// TemplateData is what string fields of a step's input may refer to in Go
// templates: {{ .Tenant.Name }}, {{ .Tenant.Slug }}, {{ .Tenant.Tags }} and
// {{ .Vars.x }}. It comes from --tenant-name, --tenant-slug, --tenant-tag and
// --var k=v (or, in a runbook, from the tenant's Octopus variables).
type TemplateData struct {
	Tenant TenantData        `json:"tenant"`
	Vars   map[string]string `json:"vars"`
}

// TenantData describes the tenant a step runs for.
type TenantData struct {
	Name string   `json:"name"`
	Slug string   `json:"slug"`
	Tags []string `json:"tags"`
}

// InputError is bad input found without touching the network: a template that
// does not render, a value the schema cannot express a rule for. It exits 80.
type InputError struct {
	Field string // JSON path of the offending field, e.g. "environments[1].name"
	Err   error
}

func (e *InputError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

// ExitCode makes kong exit 80 (bad usage or input).
func (e *InputError) ExitCode() int { return 80 }
