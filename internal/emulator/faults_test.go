package emulator_test

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/octofleet/octofleet/internal/emulator"
	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

func TestFailNext(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	s.FailNext(http.MethodPost, "/api/Spaces-1/environments", http.StatusServiceUnavailable, 2)
	for range 2 {
		r := must(t, do(t, s, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Dev"}), http.StatusServiceUnavailable)
		if r.Body["ErrorMessage"] == nil {
			t.Fatalf("injected failure without an error body: %s", r.Raw)
		}
	}
	// Not applied: the name is still free; other methods were not affected.
	must(t, do(t, s, http.MethodGet, "/api/Spaces-1/environments", nil), http.StatusOK)
	must(t, do(t, s, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Dev"}), http.StatusCreated)
}

func TestDropNextAppliesThenDrops(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	s.DropNext(http.MethodPost, "/api/spaces", 1)
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/api/spaces", stringsReader(`{"Name":"Acme","SpaceManagersTeams":["teams-administrators"]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Octopus-ApiKey", s.APIKey())
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %d", resp.StatusCode)
	}
	r := must(t, do(t, s, http.MethodGet, "/api/spaces?name=Acme", nil), http.StatusOK)
	if len(items(t, r)) != 1 {
		t.Fatalf("the dropped create was not applied: %s", r.Raw)
	}
	var statuses []int
	for _, q := range s.Requests() {
		if q.Method == http.MethodPost {
			statuses = append(statuses, q.Status)
		}
	}
	if !slices.Equal(statuses, []int{0}) {
		t.Errorf("recorded POST statuses %v, want [0]", statuses)
	}
}

// faultSequence sends n GETs and returns their outcome: the status, or -1
// for a dropped connection.
func faultSequence(t *testing.T, f emulator.Faults, n int) []int {
	t.Helper()
	s := emulatortest.New(t, func(o *emulator.Options) { o.Faults = f })
	var out []int
	for range n {
		req, err := http.NewRequest(http.MethodGet, s.URL()+"/api/spaces", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Octopus-ApiKey", s.APIKey())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out = append(out, -1)
			continue
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatal(err)
		}
		resp.Body.Close()
		out = append(out, resp.StatusCode)
	}
	return out
}

func TestRandomFaultsAreDeterministic(t *testing.T) {
	t.Parallel()
	f := emulator.Faults{ErrorRate: 0.3, DropRate: 0.2, Seed: 42}
	a, b := faultSequence(t, f, 40), faultSequence(t, f, 40)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	count := map[int]int{}
	for _, s := range a {
		count[s]++
	}
	if count[500] == 0 || count[-1] == 0 || count[200] == 0 {
		t.Errorf("outcomes %v: want some 500s, drops and successes", count)
	}
	if c := faultSequence(t, emulator.Faults{ErrorRate: 0.3, DropRate: 0.2, Seed: 7}, 40); slices.Equal(a, c) {
		t.Error("different seeds gave the same faults")
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t, func(o *emulator.Options) { o.Faults.RateLimitPerMinute = 3 })
	for range 3 {
		must(t, do(t, s, http.MethodGet, "/api/spaces", nil), http.StatusOK)
	}
	r := must(t, do(t, s, http.MethodGet, "/api/spaces", nil), http.StatusTooManyRequests)
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 60 {
		t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	// The limit is per user: another user still gets through.
	_, key, err := s.CreateUser("other", "Other")
	if err != nil {
		t.Fatal(err)
	}
	must(t, do(t, s, http.MethodGet, "/api/spaces", nil, key), http.StatusOK)
}

func TestRequestAccounting(t *testing.T) {
	t.Parallel()
	s := emulatortest.New(t)
	must(t, do(t, s, http.MethodGet, "/api/", nil), http.StatusOK)
	s.ResetRequests()
	id := addEnvironments(t, s, "Dev")[0]
	must(t, do(t, s, http.MethodGet, "/api/environments/"+id, nil), http.StatusOK)
	must(t, do(t, s, http.MethodPut, "/api/spaces/Spaces-1/environments/"+id, map[string]any{"Name": "Dev"}), http.StatusOK)
	must(t, do(t, s, http.MethodPost, "/api/Spaces-1/environments", map[string]any{"Name": "Dev"}), http.StatusBadRequest)
	must(t, do(t, s, http.MethodGet, "/api/nowhere", nil), http.StatusNotFound)

	want := []emulator.Request{
		{Method: "POST", Path: "/api/Spaces-1/environments", Route: "/api/{spaceId}/environments", Status: 201},
		{Method: "GET", Path: "/api/environments/" + id, Route: "/api/environments/{id}", Status: 200},
		{Method: "PUT", Path: "/api/spaces/Spaces-1/environments/" + id, Route: "/api/spaces/{spaceId}/environments/{id}", Status: 200},
		{Method: "POST", Path: "/api/Spaces-1/environments", Route: "/api/{spaceId}/environments", Status: 400},
		{Method: "GET", Path: "/api/nowhere", Route: "", Status: 404},
	}
	got := s.Requests()
	for i := range got {
		if got[i].At.IsZero() {
			t.Errorf("request %d has no arrival time", i)
		}
		got[i].At = time.Time{} // compared apart: when it arrived
	}
	if !slices.Equal(got, want) {
		t.Errorf("Requests:\n got %+v\nwant %+v", got, want)
	}
	wantWrites := []string{"POST /api/Spaces-1/environments", "PUT /api/spaces/Spaces-1/environments/" + id, "POST /api/Spaces-1/environments"}
	if got := s.Writes(); !slices.Equal(got, wantWrites) {
		t.Errorf("Writes = %q, want %q", got, wantWrites)
	}
	if got := s.RequestCounts()["POST /api/{spaceId}/environments"]; got != 2 {
		t.Errorf("RequestCounts POST environments = %d", got)
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 || len(s.Writes()) != 0 {
		t.Error("ResetRequests kept requests")
	}
}
