package refresh

import (
	"testing"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
)

// TestCountBehind holds nodelist_nodes_behind_last_crn_version to the
// version rule: the leading X.Y.Z compared numerically, suffixes ignored,
// and nodes without a parseable version not counted.
func TestCountBehind(t *testing.T) {
	node := func(version string) *nodeState {
		s := newNodeState()
		if version != "" {
			vals := make([][]byte, len(probe.Config.Fields))
			for i, f := range probe.Config.Fields {
				vals[i] = f.Default
			}
			vals[versionField] = []byte(version)
			s.probes[probe.Config.Index].values = vals
		}
		return s
	}
	order := []*nodeState{
		node(`"1.11.0"`),            // equal: not behind
		node(`"1.11.0-rc1"`),        // equal by its X.Y.Z
		node(`"1.10.9"`),            // behind
		node(`"1.3.0-41-g7303587"`), // behind
		node(`"v1.9.0"`),            // behind
		node(`"1.\u0039.0"`),        // behind, once decoded (1.9.0)
		node(`"2.0.0"`),             // ahead
		node(`"version-unavailable"`),
		node(`null`),
		node(""), // never answered
	}
	for _, tc := range []struct {
		last string
		want int
	}{
		{"1.11.0", 4},
		{"1.11.1", 6},
		{"v2", 6}, // 2.0.0
		{"2.0.1", 7},
		{"", 0},
		{"latest", 0},
	} {
		if got := countBehind(order, &aleph.Settings{LastCRNVersion: tc.last}); got != tc.want {
			t.Errorf("last_crn_version %q: %d behind, want %d", tc.last, got, tc.want)
		}
	}
	if got := countBehind(order, nil); got != 0 {
		t.Errorf("without settings: %d behind", got)
	}
}
