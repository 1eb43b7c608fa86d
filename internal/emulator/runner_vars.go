package emulator

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The variable dictionary of a task: what `#{Name}` and get_octopusvariable
// see. Octopus builds it from system variables, library variable sets,
// project variables (the most specific scope wins), tenant variables and, per
// action, step template parameters and earlier actions' output variables
// (octopus.com/docs/projects/variables/variable-substitutions).

// secret is a sensitive value revealed for a task. It is never logged: every
// secret of a task is masked in its log.
type secret string

// revealed returns a copy of a stored document with every SensitiveValue
// replaced by the secret it holds (secret("") when it holds none). Paths
// follow walkSensitive, so they match the record's sealed secrets.
func revealed(rec *record) Doc {
	if rec == nil {
		return nil
	}
	d, _ := reveal(rec.doc, "", rec.secrets).(map[string]any)
	return d
}

func reveal(v any, path string, secrets map[string]any) any {
	switch t := v.(type) {
	case map[string]any:
		if path != "" && isSensitiveValue(t) {
			s, _ := secrets[path].(string)
			return secret(s)
		}
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = reveal(x, joinPath(path, k), secrets)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			key := "[" + strconv.Itoa(i) + "]"
			if m, ok := x.(map[string]any); ok {
				if id, _ := m["Id"].(string); id != "" {
					key = "[" + id + "]"
				} else if n, _ := m["Name"].(string); n != "" {
					key = "[" + n + "]"
				}
			}
			out[i] = reveal(x, joinPath(path, key), secrets)
		}
		return out
	}
	return cloneValue(v)
}

// textOf turns a stored value into the text a script sees; sensitive is true
// for revealed secrets. Booleans are "True"/"False" as Octopus writes them.
func textOf(v any) (text string, sensitive bool) {
	switch t := v.(type) {
	case nil:
		return "", false
	case string:
		return t, false
	case secret:
		return string(t), true
	case bool:
		if t {
			return "True", false
		}
		return "False", false
	case json.Number:
		return t.String(), false
	case map[string]any, []any:
		b, _ := json.Marshal(t) // decoded JSON always encodes
		return string(b), false
	}
	return fmt.Sprint(v), false
}

// variable is one entry of a dictionary.
type variable struct {
	Name      string
	Value     string
	Sensitive bool
}

// dictionary maps lower-cased names to variables: Octopus variable names are
// case-insensitive.
type dictionary map[string]variable

func (d dictionary) set(name, value string, sensitive bool) {
	d[strings.ToLower(name)] = variable{Name: name, Value: value, Sensitive: sensitive}
}

func (d dictionary) clone() dictionary {
	out := make(dictionary, len(d))
	for k, v := range d {
		out[k] = v
	}
	return out
}

// sorted returns the variables ordered by name, for the variables file.
func (d dictionary) sorted() []variable {
	out := make([]variable, 0, len(d))
	for _, v := range d {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// substitution matches #{...}; "##{" escapes a literal "#{".
var substitution = regexp.MustCompile(`##\{|#\{([^{}]*)\}`)

// expand replaces #{Name} with the variable's value, evaluating references
// inside values too. Names the dictionary does not know, and expressions the
// emulator does not evaluate (#{if}, #{each}, filters), are left as they
// are, as Octopus leaves unknown variables.
func (d dictionary) expand(s string) string { return d.expandDepth(s, 0) }

// maxDepth bounds nested references (a variable referring to itself).
const maxDepth = 10

func (d dictionary) expandDepth(s string, depth int) string {
	if !strings.Contains(s, "#{") {
		return s
	}
	return substitution.ReplaceAllStringFunc(s, func(m string) string {
		if m == "##{" {
			return "#{"
		}
		name := strings.TrimSpace(m[2 : len(m)-1])
		v, ok := d[strings.ToLower(name)]
		if !ok {
			return m
		}
		if depth >= maxDepth {
			return v.Value
		}
		return d.expandDepth(v.Value, depth+1)
	})
}

// secrets returns the values of the sensitive variables.
func (d dictionary) secrets() []string {
	var out []string
	for _, v := range d {
		if v.Sensitive && v.Value != "" {
			out = append(out, v.Value)
		}
	}
	return out
}

// scopeContext is what variable scopes are matched against.
type scopeContext struct {
	environmentID string
	tenantTags    []string
	channelID     string
	ownerIDs      []string // ProcessOwner: the runbook, or the project for a deployment
}

// scopeScore reports whether a variable's Scope applies and how specific it
// is (the number of scope dimensions it names). Scopes the emulator cannot
// evaluate without deployment targets (Role, Machine, Action, TargetTag) never
// apply.
func scopeScore(scope map[string]any, sc scopeContext) (int, bool) {
	score := 0
	for k, v := range scope {
		vals := anyStrings(toList(v))
		if len(vals) == 0 {
			continue
		}
		var ok bool
		switch strings.ToLower(k) {
		case "environment":
			ok = containsFold(vals, sc.environmentID)
		case "tenanttag":
			for _, t := range sc.tenantTags {
				ok = ok || containsFold(vals, t)
			}
		case "channel":
			ok = containsFold(vals, sc.channelID)
		case "processowner":
			for _, o := range sc.ownerIDs {
				ok = ok || containsFold(vals, o)
			}
		}
		if !ok {
			return 0, false
		}
		score++
	}
	return score, true
}

// addVariableSet adds the variables of a (revealed) variable set: for each
// name, the most specific value whose scope applies.
func (d dictionary) addVariableSet(set Doc, sc scopeContext) {
	type pick struct {
		v     variable
		score int
	}
	best := map[string]pick{}
	var order []string
	for _, x := range toList(set["Variables"]) {
		v, ok := x.(map[string]any)
		if !ok {
			continue
		}
		scope, _ := v["Scope"].(map[string]any)
		score, applies := scopeScore(scope, sc)
		if !applies {
			continue
		}
		text, sensitive := textOf(v["Value"])
		sensitive = sensitive || boolean(v, "IsSensitive")
		key := strings.ToLower(str(v, "Name"))
		if p, seen := best[key]; seen && p.score > score {
			continue
		} else if !seen {
			order = append(order, key)
		}
		best[key] = pick{variable{Name: str(v, "Name"), Value: text, Sensitive: sensitive}, score}
	}
	for _, k := range order {
		p := best[k]
		d.set(p.v.Name, p.v.Value, p.v.Sensitive)
	}
}

// isSensitiveTemplate reports whether a template parameter (variable
// template or step template parameter) is a Sensitive control.
func isSensitiveTemplate(tpl map[string]any) bool {
	ds, _ := tpl["DisplaySettings"].(map[string]any)
	return strings.EqualFold(str(ds, "Octopus.ControlType"), "Sensitive")
}
