// Allocations counted under the race detector vary from run to run.

//go:build !race

package snapshot

import (
	"testing"

	"nodelist/internal/aleph"
)

// TestParseSharesComputedKeys: reading back a CRN the service rendered
// allocates no string for the keys it computes (the probe table's), as
// for the registry's own.
func TestParseSharesComputedKeys(t *testing.T) {
	raw := Render(nil, &Entry{Node: node(t, `{"hash":"h1","name":"n","address":"https://n.example","score":0.5}`)})
	n, err := aleph.ParseNode(raw)
	if err != nil {
		t.Fatal(err)
	}
	computed := 0
	for _, f := range n.Fields {
		if Computed(f.Key) {
			computed++
		}
	}
	if computed < 10 {
		t.Fatalf("%d computed keys in %s", computed, raw)
	}
	plain := testing.AllocsPerRun(50, func() { _, _ = aleph.ParseNode(raw) })
	shared := testing.AllocsPerRun(50, func() { _, _ = aleph.ParseNodeKeys(raw, keyStrings()) })
	t.Logf("%d computed keys; allocations per CRN: %.0f without the snapshot's keys, %.0f with them", computed, plain, shared)
	if plain-shared < float64(computed) {
		t.Errorf("%.0f allocations spared, want one per computed key (%d)", plain-shared, computed)
	}
}
