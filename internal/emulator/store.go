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

// table holds the documents of one kind.
type table struct {
	byKey map[string]*record
}

// store is the in-memory database. Every method expects Server.mu to be held.
type store struct {
	tables   map[string]*table // by Kind.Name
	counters map[string]int    // by ID prefix: the last number handed out
	seq      int
}

func newStore() *store {
	return &store{tables: map[string]*table{}, counters: map[string]int{}}
}

func recordKey(space, id string) string { return strings.ToLower(space) + "|" + strings.ToLower(id) }

func (st *store) table(kind string) *table {
	t := st.tables[kind]
	if t == nil {
		t = &table{byKey: map[string]*record{}}
		st.tables[kind] = t
	}
	return t
}

// get returns the record of a document, matching the ID case-insensitively as
// Octopus does.
func (st *store) get(kind, space, id string) *record {
	return st.table(kind).byKey[recordKey(space, id)]
}

// put inserts or replaces a record.
func (st *store) put(kind string, rec *record) {
	if rec.seq == 0 {
		st.seq++
		rec.seq = st.seq
	}
	st.table(kind).byKey[recordKey(rec.space, str(rec.doc, "Id"))] = rec
}

// delete removes a record.
func (st *store) delete(kind, space, id string) {
	delete(st.table(kind).byKey, recordKey(space, id))
}

// all returns every record of a kind, all spaces, in insertion order.
func (st *store) all(kind string) []*record {
	t := st.table(kind)
	out := make([]*record, 0, len(t.byKey))
	for _, r := range t.byKey {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
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
