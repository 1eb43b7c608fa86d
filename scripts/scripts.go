// Package scripts holds the thin Bash bodies octofleet's step templates run.
// They only turn template parameters into the binary's flags, environment
// and input file; every decision is the binary's.
package scripts

import _ "embed"

// Step is the body of every step template (scripts/step.sh). The generator
// puts the step's name and its extra flag and secret parameters in front.
//
//go:embed step.sh
var Step string
