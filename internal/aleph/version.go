package aleph

import (
	"strconv"
	"strings"
)

// Version is the leading X.Y.Z of a node's version string.
type Version [3]int

// ParseVersion reads the leading numeric X.Y.Z of s. Anything after the
// third number is ignored, so "1.3.0-41-g7303587" is 1.3.0 and "v1.8.1rc2"
// is 1.8.1. Missing minor or patch numbers count as zero ("2" is 2.0.0).
func ParseVersion(s string) (Version, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	var v Version
	for i := 0; i < 3; i++ {
		n := 0
		for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 {
			if i == 0 {
				return Version{}, false
			}
			break
		}
		v[i], _ = strconv.Atoi(s[:n])
		s = s[n:]
		if len(s) == 0 || s[0] != '.' {
			break
		}
		s = s[1:]
	}
	return v, true
}

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than w.
func (v Version) Compare(w Version) int {
	for i := range v {
		switch {
		case v[i] < w[i]:
			return -1
		case v[i] > w[i]:
			return 1
		}
	}
	return 0
}

// lastLegacyIPv6 is the newest node version that only has the per-VM
// IPv6 route (/vm/{id}/ip/6); newer nodes have /status/check/ipv6.
var lastLegacyIPv6 = Version{1, 8, 1}

// UsesLegacyIPv6 reports whether a node running version should be asked
// for IPv6 through the legacy per-VM route. An unknown or unparsable
// version uses the new route.
func UsesLegacyIPv6(version string) bool {
	v, ok := ParseVersion(version)
	return ok && v.Compare(lastLegacyIPv6) <= 0
}
