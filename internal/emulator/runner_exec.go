package emulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Running one script action: a fresh work folder with the action's packages
// extracted into it, the script after variable substitution behind a Bash
// bootstrap that defines get_octopusvariable and set_octopusvariable,
// stdout and stderr into the task log (secrets masked), service messages
// into output variables.

// maskText replaces secrets in log lines, as Octopus does.
const maskText = "********"

type actionResult struct {
	err    error
	warned bool
	logged bool // err is in the log already
	final  bool // a failure guided failure does not hold (an aborted manual intervention)
}

// runAction runs one action and adds its output variables to outputs.
func (r *runner) runAction(ctx context.Context, j *job, st planStep, a planAction, outputs dictionary, log *activity) actionResult {
	s := r.srv
	if a.actionType == "Octopus.Manual" {
		return r.manualIntervention(ctx, j, a, log)
	}
	if a.actionType != "Octopus.Script" {
		log.add("Warning", fmt.Sprintf("The emulator does not run %s actions: %s was skipped.", a.actionType, a.name), s.now())
		return actionResult{warned: true}
	}
	vars := j.plan.vars.withOutputs(outputs)
	vars.set("Octopus.Action.Name", a.name, false)
	vars.set("Octopus.Step.Name", st.name, false)
	for _, p := range a.params {
		vars.set(p.Name, p.Value, p.Sensitive)
	}
	prop := func(name string) string {
		text, _ := textOf(a.props[name])
		return text
	}
	syntax := prop("Octopus.Action.Script.Syntax")
	if syntax != "" && !strings.EqualFold(syntax, "Bash") {
		return actionResult{err: fmt.Errorf("the emulator runs only Bash scripts, and %s is %s", a.name, syntax)}
	}

	work, err := os.MkdirTemp("", "octofleet-task-")
	if err != nil {
		return actionResult{err: fmt.Errorf("create the work folder: %w", err)}
	}
	defer func() {
		if err := os.RemoveAll(work); err != nil {
			s.log.Warn("emulator task runner: remove work folder", "dir", work, "err", err)
		}
	}()
	for _, p := range a.packages {
		if p.err != "" {
			return actionResult{err: errors.New(p.err)}
		}
		dest := filepath.Join(work, p.dir)
		if p.ref == "" && strings.EqualFold(prop("Octopus.Action.Script.ScriptSource"), "Package") {
			dest = work // a script inside its package runs in the extracted package
		}
		if err := extractPackage(p.data, p.ext, dest); err != nil {
			return actionResult{err: fmt.Errorf("extract %s %s: %w", p.packageID, p.version, err)}
		}
		log.add("Info", fmt.Sprintf("Extracted package %s %s to %s", p.packageID, p.version, dest), s.now())
		for _, key := range []string{"Octopus.Action.Package[" + p.ref + "]", "Octopus.Action.Package[" + p.packageID + "]"} {
			vars.set(key+".ExtractedPath", dest, false)
			vars.set(key+".PackageId", p.packageID, false)
			vars.set(key+".PackageVersion", p.version, false)
		}
	}

	var script string
	var args []string
	if strings.EqualFold(prop("Octopus.Action.Script.ScriptSource"), "Package") {
		name := prop("Octopus.Action.Script.ScriptFileName")
		body, err := os.ReadFile(filepath.Join(work, filepath.FromSlash(name)))
		if err != nil {
			return actionResult{err: fmt.Errorf("read the script %s from the package: %w", name, err)}
		}
		script = string(body)
		args = strings.Fields(vars.expand(prop("Octopus.Action.Script.ScriptParameters")))
	} else {
		script = vars.expand(prop("Octopus.Action.Script.ScriptBody"))
	}

	out := &scriptOutput{log: log, now: s.now, category: "Info", outputs: outputs, action: a.name, step: st.name}
	out.setSecrets(vars.secrets())
	code, err := runBash(ctx, work, vars, script, args, out)
	r.collectArtifacts(j, work, out.artifacts, log)
	if err != nil {
		return actionResult{err: err, warned: out.warned}
	}
	if ctx.Err() != nil {
		return actionResult{err: errors.New("the script was stopped: the task was canceled or timed out"), warned: out.warned}
	}
	if code != 0 {
		return actionResult{err: fmt.Errorf("the remote script failed with exit code %d", code), warned: true}
	}
	return actionResult{warned: out.warned}
}

// bootstrap defines the helpers Octopus's Bash bootstrap gives every script
// (Calamari's Bootstrap.sh): get_octopusvariable reads the variables file
// (base64 name and value per line), set_octopusvariable emits the
// setVariable service message.
const bootstrap = `__octopus_b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
get_octopusvariable() {
  local __want __n __v
  __want=$(__octopus_b64 "$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')")
  while read -r __n __v; do
    if [ "$__n" = "$__want" ]; then printf '%s' "$__v" | base64 -d; return 0; fi
  done < "$__octopus_variables"
  return 0
}
set_octopusvariable() {
  local __sensitive=""
  if [ "$3" = "-sensitive" ]; then __sensitive=" sensitive='$(__octopus_b64 True)'"; fi
  echo "##octopus[setVariable name='$(__octopus_b64 "$1")' value='$(__octopus_b64 "$2")'${__sensitive}]"
}
write_verbose() { echo "##octopus[stdout-verbose]"; echo "$*"; echo "##octopus[stdout-default]"; }
write_highlight() { echo "##octopus[stdout-highlight]"; echo "$*"; echo "##octopus[stdout-default]"; }
write_warning() { echo "##octopus[stdout-warning]"; echo "$*"; echo "##octopus[stdout-default]"; }
fail_step() { echo "##octopus[stdout-error]"; echo "$1"; echo "##octopus[stdout-default]"; exit 1; }
`

// runBash writes the variables file and the script into dir/.octopus and
// runs it with Bash in dir. The child gets only PATH and HOME (the work
// folder): nothing of the emulator's environment, such as its API key.
func runBash(ctx context.Context, dir string, vars dictionary, script string, args []string, out *scriptOutput) (int, error) {
	meta := filepath.Join(dir, ".octopus")
	if err := os.MkdirAll(meta, 0o700); err != nil {
		return 0, fmt.Errorf("prepare the script: %w", err)
	}
	var vf bytes.Buffer
	for _, v := range vars.sorted() {
		vf.WriteString(base64.StdEncoding.EncodeToString([]byte(strings.ToLower(v.Name))))
		vf.WriteByte(' ')
		vf.WriteString(base64.StdEncoding.EncodeToString([]byte(vars.expand(v.Value))))
		vf.WriteByte('\n')
	}
	varsFile := filepath.Join(meta, "variables")
	if err := os.WriteFile(varsFile, vf.Bytes(), 0o600); err != nil {
		return 0, fmt.Errorf("write the variables file: %w", err)
	}
	scriptFile := filepath.Join(meta, "script.sh")
	body := "__octopus_variables=" + shellQuote(varsFile) + "\n" + bootstrap + "\n" + script + "\n"
	if err := os.WriteFile(scriptFile, []byte(body), 0o600); err != nil {
		return 0, fmt.Errorf("write the script: %w", err)
	}
	cmd := exec.CommandContext(ctx, "bash", append([]string{scriptFile}, args...)...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	setProcessGroup(cmd)
	cmd.Cancel = func() error { return killProcessGroup(cmd) }
	// The output goes through pipes of our own rather than exec's copying,
	// so that Wait returns when the script ends even if something it left
	// in the background still holds the pipes; that is then killed.
	outR, outW, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("run bash: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return 0, errors.Join(fmt.Errorf("run bash: %w", err), outR.Close(), outW.Close())
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	startErr := cmd.Start()
	// The child has its own copies of the write ends now.
	closeErr := errors.Join(outW.Close(), errW.Close())
	if startErr != nil {
		return 0, errors.Join(fmt.Errorf("run bash: %w", startErr), closeErr, outR.Close(), errR.Close())
	}
	var wg sync.WaitGroup
	copyLines := func(r *os.File, stderr bool) {
		defer wg.Done()
		w := &lineWriter{emit: func(l string) { out.line(l, stderr) }}
		_, err := io.Copy(w, r)
		w.flush()
		if err != nil {
			out.log.add("Warning", "The rest of the script's output could not be read: "+err.Error(), out.now())
		}
	}
	wg.Add(2)
	go copyLines(outR, false)
	go copyLines(errR, true)
	err = cmd.Wait()
	// Whatever the script left running in the background goes with it.
	reapErr := reapProcessGroup(cmd)
	wg.Wait()
	if cerr := errors.Join(closeErr, outR.Close(), errR.Close(), reapErr); cerr != nil {
		return 0, fmt.Errorf("run bash: %w", cerr)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case ctx.Err() != nil:
		return -1, nil
	case errors.As(err, &exit) && exit.ExitCode() == -1:
		// Killed by a signal that was not ours (an OOM killer, kill -9):
		// the task ends Failed, as when a real server's Calamari dies.
		return -1, fmt.Errorf("the script process died (%s)", exit)
	case errors.As(err, &exit):
		return exit.ExitCode(), nil
	}
	return 0, fmt.Errorf("run bash: %w", err)
}

// shellQuote quotes s for Bash.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// lineWriter splits a stream into lines.
type lineWriter struct {
	buf  []byte
	emit func(string)
}

// maxLine bounds a log line; longer output is split.
const maxLine = 64 << 10

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) > maxLine {
				w.emit(string(w.buf))
				w.buf = w.buf[:0]
			}
			return len(p), nil
		}
		w.emit(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}

// scriptOutput turns a script's output into log lines and output variables.
type scriptOutput struct {
	mu       sync.Mutex
	log      *activity
	now      func() time.Time
	category string // the category of stdout lines (service messages switch it)
	secrets  []string
	outputs  dictionary
	action   string
	step     string
	warned   bool
	// artifacts are the files createArtifact asked for.
	artifacts []artifactRef
}

func (o *scriptOutput) setSecrets(secrets []string) {
	o.secrets = append([]string(nil), secrets...)
	// Longest first, so that a secret containing another is masked whole.
	sort.Slice(o.secrets, func(i, j int) bool { return len(o.secrets[i]) > len(o.secrets[j]) })
}

func (o *scriptOutput) mask(s string) string {
	for _, x := range o.secrets {
		s = strings.ReplaceAll(s, x, maskText)
	}
	return s
}

// serviceMessage matches ##octopus[name attr='value' ...].
var (
	serviceMessage = regexp.MustCompile(`^\s*##octopus\[([A-Za-z-]+)((?:\s+[A-Za-z]+=(?:'[^']*'|"[^"]*"))*)\s*\]\s*$`)
	serviceAttr    = regexp.MustCompile(`([A-Za-z]+)=(?:'([^']*)'|"([^"]*)")`)
)

// line handles one line of output.
func (o *scriptOutput) line(l string, stderr bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if m := serviceMessage.FindStringSubmatch(l); m != nil {
		o.service(m[1], m[2])
		return
	}
	cat := o.category
	if stderr {
		cat = "Error"
	}
	if cat == "Error" || cat == "Warning" {
		o.warned = true
	}
	o.log.add(cat, o.mask(l), o.now())
}

// service applies a service message (Expects o.mu held).
func (o *scriptOutput) service(name, attrs string) {
	a := map[string]string{}
	for _, m := range serviceAttr.FindAllStringSubmatch(attrs, -1) {
		v := m[2]
		if v == "" {
			v = m[3]
		}
		a[strings.ToLower(m[1])] = decodeServiceValue(v)
	}
	switch strings.ToLower(name) {
	case "setvariable":
		n := a["name"]
		if n == "" {
			return
		}
		sensitive := strings.EqualFold(a["sensitive"], "True")
		if sensitive && a["value"] != "" {
			o.setSecrets(append(o.secrets, a["value"]))
		}
		for _, owner := range []string{o.action, o.step} {
			o.outputs.set("Octopus.Action["+owner+"].Output."+n, a["value"], sensitive)
		}
		o.log.add("Verbose", fmt.Sprintf("Output variable Octopus.Action[%s].Output.%s set.", o.action, n), o.now())
	case "createartifact":
		if a["path"] != "" {
			o.artifacts = append(o.artifacts, artifactRef{path: a["path"], name: a["name"]})
		}
	case "stdout-default":
		o.category = "Info"
	case "stdout-verbose":
		o.category = "Verbose"
	case "stdout-warning":
		o.category = "Warning"
	case "stdout-error":
		o.category = "Error"
	case "stdout-highlight":
		o.category = "Highlight"
	}
}

// decodeServiceValue decodes a service message value. Calamari's helpers
// send base64; hand-written messages often carry plain text, which is kept
// when it does not decode to printable UTF-8.
func decodeServiceValue(v string) string {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || v == "" || !utf8.Valid(b) {
		return v
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return v
		}
	}
	return string(b)
}
