package steps

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/Masterminds/sprig/v3"
)

// Render expands text as a Go template over data. field is the JSON path of
// the value (for example "environments[1].name"); it names the template and
// the InputError.
//
// Only sprig's hermetic functions are available: now, uuidv4, env and
// randAlphaNum would make every plan differ, so the step would never
// converge; using one is a parse error. A key that data lacks is an error
// (missingkey=error), not an empty string. Text without "{{" is returned as
// is. One rendering's work is bounded: {{template}} is a parse error, and
// what it writes, what its ranges iterate and what sprig's generating
// functions produce share maxRender (see bound).
func Render(field, text string, data TemplateData) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	b := &budget{left: maxRender}
	t, err := template.New(field).Funcs(hermetic).Funcs(b.funcs()).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", &InputError{Field: field, Err: fmt.Errorf("parse template: %w", err)}
	}
	if err := b.bound(t.Tree, t.Root); err != nil {
		return "", &InputError{Field: field, Err: fmt.Errorf("parse template: %w", err)}
	}
	var out strings.Builder
	if err := t.Execute(&limitWriter{w: &out, left: maxRender}, templateView(data)); err != nil {
		return "", &InputError{Field: field, Err: fmt.Errorf("render template: %w", err)}
	}
	return out.String(), nil
}

// bound makes the parsed template's work bounded: {{template}} is refused
// (a template calling itself twice a level doubles its work per level), and
// every range's pipeline is passed through the budget's "_range", so that
// what all ranges iterate over, nested or not, shares maxRender: a range over
// the integer 9000000000000000000, which Go 1.24 templates allow, would
// otherwise never end.
func (b *budget) bound(t *parse.Tree, n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := b.bound(t, c); err != nil {
				return err
			}
		}
	case *parse.IfNode:
		return b.boundBranches(t, &n.BranchNode)
	case *parse.WithNode:
		return b.boundBranches(t, &n.BranchNode)
	case *parse.RangeNode:
		n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: n.Pipe.Pos,
			Args: []parse.Node{parse.NewIdentifier("_range").SetTree(t).SetPos(n.Pipe.Pos)}})
		return b.boundBranches(t, &n.BranchNode)
	case *parse.TemplateNode:
		return fmt.Errorf("{{template %q}} is not allowed", n.Name)
	}
	return nil
}

func (b *budget) boundBranches(t *parse.Tree, br *parse.BranchNode) error {
	if err := b.bound(t, br.List); err != nil {
		return err
	}
	return b.bound(t, br.ElseList)
}

// rangeOver spends what a range over v will iterate.
func (b *budget) rangeOver(v any) (any, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		rv = rv.Elem()
	}
	var n float64
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n = math.Max(float64(rv.Int()), 0)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n = float64(rv.Uint())
	case reflect.Array, reflect.Slice, reflect.Map:
		n = float64(rv.Len())
	case reflect.Chan, reflect.Func:
		return nil, errors.New("range over a channel or a function is not allowed")
	}
	if err := b.spend("range", n); err != nil {
		return nil, err
	}
	return v, nil
}

// hermetic is sprig's hermetic function map, made once: Funcs copies it
// into each template, so it is only read.
var hermetic = sprig.HermeticTxtFuncMap()

// maxRender bounds one Render: the characters it writes, and the
// iterations of its ranges and the elements and characters sprig's repeat,
// until, untilStep, seq, indent and nindent produce, in all. Without it
// `{{ until 1000000000 }}` in a name allocates 8 GB before anything is
// written.
const maxRender = 1 << 20

var errTooLong = fmt.Errorf("the template renders more than %d characters", maxRender)

type limitWriter struct {
	w    *strings.Builder
	left int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.left {
		return 0, errTooLong
	}
	l.left -= len(p)
	return l.w.Write(p)
}

// budget is what is left of maxRender for the sprig functions whose work
// their arguments choose.
type budget struct{ left float64 }

func (b *budget) spend(fn string, n float64) error {
	if n > b.left {
		return fmt.Errorf("%s: the template would produce more than %d elements or characters", fn, maxRender)
	}
	b.left -= n
	return nil
}

// funcs wraps sprig's repeat, until, untilStep, seq, indent and nindent
// with a check of what they would produce against the budget.
func (b *budget) funcs() template.FuncMap {
	sp := hermetic
	until := sp["until"].(func(int) []int)
	untilStep := sp["untilStep"].(func(int, int, int) []int)
	seq := sp["seq"].(func(...int) string)
	indent := sp["indent"].(func(int, string) string)
	nindent := sp["nindent"].(func(int, string) string)
	steps := func(start, stop, step int) float64 { // how many values untilStep makes, at most
		if step == 0 {
			return 0
		}
		return math.Abs(float64(stop)-float64(start))/math.Abs(float64(step)) + 1
	}
	padded := func(spaces int, v string) float64 {
		return float64(max(spaces, 0))*float64(strings.Count(v, "\n")+1) + float64(len(v))
	}
	return template.FuncMap{
		"_range": b.rangeOver,
		"repeat": func(count int, s string) (string, error) {
			if count < 0 {
				return "", errors.New("repeat: negative count")
			}
			if err := b.spend("repeat", float64(count)*float64(len(s))); err != nil {
				return "", err
			}
			return strings.Repeat(s, count), nil
		},
		"until": func(count int) ([]int, error) {
			if err := b.spend("until", math.Abs(float64(count))); err != nil {
				return nil, err
			}
			return until(count), nil
		},
		"untilStep": func(start, stop, step int) ([]int, error) {
			if err := b.spend("untilStep", steps(start, stop, step)); err != nil {
				return nil, err
			}
			return untilStep(start, stop, step), nil
		},
		"seq": func(params ...int) (string, error) {
			var n float64
			switch len(params) {
			case 1:
				n = steps(1, params[0], 1)
			case 2:
				n = steps(params[0], params[1], 1)
			case 3:
				n = steps(params[0], params[2], params[1])
			}
			if err := b.spend("seq", n*20); err != nil { // up to 20 characters a number
				return "", err
			}
			return seq(params...), nil
		},
		"indent": func(spaces int, v string) (string, error) {
			if err := b.spend("indent", padded(spaces, v)); err != nil {
				return "", err
			}
			return indent(spaces, v), nil
		},
		"nindent": func(spaces int, v string) (string, error) {
			if err := b.spend("nindent", padded(spaces, v)+1); err != nil {
				return "", err
			}
			return nindent(spaces, v), nil
		},
	}
}

// RenderPtr renders *text in place when text is not nil.
func RenderPtr(field string, text *string, data TemplateData) error {
	if text == nil {
		return nil
	}
	out, err := Render(field, *text, data)
	if err != nil {
		return err
	}
	*text = out
	return nil
}

// RenderAll renders every element of list in place; the fields are named
// field[i].
func RenderAll(field string, list []string, data TemplateData) error {
	for i, s := range list {
		out, err := Render(fmt.Sprintf("%s[%d]", field, i), s, data)
		if err != nil {
			return err
		}
		list[i] = out
	}
	return nil
}

// templateView is what templates see: .Tenant.Name, .Tenant.Slug,
// .Tenant.Tags and .Vars.x. Only the values that were supplied are present,
// so that missingkey=error rejects {{ .Tenant.Name }} without --tenant-name
// instead of rendering an empty name.
func templateView(d TemplateData) map[string]any {
	vars := map[string]string{}
	for k, v := range d.Vars {
		vars[k] = v
	}
	tenant := map[string]any{}
	if d.Tenant.Name != "" {
		tenant["Name"] = d.Tenant.Name
	}
	if d.Tenant.Slug != "" {
		tenant["Slug"] = d.Tenant.Slug
	}
	if d.Tenant.Tags != nil {
		tenant["Tags"] = d.Tenant.Tags
	}
	return map[string]any{"Tenant": tenant, "Vars": vars}
}
