package emulator

import (
	"strings"
)

// The real server deserialises request bodies with Newtonsoft.Json, which
// matches property names case-insensitively: "ProjectGroupID" or
// "projectGroupId" set ProjectGroupId. The emulator stores documents as the
// JSON it receives, so a body's property names are rewritten to the
// canonical spelling before a handler reads them. The canonical spellings
// are those of the documents the server itself holds (every stored
// document teaches them, seeded ones included) and, for a name none of them
// has, the contract convention: PascalCase with "Id"/"Ids" suffixes.

// vocabulary maps lower-cased property names to their canonical spelling.
type vocabulary map[string]string

// identifier reports whether a property name is one a contract could have,
// rather than a key of a dictionary-valued property (step properties such
// as "Octopus.Action.Script.ScriptBody", IDs such as "Projects-1").
func identifier(k string) bool {
	if k == "" || !(k[0] >= 'A' && k[0] <= 'Z' || k[0] >= 'a' && k[0] <= 'z') {
		return false
	}
	for i := 1; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// learn records the property names of a stored document and of the objects
// nested in it.
func (v vocabulary) learn(x any, depth int) {
	if depth > 4 {
		return
	}
	switch t := x.(type) {
	case map[string]any:
		for k, y := range t {
			if !identifier(k) {
				continue
			}
			l := strings.ToLower(k)
			if _, ok := v[l]; !ok && k[0] >= 'A' && k[0] <= 'Z' {
				v[l] = k
			}
			v.learn(y, depth+1)
		}
	case []any:
		for _, y := range t {
			v.learn(y, depth+1)
		}
	}
}

// canonicalize rewrites the property names of a request body, in place, to
// their canonical spelling. Top-level names nobody has used yet follow the
// contract convention; nested ones are left as sent.
func (v vocabulary) canonicalize(d Doc) {
	v.rename(d, 0)
}

func (v vocabulary) rename(x any, depth int) {
	if depth > 8 {
		return
	}
	switch t := x.(type) {
	case map[string]any:
		for k, y := range t {
			v.rename(y, depth+1)
			if !identifier(k) {
				continue
			}
			want, ok := v[strings.ToLower(k)]
			if !ok && depth == 0 {
				want = conventionalName(k)
			}
			if want == "" || want == k {
				continue
			}
			if _, taken := t[want]; taken {
				continue // both spellings sent: keep both, as sent
			}
			t[want] = y
			delete(t, k)
		}
	case []any:
		for _, y := range t {
			v.rename(y, depth+1)
		}
	}
}

// conventionalName is the contract spelling of a property name no stored
// document has: PascalCase, "ID" and "IDs" suffixes as "Id" and "Ids"
// ("projectGroupID" -> "ProjectGroupId").
func conventionalName(k string) string {
	switch {
	case strings.HasSuffix(k, "IDs") || strings.HasSuffix(k, "IDS"):
		k = k[:len(k)-3] + "Ids"
	case strings.HasSuffix(k, "ID"):
		k = k[:len(k)-2] + "Id"
	}
	return strings.ToUpper(k[:1]) + k[1:]
}
