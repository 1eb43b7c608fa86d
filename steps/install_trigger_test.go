package steps

import "testing"

// TestNormalizeCron: five fields gain a zero seconds field, six stay as
// they are; names, ranges, lists, steps and ? are accepted.
func TestNormalizeCron(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0 3 * * *":                 "0 0 3 * * *",
		"  0   3 * * * ":            "0 0 3 * * *",
		"*/15 * * * *":              "0 */15 * * * *",
		"0 0 9 * * Mon-Fri":         "0 0 9 * * Mon-Fri",
		"0 30 2 ? JAN,JUL SUN":      "0 30 2 ? JAN,JUL SUN",
		"0 0-30/10 1,13 1-15 * 0-7": "0 0-30/10 1,13 1-15 * 0-7",
	} {
		got, err := NormalizeCron(in)
		if err != nil || got != want {
			t.Errorf("NormalizeCron(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "* * * *", "0 0 0 0 * * * *", "60 * * * *", "0 3 0 * *", "0 3 * 13 *", "0 3 ? * 8", "0 ? * * *", "0 3 * * MON-", "a-b * * * *"} {
		if got, err := NormalizeCron(bad); err == nil {
			t.Errorf("NormalizeCron(%q) = %q, want an error", bad, got)
		}
	}
}
