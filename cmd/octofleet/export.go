package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/octofleet/octofleet/runbooks"
)

// exportCmd is `octofleet export --out DIR`: the step templates and the
// project document the binary embeds, as files.
type exportCmd struct {
	Out string `help:"Folder to write to (created if missing)." type:"path" required:"" placeholder:"DIR"`
}

// Help is the long help of export.
func (c *exportCmd) Help() string {
	return `Writes DIR/step-templates/octofleet-<step>.json, one step template per step in
the Octopus community Library format (import them in Library > Step Templates,
or let seed-templates --from DIR/step-templates install them), and
DIR/octofleet-project.json, the management-space project with its runbooks and
tenant variable templates that octofleet install creates.`
}

// Run writes the files and lists them.
func (c *exportCmd) Run(w io.Writer) error {
	files, err := runbooks.Files()
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		path := filepath.Join(c.Out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if _, err := fmt.Fprintln(w, path); err != nil {
			return err
		}
	}
	return nil
}
