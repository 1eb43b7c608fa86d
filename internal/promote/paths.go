package promote

import (
	"encoding/json"
	"fmt"
	"strings"
)

// mapPath calls fn for every string leaf (and, for "~", every key) that
// path reaches in v, replacing it with fn's answer. where is the path taken so
// far, for errors ("Steps/0/Actions/1/WorkerPoolId"). Empty strings and nulls
// are no reference and are left alone.
func mapPath(v any, path []string, where string, fn func(where, id string) (string, error)) error {
	return mapPathIf(v, path, where, nil, fn)
}

// mapPathIf is mapPath for the leaves whose object cond accepts (nil: all).
func mapPathIf(v any, path []string, where string, cond func(map[string]any) bool, fn func(where, id string) (string, error)) error {
	if len(path) == 0 {
		return nil
	}
	seg, rest := path[0], path[1:]
	switch t := v.(type) {
	case map[string]any:
		switch seg {
		case "*":
			for k, x := range t {
				if len(rest) == 0 {
					if err := mapLeaf(t, k, x, join(where, k), cond, fn); err != nil {
						return err
					}
					continue
				}
				if err := mapPathIf(x, rest, join(where, k), cond, fn); err != nil {
					return err
				}
			}
		case "~":
			renamed := make(map[string]any, len(t))
			for k, x := range t {
				nk, err := fn(join(where, "(key)"), k)
				if err != nil {
					return err
				}
				renamed[nk] = x
			}
			for k := range t {
				delete(t, k)
			}
			for k, x := range renamed {
				t[k] = x
			}
		default:
			x, ok := t[seg]
			if !ok {
				return nil
			}
			if len(rest) == 0 {
				return mapLeaf(t, seg, x, join(where, seg), cond, fn)
			}
			return mapPathIf(x, rest, join(where, seg), cond, fn)
		}
	case []any:
		if seg != "*" {
			return nil
		}
		for i, x := range t {
			w := join(where, fmt.Sprint(i))
			if len(rest) == 0 {
				s, ok := x.(string)
				if !ok || s == "" {
					continue
				}
				n, err := fn(w, s)
				if err != nil {
					return err
				}
				t[i] = n
				continue
			}
			if err := mapPathIf(x, rest, w, cond, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func mapLeaf(m map[string]any, k string, x any, where string, cond func(map[string]any) bool, fn func(where, id string) (string, error)) error {
	s, ok := x.(string)
	if !ok || s == "" || (cond != nil && !cond(m)) {
		return nil
	}
	n, err := fn(where, s)
	if err != nil {
		return err
	}
	m[k] = n
	return nil
}

// deletePath removes what path reaches in v.
func deletePath(v any, path []string) {
	if len(path) == 0 {
		return
	}
	seg, rest := path[0], path[1:]
	switch t := v.(type) {
	case map[string]any:
		if len(rest) == 0 {
			delete(t, seg)
			return
		}
		if seg == "*" {
			for _, x := range t {
				deletePath(x, rest)
			}
			return
		}
		deletePath(t[seg], rest)
	case []any:
		if seg == "*" {
			for _, x := range t {
				deletePath(x, rest)
			}
		}
	}
}

func join(where, seg string) string {
	if where == "" {
		return seg
	}
	return where + "/" + seg
}

func split(path string) []string { return strings.Split(path, "/") }

// deepCopy copies a JSON value (documents come from JSON, so this is exact).
func deepCopy[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("promote: copy a JSON value: %v", err))
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("promote: copy a JSON value: %v", err))
	}
	return out
}

// jsonText is v as compact JSON, for sorting and for plans.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
