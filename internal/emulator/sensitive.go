package emulator

import (
	"strconv"
)

// Sensitive values (pkg/core/sensitive_value.go in the SDK) travel as
// {"HasValue": bool, "NewValue": string|null, "Hint": string|null}. The real
// server stores NewValue and never returns it: reads give HasValue only. On a
// PUT, a non-null NewValue replaces the secret, HasValue:true with a null
// NewValue keeps the stored one, and HasValue:false clears it.

// isSensitiveValue reports whether m has the SensitiveValue shape.
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

// sealSecrets walks d, moves every SensitiveValue's NewValue and every
// write-only top-level property into a secrets map keyed by path, and leaves
// d holding only what may be served. old holds the secrets of the document
// being replaced (nil on create): HasValue:true with a null NewValue keeps the
// old secret at the same path.
func sealSecrets(d Doc, writeOnly []string, old map[string]any) map[string]any {
	secrets := map[string]any{}
	for _, f := range writeOnly {
		v := d[f]
		if m, ok := v.(map[string]any); ok && isSensitiveValue(m) {
			continue // handled by the walk below
		}
		if v != nil {
			secrets[f] = v
		} else if prev, ok := old[f]; ok {
			secrets[f] = prev
		}
		d[f] = nil
	}
	walkSensitive(d, "", func(path string, sv map[string]any) {
		hasValue, _ := sv["HasValue"].(bool)
		nv, hasNew := sv["NewValue"]
		switch {
		case hasNew && nv != nil:
			secrets[path] = nv
			hasValue = true
		case hasValue:
			prev, ok := old[path]
			if ok {
				secrets[path] = prev
			}
			hasValue = ok
		}
		sv["HasValue"] = hasValue
		sv["NewValue"] = nil
		if !hasValue {
			sv["Hint"] = nil
		} else if _, ok := sv["Hint"]; !ok {
			sv["Hint"] = nil
		}
	})
	if len(secrets) == 0 {
		return nil
	}
	return secrets
}

// walkSensitive calls fn for every SensitiveValue object in v with its path:
// property names joined by "/", array elements named by their "Id" (or "Name")
// when they have one so that reordering a list keeps each secret with its
// owner, else by index.
func walkSensitive(v any, path string, fn func(path string, sv map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		if path != "" && isSensitiveValue(t) {
			fn(path, t)
			return
		}
		for k, x := range t {
			walkSensitive(x, joinPath(path, k), fn)
		}
	case []any:
		for i, x := range t {
			walkSensitive(x, joinPath(path, elementKey(i, x)), fn)
		}
	}
}

// elementKey names a list element in a secret's path: "[<Id>]", else
// "[<Name>]", else "[<index>]". Sealing (walkSensitive) and revealing
// (reveal) must name elements alike.
func elementKey(i int, x any) string {
	if m, ok := x.(map[string]any); ok {
		if id, _ := m["Id"].(string); id != "" {
			return "[" + id + "]"
		}
		if n, _ := m["Name"].(string); n != "" {
			return "[" + n + "]"
		}
	}
	return "[" + strconv.Itoa(i) + "]"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "/" + key
}
