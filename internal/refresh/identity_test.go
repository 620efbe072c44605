package refresh

import (
	"strings"
	"testing"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
)

// TestIdentityMismatches: a node is flagged when its last good config
// names a node_hash, written any way JSON allows, other than its hash;
// not when it names none or its own.
func TestIdentityMismatches(t *testing.T) {
	node := func(hash, nodeHash string) *nodeState {
		s := newNodeState()
		s.node = aleph.Node{Hash: hash}
		if nodeHash != "" {
			vals := make([][]byte, len(probe.Config.Fields))
			for i, f := range probe.Config.Fields {
				vals[i] = f.Default
			}
			vals[nodeHashField] = []byte(nodeHash)
			s.probes[probe.Config.Index].values = vals
		}
		return s
	}
	order := []*nodeState{
		node("a", ""),         // never answered
		node("b", "null"),     // says none
		node("c", `"c"`),      // itself
		node("d", `"\u0064"`), // itself, escaped
		node("e", `"x"`),      // another
		node("f", `"\u0078"`), // another, escaped
		node("g", `""`),       // an empty hash is not its own
		node("h", `"H"`),      // hashes are compared as written
	}
	n, hashes := identityMismatches(order)
	if n != 4 || strings.Join(hashes, ",") != "e,f,g,h" {
		t.Errorf("%d mismatches %v, want 4: e,f,g,h", n, hashes)
	}
	many := make([]*nodeState, MaxIdentityMismatchesListed+5)
	for i := range many {
		many[i] = node(strings.Repeat("z", i+1), `"other"`)
	}
	n, hashes = identityMismatches(many)
	if n != len(many) || len(hashes) != MaxIdentityMismatchesListed {
		t.Errorf("%d counted, %d listed; want %d and %d", n, len(hashes), len(many), MaxIdentityMismatchesListed)
	}
}
