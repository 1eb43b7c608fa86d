package emulator_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// BenchmarkEmulator measures requests per second over a real socket: a paged
// list of 100 environments and environment creates.
func BenchmarkEmulator(b *testing.B) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	send := func(b *testing.B, req *http.Request, want int) {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			b.Fatalf("status %d, want %d", resp.StatusCode, want)
		}
	}
	b.Run("list", func(b *testing.B) {
		s := emulatortest.New(b)
		for i := range 100 {
			req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api/Spaces-1/environments", bytes.NewReader(fmt.Appendf(nil, `{"Name":"Env %d"}`, i)))
			req.Header.Set("X-Octopus-ApiKey", s.APIKey())
			send(b, req, http.StatusCreated)
		}
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/Spaces-1/environments?take=30", nil)
				req.Header.Set("X-Octopus-ApiKey", s.APIKey())
				send(b, req, http.StatusOK)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("create", func(b *testing.B) {
		s := emulatortest.New(b)
		var n int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := atomicAdd(&n)
				req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api/Spaces-1/environments", bytes.NewReader(fmt.Appendf(nil, `{"Name":"Env %d"}`, i)))
				req.Header.Set("X-Octopus-ApiKey", s.APIKey())
				send(b, req, http.StatusCreated)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}
