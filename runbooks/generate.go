package runbooks

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode"

	"github.com/octofleet/octofleet/schemas"
	"github.com/octofleet/octofleet/scripts"
	"github.com/octofleet/octofleet/steps"
)

// Fixed metadata of every generated file. ExportedAt is a constant, not the
// time of generation, so that generating twice gives the same bytes and the
// checked-in files can be compared with what the code generates.
const (
	exportedAt     = "2026-01-01T00:00:00.000Z"
	octopusVersion = "2026.1.0"
	author         = "octofleet"
	category       = "octofleet"
	// PackageID is the Id of the package that carries the binary to the
	// worker: dist/octofleet.<version>.tar.gz in the built-in feed.
	PackageID = "octofleet"
	// TemplatePrefix starts the name of every octofleet step template.
	TemplatePrefix = "octofleet - "
	// templateVersion is the Library Version of the generated templates.
	templateVersion = 1
)

// namespace seeds the stable template Ids (a name-based UUID, RFC 9562
// version 5, of "octofleet/<step>").
var namespace = [16]byte{0x6f, 0x63, 0x74, 0x6f, 0x66, 0x6c, 0x65, 0x65, 0x74, 0x2d, 0x73, 0x74, 0x65, 0x70, 0x73, 0x00}

// stableID returns the name-based UUID (version 5) of name.
func stableID(name string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte("octofleet/" + name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// StepTemplate is a step template in the Octopus community Library format
// (OctopusDeploy/Library step-templates/*.json), field for field.
type StepTemplate struct {
	ID                        string            `json:"Id"`
	Name                      string            `json:"Name"`
	Description               string            `json:"Description"`
	ActionType                string            `json:"ActionType"`
	Version                   int               `json:"Version"`
	CommunityActionTemplateID *string           `json:"CommunityActionTemplateId"`
	Packages                  []PackageRef      `json:"Packages"`
	Properties                map[string]string `json:"Properties"`
	Parameters                []Parameter       `json:"Parameters"`
	LastModifiedBy            string            `json:"LastModifiedBy"`
	Meta                      Meta              `json:"$Meta"`
	Category                  string            `json:"Category"`
}

// PackageRef is a package reference of a step template. FeedID is null in the
// Library (its rule: null or a #{variable}); install points it at the
// built-in feed of the space.
type PackageRef struct {
	Name                string            `json:"Name"`
	PackageID           string            `json:"PackageId"`
	FeedID              *string           `json:"FeedId"`
	AcquisitionLocation string            `json:"AcquisitionLocation"`
	Properties          map[string]string `json:"Properties"`
}

// Parameter is a step template parameter, or a tenant variable template of
// the project (the same shape on the server).
type Parameter struct {
	Name            string            `json:"Name"`
	Label           string            `json:"Label"`
	HelpText        string            `json:"HelpText"`
	DefaultValue    string            `json:"DefaultValue"`
	DisplaySettings map[string]string `json:"DisplaySettings"`
}

// Meta is the Library's $Meta block.
type Meta struct {
	ExportedAt     string `json:"ExportedAt"`
	OctopusVersion string `json:"OctopusVersion"`
	Type           string `json:"Type"`
}

// Control types of parameters (DisplaySettings "Octopus.ControlType").
const (
	controlType   = "Octopus.ControlType"
	singleLine    = "SingleLineText"
	multiLine     = "MultiLineText"
	sensitive     = "Sensitive"
	checkbox      = "Checkbox"
	selectControl = "Select"
	selectOptions = "Octopus.SelectOptions"
)

// Parameter names every template has; scripts/step.sh reads them.
const (
	ParamServer   = "Octofleet.Server"
	ParamAPIKey   = "Octofleet.ApiKey"
	ParamSpace    = "Octofleet.Space"
	ParamInput    = "Octofleet.Input"
	ParamVars     = "Octofleet.Vars"
	ParamDryRun   = "Octofleet.DryRun"
	ParamLogLevel = "Octofleet.LogLevel"
	// ParamSourceAPIKey is seed-templates' upstream API key, a secret
	// passed as OCTOFLEET_SOURCE_API_KEY.
	ParamSourceAPIKey = "Octofleet.SourceApiKey"
	// ParamFromServer and ParamFromAPIKey are promote's and diff's source
	// instance; ParamPromoteSecrets promote's --secrets document.
	ParamFromServer     = "Octofleet.FromServer"
	ParamFromAPIKey     = "Octofleet.FromApiKey"
	ParamPromoteSecrets = "Octofleet.PromoteSecrets"
)

// extra is a step-specific parameter: a flag of the subcommand, or a secret
// handed to it through an environment variable.
type extra struct {
	Parameter
	flag string // --flag for a non-secret value
	env  string // environment variable for a secret
}

// extras are the parameters a step takes beyond the common ones: the
// connections and secrets steps read from flags and their environment.
var extras = map[string][]extra{
	"seed-templates": {
		{Parameter: Parameter{Name: ParamSourceAPIKey, Label: "Upstream API key", HelpText: "API key for the upstream server when the input's source.server is another instance (passed as OCTOFLEET_SOURCE_API_KEY, never on the command line)."}, env: "OCTOFLEET_SOURCE_API_KEY"},
	},
	"create-facade-project": {
		{Parameter: Parameter{Name: "Octofleet.ManagementApiKey", Label: "Management API key", HelpText: "API key the facade uses to call the management space, stored as the facade project's sensitive variable (passed as OCTOFLEET_MANAGEMENT_API_KEY, never on the command line)."}, env: "OCTOFLEET_MANAGEMENT_API_KEY"},
	},
	"check-drift": {
		{Parameter: Parameter{Name: "Octofleet.TargetApiKey", Label: "Tenant instance API key", HelpText: "API key for the tenant's instance when it is not this one (passed as OCTOFLEET_TARGET_API_KEY, never on the command line)."}, env: "OCTOFLEET_TARGET_API_KEY"},
	},
	"promote": {
		{Parameter: Parameter{Name: ParamFromServer, Label: "Source server URL", HelpText: "URL of the instance the configuration is promoted from (`--from-server`); the step's server is the target."}, flag: "--from-server"},
		{Parameter: Parameter{Name: ParamFromAPIKey, Label: "Source API key", HelpText: "API key for the source instance (passed as OCTOFLEET_FROM_API_KEY, never on the command line)."}, env: "OCTOFLEET_FROM_API_KEY"},
		{Parameter: Parameter{Name: ParamPromoteSecrets, Label: "Secrets", HelpText: "The sensitive values the target lacks, as a `--secrets` document (YAML or JSON, schemas/promote-secrets.schema.json; passed as OCTOFLEET_PROMOTE_SECRETS, never on the command line or in a file)."}, env: "OCTOFLEET_PROMOTE_SECRETS"},
	},
	"diff": {
		{Parameter: Parameter{Name: ParamFromServer, Label: "Source server URL", HelpText: "URL of the instance compared with the step's server (`--from-server`)."}, flag: "--from-server"},
		{Parameter: Parameter{Name: ParamFromAPIKey, Label: "Source API key", HelpText: "API key for the source instance (passed as OCTOFLEET_FROM_API_KEY, never on the command line)."}, env: "OCTOFLEET_FROM_API_KEY"},
	},
	"clone-instance-settings": {
		{Parameter: Parameter{Name: "Octofleet.TargetServer", Label: "Target server URL", HelpText: "URL of the instance whose settings are changed."}, flag: "--target-server"},
		{Parameter: Parameter{Name: "Octofleet.TargetApiKey", Label: "Target API key", HelpText: "API key for the target instance (passed as OCTOFLEET_TARGET_API_KEY, never on the command line)."}, env: "OCTOFLEET_TARGET_API_KEY"},
	},
}

// inputs are the steps' input types. Their fields that kong turns into
// flags (scalars and string lists) become the template's field parameters;
// a step not listed here takes its input from the Input parameter only.
var inputs = map[string]any{
	"create-space":              steps.CreateSpaceInput{},
	"seed-templates":            steps.SeedTemplatesInput{},
	"clone-instance-settings":   steps.CloneInstanceSettingsInput{},
	"restore-instance-settings": steps.RestoreInstanceSettingsInput{},
	"register-tenant":           steps.RegisterTenantInput{},
	"trigger":                   steps.TriggerInput{},
}

// fieldFlag is a top-level input property that has a flag.
type fieldFlag struct {
	flag string
	kind string // "" (a value), "bool" or "list"
}

// fieldFlags maps the JSON names of in's top-level fields to their flags,
// named the way kong names them: the name tag, else the field name in
// kebab case.
func fieldFlags(in any) map[string]fieldFlag {
	out := map[string]fieldFlag{}
	t := reflect.TypeOf(in)
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || f.Anonymous || f.Tag.Get("kong") == "-" || f.Tag.Get("embed") != "" {
			continue
		}
		flag := f.Tag.Get("name")
		if flag == "" {
			flag = kebab(f.Name)
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Bool:
			out[name] = fieldFlag{flag: "--" + flag, kind: "bool"}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			out[name] = fieldFlag{flag: "--" + flag, kind: "list"}
		case ft.Kind() == reflect.String || ft.Kind() == reflect.Int:
			out[name] = fieldFlag{flag: "--" + flag}
		}
	}
	return out
}

// kebab turns a Go field name into kong's default flag name: ManagerTeams ->
// manager-teams, APIKey -> api-key.
func kebab(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]))) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// schemaDoc is the part of a step's JSON schema the generator reads.
type schemaDoc struct {
	Title       string                `json:"title"`
	Description string                `json:"description"`
	Required    []string              `json:"required"`
	Properties  map[string]schemaProp `json:"properties"`
}

type schemaProp struct {
	Type        any    `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Enum        []any  `json:"enum"`
	Default     any    `json:"default"`
}

// Title turns a step name into its title: create-space -> Create Space.
func Title(step string) string {
	words := strings.Split(step, "-")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// TemplateName is the name of a step's template: "octofleet - Create Space".
func TemplateName(step string) string { return TemplatePrefix + Title(step) }

// TemplateFile is the file name of a step's (Bash) template in the export.
func TemplateFile(step string) string { return TemplateFileFor(step, SyntaxBash) }

// firstSentence shortens a schema description for help texts.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// Script syntaxes (Octopus.Action.Script.Syntax) the templates are
// rendered in.
const (
	SyntaxBash       = steps.SyntaxBash
	SyntaxPowerShell = steps.SyntaxPowerShell
)

// Syntaxes are the script syntaxes every template is rendered in, Bash
// first (the default).
var Syntaxes = []string{SyntaxBash, SyntaxPowerShell}

// ParseSyntax names a syntax the way Octopus does (any case in, "Bash" or
// "PowerShell" out); ok is false for any other.
func ParseSyntax(s string) (string, bool) {
	for _, x := range Syntaxes {
		if strings.EqualFold(s, x) {
			return x, true
		}
	}
	return "", false
}

// templatesDir is where the templates of a syntax are in the export (and
// in the package): step-templates/ for Bash, step-templates-powershell/.
func templatesDir(syntax string) string {
	if syntax == SyntaxBash {
		return "step-templates"
	}
	return "step-templates-" + strings.ToLower(syntax)
}

// TemplateFileFor is the file name of a step's template of a syntax in the
// export.
func TemplateFileFor(step, syntax string) string {
	return templatesDir(syntax) + "/octofleet-" + step + ".json"
}

// table is a template's parameter table, the one source both script
// renderings read: the input's field flags ("Parameter=--flag",
// "Parameter=bool:--flag", "Parameter=list:--flag"), other flags
// ("Parameter=--flag") and secrets ("Parameter=ENV_NAME").
type table struct {
	step                string
	fields, flags, envs []string
}

// script renders the template's script body in syntax: the table as the
// script's variables, then the body (scripts/step.sh or step.ps1).
func (tb table) script(syntax string) string {
	if syntax == SyntaxPowerShell {
		list := func(items []string) string {
			if len(items) == 0 {
				return "@()"
			}
			var b strings.Builder
			b.WriteString("@(\n")
			for _, it := range items {
				b.WriteString("  " + psQuote(it) + "\n")
			}
			b.WriteString(")")
			return b.String()
		}
		return fmt.Sprintf("$step = %s\n$fields = %s\n$flags = %s\n$envs = %s\n%s", psQuote(tb.step), list(tb.fields), list(tb.flags), list(tb.envs), scripts.StepPowerShell)
	}
	return fmt.Sprintf("step='%s'\nfields='%s'\nflags='%s'\nenvs='%s'\n%s", tb.step, strings.Join(tb.fields, "\n"), strings.Join(tb.flags, "\n"), strings.Join(tb.envs, "\n"), scripts.Step)
}

// psQuote quotes s as a PowerShell verbatim string.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// stepTemplate generates the template of one step from its schema, with
// its script in syntax.
func stepTemplate(step, syntax string) (StepTemplate, error) {
	raw, err := schemas.Schema(step)
	if err != nil {
		return StepTemplate{}, err
	}
	var sd schemaDoc
	if err := json.Unmarshal(raw, &sd); err != nil {
		return StepTemplate{}, fmt.Errorf("read %s schema: %w", step, err)
	}
	props := make([]string, 0, len(sd.Properties))
	for k := range sd.Properties {
		props = append(props, k)
	}
	sort.Strings(props)
	var help strings.Builder
	fmt.Fprintf(&help, "The `octofleet %s` input document, JSON or YAML (schema: schemas/%s.schema.json). "+
		"When given, it replaces the field parameters. Go templates in names see `{{ .Tenant.Name }}`, `{{ .Tenant.Tags }}` and `{{ .Vars.k }}`. Properties:", step, step)
	for _, k := range props {
		fmt.Fprintf(&help, "\n- `%s`: %s", k, firstSentence(sd.Properties[k].Description))
	}
	params := []Parameter{
		{Name: ParamServer, Label: "Octopus Server URL", HelpText: "URL of the Octopus Server the step changes. Default: this server.", DefaultValue: "#{Octopus.Web.ServerUri}", DisplaySettings: map[string]string{controlType: singleLine}},
		{Name: ParamAPIKey, Label: "API key", HelpText: "API key for that server. Passed to octofleet as OCTOPUS_API_KEY, never on the command line.", DisplaySettings: map[string]string{controlType: sensitive}},
		{Name: ParamSpace, Label: "Space", HelpText: "Space name or Id (`--space`), for steps that work in one space.", DisplaySettings: map[string]string{controlType: singleLine}},
		{Name: ParamInput, Label: "Input", HelpText: help.String(), DisplaySettings: map[string]string{controlType: multiLine}},
		{Name: ParamVars, Label: "Template variables", HelpText: "One `name=value` per line; the input's Go templates read them as `{{ .Vars.name }}`. Use it to pass Octopus variables into the input without quoting them into JSON.", DisplaySettings: map[string]string{controlType: multiLine}},
		{Name: ParamDryRun, Label: "Dry run", HelpText: "Print the plan and change nothing.", DefaultValue: "False", DisplaySettings: map[string]string{controlType: checkbox}},
		{Name: ParamLogLevel, Label: "Log level", HelpText: "How much octofleet logs.", DefaultValue: "info", DisplaySettings: map[string]string{controlType: selectControl, selectOptions: "debug|Debug\ninfo|Info\nwarn|Warnings\nerror|Errors"}},
	}
	var fields, flags, envs []string
	if in, ok := inputs[step]; ok {
		ff := fieldFlags(in)
		for _, k := range props {
			f, ok := ff[k]
			if !ok {
				continue
			}
			sp := sd.Properties[k]
			label := sp.Title
			if label == "" {
				label = k
			}
			p := Parameter{Name: "Octofleet.In." + k, Label: label, DisplaySettings: map[string]string{controlType: singleLine},
				HelpText: fmt.Sprintf("%s\n\nPassed as `%s`; not used when Input is given.", sp.Description, f.flag)}
			switch {
			case f.kind == "bool":
				p.DisplaySettings[controlType] = checkbox
				p.DefaultValue = "False"
				if d, ok := sp.Default.(bool); ok && d {
					p.DefaultValue = "True"
				}
			case f.kind == "list":
				p.DisplaySettings[controlType] = multiLine
				p.HelpText = fmt.Sprintf("%s\n\nOne a line, each passed as `%s`; not used when Input is given.", sp.Description, f.flag)
			case len(sp.Enum) > 0:
				p.DisplaySettings[controlType] = selectControl
				var opts []string
				for _, e := range sp.Enum {
					opts = append(opts, fmt.Sprintf("%v|%v", e, e))
				}
				p.DisplaySettings[selectOptions] = strings.Join(opts, "\n")
			}
			if d, ok := sp.Default.(string); ok {
				p.DefaultValue = d
			}
			spec := f.flag
			if f.kind != "" {
				spec = f.kind + ":" + f.flag
			}
			fields = append(fields, p.Name+"="+spec)
			params = append(params, p)
		}
	}
	for _, x := range extras[step] {
		p := x.Parameter
		p.DisplaySettings = map[string]string{controlType: singleLine}
		if x.env != "" {
			p.DisplaySettings[controlType] = sensitive
			envs = append(envs, p.Name+"="+x.env)
		} else {
			flags = append(flags, p.Name+"="+x.flag)
		}
		params = append(params, p)
	}

	body := table{step: step, fields: fields, flags: flags, envs: envs}.script(syntax)
	title := sd.Title
	if title == "" {
		title = step
	}
	return StepTemplate{
		ID:          stableID(step),
		Name:        TemplateName(step),
		Description: fmt.Sprintf("%s\n\nRuns `octofleet %s` from the octofleet package with `--output octopus`, so its results become output variables.", sd.Description, step),
		ActionType:  "Octopus.Script",
		Version:     templateVersion,
		Packages: []PackageRef{{
			Name: PackageID, PackageID: PackageID, AcquisitionLocation: "Server",
			Properties: map[string]string{"Extract": "True", "SelectionMode": "immediate", "Purpose": ""},
		}},
		Properties: map[string]string{
			"Octopus.Action.Script.ScriptSource": "Inline",
			"Octopus.Action.Script.Syntax":       syntax,
			"Octopus.Action.Script.ScriptBody":   body,
		},
		Parameters:     params,
		LastModifiedBy: author,
		Meta:           Meta{ExportedAt: exportedAt, OctopusVersion: octopusVersion, Type: "ActionTemplate"},
		Category:       category,
	}, nil
}

// Generate returns every generated file by its path under runbooks/: one
// step template per step (every schema in package schemas) and syntax, and
// the project document.
func Generate() (map[string][]byte, error) {
	out := map[string][]byte{}
	var names []string
	for _, step := range schemas.Names() {
		for _, syntax := range Syntaxes {
			t, err := stepTemplate(step, syntax)
			if err != nil {
				return nil, err
			}
			b, err := marshal(t)
			if err != nil {
				return nil, err
			}
			out[TemplateFileFor(step, syntax)] = b
		}
		names = append(names, step)
	}
	b, err := marshal(project(names))
	if err != nil {
		return nil, err
	}
	out[ProjectFile] = b
	return out, nil
}

// marshal writes JSON the way the Library does: two-space indent, no HTML
// escaping, a final newline, no byte-order mark.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
