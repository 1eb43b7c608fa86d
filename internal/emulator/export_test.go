package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
)

// The HTTP round trips the tests of both packages (emulator and
// emulator_test) make. They live in a file of this package, exported, so
// that the emulator_test helpers (do, upload, rawLog) and the conformance
// helpers (conformanceCall, the package sample) build on the same code.

// SendRequest sends one request to s with apiKey (no key when empty) and
// returns the response, its body already read and closed. body is sent as
// is when it is an io.Reader (contentType, when not empty, is its
// Content-Type), else JSON-encoded unless nil.
func SendRequest(t testing.TB, s *Server, method, path, contentType string, body any, apiKey string) (*http.Response, []byte) {
	t.Helper()
	rd, ok := body.(io.Reader)
	if !ok && body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if apiKey != "" {
		req.Header.Set("X-Octopus-ApiKey", apiKey)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, path, err)
	}
	return resp, raw
}

// UploadPackage sends a package to the built-in feed of Spaces-1 the way the
// Octopus CLI does (multipart form data, the file in "fileToUpload"), with
// the admin key; query is appended to the URL ("?replace=true").
func UploadPackage(t testing.TB, s *Server, fileName string, data []byte, query string) (status int, raw []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("fileToUpload", fileName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	resp, raw := SendRequest(t, s, http.MethodPost, "/api/Spaces-1/packages/raw"+query, mw.FormDataContentType(), &body, s.APIKey())
	return resp.StatusCode, raw
}

// NewEveryKindServer starts an emulator holding one document of every kind
// the conformance samples create (the crawler and the route-coverage test
// start from it).
func NewEveryKindServer(t *testing.T) *Server {
	t.Helper()
	return coverageServer(t)
}
