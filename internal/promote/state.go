package promote

import (
	"context"
	"fmt"
	"strings"
)

// Port is what promote needs of an Octopus instance: generic document access
// (internal/octopus/promote.go implements it over go-octopusdeploy). Paths
// are "/api/...".
type Port interface {
	ListDocuments(ctx context.Context, path string) ([]Document, error)
	GetDocument(ctx context.Context, path string) (Document, error)
	UpdateDocument(ctx context.Context, path string, doc Document) (Document, error)
	CreateDocument(ctx context.Context, path string, doc Document, find func(context.Context) (Document, error)) (Document, error)
	DeleteDocument(ctx context.Context, path string) error
	CurrentUserID(ctx context.Context) (string, error)
}

// index holds one kind's documents in one space of one instance, by key.
type index struct {
	keys  []string // in listed order
	byKey map[string]Document
	keyOf map[string]string // lower-cased ID -> key
}

func newIndex() *index {
	return &index{byKey: map[string]Document{}, keyOf: map[string]string{}}
}

func (ix *index) put(key string, d Document) {
	if _, ok := ix.byKey[key]; !ok {
		ix.keys = append(ix.keys, key)
	}
	ix.byKey[key] = d
	if id := str(d, "Id"); id != "" {
		ix.keyOf[strings.ToLower(id)] = key
	}
}

func (ix *index) remove(key string) {
	if d, ok := ix.byKey[key]; ok {
		delete(ix.keyOf, strings.ToLower(str(d, "Id")))
		delete(ix.byKey, key)
	}
}

// spaceState is everything promote read of one space (or, for the system
// kinds, of the instance) on one side.
type spaceState struct {
	id    string // "" for the instance level and for a space not yet created
	name  string
	kinds map[string]*index
	// sys is the instance level of the same side: a space's references to
	// System kinds (its own space, user roles) resolve there.
	sys *spaceState
}

// systemKind holds the names of the System kinds (filled from Kinds).
var systemKind map[string]bool

func init() {
	systemKind = map[string]bool{}
	for _, k := range Kinds {
		systemKind[k.Name] = k.System
	}
}

func (s *spaceState) ix(kind string) *index {
	if s.sys != nil {
		if systemKind[kind] {
			return s.sys.ix(kind)
		}
	}
	ix := s.kinds[kind]
	if ix == nil {
		ix = newIndex()
		s.kinds[kind] = ix
	}
	return ix
}

func str(d Document, f string) string {
	s, _ := d[f].(string)
	return s
}

// prefix is the API path prefix of the kind in the space.
func (s *spaceState) path(k *Kind, rest string) string {
	p := "/api/"
	if !k.System {
		p += s.id + "/"
	}
	p += k.Path
	if rest != "" {
		p += "/" + rest
	}
	return p
}

// load reads every space-scoped kind of a space: one list per distinct list
// path (the two variable-set kinds share variables/all), and indexes the
// documents by key. rename maps a kind's source names to target names
// (applied on the source side only).
func load(ctx context.Context, p Port, st *spaceState, rename map[string]map[string]string) error {
	lists := map[string][]Document{}
	for _, k := range Sorted() {
		if k.System {
			continue
		}
		lp := k.Path
		if k.List != "" {
			lp = k.List
		}
		docs, ok := lists[lp]
		if !ok {
			var err error
			if docs, err = p.ListDocuments(ctx, "/api/"+st.id+"/"+lp); err != nil {
				return fmt.Errorf("space %s: %w", st.name, err)
			}
			lists[lp] = docs
		}
		indexKind(st, k, docs, rename[k.Name])
	}
	return nil
}

// loadSystem reads the System kinds besides spaces (user roles) of an
// instance, one list each.
func loadSystem(ctx context.Context, p Port, sys *spaceState, rename map[string]map[string]string) error {
	for _, k := range Sorted() {
		if !k.System || k.Name == "space" {
			continue
		}
		lp := k.Path
		if k.List != "" {
			lp = k.List
		}
		docs, err := p.ListDocuments(ctx, "/api/"+lp)
		if err != nil {
			return err
		}
		indexKind(sys, k, docs, rename[k.Name])
	}
	return nil
}

// indexKind files docs of kind k under their keys.
func indexKind(st *spaceState, k *Kind, docs []Document, rename map[string]string) {
	ix := st.ix(k.Name)
	if k.Via != "" {
		byID := map[string]Document{}
		for _, d := range docs {
			byID[strings.ToLower(str(d, "Id"))] = d
		}
		owners := st.ix(k.Owner)
		for _, ok := range owners.keys {
			if d := byID[strings.ToLower(str(owners.byKey[ok], k.Via))]; d != nil {
				ix.put(ok, d)
			}
		}
		return
	}
	seen := map[string]int{}
	for _, d := range docs {
		key, ok := keyOf(st, k, d, rename)
		if !ok {
			continue
		}
		if k.NameRef != "" {
			if seen[key]++; seen[key] > 1 {
				key += fmt.Sprintf("#%d", seen[key])
			}
		}
		ix.put(key, d)
	}
}

// keyOf is the key of a named or owned document; false when its owner is
// unknown.
func keyOf(st *spaceState, k *Kind, d Document, rename map[string]string) (string, bool) {
	name := str(d, k.NameField)
	if k.NameRef != "" {
		ref, ok := st.ix(k.NameRef).keyOf[strings.ToLower(name)]
		if !ok {
			return "", false
		}
		name = ref
	}
	if n, ok := rename[name]; ok {
		name = n
	}
	if k.Owner == "" {
		return name, true
	}
	owner, ok := st.ix(k.Owner).keyOf[strings.ToLower(str(d, k.OwnerField))]
	if !ok {
		return "", false
	}
	return owner + "/" + name, true
}

// nameOf is the name part of a key.
func nameOf(k *Kind, key string) string {
	if k.Owner != "" && k.Via == "" {
		if i := strings.LastIndex(key, "/"); i >= 0 {
			return key[i+1:]
		}
	}
	return key
}

// ownerOf is the owner part of an owned document's key.
func ownerOf(k *Kind, key string) string {
	if k.Via != "" {
		return key
	}
	if i := strings.LastIndex(key, "/"); i >= 0 {
		return key[:i]
	}
	return ""
}
