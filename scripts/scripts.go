// Package scripts holds the thin script bodies octofleet's step templates
// run, in Bash and PowerShell, and the launcher the octofleet package
// carries. They only turn template parameters into the binary's flags,
// environment and input file, and pick the binary for the worker; every
// decision is the binary's.
package scripts

import _ "embed"

// Step is the Bash body of every step template (scripts/step.sh). The
// generator puts the step's name and its parameter table in front.
//
//go:embed step.sh
var Step string

// StepPowerShell is the PowerShell body of every step template
// (scripts/step.ps1), the twin of Step: the same parameter table, the same
// flags, secrets through the environment.
//
//go:embed step.ps1
var StepPowerShell string

// Launcher is packaged as "octofleet" beside the binaries
// octofleet_<os>_<arch>[.exe] and runs the one for the worker it is on
// (scripts/octofleet.sh).
//
//go:embed octofleet.sh
var Launcher string
