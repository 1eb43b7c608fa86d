package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/octofleet/octofleet/steps"
)

// printer writes a step's plan and result to stdout in the --output format.
// stdout carries results only; diagnostics go to stderr through slog.
type printer struct {
	w       io.Writer
	format  string // text, json or octopus
	verbose bool   // --log-level debug: also list no-op changes
}

// plan prints the plan before anything is applied (text and octopus formats;
// json prints one document at the end, from result).
func (p *printer) plan(plan steps.Plan) error {
	if p.format == "json" {
		return nil
	}
	return writePlanText(p.w, plan, p.verbose)
}

// result prints what happened: the applied summary and the outputs (text),
// service messages setting the output variables (octopus), or the whole
// plan with its outputs and whether it was applied (json).
func (p *printer) result(plan steps.Plan, outputs steps.Outputs, applied bool) error {
	switch p.format {
	case "json":
		return writeJSON(p.w, plan, outputs, applied)
	case "octopus":
		if err := writeApplied(p.w, plan, applied); err != nil {
			return err
		}
		return writeServiceMessages(p.w, outputs)
	default:
		if err := writeApplied(p.w, plan, applied); err != nil {
			return err
		}
		return writeOutputsText(p.w, outputs)
	}
}

var symbols = map[steps.Action]string{steps.Create: "+", steps.Update: "~", steps.Delete: "-", steps.NoOp: "="}

// writePlanText prints one line per change, `+ create space "Acme"` or
// `~ update environment "Dev" (Environments-3)` followed by indented
// `description: "old" → "new"` lines in field order, then the summary
// "Plan: 1 to create, 1 to update, 0 to delete, 5 unchanged.". No-op changes
// are listed only when verbose. An empty plan prints "No changes.".
func writePlanText(w io.Writer, plan steps.Plan, verbose bool) error {
	var b strings.Builder
	counts := map[steps.Action]int{}
	for _, c := range plan.Changes {
		counts[c.Action]++
		if c.Action == steps.NoOp && !verbose {
			continue
		}
		sym, ok := symbols[c.Action]
		if !ok {
			sym = "?"
		}
		fmt.Fprintf(&b, "%s %s %s %q", sym, c.Action, c.Kind, c.Name)
		if c.ID != "" {
			fmt.Fprintf(&b, " (%s)", c.ID)
		}
		b.WriteByte('\n')
		for _, name := range c.FieldNames() {
			hw := c.Fields[name]
			switch c.Action {
			case steps.Create:
				fmt.Fprintf(&b, "    %s: %s\n", name, formatValue(hw[1]))
			case steps.Delete:
				fmt.Fprintf(&b, "    %s: %s\n", name, formatValue(hw[0]))
			default:
				fmt.Fprintf(&b, "    %s: %s → %s\n", name, formatValue(hw[0]), formatValue(hw[1]))
			}
		}
	}
	if plan.Empty() {
		b.WriteString("No changes.\n")
	} else {
		fmt.Fprintf(&b, "Plan: %d to create, %d to update, %d to delete, %d unchanged.\n",
			counts[steps.Create], counts[steps.Update], counts[steps.Delete], counts[steps.NoOp])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeApplied prints the summary of an applied, non-empty plan.
func writeApplied(w io.Writer, plan steps.Plan, applied bool) error {
	if !applied || plan.Empty() {
		return nil
	}
	counts := map[steps.Action]int{}
	for _, c := range plan.Changes {
		counts[c.Action]++
	}
	_, err := fmt.Fprintf(w, "Apply complete: %d created, %d updated, %d deleted.\n",
		counts[steps.Create], counts[steps.Update], counts[steps.Delete])
	return err
}

func writeOutputsText(w io.Writer, outputs steps.Outputs) error {
	if len(outputs) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("Outputs:\n")
	for _, k := range sortedKeys(outputs) {
		fmt.Fprintf(&b, "  %s = %s\n", k, outputs[k])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeServiceMessages sets one Octopus output variable per output, in the
// format Calamari's own set_octopusvariable emits: both attribute values
// base64-encoded (standard alphabet, padded), so quotes and brackets in a
// value cannot break the message (OctopusDeploy/Calamari,
// source/Calamari/Integration/Scripting/Bash/Bootstrap.sh).
func writeServiceMessages(w io.Writer, outputs steps.Outputs) error {
	var b strings.Builder
	for _, k := range sortedKeys(outputs) {
		b.WriteString(serviceMessage(k, outputs[k]) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// serviceMessage returns the ##octopus[setVariable …] line for one variable.
func serviceMessage(name, value string) string {
	enc := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("##octopus[setVariable name='%s' value='%s']", enc([]byte(name)), enc([]byte(value)))
}

// jsonResult is the --output json document.
type jsonResult struct {
	Step    string         `json:"step"`
	Changes []steps.Change `json:"changes"`
	Outputs steps.Outputs  `json:"outputs"`
	Applied bool           `json:"applied"`
}

func writeJSON(w io.Writer, plan steps.Plan, outputs steps.Outputs, applied bool) error {
	r := jsonResult{Step: plan.Step, Changes: plan.Changes, Outputs: outputs, Applied: applied}
	if r.Changes == nil {
		r.Changes = []steps.Change{}
	}
	if r.Outputs == nil {
		r.Outputs = steps.Outputs{}
	}
	return encodeJSON(w, r)
}

// encodeJSON writes v as every command's --output json does: indented,
// with <, > and & as they are.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json result: %w", err)
	}
	return nil
}

// formatValue prints a have/want value as JSON (strings quoted, lists in
// brackets, absent as null), except the secret placeholder, which is printed bare.
func formatValue(v any) string {
	if s, ok := v.(string); ok && s == steps.Sensitive {
		return s
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func sortedKeys(m steps.Outputs) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
