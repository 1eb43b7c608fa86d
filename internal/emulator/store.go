package emulator

import (
	"sort"
	"strconv"
	"strings"
)

// record is one stored document.
type record struct {
	// space is the space the document belongs to for space-scoped kinds; ""
	// for system-level and mixed kinds (their SpaceId lives in the document).
	space string
	doc   Doc
	// secrets holds the values of the document's sensitive properties, keyed
	// by their path (see sensitive.go). They are never served.
	secrets map[string]any
	seq     int // insertion order
}

// table holds the documents of one kind (or of an internal table that is no
// kind, such as template versions).
type table struct {
	kind  *Kind              // nil for internal tables
	byKey map[string]*record // recordKey -> record
	order []*record          // sorted by seq: insertion order
	// bySpace holds each space's records (by lower-case space), sorted by
	// seq as order is: a space's list reads its own records, not the
	// whole kind (1,000 spaces × 50 templates is 50,000 records).
	bySpace map[string][]*record
	// byName indexes the names of kinds with UniqueNames, so that a create
	// does not scan the whole collection.
	byName map[string]*record
}

// store is the in-memory database. Every method expects Server.mu to be held.
type store struct {
	tables   map[string]*table // by Kind.Name
	counters map[string]int    // by ID prefix: the last number handed out
	seq      int
	// vocab holds the property names of the stored documents, to match a
	// request body's names case-insensitively (serializer.go).
	vocab vocabulary
	// strs holds one copy of every property name and long string value
	// stored: a fleet seeds the same step templates into every space, and
	// 1,000 spaces × 50 templates would otherwise hold 50,000 copies of
	// each script body and of every property name (scripts/benchfleet).
	strs map[string]string
}

func newStore() *store {
	st := &store{tables: map[string]*table{}, counters: map[string]int{}, vocab: vocabulary{}, strs: map[string]string{}}
	for _, n := range knownNames {
		st.vocab[strings.ToLower(n)] = n
	}
	return st
}

func recordKey(space, id string) string { return strings.ToLower(space) + "|" + strings.ToLower(id) }

// table returns a kind's table, creating it: for writers, who hold
// Server.mu exclusively.
func (st *store) table(kind string) *table {
	t := st.tables[kind]
	if t == nil {
		t = emptyTable(kind)
		st.tables[kind] = t
	}
	return t
}

// read returns a kind's table for readers (Server.mu may be held shared):
// a kind nothing was written to yet reads as an empty table that is not
// stored, since storing it would be a write under a read lock.
func (st *store) read(kind string) *table {
	if t := st.tables[kind]; t != nil {
		return t
	}
	return emptyTable(kind)
}

func emptyTable(kind string) *table {
	return &table{kind: kinds[kind], byKey: map[string]*record{}, byName: map[string]*record{}, bySpace: map[string][]*record{}}
}

// inSpace returns a kind's records stored under space, in insertion
// order. The slice is the store's: do not change it.
func (st *store) inSpace(kind, space string) []*record {
	return st.read(kind).bySpace[strings.ToLower(space)]
}

// nameKey is the uniqueness key of a record's name ("" when the kind has no
// unique names): the scope the name must be unique in, and the name.
func (t *table) nameKey(rec *record) string {
	k := t.kind
	if k == nil || !k.UniqueNames || k.NameField == "" {
		return ""
	}
	name := strings.ToLower(strings.TrimSpace(str(rec.doc, k.NameField)))
	if name == "" {
		return ""
	}
	scope := ""
	switch k.Scope {
	case SpaceScoped:
		scope = rec.space
	case MixedScoped:
		scope = str(rec.doc, "SpaceId")
	}
	return strings.ToLower(scope) + "|" + name
}

// insertBySeq puts rec into list, kept sorted by seq.
func insertBySeq(list []*record, rec *record) []*record {
	i := sort.Search(len(list), func(i int) bool { return list[i].seq >= rec.seq })
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = rec
	return list
}

// removeBySeq takes rec out of list (sorted by seq), if it is there.
func removeBySeq(list []*record, rec *record) []*record {
	i := sort.Search(len(list), func(i int) bool { return list[i].seq >= rec.seq })
	if i < len(list) && list[i] == rec {
		return append(list[:i], list[i+1:]...)
	}
	return list
}

func (t *table) unlink(rec *record) {
	t.order = removeBySeq(t.order, rec)
	sk := strings.ToLower(rec.space)
	if l := removeBySeq(t.bySpace[sk], rec); len(l) > 0 {
		t.bySpace[sk] = l
	} else {
		delete(t.bySpace, sk)
	}
	if nk := t.nameKey(rec); nk != "" && t.byName[nk] == rec {
		delete(t.byName, nk)
	}
}

// get returns the record of a document, matching the ID case-insensitively as
// Octopus does.
func (st *store) get(kind, space, id string) *record {
	return st.read(kind).byKey[recordKey(space, id)]
}

// byName returns the record of a kind with UniqueNames whose name is name in
// the scope of like (the same space, or SpaceId for mixed kinds); nil when
// there is none.
func (st *store) byName(kind string, like *record) *record {
	t := st.read(kind)
	nk := t.nameKey(like)
	if nk == "" {
		return nil
	}
	return t.byName[nk]
}

// put inserts or replaces a record. A record with seq 0 gets the next seq
// (it goes last); a replacement that keeps its seq keeps its place.
func (st *store) put(kind string, rec *record) {
	t := st.table(kind)
	key := recordKey(rec.space, str(rec.doc, "Id"))
	if old := t.byKey[key]; old != nil {
		t.unlink(old)
	}
	if rec.seq == 0 {
		st.seq++
		rec.seq = st.seq
	}
	if rec.seq > st.seq {
		st.seq = rec.seq
	}
	t.order = insertBySeq(t.order, rec)
	sk := strings.ToLower(rec.space)
	t.bySpace[sk] = insertBySeq(t.bySpace[sk], rec)
	t.byKey[key] = rec
	st.vocab.learn(rec.doc, 0)
	st.compact(rec.doc)
	if nk := t.nameKey(rec); nk != "" {
		t.byName[nk] = rec
	}
}

// internMin is the length from which string values are interned; shorter
// ones (IDs, names) are mostly unique and cost more in the table than
// they save.
const internMin = 64

// intern returns the store's one copy of s.
func (st *store) intern(s string) string {
	if v, ok := st.strs[s]; ok {
		return v
	}
	st.strs[s] = s
	return s
}

// compact makes a stored document share the store's copies of its
// property names and long strings, in place: assigning to an existing key
// stores the (equal) interned key, as Go map assignment replaces string
// keys. Values of other types are left as they are.
func (st *store) compact(x any) any {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			t[st.intern(k)] = st.compact(v)
		}
	case []any:
		for i, v := range t {
			t[i] = st.compact(v)
		}
	case string:
		if len(t) >= internMin {
			return st.intern(t)
		}
	}
	return x
}

// delete removes a record.
func (st *store) delete(kind, space, id string) {
	t := st.table(kind)
	key := recordKey(space, id)
	if rec := t.byKey[key]; rec != nil {
		t.unlink(rec)
		delete(t.byKey, key)
	}
}

// all returns every record of a kind, all spaces, in insertion order. The
// slice is a copy: callers may delete while iterating.
func (st *store) all(kind string) []*record {
	return append([]*record(nil), st.read(kind).order...)
}

// nextID hands out the next "<prefix>-<n>". Counters are global per prefix,
// across spaces, as on the real server.
func (st *store) nextID(prefix string) string {
	st.counters[prefix]++
	return prefix + "-" + strconv.Itoa(st.counters[prefix])
}

// bump makes sure the counter for prefix is at least n, for documents whose
// IDs were chosen elsewhere (seeded or loaded).
func (st *store) bump(prefix string, n int) {
	if st.counters[prefix] < n {
		st.counters[prefix] = n
	}
}
