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
		if len(h[config]) != 168 {
			b.Fatalf("%d hourly points, want 168", len(h[config]))
		}
	}
}

// roundAt is round n of nodes moved to start at at.
func roundAt(n, nodes int, at time.Time) *store.Round {
	r := MakeRound(0, nodes, SteadyFaults(n))
	shift := at.Sub(r.Started)
	r.ID, r.Started, r.Finished = at.UnixMilli(), at, r.Finished.Add(shift)
	for i := range r.Results {
		r.Results[i].At = r.Results[i].At.Add(shift)
	}
	return r
}

// Retention defaults, as the service has them.
const (
	DefaultRaw  = 48 * time.Hour
	DefaultLong = 400 * 24 * time.Hour
)

// BenchSteadySize fills a store as the service would at default
// retention after running for 400 days with nodes nodes every 30 s: the
// long window with one round an hour (an hourly entry is the same size
// whatever the number of rounds it sums), the raw window with a round
// every 30 s, then prunes as the service does. size reports the
// database's bytes, in total ("MB") and by part, in MB.
func BenchSteadySize(b *testing.B, st store.Store, nodes int, size func() (map[string]float64, error)) {
	ctx := context.Background()
	for b.Loop() {
		end := base.Add(DefaultLong)
		rawStart := end.Add(-DefaultRaw)
		n := 0
		prune := func(now time.Time) {
			for {
				d, err := st.Prune(ctx, now, DefaultRaw, DefaultLong, 5000)
				if err != nil {
					b.Fatal(err)
				}
				if d == 0 {
					return
				}
			}
		}
		for at := base; at.Before(rawStart); at = at.Add(time.Hour) {
			if err := st.WriteRound(ctx, roundAt(n, nodes, at)); err != nil {
				b.Fatal(err)
			}
			n++
			if n%24 == 0 {
				prune(at) // the service prunes all the time
			}
		}
		for at := rawStart; at.Before(end); at = at.Add(30 * time.Second) {
			if err := st.WriteRound(ctx, roundAt(n, nodes, at)); err != nil {
				b.Fatal(err)
			}
			n++
			if n%120 == 0 {
				prune(at)
			}
		}
		prune(end)
		parts, err := size()
		if err != nil {
			b.Fatal(err)
		}
		for unit, v := range parts {
			b.ReportMetric(v, unit)
		}
		b.ReportMetric(float64(n), "rounds")
	}
}
