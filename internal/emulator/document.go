package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Doc is one stored resource: the JSON object exactly as Octopus would return
// it (PascalCase properties), decoded with json.Number for numbers so that
// whatever a client sent round-trips unchanged, including properties the
// emulator does not know.
type Doc = map[string]any

// decodeDoc parses a JSON object. Anything else is a 400, as on the real server.
func decodeDoc(body []byte) (Doc, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var d Doc
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode JSON object: %w", err)
	}
	if d == nil {
		return nil, fmt.Errorf("decode JSON object: body is empty or null")
	}
	return d, nil
}

// cloneDoc deep-copies a document so that callers never share maps or slices
// with the store.
func cloneDoc(d Doc) Doc {
	if d == nil {
		return nil
	}
	return cloneValue(d).(Doc)
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = cloneValue(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = cloneValue(x)
		}
		return s
	case []string:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = x
		}
		return s
	case map[string]string:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = x
		}
		return m
	default:
		return v
	}
}

// str returns d[key] as a string ("" when absent or not a string).
func str(d Doc, key string) string {
	s, _ := d[key].(string)
	return s
}

// strs returns d[key] as a string slice (nil when absent).
func strs(d Doc, key string) []string {
	switch t := d[key].(type) {
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return append([]string(nil), t...)
	}
	return nil
}

// boolean returns d[key] as a bool (false when absent).
func boolean(d Doc, key string) bool {
	b, _ := d[key].(bool)
	return b
}

// integer returns d[key] as an int, accepting the number shapes JSON decoding
// and Go code produce; ok is false when the value is absent or not a number.
func integer(d Doc, key string) (n int, ok bool) {
	switch t := d[key].(type) {
	case json.Number:
		i, err := t.Int64()
		if err != nil {
			f, ferr := t.Float64()
			if ferr != nil {
				return 0, false
			}
			return int(f), true
		}
		return int(i), true
	case float64:
		return int(t), true
	case int:
		return t, true
	case int64:
		return int(t), true
	}
	return 0, false
}

// anySlice converts a string slice into the []any shape stored documents use.
func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// ensure sets d[key] to def when the key is absent or null, so that documents
// always carry the properties the swagger definition lists.
func ensure(d Doc, key string, def any) {
	if v, ok := d[key]; !ok || v == nil {
		d[key] = def
	}
}

// slugify turns a name into the kebab-case slug Octopus generates:
// "Sample Project" -> "sample-project".
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// idNumber returns the numeric suffix of an ID such as "Projects-12" (0 when
// there is none).
func idNumber(id string) int {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil {
		return 0
	}
	return n
}
