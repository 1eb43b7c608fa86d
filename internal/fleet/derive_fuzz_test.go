package fleet

import (
	"strings"
	"testing"
)

// FuzzSubstitute: substituting a runbook parameter over any variable never
// panics and does bounded work: a variable that refers to itself is an
// error, and so is a result longer than maxSubstituted. Text without "#{"
// is returned as it is. testdata/fuzz/FuzzSubstitute/self-reference-fan ran
// 8^9 substitutions before.
func FuzzSubstitute(f *testing.F) {
	for _, s := range []string{
		"plain", "#{Octopus.Space.Name}", "#{Octofleet.InstanceUrl}/api", "#{Octopus.Action[Create space].Output.SpaceId}",
		"#{Unknown}", "#{", "#{}", "#{Fan}", "#{Chain}",
	} {
		f.Add(s, "Chain", "#{Octopus.Space.Name}#{Octopus.Space.Name}")
	}
	f.Fuzz(func(t *testing.T, s, name, value string) {
		dict := map[string]string{
			varServerURI: "https://hub.example.com", varSpaceName: "Hub #{Octopus.Environment.Name}",
			varEnvironment: "Production", "Octofleet.InstanceUrl": "#{Octopus.Web.ServerUri}",
			name: value,
		}
		got, err := substitute(s, dict)
		if err == nil && !strings.Contains(s, "#{") && got != s {
			t.Fatalf("substitute(%q) = %q, want it unchanged", s, got)
		}
		if len(got) > maxSubstituted+len(s) {
			t.Fatalf("substitute(%q) with %s=%q made %d bytes", s, name, value, len(got))
		}
	})
}
