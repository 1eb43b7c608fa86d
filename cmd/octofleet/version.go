package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// versionCmd prints the version: octofleet version.
type versionCmd struct{}

// Run prints "octofleet <version>".
func (versionCmd) Run(w io.Writer) error {
	_, err := fmt.Fprintln(w, "octofleet "+resolveVersion())
	return err
}

// resolveVersion returns the version stamped by build.sh (-X main.version),
// else the module version go install recorded, else the VCS revision go build
// recorded, else "(development build)" (as litestream's cmd/litestream/version.go does).
func resolveVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok { // not built with module support
		return versionFrom(version, nil)
	}
	return versionFrom(version, bi)
}

func versionFrom(stamped string, bi *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	if bi == nil {
		return "(development build)"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev != "" {
		return rev + dirty
	}
	return "(development build)"
}
