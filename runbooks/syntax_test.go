package runbooks

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	bashTable = regexp.MustCompile(`(?m)^(step|fields|flags|envs)='([^']*)'$`)
	psTable   = regexp.MustCompile(`(?m)^\$(step|fields|flags|envs) = (?:'([^']*)'|@\(\)|@\(\n((?:  '[^']*'\n)*)\))$`)
	// Flags and environment variables the script bodies name outside comments.
	flagRef = regexp.MustCompile(`(^|[ '"(])(--[a-z][a-z-]+)`)
	envRef  = regexp.MustCompile(`\b(OCTO(?:PUS|FLEET)_[A-Z_]+)\b`)
	// Parameters they read.
	bashParam = regexp.MustCompile(`get_octopusvariable "([^"$]+)"`)
	psParam   = regexp.MustCompile(`Get-OctofleetParameter '([^']+)'`)
)

// tableOf reads the parameter table back out of a rendered script.
func tableOf(t *testing.T, syntax, body string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	if syntax == SyntaxBash {
		for _, m := range bashTable.FindAllStringSubmatch(body, -1) {
			if m[2] != "" {
				out[m[1]] = strings.Split(m[2], "\n")
			} else {
				out[m[1]] = nil
			}
		}
	} else {
		for _, m := range psTable.FindAllStringSubmatch(body, -1) {
			switch {
			case m[2] != "":
				out[m[1]] = []string{m[2]}
			case m[3] != "":
				for _, line := range strings.Split(strings.TrimSpace(m[3]), "\n") {
					out[m[1]] = append(out[m[1]], strings.Trim(strings.TrimSpace(line), "'"))
				}
			default:
				out[m[1]] = nil
			}
		}
	}
	if len(out) != 4 {
		t.Fatalf("%s script: table %v, want step, fields, flags and envs", syntax, out)
	}
	return out
}

// code drops comment lines.
func code(body string) string {
	var b strings.Builder
	for _, l := range strings.Split(body, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func refs(re *regexp.Regexp, group int, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[group])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestRenderingsAgree: the Bash and PowerShell templates of every step
// are one template in two syntaxes: the same Id, name, parameters and
// package; scripts with the same parameter table, that read the same
// parameters, pass the same flags, hand secrets over in the same
// environment variables (each a sensitive parameter, never a flag), ask for
// --output octopus and carry the binary's exit code out.
func TestRenderingsAgree(t *testing.T) {
	t.Parallel()
	bash, err := StepTemplatesFor(SyntaxBash)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := StepTemplatesFor(SyntaxPowerShell)
	if err != nil {
		t.Fatal(err)
	}
	if len(bash) != len(ps) || len(bash) == 0 {
		t.Fatalf("%d Bash and %d PowerShell templates", len(bash), len(ps))
	}
	for i, b := range bash {
		p := ps[i]
		t.Run(b.Name, func(t *testing.T) {
			if b.Properties["Octopus.Action.Script.Syntax"] != SyntaxBash || p.Properties["Octopus.Action.Script.Syntax"] != SyntaxPowerShell {
				t.Errorf("syntaxes %q and %q", b.Properties["Octopus.Action.Script.Syntax"], p.Properties["Octopus.Action.Script.Syntax"])
			}
			bb, pb := b.Properties["Octopus.Action.Script.ScriptBody"], p.Properties["Octopus.Action.Script.ScriptBody"]
			same := func(x StepTemplate) StepTemplate {
				x.Properties = map[string]string{"Octopus.Action.Script.ScriptSource": x.Properties["Octopus.Action.Script.ScriptSource"]}
				return x
			}
			if diff := cmp.Diff(same(b), same(p)); diff != "" {
				t.Errorf("the templates differ beyond the script (-Bash +PowerShell):\n%s", diff)
			}
			bt, pt := tableOf(t, SyntaxBash, bb), tableOf(t, SyntaxPowerShell, pb)
			if diff := cmp.Diff(bt, pt); diff != "" {
				t.Errorf("parameter tables differ (-Bash +PowerShell):\n%s", diff)
			}
			if diff := cmp.Diff(refs(bashParam, 1, bb), refs(psParam, 1, pb)); diff != "" {
				t.Errorf("the scripts read different parameters (-Bash +PowerShell):\n%s", diff)
			}
			if diff := cmp.Diff(refs(flagRef, 2, code(bb)), refs(flagRef, 2, code(pb))); diff != "" {
				t.Errorf("the scripts pass different flags (-Bash +PowerShell):\n%s", diff)
			}
			if diff := cmp.Diff(refs(envRef, 1, code(bb)), refs(envRef, 1, code(pb))); diff != "" {
				t.Errorf("the scripts set different environment variables (-Bash +PowerShell):\n%s", diff)
			}
			sensitiveParams := map[string]bool{}
			for _, prm := range b.Parameters {
				sensitiveParams[prm.Name] = prm.DisplaySettings[controlType] == sensitive
			}
			for _, e := range bt["envs"] {
				if name, _, _ := strings.Cut(e, "="); !sensitiveParams[name] {
					t.Errorf("%s goes through the environment but is not a sensitive parameter", name)
				}
			}
			for _, f := range append(bt["fields"], bt["flags"]...) {
				if name, _, _ := strings.Cut(f, "="); sensitiveParams[name] {
					t.Errorf("sensitive parameter %s becomes a flag", name)
				}
			}
			for syntax, body := range map[string]string{SyntaxBash: bb, SyntaxPowerShell: pb} {
				c := code(body)
				if strings.Contains(body, "#{") {
					t.Errorf("%s script holds #{, which Octopus would substitute", syntax)
				}
				if !strings.Contains(c, "--output") || !strings.Contains(c, "octopus") || strings.Contains(c, "--api-key") {
					t.Errorf("%s script: no --output octopus, or an API key flag", syntax)
				}
				if !strings.Contains(c, "OCTOPUS_API_KEY") {
					t.Errorf("%s script does not hand the API key over in OCTOPUS_API_KEY", syntax)
				}
			}
			if !strings.Contains(code(bb), `exec "$bin" "$@"`) {
				t.Error("the Bash script does not exec the binary (its exit code is the step's)")
			}
			if !strings.Contains(code(pb), "$code = $LASTEXITCODE") || !strings.HasSuffix(strings.TrimSpace(pb), "exit $code") {
				t.Error("the PowerShell script does not exit with the binary's exit code")
			}
		})
	}
}

// psCheck returns the command that parses PowerShell files with the
// tree-sitter PowerShell grammar (scripts/pscheck), or skips the test when
// node or its modules are missing; in CI (CI set) it fails instead.
func psCheck(t *testing.T) []string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "scripts", "pscheck"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node"
	default:
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "tree-sitter-powershell")); err != nil {
			missing = "scripts/pscheck/node_modules (npm ci --ignore-scripts --prefix scripts/pscheck)"
		}
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("no PowerShell parse check: %s is missing", missing)
		}
		t.Skipf("no PowerShell parse check: %s is missing", missing)
	}
	return []string{node, filepath.Join(dir, "check.cjs")}
}

// TestPowerShellScriptsParse parses every PowerShell template's script
// with a PowerShell grammar (no PowerShell runtime can be installed here),
// and a broken copy, to show the check can fail.
func TestPowerShellScriptsParse(t *testing.T) {
	t.Parallel()
	check := psCheck(t)
	ts, err := StepTemplatesFor(SyntaxPowerShell)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var files []string
	for _, tpl := range ts {
		f := filepath.Join(dir, strings.ReplaceAll(tpl.Name, " ", "")+".ps1")
		if err := os.WriteFile(f, []byte(tpl.Properties["Octopus.Action.Script.ScriptBody"]), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if out, err := exec.Command(check[0], append(check[1:], files...)...).CombinedOutput(); err != nil {
		t.Fatalf("PowerShell parse check: %v\n%s", err, out)
	}
	body := ts[0].Properties["Octopus.Action.Script.ScriptBody"]
	for name, broken := range map[string]string{
		"brace": strings.Replace(body, "if ($os -eq 'windows') { $bin = $bin + '.exe' }", "if ($os -eq 'windows') { $bin = $bin + '.exe'", 1),
		"quote": strings.Replace(body, "$argv.Add('--output')", "$argv.Add('--output)", 1),
	} {
		if broken == body {
			t.Fatalf("%s: the broken copy is not broken", name)
		}
		f := filepath.Join(dir, "broken-"+name+".ps1")
		if err := os.WriteFile(f, []byte(broken), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(check[0], append(check[1:], f)...).CombinedOutput(); err == nil {
			t.Errorf("the parse check passed a script with an unclosed %s:\n%s", name, out)
		}
	}
}
