package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The route-coverage test measures, from the swagger of the real server,
// how much of its GET surface the emulator answers:
//
//   - kinds served: for every first path segment the emulator serves
//     ("environments", "projects"...), every GET route of the swagger below
//     it, with or without ids;
//   - id-free: every GET route of the swagger that needs no parameter but
//     the space ID (285 in 2026.1).
//
// An id-free route answers when a GET of it is not a 404, 405 or 5xx, and a
// 200 has the swagger's shape: a paged collection carries the paging
// properties, honours take and accepts the list parameters the swagger
// documents for it; an object is checked against its definition. A route
// with ids answers when the emulator routes it (the crawler and the kind
// tests call them with real IDs).
//
// Print the figures with
//
//	go test ./internal/emulator/ -run TestRouteCoverage -v
//
// The floors below only rise: raise them when routes are added.
const (
	kindCoverageFloor   = 0.408
	idFreeCoverageFloor = 0.592
)

type swaggerGet struct {
	Parameters []struct {
		In       string `json:"in"`
		Name     string `json:"name"`
		Required bool   `json:"required"`
		Type     string `json:"type"`
	} `json:"parameters"`
	Responses map[string]struct {
		Schema *struct {
			Ref   string `json:"$ref"`
			Type  string `json:"type"`
			Items *struct {
				Ref string `json:"$ref"`
			} `json:"items"`
		} `json:"schema"`
	} `json:"responses"`
}

// swaggerGets returns the GET operations of the swagger by path, with the
// /spaces/{spaceId}/ form folded into /{spaceId}/ (the server serves both;
// octopus-api.md §2).
func swaggerGets(t *testing.T) map[string]swaggerGet {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(apiReferenceDir, "swagger-2026.1.json"))
	if os.IsNotExist(err) {
		t.Skipf("no API reference at %s", apiReferenceDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var sw struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &sw); err != nil {
		t.Fatal(err)
	}
	out := map[string]swaggerGet{}
	for p, ops := range sw.Paths {
		op, ok := ops["get"]
		if !ok {
			continue
		}
		var g swaggerGet
		if err := json.Unmarshal(op, &g); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if rest, ok := strings.CutPrefix(p, "/spaces/{spaceId}/"); ok {
			p = "/{spaceId}/" + rest
		}
		out[p] = g
	}
	return out
}

// idFree reports whether a swagger path needs no parameter but the space.
func idFree(p string) bool {
	return !regexp.MustCompile(`\{`).MatchString(strings.ReplaceAll(p, "{spaceId}", ""))
}

// firstSegment is the kind a swagger path belongs to: its first segment
// after the space ("" for the API roots).
func firstSegment(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if len(segs) > 0 && segs[0] == "{spaceId}" {
		segs = segs[1:]
	}
	if len(segs) == 0 {
		return ""
	}
	return strings.ToLower(segs[0])
}

// coverageResult is the measurement of one swagger GET route.
type coverageResult struct {
	path     string
	kind     string
	idFree   bool
	answered bool
	why      string // why it does not answer
}

// routed reports whether the emulator has a route for the swagger path.
func routed(s *Server, p string) bool {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	scoped := false
	if len(segs) > 0 && segs[0] == "{spaceId}" {
		segs, scoped = segs[1:], true
	}
	if len(segs) == 1 && segs[0] == "" {
		segs = nil
	}
	for i, sg := range segs {
		if strings.HasPrefix(sg, "{") {
			segs[i] = "x-" + strings.Trim(sg, "{}")
		}
	}
	rt, _, _ := s.router.find(http.MethodGet, segs, scoped)
	if rt == nil {
		return false
	}
	// A generic "{id}" route must not count for a literal swagger segment
	// ("environments/summary" is not "environments/{id}").
	for i, sg := range rt.segs {
		if strings.HasPrefix(sg, "{") && !strings.HasPrefix(segs[i], "x-") {
			return false
		}
	}
	return true
}

// sampleValue is a value for a required query parameter.
func sampleValue(typ string) string {
	switch typ {
	case "integer", "number":
		return "1"
	case "boolean":
		return "true"
	}
	return "x"
}

// measureGet calls an id-free route and checks its answer's shape.
func measureGet(t *testing.T, s *Server, sw *swaggerDoc, p string, g swaggerGet) (bool, string) {
	path := "/api" + strings.ReplaceAll(strings.TrimSuffix(p, "/"), "{spaceId}", "Spaces-1")
	q := url.Values{}
	params := map[string]bool{}
	for _, prm := range g.Parameters {
		if prm.In != "query" {
			continue
		}
		params[strings.ToLower(prm.Name)] = true
		if prm.Required {
			q.Set(prm.Name, sampleValue(prm.Type))
		}
	}
	call := func(extra url.Values) (int, any, string) {
		v := url.Values{}
		for k, x := range q {
			v[k] = x
		}
		for k, x := range extra {
			v[k] = x
		}
		u := path
		if len(v) > 0 {
			u += "?" + v.Encode()
		}
		resp, raw := SendRequest(t, s, http.MethodGet, u, "", nil, s.APIKey())
		var body any
		if strings.Contains(resp.Header.Get("Content-Type"), "json") {
			_ = json.Unmarshal(raw, &body)
		}
		return resp.StatusCode, body, u
	}
	status, body, u := call(nil)
	switch {
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed || status >= 500:
		return false, fmt.Sprintf("GET %s: %d", u, status)
	case status != http.StatusOK:
		return true, ""
	}
	resp200 := g.Responses["200"]
	if resp200.Schema == nil || resp200.Schema.Ref == "" {
		return true, ""
	}
	def := refName(resp200.Schema.Ref)
	d, known := sw.Definitions[def]
	if !known {
		return true, ""
	}
	if _, paged := d.Properties["ItemsPerPage"]; !paged {
		if probs := definitionProblems(sw, def, def, body, 0); len(probs) > 0 {
			return false, fmt.Sprintf("GET %s: %s", u, strings.Join(probs, "; "))
		}
		return true, ""
	}
	m, _ := body.(map[string]any)
	for _, f := range []string{"Items", "ItemsPerPage", "TotalResults", "NumberOfPages", "LastPageNumber", "Links"} {
		if _, ok := m[f]; !ok {
			return false, fmt.Sprintf("GET %s: paged answer without %s", u, f)
		}
	}
	if probs := definitionProblems(sw, def, def, body, 0); len(probs) > 0 {
		return false, fmt.Sprintf("GET %s: %s", u, strings.Join(probs, "; "))
	}
	if params["take"] {
		status, body, u := call(url.Values{"take": {"1"}, "skip": {"0"}})
		m, _ := body.(map[string]any)
		items, _ := m["Items"].([]any)
		if status != http.StatusOK || fmt.Sprint(m["ItemsPerPage"]) != "1" || len(items) > 1 {
			return false, fmt.Sprintf("GET %s: take=1 ignored (status %d, ItemsPerPage %v, %d items)", u, status, m["ItemsPerPage"], len(items))
		}
	}
	for _, prm := range []string{"partialName", "name", "ids"} {
		if !params[strings.ToLower(prm)] {
			continue
		}
		status, body, u := call(url.Values{prm: {"no-such-thing-xyz"}})
		m, _ := body.(map[string]any)
		items, _ := m["Items"].([]any)
		if status != http.StatusOK || len(items) != 0 {
			return false, fmt.Sprintf("GET %s: %s ignored (status %d, %d items)", u, prm, status, len(items))
		}
	}
	return true, ""
}

// measureCoverage measures every swagger GET route against s.
func measureCoverage(t *testing.T, s *Server) []coverageResult {
	sw, _ := loadReference(t)
	gets := swaggerGets(t)
	served := map[string]bool{}
	for _, r := range servedRoutes(s) {
		_, path, _ := strings.Cut(r, " ")
		path = strings.TrimPrefix(path, "api")
		served[firstSegment(path)] = true
	}
	paths := make([]string, 0, len(gets))
	for p := range gets {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var out []coverageResult
	for _, p := range paths {
		r := coverageResult{path: p, kind: firstSegment(p), idFree: idFree(p)}
		if r.kind == "" || !served[r.kind] {
			r.kind = ""
		}
		switch {
		case r.idFree:
			r.answered, r.why = measureGet(t, s, sw, p, gets[p])
		case routed(s, p):
			r.answered = true
		default:
			r.why = "not routed"
		}
		out = append(out, r)
	}
	return out
}

// coverageServer is an emulator with one document of most kinds, so that
// lists have items whose shape is checked.
func coverageServer(t *testing.T) *Server {
	s := newConformanceServer(t)
	f := &fixture{ids: map[string]string{}}
	for _, smp := range samples {
		smp.get(t, s, f)
	}
	return s
}

func TestRouteCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the whole GET surface")
	}
	s := coverageServer(t)
	results := measureCoverage(t, s)
	var kindTotal, kindOK, freeTotal, freeOK int
	for _, r := range results {
		if r.kind != "" {
			kindTotal++
			if r.answered {
				kindOK++
			} else {
				t.Logf("kind %s: %s: %s", r.kind, r.path, r.why)
			}
		}
		if r.idFree {
			freeTotal++
			if r.answered {
				freeOK++
			} else if r.kind == "" {
				t.Logf("id-free, kind not served: %s: %s", r.path, r.why)
			}
		}
	}
	kindCov := float64(kindOK) / float64(max(kindTotal, 1))
	freeCov := float64(freeOK) / float64(max(freeTotal, 1))
	fmt.Printf("route coverage: kinds served %d/%d GET routes (%.1f%%); id-free GET surface %d/%d (%.1f%%)\n",
		kindOK, kindTotal, 100*kindCov, freeOK, freeTotal, 100*freeCov)
	if kindCov < kindCoverageFloor {
		t.Errorf("coverage of the served kinds' GET routes %.3f is below the floor %.3f", kindCov, kindCoverageFloor)
	}
	if freeCov < idFreeCoverageFloor {
		t.Errorf("coverage of the id-free GET surface %.3f is below the floor %.3f", freeCov, idFreeCoverageFloor)
	}
}
