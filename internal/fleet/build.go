package fleet

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/octofleet/octofleet/schemas"
	"github.com/octofleet/octofleet/steps"
)

// built is a step ready to plan, and the connection it plans against.
type built struct {
	step steps.Step
	oct  steps.Octopus
}

// errWaitsForOutput: the step's input refers to an output an earlier step
// has not produced yet (a space that does not exist has no Id to record).
type errWaitsForOutput struct{ ref string }

func (e *errWaitsForOutput) Error() string { return "waits for " + e.ref }

var outputRefs = regexp.MustCompile(`#\{Octopus\.Action\[([^\]]+)\]\.Output\.([^}]+)\}`)

// fillOutputs replaces references to earlier steps' outputs.
func fillOutputs(s string, outputs map[string]steps.Outputs) (string, error) {
	var missing string
	out := outputRefs.ReplaceAllStringFunc(s, func(m string) string {
		sm := outputRefs.FindStringSubmatch(m)
		v, ok := outputs[sm[1]][sm[2]]
		if !ok || v == "" {
			if missing == "" {
				missing = fmt.Sprintf("the output %s of step %q", sm[2], sm[1])
			}
			return m
		}
		return v
	})
	if missing != "" {
		return "", &errWaitsForOutput{ref: missing}
	}
	return out, nil
}

// decoded is implemented by every step input: schema-decoded, then rendered.
type renderable[T any] interface {
	Render(steps.TemplateData) (T, error)
}

func decodeRender[T renderable[T]](name string, doc []byte, data steps.TemplateData) (T, error) {
	var in T
	if err := schemas.Decode(name, doc, &in); err != nil {
		return in, err
	}
	return in.Render(data)
}

// build turns a spec (outputs filled in) into the step, connected through
// the engine's pool, as the step template's script would run it with the
// CLI's flags.
func (e *Engine) build(t Target, spec StepSpec, outputs map[string]steps.Outputs) (built, error) {
	input, err := fillOutputs(string(spec.Input), outputs)
	if err != nil {
		return built{}, err
	}
	vars := map[string]string{}
	for k, v := range spec.Vars {
		if vars[k], err = fillOutputs(v, outputs); err != nil {
			return built{}, err
		}
	}
	data := steps.TemplateData{Tenant: steps.TenantData{Name: t.Tenant, Tags: append([]string{}, t.Tags...)}, Vars: vars}
	oct, err := e.pool.Octopus(spec.Server)
	if err != nil {
		return built{}, err
	}
	doc := []byte(input)
	switch spec.Step {
	case "create-space":
		in, err := decodeRender[steps.CreateSpaceInput](spec.Step, doc, data)
		if err != nil {
			return built{}, err
		}
		return built{steps.CreateSpace{In: in}, oct}, nil
	case "seed-templates":
		// As the template hands Octofleet.SourceApiKey over in
		// OCTOFLEET_SOURCE_API_KEY: the upstream's key, laid over the input.
		if doc, err = withKey(doc, e.keys, "source", "server"); err != nil {
			return built{}, err
		}
		in, err := decodeRender[steps.SeedTemplatesInput](spec.Step, doc, data)
		if err != nil {
			return built{}, err
		}
		if in.TargetSpace == "" {
			in.TargetSpace = spec.Space
		}
		s := &steps.SeedTemplates{In: in}
		if in.Source.Server != "" {
			if s.Source, err = e.pool.Octopus(in.Source.Server); err != nil {
				return built{}, fmt.Errorf("upstream: %w", err)
			}
		}
		return built{s, oct}, nil
	case "register-tenant":
		in, err := decodeRender[steps.RegisterTenantInput](spec.Step, doc, data)
		if err != nil {
			return built{}, err
		}
		in.Space = spec.Space
		return built{&steps.RegisterTenant{In: in}, oct}, nil
	case "create-facade-project":
		// As the runbook hands over Octofleet.Hub.ApiKey: the step writes it
		// only where the facade has none.
		if doc, err = withKey(doc, e.keys, "upstream", "serverUrl"); err != nil {
			return built{}, err
		}
		in, err := decodeRender[steps.CreateFacadeProjectInput](spec.Step, doc, data)
		if err != nil {
			return built{}, err
		}
		return built{steps.CreateFacadeProject{In: in, Package: e.opts.Package}, oct}, nil
	case "clone-instance-settings":
		var in steps.CloneInstanceSettingsInput
		if err := schemas.Decode(spec.Step, doc, &in); err != nil {
			return built{}, err
		}
		if in.Target == nil {
			if spec.TargetServer == "" {
				return built{}, fmt.Errorf("no target instance")
			}
			in.Target = &steps.Connection{Server: spec.TargetServer}
		}
		if in.BackupDir == "" {
			in.BackupDir = e.opts.BackupDir
		}
		for _, c := range []*steps.Connection{in.Source, in.Target} {
			if c != nil && c.APIKey == "" {
				// The step dials through the pool, which holds the key.
				key, _ := e.keys.For(c.Server)
				c.APIKey = key
			}
		}
		return built{&steps.CloneInstanceSettings{In: in, Data: data, Dial: e.pool.Dial}, oct}, nil
	}
	return built{}, fmt.Errorf("step %q cannot run in a fleet", spec.Step)
}

// withKey sets <object>.apiKey from keys when the input's <object>.<urlField>
// names a server and no key.
func withKey(doc []byte, keys Keys, object, urlField string) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return doc, nil // the schema says what is wrong with it
	}
	src, _ := m[object].(map[string]any)
	server, _ := src[urlField].(string)
	if server == "" || src["apiKey"] != nil {
		return doc, nil
	}
	key, ok := keys.For(server)
	if !ok {
		return nil, fmt.Errorf("no API key for instance %s", NormalizeURL(server))
	}
	src["apiKey"] = key
	return json.Marshal(m)
}

// keysNeeded lists, for a target, the instances its steps reach that have no
// key, as "tenant X: instance URL (what for)".
func (e *Engine) missingKeys(t Target) []string {
	var out []string
	for _, u := range t.Instances() {
		if _, ok := e.keys.For(u); !ok {
			out = append(out, fmt.Sprintf("tenant %q: no API key for instance %s (give it with --instance-key %s=FILE, OCTOFLEET_INSTANCE_KEYS or the fleet file's instances)", t.Tenant, u, u))
		}
	}
	return out
}

func joinLines(lines []string) string { return strings.Join(lines, "\n  ") }
