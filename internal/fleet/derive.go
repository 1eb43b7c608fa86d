package fleet

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/octofleet/octofleet/runbooks"
)

// Steps of a target are derived from the runbooks octofleet installs
// (runbooks/project.go, as embedded), exactly as Octopus would run them for
// the tenant: each runbook step's parameters with the tenant's variables
// substituted. So the fleet's drift check plans what the runbooks would do,
// and there is one description of it.

// stepNames are the octofleet steps a runbook step template may run.
var stepNames = []string{"create-space", "seed-templates", "register-tenant", "create-facade-project", "clone-instance-settings", "trigger"}

func stepOfTemplate(template string) (string, bool) {
	for _, s := range stepNames {
		if runbooks.TemplateName(s) == template {
			return s, true
		}
	}
	return "", false
}

// Octopus variable names the runbooks refer to.
const (
	varServerURI   = "Octopus.Web.ServerUri"
	varSpaceName   = "Octopus.Space.Name"
	varEnvironment = "Octopus.Environment.Name"
	varTenantName  = "Octopus.Deployment.Tenant.Name"
)

var (
	octoVar   = regexp.MustCompile(`#\{([^}]+)\}`)
	outputRef = regexp.MustCompile(`^Octopus\.Action\[([^\]]+)\]\.Output\.(.+)$`)
)

// substitute replaces #{Name} with dict's values (themselves substituted:
// template defaults such as #{Octopus.Web.ServerUri}). A reference to a
// step's output is kept for the engine; any other unknown name is an error,
// and so is a variable that refers to itself or a result longer than
// maxSubstituted (a chain of values each naming the next several times).
func substitute(s string, dict map[string]string) (string, error) {
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	active := map[string]bool{}
	var sub func(s string, depth int) string
	sub = func(s string, depth int) string {
		return octoVar.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			if outputRef.MatchString(name) {
				return m
			}
			v, ok := dict[name]
			switch {
			case !ok:
				fail(fmt.Errorf("the runbook refers to variable %q, which the fleet does not know", name))
				return m
			case active[name] || depth > 8:
				fail(fmt.Errorf("variable %q refers to itself", name))
				return m
			case firstErr != nil:
				return m
			}
			active[name] = true
			out := sub(v, depth+1)
			delete(active, name)
			if len(out) > maxSubstituted {
				fail(fmt.Errorf("variable %q is longer than %d characters once substituted", name, maxSubstituted))
				return m
			}
			return out
		})
	}
	out := sub(s, 0)
	if firstErr == nil && len(out) > maxSubstituted {
		return s, fmt.Errorf("the substituted text is longer than %d characters", maxSubstituted)
	}
	return out, firstErr
}

// maxSubstituted bounds a substituted runbook parameter (a step's input
// document): well above any real one.
const maxSubstituted = 1 << 20

// embeddedProject is the binary's runbook project, parsed once: deriving a
// 12,000-tenant fleet parsed it per tenant, two thirds of LoadHub's time.
// It is shared, so it is only read.
var embeddedProject = sync.OnceValues(runbooks.EmbeddedProject)

// deriveSteps fills in t.Instance, t.Space and t.Steps from the runbooks of
// t.Pattern, for a tenant whose (non-sensitive) variable values by template
// name, and the project's variables, are in values.
func deriveSteps(hub Hub, t *Target, values map[string]string) error {
	proj, err := embeddedProject()
	if err != nil {
		return err
	}
	dict := map[string]string{
		varServerURI:   hub.URL,
		varSpaceName:   hub.Space,
		varEnvironment: t.Environment,
		varTenantName:  t.Tenant,
		// The project variable install sets (runbooks.Bundle), unless the
		// hub's project says otherwise.
		runbooks.VarSeedTemplates: "*",
	}
	sensitive := map[string]bool{runbooks.VarHubAPIKey: true}
	for _, tpl := range proj.Templates {
		if tpl.DisplaySettings["Octopus.ControlType"] == "Sensitive" {
			sensitive[tpl.Name] = true
			continue
		}
		dict[tpl.Name] = tpl.DefaultValue
	}
	for k, v := range values {
		if !sensitive[k] {
			dict[k] = v
		}
	}
	if t.Instance, err = substitute(dict[runbooks.VarInstanceURL], dict); err != nil {
		return err
	}
	if t.Space, err = substitute(dict[runbooks.VarSpaceName], dict); err != nil {
		return err
	}
	if strings.TrimSpace(t.Instance) == "" {
		return fmt.Errorf("tenant %q has no %s", t.Tenant, runbooks.VarInstanceURL)
	}
	if strings.TrimSpace(t.Space) == "" {
		return fmt.Errorf("tenant %q has no %s", t.Tenant, runbooks.VarSpaceName)
	}
	t.Steps = nil
	for _, name := range PatternRunbooks[t.Pattern] {
		i := slices.IndexFunc(proj.Runbooks, func(r runbooks.Runbook) bool { return r.Name == name })
		if i < 0 {
			continue // a runbook of a step this binary does not have
		}
		for _, rs := range proj.Runbooks[i].Steps {
			spec, skip, err := specOf(name, rs, dict, sensitive, t)
			if err != nil {
				return fmt.Errorf("runbook %q, step %q: %w", name, rs.Name, err)
			}
			if !skip {
				t.Steps = append(t.Steps, spec)
			}
		}
	}
	return nil
}

func specOf(runbook string, rs runbooks.RunbookStep, dict map[string]string, sensitive map[string]bool, t *Target) (StepSpec, bool, error) {
	step, ok := stepOfTemplate(rs.StepTemplate)
	if !ok {
		return StepSpec{}, false, fmt.Errorf("step template %q is not an octofleet step", rs.StepTemplate)
	}
	// Recording on the tenant needs the tenant in the hub: a fleet file's
	// tenant has none.
	if step == "register-tenant" && t.TenantID == "" {
		return StepSpec{}, true, nil
	}
	spec := StepSpec{Runbook: runbook, Name: rs.Name, Step: step, Input: json.RawMessage("{}")}
	var err error
	sub := func(v string) string {
		out, e := substitute(v, dict)
		if e != nil && err == nil {
			err = e
		}
		return out
	}
	for k, v := range rs.Parameters {
		switch k {
		case runbooks.ParamServer:
			spec.Server = sub(v)
		case runbooks.ParamSpace:
			spec.Space = sub(v)
		case runbooks.ParamInput:
			spec.Input = json.RawMessage(sub(v))
		case runbooks.ParamVars:
			spec.Vars = map[string]string{}
			for _, line := range strings.Split(sub(v), "\n") {
				if k, val, ok := strings.Cut(line, "="); ok {
					spec.Vars[strings.TrimSpace(k)] = val
				}
			}
		case "Octofleet.TargetServer":
			spec.TargetServer = sub(v)
		case runbooks.ParamAPIKey, runbooks.ParamSourceAPIKey, "Octofleet.TargetApiKey", "Octofleet.ManagementApiKey":
			// Keys come from the fleet's key store by instance URL. The
			// facade's management key is left out: its sensitive variable
			// keeps the value it has.
			name := strings.TrimSuffix(strings.TrimPrefix(v, "#{"), "}")
			if !sensitive[name] {
				return StepSpec{}, false, fmt.Errorf("parameter %s: want a sensitive variable, got %q", k, v)
			}
		default:
			return StepSpec{}, false, fmt.Errorf("parameter %s is not one the fleet knows", k)
		}
	}
	if err != nil {
		return StepSpec{}, false, err
	}
	if spec.Server == "" {
		spec.Server = dict[varServerURI]
	}
	return spec, false, nil
}
