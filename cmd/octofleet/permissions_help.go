package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/octofleet/octofleet/steps"
)

// addPermissionsHelp appends to the long help of every command that is a
// step of steps.StepPermissions the permissions its API key needs, so that
// --help, doctor and README say the same.
func addPermissionsHelp(n *kong.Node) {
	for _, c := range n.Children {
		addPermissionsHelp(c)
	}
	if n.Type != kong.CommandNode {
		return
	}
	if p, ok := steps.StepPermissions[n.Name]; ok {
		n.Detail = strings.TrimRight(n.Detail, "\n") + "\n\n" + permissionsText(n.Name, p)
	}
}

// permissionsText describes what a step's key needs, wrapped as the rest
// of the help is (kong leaves indented lines alone).
func permissionsText(step string, p steps.Permissions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Octopus permissions the API key needs (octofleet doctor --step %s\nchecks them):\n", step)
	list := func(label string, perms []string) {
		if len(perms) == 0 {
			perms = []string{"none"}
		}
		line := "  " + label
		for i, perm := range perms {
			word := perm
			if i < len(perms)-1 {
				word += ","
			}
			if len(line)+1+len(word) > 80 {
				b.WriteString(line + "\n")
				line = strings.Repeat(" ", len(label)+2)
			}
			line += " " + word
		}
		b.WriteString(line + "\n")
	}
	list("system level:", p.System)
	list("in the space:", p.Space)
	if slices.Contains(p.System, "SpaceCreate") {
		b.WriteString("A space the step creates gives its space permissions to its managers, the\nkey's user among them when the input names none.\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// permissionsTable is README's "Permissions each step needs" table
// (TestREADMEPermissionsTable keeps README equal to it).
func permissionsTable() string {
	var b strings.Builder
	b.WriteString("| Step | System level | In the space |\n|---|---|---|\n")
	for _, n := range sortedStepNames() {
		p := steps.StepPermissions[n]
		cell := func(l []string) string {
			if len(l) == 0 {
				return "none"
			}
			return strings.Join(l, ", ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", n, cell(p.System), cell(p.Space))
	}
	return b.String()
}
