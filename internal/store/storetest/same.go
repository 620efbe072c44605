package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"nodelist/internal/store"
)

// SameHistory writes the same rounds to two stores (two backends) and
// checks that they answer every history query alike: the same buckets,
// starting at from, with the same counts. The rounds span more than an
// hour, some failing, and the queries start anywhere within a minute and
// cut in steps that divide neither the minute nor the hour.
func SameHistory(t *testing.T, a, b store.Store) {
	t.Helper()
	const rounds = 150 // 75 minutes at 30 s
	for n := range rounds {
		r := MakeRound(n, 3, func(node, probe int) bool { return (n+node+probe)%5 == 0 })
		write(t, a, r)
		write(t, b, r)
	}
	ctx := context.Background()
	queries, points := 0, 0
	for _, step := range []time.Duration{time.Minute, 2 * time.Minute, 7 * time.Minute, 13*time.Minute + 17*time.Second, time.Hour, 24 * time.Hour} {
		for off := time.Duration(0); off < 90*time.Second; off += 13 * time.Second {
			from := base.Add(-time.Hour + off)
			to := base.Add(2 * time.Hour)
			for _, hash := range []string{"node-0000", "node-0002"} {
				ha, errA := a.History(ctx, hash, from, to, step)
				hb, errB := b.History(ctx, hash, from, to, step)
				if errA != nil || errB != nil {
					t.Fatalf("history: %v / %v", errA, errB)
				}
				queries++
				for p := range ha {
					if !slices.Equal(ha[p], hb[p]) {
						t.Fatalf("from %s step %s, %s probe %d: the backends differ:\n%v\n%v", from.Format(time.TimeOnly), step, hash, p, ha[p], hb[p])
					}
					for _, pt := range ha[p] {
						points++
						if d := pt.Time.Sub(from); d < 0 || d%step != 0 {
							t.Fatalf("from %s step %s: a bucket at %s, not from plus whole steps", from.Format(time.TimeOnly), step, pt.Time.Format(time.TimeOnly))
						}
					}
				}
				// Every round falls in the range: each sample is counted
				// once, in one bucket, whatever the alignment. The rounds
				// write the Probes, which the stores may outnumber.
				if got, want := sum(ha), rounds*len(Probes); got != want {
					t.Fatalf("from %s step %s, %s: %d samples in the buckets, want %d", from.Format(time.TimeOnly), step, hash, got, want)
				}
			}
		}
	}
	t.Logf("%d queries, %d buckets, the same on both backends", queries, points)
}

func sum(h [][]store.Point) (n int) {
	for _, pts := range h {
		for _, p := range pts {
			n += p.Total
		}
	}
	return n
}
