//go:build !unix

package emulator

import "os/exec"

// setProcessGroup does nothing where there are no process groups.
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup kills the script's process (its children may survive).
func killProcessGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}

// reapProcessGroup does nothing where there are no process groups.
func reapProcessGroup(*exec.Cmd) error { return nil }
