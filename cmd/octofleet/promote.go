package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/octofleet/octofleet/internal/doctor"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/internal/promote"
	"github.com/octofleet/octofleet/internal/ui"
	"github.com/octofleet/octofleet/schemas"
	"github.com/octofleet/octofleet/steps"
)

// promoteSelection are the flags `promote` and `diff` share besides their
// input: the source's API key and the step flags every step template passes.
// The target is the global --server.
type promoteSelection struct {
	stepFlags
	FromAPIKey string `name:"from-api-key" env:"OCTOFLEET_FROM_API_KEY" help:"API key of --from-server (never printed)." placeholder:"KEY"`

	opts promote.Options // settled by validate
}

// promoteInput is what promote and diff compare, from flags or the input
// document (--input: schemas/promote.schema.json, diff.schema.json), which
// is how the step templates pass it; a flag wins over the document.
type promoteInput struct {
	FromServer string   `json:"fromServer,omitempty" name:"from-server" env:"OCTOFLEET_FROM_URL" help:"Source Octopus URL: the instance configuration is promoted from (the target is --server)." placeholder:"URL"`
	Spaces     []string `json:"spaces,omitempty" kong:"-"` // the document's; flags use the global --space
	AllSpaces  bool     `json:"allSpaces,omitempty" name:"all-spaces" help:"Every space of the source (instead of --space NAME, which is repeatable here)."`
	Include    []string `json:"include,omitempty" help:"Write only these kinds (comma-separated or repeated; default every kind). Kinds left out are still read, so references to them resolve by name." placeholder:"KIND"`
	Exclude    []string `json:"exclude,omitempty" sep:"none" help:"Never write this document, KIND:NAME; an owned one as KIND:OWNER/NAME (channel:Web/Hotfix); repeatable." placeholder:"KIND:NAME"`
	Rename     []string `json:"rename,omitempty" sep:"none" help:"A name that differs on purpose, KIND:SOURCE=TARGET (space:Dev Hub=Hub); repeatable." placeholder:"KIND:SRC=DST"`
	Overlay    string   `json:"overlay,omitempty" help:"The target's own values, never overwritten by the source (YAML or JSON, schemas/promote-overlay.schema.json)." type:"path" placeholder:"FILE"`
}

// promoteKinds is the list of kinds --include, --exclude and --rename take.
func promoteKinds() string { return strings.Join(promote.KindNames(), ", ") }

// promoteHelpCarried is what both commands' long help says about the kinds.
func promoteHelpCarried() string {
	return `Kinds compared and carried, dependencies first (--include, --exclude and
--rename spell them so): ` + promoteKinds() + `. Documents match by name (an
owned one, a channel or runbook, by its project and name); every reference is
written as the target's ID of the document of the same name.

Accounts carry their type, fields and environment and tenant scopes (their
secrets are sensitive values: --secrets); machine policies their settings;
project triggers their filter and action (runbook, channel, environment and
tenant references); space teams their scoped user roles (the user role by
name; project, project group, environment and tenant scopes); custom user
roles, on the instance, their permissions (built-in roles are matched by
name, never written). A variable of an account or worker pool type holds
the target's ID of the account or pool of the same name. Not carried yet:
tenant variables.

` + promote.NotCarried
}

// validate checks the flags and reads the files, before any request; spaces
// are the --space occurrences (the global flag, read from every place it was
// given).
func (s *promoteSelection) validate(in *promoteInput, spaces []string) error {
	if in.FromServer == "" {
		return &usageError{"the source instance is required: --from-server (or OCTOFLEET_FROM_URL)"}
	}
	if s.FromAPIKey == "" {
		return &usageError{"--from-server needs --from-api-key (or OCTOFLEET_FROM_API_KEY)"}
	}
	switch {
	case in.AllSpaces && len(spaces) > 0:
		return &usageError{"--space and --all-spaces exclude each other"}
	case !in.AllSpaces && len(spaces) == 0:
		return &usageError{"name the spaces to carry: --space NAME (repeatable) or --all-spaces"}
	}
	o := promote.Options{Spaces: spaces, AllSpaces: in.AllSpaces, Exclude: map[string][]string{}, Rename: map[string]map[string]string{}}
	kinds := promote.KindNames()
	known := func(flag, value, kind string) error {
		if !slices.Contains(kinds, kind) {
			return &steps.InputError{Field: flag, Err: fmt.Errorf("%q: unknown kind %q (kinds: %s)", value, kind, promoteKinds())}
		}
		return nil
	}
	for _, k := range in.Include {
		k = strings.TrimSpace(k)
		if err := known("--include", k, k); err != nil {
			return err
		}
		o.Include = append(o.Include, k)
	}
	for _, e := range in.Exclude {
		kind, name, ok := strings.Cut(e, ":")
		if !ok || name == "" {
			return &steps.InputError{Field: "--exclude", Err: fmt.Errorf("%q: want KIND:NAME", e)}
		}
		if err := known("--exclude", e, kind); err != nil {
			return err
		}
		o.Exclude[kind] = append(o.Exclude[kind], name)
	}
	for _, r := range in.Rename {
		kind, rest, ok := strings.Cut(r, ":")
		from, to, ok2 := strings.Cut(rest, "=")
		if !ok || !ok2 || from == "" || to == "" {
			return &steps.InputError{Field: "--rename", Err: fmt.Errorf("%q: want KIND:SOURCE=TARGET", r)}
		}
		if err := known("--rename", r, kind); err != nil {
			return err
		}
		if o.Rename[kind] == nil {
			o.Rename[kind] = map[string]string{}
		}
		if prev, dup := o.Rename[kind][from]; dup && prev != to {
			return &steps.InputError{Field: "--rename", Err: fmt.Errorf("%s %q is renamed twice (%q and %q)", kind, from, prev, to)}
		}
		o.Rename[kind][from] = to
	}
	if in.Overlay != "" {
		var err error
		if o.Overlay, err = readOverlay(in.Overlay); err != nil {
			return err
		}
	}
	s.opts = o
	return nil
}

// readPromoteFile reads a YAML or JSON file and validates it against the
// named schema into v; every problem is an *InputError or
// *schemas.ValidationError naming the flag (exit 80).
func readPromoteFile(flag, path, schema string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return &steps.InputError{Field: flag, Err: err}
	}
	return decodePromoteDoc(flag+" "+path, raw, schema, v)
}

// decodePromoteDoc is readPromoteFile for a document in hand; where names
// it in errors (the flag and file, or the environment variable).
func decodePromoteDoc(where string, raw []byte, schema string, v any) error {
	doc, err := toJSON(raw)
	if err != nil {
		return &steps.InputError{Field: where, Err: err}
	}
	if err := schemas.Decode(schema, doc, v); err != nil {
		var ve *schemas.ValidationError
		if errors.As(err, &ve) {
			return &steps.InputError{Field: where, Err: ve}
		}
		return err
	}
	return nil
}

// secretEntry is one item of the --secrets file.
type secretEntry struct {
	Space string `json:"space,omitempty"`
	Kind  string `json:"kind"`
	Owner string `json:"owner"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// readSecrets reads --secrets and resolves every value (env:VAR, file:PATH
// or the value itself). Errors name the entry and the reference, never a
// value.
func readSecrets(path string) ([]promote.Secret, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &steps.InputError{Field: "--secrets", Err: err}
	}
	return parseSecrets("--secrets "+path, raw)
}

// parseSecrets is readSecrets for a document in hand; where names it in
// errors.
func parseSecrets(where string, raw []byte) ([]promote.Secret, error) {
	var entries []secretEntry
	if err := decodePromoteDoc(where, raw, "promote-secrets", &entries); err != nil {
		return nil, err
	}
	var out []promote.Secret
	for i, e := range entries {
		if e.Kind != "variable" && !slices.Contains(promote.KindNames(), e.Kind) {
			return nil, &steps.InputError{Field: fmt.Sprintf("%s: [%d].kind", where, i),
				Err: fmt.Errorf("unknown kind %q (variable, or one of %s)", e.Kind, promoteKinds())}
		}
		v := e.Value
		if strings.HasPrefix(v, "env:") || strings.HasPrefix(v, "file:") {
			var err error
			if v, err = ui.ResolveSecret(v); err != nil {
				return nil, &steps.InputError{Field: fmt.Sprintf("%s: [%d].value", where, i), Err: err}
			}
		}
		out = append(out, promote.Secret{Space: e.Space, Kind: e.Kind, Owner: e.Owner, Name: e.Name, Value: v})
	}
	return out, nil
}

// readOverlay reads --overlay.
func readOverlay(path string) ([]promote.Overlay, error) {
	var out []promote.Overlay
	if err := readPromoteFile("--overlay", path, "promote-overlay", &out); err != nil {
		return nil, err
	}
	for i, o := range out {
		if o.Kind != "variable" && !slices.Contains(promote.KindNames(), o.Kind) {
			return nil, &steps.InputError{Field: fmt.Sprintf("--overlay %s: [%d].kind", path, i),
				Err: fmt.Errorf("unknown kind %q (variable, or one of %s)", o.Kind, promoteKinds())}
		}
	}
	return out, nil
}

// spaceFlags returns every value of the global --space on the command line:
// kong keeps only the last value of a string flag, and promote and diff take
// several. Without one on the command line, the input document's spaces;
// without those (and without --all-spaces), OCTOPUS_SPACE (the global's
// value) is the one space.
func spaceFlags(kctx *kong.Context, g *Globals, allSpaces bool, docSpaces []string) []string {
	var out []string
	args := kctx.Args
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--space="); ok {
			out = append(out, v)
		} else if a == "--space" && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		}
	}
	if len(out) == 0 && len(docSpaces) > 0 {
		out = docSpaces // --input's spaces
	}
	if len(out) == 0 && !allSpaces && g.Space != "" {
		out = []string{g.Space}
	}
	return out
}

// promotePort is what promote and diff need of each instance.
type promotePort interface {
	promote.Port
	ServerVersion(ctx context.Context) (string, error)
}

// connect dials the source and takes the target from the global connection.
func (s *promoteSelection) connect(ctx context.Context, g *Globals, log *slog.Logger, oct steps.Octopus, fromServer string) (src, tgt promotePort, err error) {
	tgt, ok := oct.(promotePort)
	if !ok {
		return nil, nil, fmt.Errorf("promote needs the Octopus adapter, got %T", oct)
	}
	from, err := octopus.Dial(ctx, g.dialOptions(fromServer, s.FromAPIKey))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to --from-server: %w", err)
	}
	return from, tgt, nil
}

// promoteCmd is `octofleet promote`: the configuration of spaces copied
// from a source instance to the target (--server), as a plan first.
type promoteCmd struct {
	promoteSelection
	promoteCmdInput
	Secrets string `help:"Sensitive values the target lacks (YAML or JSON, schemas/promote-secrets.schema.json): kind, owner, name and value (the value, env:VAR or file:PATH). Default: the document in OCTOFLEET_PROMOTE_SECRETS, if set." type:"path" placeholder:"FILE"`
}

// promoteCmdInput is promote's input: the shared fields and its own.
type promoteCmdInput struct {
	promoteInput
	Prune               bool `json:"prune,omitempty" help:"Also delete target documents of the included kinds the source lacks (listed in the plan first)."`
	AllowMissingSecrets bool `json:"allowMissingSecrets,omitempty" name:"allow-missing-secrets" help:"Apply even when sensitive values the target lacks are not given (they stay empty)."`
	AllowVersionSkew    bool `json:"allowVersionSkew,omitempty" name:"allow-version-skew" help:"Promote even to a target older than the source or more than one minor version after it."`
}

// Help is the long help of promote.
func (c *promoteCmd) Help() string {
	return `Copy configuration from a source instance (--from-server, --from-api-key) to
the target (--server, --api-key) for the spaces named by --space (repeatable)
or --all-spaces: the plan is printed first (text: one line per change and
its fields, have → want, sensitive values as (sensitive); --output json: the
plan), then applied unless --dry-run, dependencies first, and a second run
writes nothing. Each kind diffs only the fields it owns; everything else on
the target is left as it is.

` + promoteHelpCarried() + `

Sensitive values cannot be read from the source: the target keeps its own,
and those it lacks are listed as "needs a value" and come from --secrets;
apply refuses to write anything while one is missing, unless
--allow-missing-secrets. --overlay gives the values the target keeps
whatever the source says (variable values, feed URLs, ...); the plan marks them.

The target must run the source's minor version or the next one (Octopus's
advice for syncing instances; an older server rejects fields a newer one
writes): otherwise promote refuses, unless --allow-version-skew.

The flags from --from-server to --allow-version-skew may come from an input
document instead (--input, schemas/promote.schema.json; "spaces" lists the
spaces); a flag wins. --output octopus adds the output variables Changes and
Applied: the octofleet - Promote step template, which the promotion project
"octofleet install --promotion" makes runs per environment, uses them.

Exit codes: 0 done (or --dry-run), 2 --dry-run --exit-code and the plan has
changes, 80 bad flags or files, a reference promote cannot carry, or missing
secrets (nothing written), 1 any other failure.`
}

// Validate checks the flags and reads the files before any request.
func (c *promoteCmd) Validate(kctx *kong.Context) error {
	g := kctx.Model.Target.Addr().Interface().(*CLI)
	if err := c.load("promote", &c.promoteCmdInput); err != nil {
		return err
	}
	if err := c.validate(&c.promoteInput, spaceFlags(kctx, &g.Globals, c.AllSpaces, c.Spaces)); err != nil {
		return err
	}
	c.opts.Prune = c.Prune
	var err error
	switch doc := os.Getenv(secretsEnv); {
	case c.Secrets != "":
		c.opts.Secrets, err = readSecrets(c.Secrets)
	case doc != "":
		// The step template's sensitive parameter: the document itself,
		// never written to a file or the command line.
		c.opts.Secrets, err = parseSecrets(secretsEnv, []byte(doc))
	}
	return err
}

// secretsEnv holds a --secrets document (the promote step template's
// sensitive Secrets parameter).
const secretsEnv = "OCTOFLEET_PROMOTE_SECRETS"

// Run checks the version skew, plans, prints, and (unless --dry-run)
// applies and prints what it applied.
func (c *promoteCmd) Run(ctx context.Context, w io.Writer, g *Globals, log *slog.Logger, oct steps.Octopus) error {
	src, tgt, err := c.connect(ctx, g, log, oct, c.FromServer)
	if err != nil {
		return err
	}
	sv, err := src.ServerVersion(ctx)
	if err != nil {
		return fmt.Errorf("--from-server: %w", err)
	}
	tv, err := tgt.ServerVersion(ctx)
	if err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	if err := doctor.CheckSkew(sv, tv); err != nil {
		if !c.AllowVersionSkew {
			return fmt.Errorf("%w (--allow-version-skew promotes anyway)", err)
		}
		log.Warn("version skew allowed by --allow-version-skew", "skew", err.Error())
	}
	pr := &promote.Promotion{Source: src, Target: tgt, Options: c.opts}
	plan, err := pr.Plan(ctx)
	if err != nil {
		return err
	}
	if g.Output != "json" {
		if err := writePromotePlan(w, plan, promoteVerbs); err != nil {
			return err
		}
	}
	applied := false
	if !c.DryRun && !plan.Empty() {
		if err := plan.Apply(ctx, c.AllowMissingSecrets); err != nil {
			var ms *promote.MissingSecretsError
			if errors.As(err, &ms) {
				return err
			}
			return fmt.Errorf("apply: %w", err)
		}
		applied = true
	}
	if g.Output == "json" {
		if err := writePromoteJSON(w, promoteJSON{Changes: plan.Changes, NeedsValue: plan.NeedsValue, Applied: &applied}); err != nil {
			return err
		}
	} else if err := writeApplied(w, stepsPlan(plan), applied); err != nil {
		return err
	}
	if g.Output == "octopus" {
		if err := writeServiceMessages(w, steps.Outputs{"Changes": fmt.Sprint(len(plan.Changes)), "Applied": boolText(applied)}); err != nil {
			return err
		}
	}
	if c.DryRun && c.ExitCode && !plan.Empty() {
		return &exitError{code: exitChanges, msg: "plan has changes"}
	}
	return nil
}

// diffCmd is `octofleet diff`: promote's comparison as a report.
type diffCmd struct {
	promoteSelection
	promoteInput
}

// Help is the long help of diff.
func (c *diffCmd) Help() string {
	return `Compare the spaces named by --space (repeatable) or --all-spaces of a source
instance (--from-server, --from-api-key) with the target (--server,
--api-key), the way promote does, and write nothing: documents only on the
source, documents that differ (their fields, target → source), and documents
of the included kinds only on the target. Sensitive values compare only as
set or not; --overlay values are the target's own and not a difference.
Text, or --output json (--output octopus: text and the output variables
Equal and Differences). It never writes: --dry-run and --exit-code are
implied. Usable as a scheduled runbook (the octofleet - Diff step
template): are the instances still as similar as they should be?

` + promoteHelpCarried() + `

Exit codes: 0 the instances agree, 2 they differ, 80 bad flags or files or a
reference promote cannot carry, 1 any other failure.`
}

// Validate checks the flags and reads the files before any request.
func (c *diffCmd) Validate(kctx *kong.Context) error {
	g := kctx.Model.Target.Addr().Interface().(*CLI)
	if err := c.load("diff", &c.promoteInput); err != nil {
		return err
	}
	if err := c.validate(&c.promoteInput, spaceFlags(kctx, &g.Globals, c.AllSpaces, c.Spaces)); err != nil {
		return err
	}
	// Documents only on the target are differences too.
	c.opts.Prune = true
	return nil
}

// Run compares and prints the report.
func (c *diffCmd) Run(ctx context.Context, w io.Writer, g *Globals, log *slog.Logger, oct steps.Octopus) error {
	src, tgt, err := c.connect(ctx, g, log, oct, c.FromServer)
	if err != nil {
		return err
	}
	pr := &promote.Promotion{Source: src, Target: tgt, Options: c.opts}
	plan, err := pr.Plan(ctx)
	if err != nil {
		return err
	}
	equal := plan.Empty()
	if g.Output == "json" {
		if err := writePromoteJSON(w, promoteJSON{Changes: plan.Changes, Equal: &equal}); err != nil {
			return err
		}
	} else if err := writePromotePlan(w, plan, diffVerbs); err != nil {
		return err
	}
	if g.Output == "octopus" {
		if err := writeServiceMessages(w, steps.Outputs{"Equal": boolText(equal), "Differences": fmt.Sprint(len(plan.Changes))}); err != nil {
			return err
		}
	}
	if !equal {
		return &exitError{code: exitChanges, msg: fmt.Sprintf("the instances differ: %d document(s)", len(plan.Changes))}
	}
	return nil
}

// planVerbs word a plan's actions: promote's plan or diff's report.
type planVerbs struct {
	action  map[string]string
	none    string
	summary func(n map[string]int) string
}

var promoteVerbs = planVerbs{
	action: map[string]string{promote.Create: "create", promote.Update: "update", promote.Delete: "delete"},
	none:   "No changes.",
	summary: func(n map[string]int) string {
		return fmt.Sprintf("Plan: %d to create, %d to update, %d to delete.", n[promote.Create], n[promote.Update], n[promote.Delete])
	},
}

var diffVerbs = planVerbs{
	action: map[string]string{promote.Create: "only on the source", promote.Update: "differs", promote.Delete: "only on the target"},
	none:   "No differences.",
	summary: func(n map[string]int) string {
		return fmt.Sprintf("The instances differ: %d only on the source, %d differ, %d only on the target.", n[promote.Create], n[promote.Update], n[promote.Delete])
	},
}

// writePromotePlan prints one line per change, `~ update environment
// "Test" in space "Hub" (Environments-2)`, its fields indented below (a
// change's nested fields one leaf a line, have → want), the fields the
// overlay sets, then the secrets that need a value and the summary.
func writePromotePlan(w io.Writer, plan *promote.Plan, v planVerbs) error {
	var b strings.Builder
	n := map[string]int{}
	for _, c := range plan.Changes {
		n[c.Action]++
		fmt.Fprintf(&b, "%s %s %s %q", symbols[steps.Action(c.Action)], v.action[c.Action], c.Kind, c.Name)
		if c.Space != "" {
			fmt.Fprintf(&b, " in space %q", c.Space)
		}
		if c.ID != "" {
			fmt.Fprintf(&b, " (%s)", c.ID)
		}
		b.WriteByte('\n')
		switch c.Action {
		case promote.Create:
			leaves := map[string][2]any{}
			for f, hw := range c.Fields {
				leafDiffs(fieldPath("", f), nil, hw[1], leaves)
			}
			for _, f := range sortedFieldNames(leaves) {
				fmt.Fprintf(&b, "    %s: %s\n", f, shortValue(leaves[f][1]))
			}
		case promote.Update:
			leaves := map[string][2]any{}
			for f, hw := range c.Fields {
				leafDiffs(fieldPath("", f), hw[0], hw[1], leaves)
			}
			for _, f := range sortedFieldNames(leaves) {
				fmt.Fprintf(&b, "    %s: %s → %s\n", f, shortValue(leaves[f][0]), shortValue(leaves[f][1]))
			}
		}
		for _, o := range c.Overlay {
			fmt.Fprintf(&b, "    %s: set by the overlay\n", o)
		}
	}
	needs := slices.Clone(plan.NeedsValue)
	sort.Strings(needs)
	for _, s := range needs {
		fmt.Fprintf(&b, "! needs a value: %s\n", s)
	}
	if plan.Empty() {
		b.WriteString(v.none + "\n")
	} else {
		b.WriteString(v.summary(n))
		if len(needs) > 0 {
			fmt.Fprintf(&b, " %d sensitive value(s) need a value (--secrets).", len(needs))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shortValue is formatValue for the text plan: a string longer than a
// line (a step's script body) shows as its first line and its length; the
// JSON output carries it whole.
func shortValue(v any) string {
	s, ok := v.(string)
	if !ok || (len(s) <= 100 && !strings.Contains(s, "\n")) {
		return formatValue(v)
	}
	first, _, _ := strings.Cut(s, "\n")
	if len(first) > 60 {
		first = first[:60]
	}
	return fmt.Sprintf("%s… (%d characters)", formatValue(first), len(s))
}

// leafDiffs puts into out, by path, the leaves where have and want differ:
// objects compare key by key (against nothing when have is absent, so that
// a created document prints one leaf a line) and lists of the same length
// element by element; anything else that differs is one entry.
func leafDiffs(path string, have, want any, out map[string][2]any) {
	if reflect.DeepEqual(have, want) {
		return
	}
	hm, ok1 := have.(map[string]any)
	wm, ok2 := want.(map[string]any)
	if have == nil && ok2 && len(wm) > 0 {
		hm, ok1 = map[string]any{}, true
	}
	if wl, ok := want.([]any); ok && have == nil && slices.ContainsFunc(wl, func(x any) bool { _, m := x.(map[string]any); return m }) {
		have = make([]any, len(wl)) // a list of objects one leaf a line; of scalars, whole
	}
	if ok1 && ok2 {
		for k, x := range wm {
			leafDiffs(fieldPath(path, k), hm[k], x, out)
		}
		for k, x := range hm {
			if _, ok := wm[k]; !ok && x != nil {
				out[fieldPath(path, k)] = [2]any{x, nil}
			}
		}
		return
	}
	hl, ok1 := have.([]any)
	wl, ok2 := want.([]any)
	if ok1 && ok2 && len(hl) == len(wl) {
		for i := range wl {
			leafDiffs(fmt.Sprintf("%s[%d]", path, i), hl[i], wl[i], out)
		}
		return
	}
	if have == nil && want == nil {
		return
	}
	out[path] = [2]any{have, want}
}

// fieldPath appends a property to a path: .Name, or ["Octopus.Action.X"]
// for a name that is not an identifier.
func fieldPath(path, name string) string {
	ident := name != ""
	for i, r := range name {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			ident = false
		}
	}
	switch {
	case !ident:
		return fmt.Sprintf("%s[%q]", path, name)
	case path == "":
		return name
	}
	return path + "." + name
}

func sortedFieldNames(m map[string][2]any) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// stepsPlan is the plan in the steps' terms, for the shared summary line.
func stepsPlan(p *promote.Plan) steps.Plan {
	out := steps.Plan{Step: "promote"}
	for _, c := range p.Changes {
		out.Changes = append(out.Changes, steps.Change{Action: steps.Action(c.Action), Kind: c.Kind, Name: c.Name, ID: c.ID})
	}
	return out
}

// promoteJSON is the --output json document of promote and diff.
type promoteJSON struct {
	Changes    []promote.Change `json:"changes"`
	NeedsValue []string         `json:"needsValue,omitempty"`
	Applied    *bool            `json:"applied,omitempty"` // promote only
	Equal      *bool            `json:"equal,omitempty"`   // diff only
}

func writePromoteJSON(w io.Writer, r promoteJSON) error {
	if r.Changes == nil {
		r.Changes = []promote.Change{}
	}
	return encodeJSON(w, r)
}

// boolText is an output variable's boolean the way Octopus writes them.
func boolText(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
