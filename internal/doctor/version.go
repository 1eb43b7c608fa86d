package doctor

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is an Octopus Server version: YEAR.N.BUILD ("2026.1.1234"). Since
// 2021 Octopus ships four minor releases a year (YEAR.1 to YEAR.4), so
// 2022.4 is followed by 2023.1 (octopus.com/downloads/compare lists
// 2022.4.9997 → 2023.1.9732 as one upgrade).
type Version struct {
	Major, Minor, Patch int
	Raw                 string
}

// ParseVersion reads "2026.1.1234" (a fourth part and a pre-release suffix
// are ignored).
func ParseVersion(s string) (Version, error) {
	v := Version{Raw: s}
	core, _, _ := strings.Cut(strings.TrimSpace(s), "-")
	parts := strings.Split(core, ".")
	if len(parts) < 2 {
		return v, fmt.Errorf("server version %q: want MAJOR.MINOR[.PATCH]", s)
	}
	nums := []*int{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		if i >= len(nums) {
			break
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, fmt.Errorf("server version %q: %q is not a number", s, p)
		}
		*nums[i] = n
	}
	return v, nil
}

// Compare orders versions: -1, 0 or 1.
func (v Version) Compare(o Version) int {
	for _, d := range [][2]int{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		switch {
		case d[0] < d[1]:
			return -1
		case d[0] > d[1]:
			return 1
		}
	}
	return 0
}

// minorsApart counts minor releases from v up to o (o not older): the
// same year counts the difference; YEAR.4 (or later) to (YEAR+1).1 counts
// one; any other change of year counts as more than one.
func (v Version) minorsApart(o Version) int {
	switch {
	case v.Major == o.Major:
		return o.Minor - v.Minor
	case o.Major == v.Major+1 && o.Minor == 1 && v.Minor >= 4:
		return 1
	}
	return 99
}

// CheckSkew says whether configuration from an instance running source can
// be promoted to one running target: Octopus's guide to syncing instances
// advises instances at most one minor version apart, and a newer server's
// documents carry fields an older one rejects with a 400 — so a target
// older than the source, or more than one minor release newer, is refused
// (promote and doctor allow it with --allow-version-skew).
func CheckSkew(source, target string) error {
	s, err := ParseVersion(source)
	if err != nil {
		return err
	}
	t, err := ParseVersion(target)
	if err != nil {
		return err
	}
	if t.Major == s.Major && t.Minor == s.Minor {
		return nil
	}
	if t.Compare(s) < 0 {
		return fmt.Errorf("the target runs Octopus %s, older than the source's %s: it would reject fields the source's documents carry", target, source)
	}
	if n := s.minorsApart(t); n > 1 {
		return fmt.Errorf("the target runs Octopus %s, more than one minor version after the source's %s; upgrade them in step", target, source)
	}
	return nil
}
