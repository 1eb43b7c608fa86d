package promote

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SensitiveMark stands for a secret in the comparison form and in plans:
// Octopus never returns sensitive values, so promote compares only whether
// one is set.
const SensitiveMark = "(sensitive)"

// latestVersion marks a step-template reference that uses the template's
// current version: versions are counted per instance, so "the latest"
// is what can be compared and carried.
const latestVersion = "(latest)"

// RefError is a reference promote cannot carry: to a document the source
// does not list (a machine, a certificate) or one the target lacks and the
// run does not create (excluded, not included).
type RefError struct {
	Kind, Key, Field, RefKind, Ref, Why string
}

func (e *RefError) Error() string {
	return fmt.Sprintf("%s %q: %s refers to %s %q, %s", e.Kind, e.Key, e.Field, e.RefKind, e.Ref, e.Why)
}

// canonCtx is the side a comparison form is made on.
type canonCtx struct {
	st *spaceState
	// refs collects the (kind, key) pairs the document refers to.
	refs []refUse
}

type refUse struct{ field, kind, key string }

// refs returns the kind's references, its owner field included.
func (k *Kind) refs() []Ref {
	if k.OwnerField == "" {
		return k.Refs
	}
	return append([]Ref{{Path: k.OwnerField, Kind: k.Owner}}, k.Refs...)
}

// canon is d's comparison form: its owned fields only, every reference as
// the referenced document's key, server-made nested IDs stripped, secrets as
// SensitiveMark, and the name as key says (a --rename).
func canon(st *spaceState, k *Kind, key string, d Document) (Document, []refUse, error) {
	c := &canonCtx{st: st}
	out := Document{}
	for _, f := range k.Owned {
		if v, ok := d[f]; ok {
			out[f] = deepCopy(v)
		}
	}
	if k.NameField != "" && k.NameRef == "" {
		out[k.NameField] = nameOf(k, key)
	}
	for _, r := range k.refs() {
		r := r
		err := mapPathIf(out, split(r.Path), "", r.If, func(where, id string) (string, error) {
			ref, ok := st.ix(r.Kind).keyOf[strings.ToLower(id)]
			if !ok {
				return "", &RefError{Kind: k.Name, Key: key, Field: where, RefKind: r.Kind, Ref: id,
					Why: "which is not in the space (promote does not carry it)"}
			}
			c.refs = append(c.refs, refUse{where, r.Kind, ref})
			return ref, nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	for _, p := range k.Strip {
		deletePath(out, split(p))
	}
	maskSensitive(out)
	if k.Canon != nil {
		k.Canon(c, out)
	}
	return out, c.refs, nil
}

// maskSensitive replaces every SensitiveValue ({"HasValue", "NewValue",
// "Hint"}) with SensitiveMark when set and nil when not.
func maskSensitive(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if m, ok := x.(map[string]any); ok && isSensitiveValue(m) {
				if has, _ := m["HasValue"].(bool); has {
					t[k] = SensitiveMark
				} else {
					t[k] = nil
				}
				continue
			}
			maskSensitive(x)
		}
	case []any:
		for i, x := range t {
			if m, ok := x.(map[string]any); ok && isSensitiveValue(m) {
				if has, _ := m["HasValue"].(bool); has {
					t[i] = SensitiveMark
				} else {
					t[i] = nil
				}
				continue
			}
			maskSensitive(x)
		}
	}
}

func isSensitiveValue(m map[string]any) bool {
	if _, ok := m["HasValue"]; !ok {
		return false
	}
	for k := range m {
		switch k {
		case "HasValue", "NewValue", "Hint":
		default:
			return false
		}
	}
	return true
}

// canonVariables sorts a variable set's variables (the server keeps the
// order it was sent; two instances need not agree) and their scope lists,
// and marks sensitive values: the API never returns them.
func canonVariables(_ *canonCtx, d Document) {
	vars, _ := d["Variables"].([]any)
	for _, x := range vars {
		v, ok := x.(map[string]any)
		if !ok {
			continue
		}
		if b, _ := v["IsSensitive"].(bool); b {
			v["Value"] = SensitiveMark
		}
		if sc, ok := v["Scope"].(map[string]any); ok {
			for name, list := range sc {
				if l, ok := list.([]any); ok {
					slices.SortFunc(l, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
					if len(l) == 0 {
						delete(sc, name)
					}
				}
			}
		}
	}
	slices.SortStableFunc(vars, func(a, b any) int { return strings.Compare(jsonText(a), jsonText(b)) })
}

// sortLists returns a Canon sorting the named top-level lists: sets the
// server need not keep in the order they were sent.
func sortLists(fields ...string) func(*canonCtx, Document) {
	return func(_ *canonCtx, d Document) {
		for _, f := range fields {
			if l, ok := d[f].([]any); ok {
				slices.SortFunc(l, func(a, b any) int { return strings.Compare(jsonText(a), jsonText(b)) })
			}
		}
	}
}

// variableIdentity is what matches a variable across instances: its name
// and (canonical) scope.
func variableIdentity(v map[string]any) string {
	return str(v, "Name") + "\x00" + jsonText(v["Scope"])
}

// canonProcess writes a step-template reference that uses the template's
// current version as latestVersion.
func canonProcess(c *canonCtx, d Document) {
	eachAction(d, func(props map[string]any) {
		key, _ := props["Octopus.Action.Template.Id"].(string)
		ver, _ := props["Octopus.Action.Template.Version"].(string)
		if key == "" || ver == "" {
			return
		}
		if t := c.st.ix("actiontemplate").byKey[key]; t != nil && ver == versionText(t["Version"]) {
			props["Octopus.Action.Template.Version"] = latestVersion
		}
	})
}

// eachAction calls fn with the Properties of every action of a process.
func eachAction(d Document, fn func(props map[string]any)) {
	stepsList, _ := d["Steps"].([]any)
	for _, s := range stepsList {
		step, _ := s.(map[string]any)
		actions, _ := step["Actions"].([]any)
		for _, a := range actions {
			act, _ := a.(map[string]any)
			if props, ok := act["Properties"].(map[string]any); ok {
				fn(props)
			}
		}
	}
}

func versionText(v any) string {
	switch t := v.(type) {
	case float64:
		return strconv.FormatInt(int64(t), 10)
	case string:
		return t
	}
	return ""
}
