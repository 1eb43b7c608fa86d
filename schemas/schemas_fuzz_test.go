package schemas

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode: for every embedded schema, no document makes Decode panic; a
// rejected document is a *ValidationError (exit 80), and an accepted one is
// valid JSON whose decoded value re-encodes to a document that is accepted
// again and decodes to the same value.
func FuzzDecode(f *testing.F) {
	for _, name := range append(Names(), Configs()...) {
		paths, err := filepath.Glob(filepath.Join("testdata", name, "*", "*.json"))
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(name, b)
			}
		}
	}
	f.Add("create-space", []byte(`{"name":"x"}`))
	f.Add("create-space", []byte(`{"name":[{"":null}]}`))
	f.Add("nonesuch", []byte(`{}`))
	f.Fuzz(func(t *testing.T, name string, doc []byte) {
		var v any
		err := Decode(name, doc, &v)
		if _, schemaErr := Schema(name); schemaErr != nil {
			if err == nil {
				t.Fatalf("Decode(%q) without a schema accepted %q", name, doc)
			}
			return
		}
		if err != nil {
			if !errors.As(err, new(*ValidationError)) {
				t.Fatalf("Decode(%q, %q): %v, want a *ValidationError", name, doc, err)
			}
			return
		}
		if !json.Valid(doc) {
			t.Fatalf("accepted invalid JSON %q", doc)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", v, err)
		}
		var w any
		if err := Decode(name, again, &w); err != nil {
			t.Fatalf("re-encoded %q (from %q) is rejected: %v", again, doc, err)
		}
		if diff := cmp.Diff(v, w); diff != "" {
			t.Fatalf("round trip of %q changed the value (-first +second):\n%s", doc, diff)
		}
	})
}
