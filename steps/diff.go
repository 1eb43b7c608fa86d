package steps

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// sameSet reports whether a and b hold the same elements, ignoring order and
// duplicates. A nil and an empty slice are the same set.
func sameSet[T cmp.Ordered](a, b []T) bool {
	x, y := sortedUnique(a), sortedUnique(b)
	return slices.Equal(x, y)
}

// sortedUnique returns a sorted copy of s without duplicates; never nil, so
// that plans print [] rather than null.
func sortedUnique[T cmp.Ordered](s []T) []T {
	out := append(make([]T, 0, len(s)), s...)
	slices.Sort(out)
	return slices.Compact(out)
}

// fieldDiff collects the owned fields that differ, as have → want pairs for a
// Change.
type fieldDiff map[string][2]any

// set records field name when have and want differ.
func (d fieldDiff) set(name string, have, want any, differs bool) {
	if differs {
		d[name] = [2]any{have, want}
	}
}

// byName indexes items by a case-sensitive name. Octopus names are unique per
// space and kind, so the last duplicate wins only on a corrupt server.
func byName[T any](items []T, name func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, it := range items {
		m[name(it)] = it
	}
	return m
}

// resolveNames maps each name to its ID with lookup. Unknown names give one
// error that lists them and every name that does exist, so the user can fix
// the input in one go.
func resolveNames(kind string, names []string, lookup map[string]string) ([]string, error) {
	ids := make([]string, 0, len(names))
	var missing []string
	for _, n := range names {
		id, ok := lookup[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		ids = append(ids, id)
	}
	if len(missing) > 0 {
		return nil, unknownNamesError(kind, missing, lookup)
	}
	return ids, nil
}

// unknownNamesError says which names of kind do not exist and lists the ones
// that do.
func unknownNamesError(kind string, missing []string, lookup map[string]string) error {
	known := make([]string, 0, len(lookup))
	for n := range lookup {
		known = append(known, n)
	}
	sort.Strings(known)
	quote := func(s []string) string {
		q := make([]string, len(s))
		for i, v := range s {
			q[i] = fmt.Sprintf("%q", v)
		}
		return strings.Join(q, ", ")
	}
	if len(known) == 0 {
		return fmt.Errorf("unknown %s %s (there are none)", kind, quote(missing))
	}
	return fmt.Errorf("unknown %s %s (existing: %s)", kind, quote(missing), quote(known))
}

// namesOf maps IDs back to names for display in a plan, keeping an ID whose
// name is unknown. The result is sorted.
func namesOf(ids []string, names map[string]string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if n, ok := names[id]; ok {
			out = append(out, n)
		} else {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// invert turns a name → ID map into ID → name.
func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
