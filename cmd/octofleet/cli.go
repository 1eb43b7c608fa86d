package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"reflect"
	"slices"

	"github.com/alecthomas/kong"
	"sigs.k8s.io/yaml"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/octopus"
	"github.com/octofleet/octofleet/schemas"
	"github.com/octofleet/octofleet/steps"
)

// Exit codes (square/exit semantics, as kong uses them).
const (
	exitOK      = 0
	exitFailure = 1
	exitChanges = 2  // --dry-run --exit-code and the plan has changes
	exitUsage   = 80 // bad usage or invalid input
)

// CLI is octofleet's command line: the global flags and one subcommand per step.
type CLI struct {
	Globals

	CreateSpace   createSpaceCmd   `cmd:"" help:"Ensure a space exists, set up with its managers, environments, lifecycles, project groups, tag sets and teams." group:"Steps"`
	SeedTemplates seedTemplatesCmd `cmd:"" help:"Keep step templates and template projects in sync in a space." group:"Steps"`

	CloneInstanceSettings   cloneInstanceSettingsCmd   `cmd:"" help:"Make a target instance's shared settings (authentication, SMTP, audit stream, web portal, retention, system teams, roles, subscriptions) match a source instance." group:"Steps"`
	RestoreInstanceSettings restoreInstanceSettingsCmd `cmd:"" help:"Put an instance's settings back from a clone-instance-settings backup." group:"Steps"`
	CreateFacadeProject     createFacadeProjectCmd     `cmd:"" help:"Ensure a customer's facade: a space, a project whose step runs a management-space runbook or deployment for the customer's tenant, and a customer team." group:"Steps"`
	Trigger                 triggerCmd                 `cmd:"" help:"Start a runbook run or deployment for one tenant, follow its task log and exit with its result." group:"Steps"`

	RegisterTenant registerTenantCmd `cmd:"" help:"Ensure a tenant of the management space: tags, project connections and variables." group:"Steps"`
	CheckDrift     checkDriftCmd     `cmd:"" help:"Plan every step one tenant of the management space runs and change nothing; exit 2 when it drifted (the Check Drift runbook's step)." group:"Steps"`
	Fleet          fleetCmd          `cmd:"" help:"Status, drift check, apply and runbook runs over every tenant of the fleet, on every instance."`
	Install        installCmd        `cmd:"" help:"Install the step templates, package, project and runbooks into a management space."`
	Demo           demoCmd           `cmd:"" help:"Run the whole management-space story against two in-memory Octopus servers."`
	Export         exportCmd         `cmd:"" help:"Write the step templates and runbook project the binary embeds."`

	UI       uiCmd       `cmd:"" name:"ui" help:"Serve the web UI over the fleet's Octopus instances (and hash its users' passwords)."`
	Promote  promoteCmd  `cmd:"" help:"Copy spaces' configuration (environments, lifecycles, projects, processes, variables, templates, ...) from one Octopus instance to another, as a plan first."`
	Diff     diffCmd     `cmd:"" help:"Compare spaces' configuration between two Octopus instances; exit 2 when they differ."`
	Doctor   doctorCmd   `cmd:"" help:"Check an instance before octofleet runs against it or an upgrade is promoted on: version and skew, the key's permissions per step, the routes octofleet reads, worker pools, and an optional smoke run."`
	Emulator emulatorCmd `cmd:"" help:"Serve an in-memory Octopus Server API for tests and demos."`
	Version  versionCmd  `cmd:"" help:"Print the version."`
}

// Globals apply to every subcommand. Precedence: flag > env > default.
type Globals struct {
	Server                string           `help:"Octopus Server URL." env:"OCTOPUS_URL" placeholder:"URL"`
	APIKey                string           `help:"Octopus API key (never printed)." env:"OCTOPUS_API_KEY" name:"api-key" placeholder:"KEY"`
	Space                 string           `help:"Space name or ID." env:"OCTOPUS_SPACE" placeholder:"SPACE"`
	Output                string           `help:"Output: text, json, or octopus (text plus service messages setting output variables)." enum:"text,json,octopus" default:"text"`
	LogLevel              slog.Level       `help:"Log level on stderr: debug, info, warn, error." env:"OCTOFLEET_LOG_LEVEL" default:"info" placeholder:"LEVEL"`
	RateLimit             int              `help:"Client-side limit in requests per minute (0 = off)." env:"OCTOFLEET_RATE_LIMIT" default:"0" placeholder:"N"`
	Retries               int              `help:"Retry budget of the run: retries after 5xx answers, dropped connections, and creates an existence check showed did not land (429s wait without spending it; 0 = never retry)." env:"OCTOFLEET_RETRIES" default:"1000" placeholder:"N"`
	APIKeyFile            string           `help:"File holding the Octopus API key, instead of --api-key (every *-api-key flag also takes file:PATH)." env:"OCTOPUS_API_KEY_FILE" name:"api-key-file" placeholder:"FILE" type:"path"`
	CACert                string           `help:"PEM file of CA certificates to trust besides the system's (a private CA)." env:"OCTOFLEET_CA_CERT" name:"ca-cert" placeholder:"FILE" type:"path"`
	InsecureSkipTLSVerify bool             `help:"Do not verify the servers' TLS certificates (prints a warning; never the default)." name:"insecure-skip-tls-verify"`
	VersionFlag           kong.VersionFlag `name:"version" help:"Print the version and exit."`

	log    *slog.Logger // set once the flags are parsed
	client *http.Client // the run's HTTP client (httpClient)
}

// Validate rejects global flag values kong's types cannot.
func (g *Globals) Validate() error {
	if g.RateLimit < 0 {
		return errors.New("--rate-limit must be 0 (off) or a positive number of requests per minute")
	}
	if g.Retries < 0 {
		return errors.New("--retries must be 0 (never retry) or a positive number of retries")
	}
	return nil
}

// retryBudget is --retries in octopus.Options terms (there 0 means the default).
func (g *Globals) retryBudget() int {
	if g.Retries == 0 {
		return -1
	}
	return g.Retries
}

// logger returns the run's logger (a discarding one before parsing is done).
func (g *Globals) logger() *slog.Logger {
	if g.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return g.log
}

// dialFunc connects to the Octopus Server named by the global flags. kong
// calls it at most once, and only when a command's Run asks for steps.Octopus.
type dialFunc func(ctx context.Context, g *Globals, log *slog.Logger) (steps.Octopus, error)

// newParser builds the kong parser. main and the tests share it; stdin is
// what --input - reads.
func newParser(cli *CLI, stdin io.Reader, stdout, stderr io.Writer, dial dialFunc) (*kong.Kong, error) {
	return kong.New(cli,
		kong.Name("octofleet"),
		kong.Description("Idempotent Octopus Deploy fleet steps: plan, then apply, against one Octopus Server API."),
		kong.Vars{"version": "octofleet " + resolveVersion(), "default_server_version": emulator.DefaultServerVersion},
		kong.Writers(stdout, stderr),
		kong.Bind(&cli.Globals),
		kong.BindTo(stdout, (*io.Writer)(nil)),
		kong.BindSingletonProvider(dial), // dialled only if a Run asks for steps.Octopus
		kong.WithBeforeApply(func(kctx *kong.Context) error {
			if n := kctx.Selected(); n != nil && n.Target.CanAddr() {
				if s, ok := n.Target.Addr().Interface().(interface{ setStdin(io.Reader) }); ok {
					s.setStdin(stdin)
				}
			}
			return nil
		}),
	)
}

// kongExit carries kong's exit code (after --help or --version) out of Parse.
type kongExit int

// execute parses args, runs the selected command and returns the exit code.
// It never calls os.Exit, so tests run it in-process.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, dial dialFunc) (code int) {
	var (
		cli     CLI
		dialled steps.Octopus
	)
	parser, err := newParser(&cli, stdin, stdout, stderr, func(ctx context.Context, g *Globals, log *slog.Logger) (steps.Octopus, error) {
		switch {
		case g.Server == "":
			return nil, &usageError{"--server (or OCTOPUS_URL) is required"}
		case g.APIKey == "":
			return nil, &usageError{"--api-key (or OCTOPUS_API_KEY) is required"}
		}
		oct, err := dial(ctx, g, log)
		if err != nil {
			return nil, err // never a typed nil inside the interface
		}
		dialled = oct
		return oct, nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "octofleet: %v\n", err) // the command declarations are broken
		return exitFailure
	}
	parser.Exit = func(c int) { panic(kongExit(c)) }
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(kongExit)
			if !ok {
				panic(r)
			}
			code = int(c)
		}
	}()

	kctx, err := parser.Parse(args)
	if err != nil {
		// Every parse failure is bad usage or bad input, whatever kong's own
		// code (it uses 1 for bad environment values): exit 80.
		parser.Errorf("%s", err)
		var ec kong.ExitCoder
		if !errors.As(errors.Unwrap(err), &ec) { // not an input document error: point at the help
			fmt.Fprintln(stderr, `Run "octofleet --help" for usage.`)
		}
		return exitUsage
	}
	cli.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cli.LogLevel}))
	if err := resolveKeys(kctx, &cli.Globals); err != nil {
		parser.Errorf("%s", err)
		return exitUsage
	}
	if _, err := cli.httpClient(stderr); err != nil {
		parser.Errorf("%s", err)
		return exitUsage
	}
	kctx.BindTo(ctx, (*context.Context)(nil)) // kctx.Run(ctx) would bind the concrete type
	kctx.Bind(cli.log)
	err = kctx.Run()
	if c, ok := dialled.(interface{ Counts() octopus.Counts }); ok {
		n := c.Counts()
		cli.log.Debug("octopus api requests", "reads", n.Reads, "writes", n.Writes)
	}
	if err == nil {
		return exitOK
	}
	code = exitFailure
	var ec kong.ExitCoder
	if errors.As(err, &ec) {
		code = ec.ExitCode()
	}
	if code == exitFailure && interrupted(ctx) {
		code = exitInterrupted // interrupted outside an apply (a plan, a trigger's wait)
	}
	if code == exitChanges {
		fmt.Fprintf(stderr, "octofleet: %v\n", err)
	} else {
		parser.Errorf("%s", err)
	}
	return code
}

// usageError is bad usage found after parsing (exit 80).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// ExitCode makes the process exit 80.
func (e *usageError) ExitCode() int { return exitUsage }

// exitError ends a run with a specific code (2: the plan has changes).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// ExitCode is the process's exit code.
func (e *exitError) ExitCode() int { return e.code }

// stepFlags are the flags every step subcommand embeds, next to its input
// struct (whose fields are the step's field flags).
type stepFlags struct {
	Input      string            `help:"Input document, JSON or YAML ('-' = stdin); field flags override its fields." type:"path" placeholder:"FILE"`
	DryRun     bool              `help:"Print the plan; write nothing."`
	ExitCode   bool              `help:"With --dry-run, exit 2 when the plan has changes (drift detection)."`
	TenantName string            `help:"Tenant name, for templates: {{ .Tenant.Name }}." placeholder:"NAME"`
	TenantSlug string            `help:"Tenant slug, for templates: {{ .Tenant.Slug }}." placeholder:"SLUG"`
	TenantTags []string          `name:"tenant-tag" help:"Tenant tag (Set/Tag), for templates: {{ .Tenant.Tags }}; repeatable." sep:"none" placeholder:"TAG"`
	Vars       map[string]string `name:"var" help:"Template variable, for templates: {{ .Vars.k }}; repeatable." mapsep:"none" placeholder:"K=V"`

	stdin io.Reader // what --input - reads; os.Stdin when nil
}

func (f *stepFlags) setStdin(r io.Reader) { f.stdin = r }

// load fills in (a pointer to the step's input struct) from --input with the
// field flags laid over it, or from the field flags alone. Either way the document passes
// through schemas.Decode, so both paths obey the same schema; every violation
// is listed with its JSON path and the error exits 80.
func (f *stepFlags) load(step string, in any) error {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("load %s input: want a non-nil pointer, got %T", step, in)
	}
	doc, err := flagDocument(in)
	if err != nil {
		return fmt.Errorf("load %s input: %w", step, err)
	}
	if f.Input != "" {
		raw, err := f.readInput()
		if err != nil {
			return &steps.InputError{Field: "--input", Err: err}
		}
		file, err := toJSON(raw)
		if err != nil {
			return &steps.InputError{Field: "--input", Err: fmt.Errorf("%s: %w", f.Input, err)}
		}
		if doc, err = overlay(file, doc); err != nil {
			return &steps.InputError{Field: "--input", Err: fmt.Errorf("%s: %w", f.Input, err)}
		}
		v.Elem().SetZero()
	}
	return schemas.Decode(step, doc, in)
}

func (f *stepFlags) readInput() ([]byte, error) {
	if f.Input != "-" {
		return os.ReadFile(f.Input)
	}
	r := f.stdin
	if r == nil {
		r = os.Stdin
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	return b, nil
}

// toJSON returns a JSON document as it is and converts YAML to JSON.
func toJSON(raw []byte) ([]byte, error) {
	if json.Valid(raw) {
		return raw, nil
	}
	doc, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("neither JSON nor YAML: %w", err)
	}
	return doc, nil
}

// overlay returns the file's document with the given field flags (and the
// environment variables behind them, such as OCTOFLEET_SOURCE_API_KEY) laid
// over it: a flag wins over the same field in the file, objects merge key by
// key, anything else is replaced. Runbook steps rely on this to pass secrets
// by environment while the rest of the input comes from a file.
func overlay(file, flags []byte) ([]byte, error) {
	var base any
	if err := json.Unmarshal(file, &base); err != nil {
		return nil, err
	}
	if _, ok := base.(map[string]any); !ok {
		return file, nil // not an object: the schema says what is wrong with it
	}
	var over any
	if err := json.Unmarshal(flags, &over); err != nil {
		return nil, err
	}
	return json.Marshal(mergeJSON(base, over))
}

// mergeJSON lays over onto base. An object in over that holds no value (a
// nested input struct no flag filled) adds nothing, so the schema still says
// "upstream: is required" rather than listing each of its fields.
func mergeJSON(base, over any) any {
	o, ok := over.(map[string]any)
	if !ok {
		return over
	}
	b, ok := base.(map[string]any)
	if !ok {
		if empty(o) {
			return base
		}
		b = map[string]any{}
	}
	for k, v := range o {
		if m := mergeJSON(b[k], v); m != nil {
			b[k] = m
		}
	}
	return b
}

// empty reports whether an object holds nothing but empty objects.
func empty(o map[string]any) bool {
	for _, v := range o {
		if m, ok := v.(map[string]any); !ok || !empty(m) {
			return false
		}
	}
	return true
}

// flagDocument marshals the flag-filled input struct to JSON. Flags that were
// not given must marshal to nothing, so the input structs tag their fields
// omitempty and use pointers where false or "" is a value: a field left out
// is then left alone, exactly as when it is absent from a file.
func flagDocument(in any) ([]byte, error) {
	return json.Marshal(in)
}

// templateData is what the step's string templates may refer to.
func (f *stepFlags) templateData() steps.TemplateData {
	vars := maps.Clone(f.Vars)
	if vars == nil {
		vars = map[string]string{}
	}
	tags := slices.Clone(f.TenantTags)
	if tags == nil {
		tags = []string{}
	}
	return steps.TemplateData{
		Tenant: steps.TenantData{Name: f.TenantName, Slug: f.TenantSlug, Tags: tags},
		Vars:   vars,
	}
}

// renderable is a step input whose templates Render expands.
type renderable[T any] interface {
	Render(steps.TemplateData) (T, error)
}

// renderInput replaces *in by its rendering with the flags' template data;
// a bad template is an *steps.InputError (exit 80).
func renderInput[T renderable[T]](f *stepFlags, in *T) error {
	out, err := (*in).Render(f.templateData())
	if err != nil {
		return err
	}
	*in = out
	return nil
}

// run is the one place that sequences a step: plan, print the plan, and
// (unless --dry-run) apply it and print the result and outputs.
func (f *stepFlags) run(ctx context.Context, w io.Writer, g *Globals, oct steps.Octopus, s steps.Step) error {
	plan, err := s.Plan(ctx, oct)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	out := &printer{w: w, format: g.Output, verbose: g.LogLevel <= slog.LevelDebug}
	if err := out.plan(plan); err != nil {
		return err
	}
	if f.DryRun {
		if err := out.result(plan, plan.Outputs, false); err != nil {
			return err
		}
		if f.ExitCode && !plan.Empty() {
			return &exitError{code: exitChanges, msg: "plan has changes"}
		}
		return nil
	}
	outputs := maps.Clone(plan.Outputs)
	if !plan.Empty() {
		pr := &steps.Progress{}
		final, applied, err := steps.Converge(steps.WithProgress(ctx, pr), oct, s, plan)
		if n := pr.Conflicts(); n > 0 {
			g.logger().Info("another run changed objects of this plan; planned again and adopted them", "replans", n)
		}
		if err != nil && interrupted(ctx) {
			return stepInterrupted(w, g.Output, final, pr.Applied(), err)
		}
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		plan, outputs = final, applied
		for _, c := range pr.Applied() {
			attrs := []any{"action", string(c.Action), "kind", c.Kind, "name", c.Name}
			if c.ID != "" {
				attrs = append(attrs, "id", c.ID)
			}
			g.logger().Info("applied", attrs...)
		}
	}
	return out.result(plan, outputs, true)
}
