package emulatortest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator"
)

// Call sends one request to srv with its admin API key, behind the back of
// the code under test, and fails the test unless the answer is 2xx. in, when
// not nil, is sent as JSON; out, when not nil, receives the JSON answer (or
// the raw body, for a *string). It returns the status, for a caller that
// wants a particular one.
func Call(t testing.TB, srv *emulator.Server, method, path string, in, out any) int {
	t.Helper()
	status, raw := send(t, srv, srv.APIKey(), method, path, in)
	if status >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, status, raw)
	}
	decode(t, method, path, raw, out)
	return status
}

// CallAs sends one request to srv with apiKey (no key when empty) and
// returns the status, whatever it is. in is sent as JSON when not nil; out,
// when not nil, receives a 2xx answer as Call does.
func CallAs(t testing.TB, srv *emulator.Server, apiKey, method, path string, in, out any) int {
	t.Helper()
	status, raw := send(t, srv, apiKey, method, path, in)
	if status < 300 {
		decode(t, method, path, raw, out)
	}
	return status
}

func send(t testing.TB, srv *emulator.Server, apiKey, method, path string, in any) (int, []byte) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("%s %s: encode body: %v", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if apiKey != "" {
		req.Header.Set("X-Octopus-ApiKey", apiKey)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close() //nolint:errcheck // read path
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	return resp.StatusCode, raw
}

func decode(t testing.TB, method, path string, raw []byte, out any) {
	t.Helper()
	switch o := out.(type) {
	case nil:
	case *string:
		*o = string(raw)
	default:
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
}

// Body GETs path with the admin key and returns the answer's body as text,
// failing the test unless it is 2xx.
func Body(t testing.TB, srv *emulator.Server, path string) string {
	t.Helper()
	var out string
	Call(t, srv, http.MethodGet, path, nil, &out)
	return out
}
