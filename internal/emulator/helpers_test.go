package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
)

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Array  []any
	Raw    []byte
}

// do sends a request with the admin key (or key, when not empty) and decodes
// the JSON answer.
func do(t *testing.T, s *emulator.Server, method, path string, body any, key ...string) response {
	t.Helper()
	k := s.APIKey()
	if len(key) > 0 {
		k = key[0]
	}
	resp, raw := emulator.SendRequest(t, s, method, path, "", body, k)
	r := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 {
		var err error
		if raw[0] == '[' {
			err = json.Unmarshal(raw, &r.Array)
		} else {
			err = json.Unmarshal(raw, &r.Body)
		}
		if err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	if resp.StatusCode >= 300 {
		if cl := resp.Header.Get("Content-Length"); cl == "" || cl == "0" || cl != strconv.Itoa(len(raw)) {
			t.Errorf("%s %s: status %d with Content-Length %q for %d bytes", method, path, resp.StatusCode, cl, len(raw))
		}
	}
	return r
}

// must checks the status of a response.
func must(t *testing.T, r response, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func items(t *testing.T, r response) []map[string]any {
	t.Helper()
	raw, ok := r.Body["Items"].([]any)
	if !ok {
		t.Fatalf("no Items in %s", r.Raw)
	}
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i] = x.(map[string]any)
	}
	return out
}

func stringsReader(s string) io.Reader { return bytes.NewReader([]byte(s)) }

var atomicMu sync.Mutex

// atomicAdd returns the next value of *n.
func atomicAdd(n *int64) int64 {
	atomicMu.Lock()
	defer atomicMu.Unlock()
	*n++
	return *n
}
