package promote

import (
	"context"
	"fmt"
	"sort"
)

// Export is a space in the comparison form: per kind, per key, the owned
// fields with references by name and without IDs or secrets. Two instances
// whose exports are equal have nothing to promote between them.
func Export(ctx context.Context, p Port, space string) (map[string]map[string]Document, error) {
	spaces, err := p.ListDocuments(ctx, "/api/spaces")
	if err != nil {
		return nil, err
	}
	sys := &spaceState{kinds: map[string]*index{}}
	indexKind(sys, kindByName("space"), spaces, nil)
	if err := loadSystem(ctx, p, sys, nil); err != nil {
		return nil, err
	}
	sp := sys.ix("space").byKey[space]
	if sp == nil {
		return nil, fmt.Errorf("no space %q", space)
	}
	st := &spaceState{id: str(sp, "Id"), name: space, kinds: map[string]*index{}, sys: sys}
	if err := load(ctx, p, st, nil); err != nil {
		return nil, err
	}
	out := map[string]map[string]Document{}
	for _, k := range Sorted() {
		src := st
		if k.System {
			src = sys
		}
		ix := src.ix(k.Name)
		keys := append([]string(nil), ix.keys...)
		sort.Strings(keys)
		m := map[string]Document{}
		for _, key := range keys {
			if k.Name == "space" && key != space {
				continue
			}
			d, _, err := canon(src, k, key, ix.byKey[key])
			if err != nil {
				return nil, err
			}
			m[key] = d
		}
		out[k.Name] = m
	}
	return out, nil
}
