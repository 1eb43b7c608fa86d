package promote

import (
	"fmt"
	"strings"
)

// Secret is one sensitive value the target needs and the source cannot give
// (Octopus never returns sensitive values). Kind "variable" with Owner
// "project:<name>" or "libraryvariableset:<name>" and Name the variable's
// name; for any other kind, Owner is the document's name and Name the field
// ("feed", "Docker Hub", "Password"). Space, when set, limits it to one
// target space.
type Secret struct {
	Space string `json:"space,omitempty"`
	Kind  string `json:"kind"`
	Owner string `json:"owner"`
	Name  string `json:"name"`
	Value string `json:"-"` // resolved from value, env:VAR or file:PATH; never printed
}

func (s Secret) String() string { return s.Kind + " " + s.Owner + " " + s.Name }

// secretFor finds the value for a slot; ok is false when none is given.
func (pr *Promotion) secretFor(space, kind, owner, name string) (string, bool) {
	for _, s := range pr.Options.Secrets {
		if (s.Space == "" || s.Space == space) && s.Kind == kind && s.Owner == owner && s.Name == name {
			return s.Value, true
		}
	}
	return "", false
}

// secretSlot names a sensitive slot the way --secrets spells it.
func secretSlot(k *Kind, key, field string) (kind, owner, name string) {
	if k.Via != "" && k.Owned[0] == "Variables" {
		return "variable", k.Owner + ":" + key, field
	}
	return k.Name, key, field
}

// missingSecrets lists the sensitive values want carries that the target
// lacks and --secrets does not give.
func (pr *Promotion) missingSecrets(k *Kind, pair *spacePair, key string, want, tgt Document) []string {
	var out []string
	need := func(field string) {
		kind, owner, name := secretSlot(k, key, field)
		if _, ok := pr.secretFor(pair.tgt.name, kind, owner, name); !ok {
			out = append(out, fmt.Sprintf("%s: %s %s %s", pair.tgt.name, kind, owner, name))
		}
	}
	if vars, ok := want["Variables"].([]any); ok && k.Via != "" {
		have := targetSensitiveVariables(pair.tgt, k, tgt)
		for _, x := range vars {
			v, _ := x.(map[string]any)
			if b, _ := v["IsSensitive"].(bool); !b {
				continue
			}
			if _, ok := have[variableIdentity(v)]; !ok {
				need(str(v, "Name"))
			}
		}
		return out
	}
	var tgtCanon Document
	if tgt != nil {
		tgtCanon = Document{}
		for _, f := range k.Owned {
			tgtCanon[f] = deepCopy(tgt[f])
		}
		maskSensitive(tgtCanon)
	}
	walkMarks(want, "", func(path string) {
		if tgtCanon != nil && valueAt(tgtCanon, path) == SensitiveMark {
			return
		}
		need(path)
	})
	return out
}

// targetSensitiveVariables indexes the target set's sensitive variables by
// identity (name and scope, by name), giving their IDs.
func targetSensitiveVariables(st *spaceState, k *Kind, tgt Document) map[string]string {
	out := map[string]string{}
	if tgt == nil {
		return out
	}
	vars, _ := tgt["Variables"].([]any)
	for _, x := range vars {
		v, _ := x.(map[string]any)
		if b, _ := v["IsSensitive"].(bool); !b {
			continue
		}
		one := Document{"Variables": []any{deepCopy(v)}}
		failed := false
		for _, r := range k.Refs {
			r := r
			if err := mapPathIf(one, split(r.Path), "", r.If, func(_, id string) (string, error) {
				key, ok := st.ix(r.Kind).keyOf[strings.ToLower(id)]
				if !ok {
					return "", fmt.Errorf("unknown")
				}
				return key, nil
			}); err != nil {
				failed = true
			}
		}
		if failed {
			continue
		}
		canonVariables(nil, one)
		cv := one["Variables"].([]any)[0].(map[string]any)
		out[variableIdentity(cv)] = str(v, "Id")
	}
	return out
}

// walkMarks calls fn with the path of every SensitiveMark in v.
func walkMarks(v any, path string, fn func(string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			walkMarks(x, join(path, k), fn)
		}
	case []any:
		for i, x := range t {
			walkMarks(x, join(path, fmt.Sprint(i)), fn)
		}
	case string:
		if t == SensitiveMark {
			fn(path)
		}
	}
}

// valueAt is the value at a walkMarks path.
func valueAt(v any, path string) any {
	for _, seg := range split(path) {
		switch t := v.(type) {
		case map[string]any:
			v = t[seg]
		case []any:
			var i int
			if _, err := fmt.Sscan(seg, &i); err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

// Overlay is a value the target keeps whatever the source says: Fields of
// the document Kind/Name (in the comparison form: references by name), or,
// for Kind "variable", the Value of the variables named Name in Owner's set.
type Overlay struct {
	Space  string         `json:"space,omitempty"`
	Kind   string         `json:"kind"`
	Owner  string         `json:"owner,omitempty"`
	Name   string         `json:"name"`
	Value  *string        `json:"value,omitempty"`
	Fields map[string]any `json:"fields,omitempty"`
}

// applyOverlay puts the overlay's values into want and returns what it set.
func (pr *Promotion) applyOverlay(k *Kind, space, key string, want Document) []string {
	var set []string
	for _, o := range pr.Options.Overlay {
		if o.Space != "" && o.Space != space {
			continue
		}
		if o.Kind == "variable" && k.Via != "" && k.Owned[0] == "Variables" && o.Owner == k.Owner+":"+key && o.Value != nil {
			vars, _ := want["Variables"].([]any)
			for _, x := range vars {
				v, _ := x.(map[string]any)
				if str(v, "Name") == o.Name && v["IsSensitive"] != true {
					v["Value"] = *o.Value
					set = append(set, "Variables["+o.Name+"]")
				}
			}
			continue
		}
		if o.Kind != k.Name || o.Name != key {
			continue
		}
		for f, v := range o.Fields {
			want[f] = deepCopy(v)
			set = append(set, f)
		}
	}
	return set
}
