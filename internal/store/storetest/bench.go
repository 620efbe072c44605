package storetest

import (
	"context"
	"testing"
	"time"

	"nodelist/internal/store"
)

// SteadyFaults is a fleet as seen here: 5% of the nodes failing every
// round and 1% of them changing state each round.
func SteadyFaults(n int) func(node, probe int) bool {
	return func(node, probe int) bool { return node%20 == 0 || (node%100 == n%100 && n%2 == 0) }
}

// BenchWriteRound measures writing one round of nodes nodes (3 results
// each, steady faults, and the snapshot gzip-compressed as the service
// stores it: about 180 kB for 1000 nodes).
func BenchWriteRound(b *testing.B, st store.Store, nodes int) {
	ctx := context.Background()
	body := make([]byte, 180*nodes)
	n := 0
	for b.Loop() {
		r := MakeRound(n, nodes, SteadyFaults(n))
		r.Snapshot = &store.Saved{LastRefresh: r.Finished, Body: body}
		if err := st.WriteRound(ctx, r); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchHistory7d measures one node's history over 7 days in hourly
// buckets, after 7 days of rounds of nodes nodes at one round per
// `every`.
func BenchHistory7d(b *testing.B, st store.Store, nodes int, every time.Duration) {
	ctx := context.Background()
	rounds := int(7 * 24 * time.Hour / every)
	for n := range rounds {
		r := MakeRound(0, nodes, SteadyFaults(n))
		shift := time.Duration(n) * every
		r.ID, r.Started, r.Finished = r.Started.Add(shift).UnixMilli(), r.Started.Add(shift), r.Finished.Add(shift)
		for i := range r.Results {
			r.Results[i].At = r.Results[i].At.Add(shift)
		}
		if err := st.WriteRound(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	from := base
	to := base.Add(7 * 24 * time.Hour)
	for b.Loop() {
		h, err := st.History(ctx, "node-0007", from, to, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if len(h[store.ProbeConfig]) != 168 {
			b.Fatalf("%d hourly points, want 168", len(h[store.ProbeConfig]))
		}
	}
}
