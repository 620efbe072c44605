package refresh

import (
	"context"
	"testing"
	"time"

	"nodelist/internal/simfleet"
)

// The change stream tells up from down by CRN.Up: it must follow the last
// config probe, and say down for a node whose address is invalid.
func TestUpFollowsConfigProbe(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 6, Seed: 1, InvalidAddress: 0.2})
	r := newRefresher(t, f, 2*time.Second, nil)
	upOf := func(hash string) bool {
		t.Helper()
		up, listed := r.Holder().Load().Up(hash)
		if !listed {
			t.Fatalf("%s not listed", hash)
		}
		return up
	}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	var target *simfleet.Node
	for i, n := range f.Nodes() {
		want := n.Kind == simfleet.KindOK
		if got := upOf(n.Hash); got != want {
			t.Errorf("%s (kind %v): up = %v, want %v", n.Hash, n.Kind, got, want)
		}
		if want && target == nil {
			target = &f.Nodes()[i]
		}
	}
	if target == nil {
		t.Fatal("no healthy node in the fleet")
	}
	f.SetKind(target.Index, simfleet.KindFailing)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if upOf(target.Hash) {
		t.Error("a node whose config probe failed is still up")
	}
	f.SetKind(target.Index, simfleet.KindOK)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !upOf(target.Hash) {
		t.Error("a recovered node is still down")
	}
}
