package emulator_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/octofleet/octofleet/internal/emulator/emulatortest"
)

// BenchmarkRestrictedList measures a paged list of 10,000 tenants read by
// the admin and by a key whose team is restricted to 10 of them (every
// tenant is checked against the restriction): the cost of permissions on
// lists.
func BenchmarkRestrictedList(b *testing.B) {
	s := emulatortest.New(b)
	var some []string
	for i := range 10000 {
		var t map[string]any
		emulatortest.Call(b, s, http.MethodPost, "/api/Spaces-1/tenants", map[string]any{"Name": fmt.Sprintf("Tenant %05d", i)}, &t)
		if i%1000 == 0 {
			some = append(some, t["Id"].(string))
		}
	}
	u := emulatortest.NewUser(b, s, "ten", emulatortest.Grant{Role: "Tenant manager", SpaceID: "Spaces-1", Tenants: some})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for _, tc := range []struct {
		name, key string
		want      int
	}{{"admin", s.APIKey(), 30}, {"restricted", u.APIKey, len(some)}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/Spaces-1/tenants?take=30", nil)
				req.Header.Set("X-Octopus-ApiKey", tc.key)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
