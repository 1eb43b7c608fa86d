package doctor

import "testing"

func TestCheckSkew(t *testing.T) {
	t.Parallel()
	cases := []struct {
		source, target string
		ok             bool
	}{
		{"2026.1.100", "2026.1.200", true},
		{"2026.1.200", "2026.1.100", true}, // patch level only
		{"2026.1.1", "2026.2.1", true},
		{"2026.1.1", "2026.3.1", false},
		{"2026.2.1", "2026.1.1", false}, // target older
		{"2025.4.9", "2026.1.1", true},  // the year's last minor to the next year's first
		{"2025.2.9", "2026.1.1", false},
		{"2025.4.9", "2026.2.1", false},
		{"2026.1", "2027.1", false},
	}
	for _, tc := range cases {
		err := CheckSkew(tc.source, tc.target)
		if (err == nil) != tc.ok {
			t.Errorf("CheckSkew(%s, %s) = %v, want ok=%v", tc.source, tc.target, err, tc.ok)
		}
	}
	for _, bad := range []string{"", "2026", "x.1", "2026.-1"} {
		if err := CheckSkew(bad, "2026.1.1"); err == nil {
			t.Errorf("CheckSkew(%q) accepted a malformed version", bad)
		}
	}
}
