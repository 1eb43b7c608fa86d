package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
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
			out[i] = reveal(x, joinPath(path, elementKey(i, x)), secrets)
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

// expand evaluates Octopus's template syntax (Octostache) in s:
// #{Name} is the variable's value, evaluated in turn; #{Name | Filter}
// applies ToLower, ToUpper, Trim, JsonEscape or Base64Encode; #{if Name},
// #{unless Name}, #{else}, #{/if} and #{/unless} select text (with
// "Name == \"x\"" and "Name != \"x\"" comparisons); "##{" is a literal
// "#{". Names the dictionary does not know, and expressions the emulator
// does not evaluate (#{each}, other filters), are left as they are, as
// Octopus leaves unknown variables.
func (d dictionary) expand(s string) string {
	e := &expansion{d: d, active: map[string]bool{}, left: maxExpanded}
	return e.expand(s, 0)
}

// maxDepth bounds nested references.
const maxDepth = 10

// maxExpanded bounds the text one expansion writes (counting each level of
// nesting): a chain of variables each referring to the next several times
// grows exponentially.
const maxExpanded = 1 << 24

// expansion is the state of one expand: the variables being expanded (a
// reference to one of them, a variable referring to itself, is left as
// written) and what is left of maxExpanded. Once that is spent, references
// are left as written.
type expansion struct {
	d      dictionary
	active map[string]bool
	left   int
}

func (e *expansion) expand(s string, depth int) string {
	if !strings.Contains(s, "#{") {
		return s
	}
	var b strings.Builder
	e.render(&b, parseTemplate(s), depth)
	return b.String()
}

// tmplNode is one piece of a parsed template.
type tmplNode struct {
	text  string // literal text
	expr  string // the inside of #{...} for a substitution ("" for text)
	raw   string // the substitution as written, for unknown names
	cond  string // the condition of an if/unless block
	neg   bool   // unless
	block bool
	then  []tmplNode
	els   []tmplNode
}

// parseTemplate splits a template into text, substitutions and blocks. A
// block left open at the end is closed there.
func parseTemplate(s string) []tmplNode {
	type frame struct {
		node   *tmplNode
		inElse bool
	}
	var root []tmplNode
	var stack []frame
	add := func(n tmplNode) {
		if len(stack) == 0 {
			root = append(root, n)
			return
		}
		top := stack[len(stack)-1]
		if top.inElse {
			top.node.els = append(top.node.els, n)
		} else {
			top.node.then = append(top.node.then, n)
		}
	}
	closeBlock := func() {
		n := *stack[len(stack)-1].node
		stack = stack[:len(stack)-1]
		add(n)
	}
	for s != "" {
		i := strings.Index(s, "#{")
		if i < 0 {
			add(tmplNode{text: s})
			break
		}
		if i > 0 && s[i-1] == '#' {
			add(tmplNode{text: s[:i-1] + "#{"})
			s = s[i+2:]
			continue
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			add(tmplNode{text: s})
			break
		}
		if i > 0 {
			add(tmplNode{text: s[:i]})
		}
		raw := s[i : i+j+1]
		inner := strings.TrimSpace(raw[2 : len(raw)-1])
		s = s[i+j+1:]
		word, rest, _ := strings.Cut(inner, " ")
		switch {
		case word == "if" || word == "unless":
			stack = append(stack, frame{node: &tmplNode{block: true, cond: strings.TrimSpace(rest), neg: word == "unless"}})
		case inner == "else" && len(stack) > 0:
			stack[len(stack)-1].inElse = true
		case (inner == "/if" || inner == "/unless") && len(stack) > 0:
			closeBlock()
		default:
			add(tmplNode{expr: inner, raw: raw})
		}
	}
	for len(stack) > 0 {
		closeBlock()
	}
	return root
}

func (e *expansion) render(b *strings.Builder, nodes []tmplNode, depth int) {
	for _, n := range nodes {
		switch {
		case n.block:
			if e.truthy(n.cond, depth) != n.neg {
				e.render(b, n.then, depth)
			} else {
				e.render(b, n.els, depth)
			}
		case n.expr != "":
			v, ok := e.evaluate(n.expr, depth)
			if !ok {
				v = n.raw
			}
			e.left -= len(v)
			b.WriteString(v)
		default:
			b.WriteString(n.text)
		}
	}
}

// evaluate returns the value of "Name" or "Name | Filter | ...".
func (e *expansion) evaluate(expr string, depth int) (string, bool) {
	parts := strings.Split(expr, "|")
	key := strings.ToLower(strings.TrimSpace(parts[0]))
	v, ok := e.d[key]
	if !ok || e.active[key] || e.left < 0 {
		return "", false
	}
	out := v.Value
	if depth < maxDepth {
		e.active[key] = true
		out = e.expand(v.Value, depth+1)
		delete(e.active, key)
	}
	for _, f := range parts[1:] {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "tolower":
			out = strings.ToLower(out)
		case "toupper":
			out = strings.ToUpper(out)
		case "trim":
			out = strings.TrimSpace(out)
		case "jsonescape":
			q, _ := json.Marshal(out) // a string always encodes
			out = string(q[1 : len(q)-1])
		case "base64encode":
			out = base64.StdEncoding.EncodeToString([]byte(out))
		default:
			return "", false
		}
	}
	return out, true
}

// truthy evaluates an #{if} condition: a variable whose value is not empty,
// "0", "false", "no" or "off", or a comparison with a quoted string.
func (e *expansion) truthy(cond string, depth int) bool {
	for _, op := range []string{"!=", "=="} {
		if l, r, ok := strings.Cut(cond, op); ok {
			v, _ := e.evaluate(strings.TrimSpace(l), depth)
			want := strings.Trim(strings.TrimSpace(r), `"`)
			return (v == want) == (op == "==")
		}
	}
	v, ok := e.evaluate(cond, depth)
	if !ok {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
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
