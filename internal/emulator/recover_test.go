package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHandlerPanicAnswers500: a handler that panics answers 500 naming its
// route and the panic, releases the store's lock and leaves the server
// answering. FuzzHandlers counts on it: a panic is a 5xx, which fails it.
func TestHandlerPanicAnswers500(t *testing.T) {
	t.Parallel()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var routes []*route
	for _, k := range kindsOrder {
		routes = append(routes, kindRoutes(k)...)
	}
	routes = append(routes, extraRoutes...)
	s.router = newRouter(append(routes, newRoute(http.MethodPost, "fuzzpanic", RouteSystem, func(*Call) (any, error) {
		var m map[string]any
		m["x"] = 1 // a nil map: the kind of bug a fuzzed body finds
		return nil, nil
	})))
	serve := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("X-Octopus-ApiKey", s.APIKey())
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	rec := serve(http.MethodPost, "/api/fuzzpanic", "{}")
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "internal error in /api/fuzzpanic: assignment to entry in nil map") {
		t.Errorf("a panicking handler answered %d %s", rec.Code, rec.Body)
	}
	if rec := serve(http.MethodPost, "/api/Spaces-1/environments", `{"Name":"After"}`); rec.Code != http.StatusCreated {
		t.Errorf("after the panic a create answered %d %s", rec.Code, rec.Body)
	}
}
