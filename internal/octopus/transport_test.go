package octopus

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true}, // RFC 850
		{"Sun Mar  1 12:00:05 2026", 5 * time.Second, true},    // asctime
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},             // in the past: now
		{"", 0, false},
		{"-3", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRouteOf(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"/api/":                                           "/api/",
		"/api/spaces":                                     "/api/spaces",
		"/api/Spaces-1/projects/Projects-12":              "/api/{id}/projects/{id}",
		"/api/teams/teams-spacemanagers-Spaces-2":         "/api/teams/{id}",
		"/api/spaces/Spaces-1/tasks/ServerTasks-3/cancel": "/api/spaces/{id}/tasks/{id}/cancel",
		"/api/Spaces-1/projects/my-project":               "/api/{id}/projects/my-project",
	}
	for in, want := range tests {
		if got := routeOf(in); got != want {
			t.Errorf("routeOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	tr := newTransport(t.Context(), http.DefaultTransport, Options{RetryBaseDelay: 100 * time.Millisecond, RetryMaxDelay: time.Second}, discardLogger())
	for retry, max := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 50 {
			if d := tr.backoff(retry); d < max/2 || d > max {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", retry, d, max/2, max)
			}
		}
	}
}

func TestNormalizeErrorBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		status     int
		wantMsg    string
	}{
		{"empty body", "", 500, "HTTP 500 Internal Server Error"},
		{"html from a proxy", "<html><body>Bad gateway</body></html>", 502, "HTTP 502 Bad Gateway"},
		{"plain text", "upstream timed out", 504, "HTTP 504 Gateway Timeout: upstream timed out"},
		{"octopus body kept", `{"ErrorMessage":"There was a problem with your request.","Errors":["x"]}`, 400, "There was a problem with your request."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body)), ContentLength: int64(len(tt.body))}
			resp = normalizeErrorBody(resp)
			b, _ := io.ReadAll(resp.Body)
			if resp.ContentLength != int64(len(b)) || resp.ContentLength == 0 {
				t.Errorf("ContentLength = %d for a %d-byte body", resp.ContentLength, len(b))
			}
			var got struct {
				ErrorMessage string
				StatusCode   int
			}
			if err := json.NewDecoder(bytes.NewReader(b)).Decode(&got); err != nil {
				t.Fatalf("body %q is not JSON: %v", b, err)
			}
			if got.ErrorMessage != tt.wantMsg || got.StatusCode != tt.status {
				t.Errorf("body = %+v, want message %q and status %d", got, tt.wantMsg, tt.status)
			}
		})
	}
}
