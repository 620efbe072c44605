package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"nodelist/internal/store"
)

// testProbeAdded shows that a probe added to the table needs no change
// of the store: rounds of the three probes, then, reopened with a fourth,
// rounds of four in the same hour's samples row and the same day's hourly
// row; then a store that knows only three rolls up an hour of four. The
// fourth has history only where it was written, the first three all of
// theirs, read from samples and, once they are pruned, from hourly rows.
func testProbeAdded(t *testing.T, open Opener) {
	four := append(slices.Clip(Probes), "capability")
	const added = 3
	// Node 0's fourth probe fails in round 123.
	failing := func(n int) func(node, probe int) bool {
		return func(node, probe int) bool { return node == 0 && probe == added && n == 123 }
	}
	ctx := context.Background()
	hour := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }

	// Hour 0 (rounds 0-3) and the start of hour 1 (rounds 120, 121), three
	// probes; round 120 rolls hour 0 up.
	st := mustOpen(t, open)
	for _, n := range []int{0, 1, 2, 3, 120, 121} {
		write(t, st, MakeRound(n, 2, nil))
	}
	st.Close()

	// The rest of hour 1, four probes, appended to the same samples row;
	// round 240 (hour 2) rolls hour 1 up into the day's row beside hour 0.
	st = mustOpen(t, open, four...)
	if got := st.Probes(); fmt.Sprint(got) != fmt.Sprint(four) {
		t.Fatalf("store opened with %v records %v", four, got)
	}
	for _, n := range []int{122, 123, 124, 125, 240} {
		write(t, st, MakeRoundOf(n, 2, len(four), failing(n)))
	}
	h, err := st.History(ctx, "node-0000", base, hour(3), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != len(four) {
		t.Fatalf("history of %d probes, want %d", len(h), len(four))
	}
	minutes := func(ok, total []int) []store.Point { // minutes 0, 1, 60, 61, 62 and 120
		var out []store.Point
		for i, m := range []int{0, 1, 60, 61, 62, 120} {
			if total[i] > 0 {
				out = append(out, store.Point{Time: base.Add(time.Duration(m) * time.Minute), OK: ok[i], Total: total[i],
					LatencySumMS: 10 * int64(total[i]), LatencyMaxMS: 10})
			}
		}
		return out
	}
	for p := range 3 {
		SamePoints(t, fmt.Sprintf("probe %d by minute", p), h[p], minutes([]int{2, 2, 2, 2, 2, 1}, []int{2, 2, 2, 2, 2, 1}))
	}
	SamePoints(t, "the added probe by minute", h[added], minutes([]int{0, 0, 0, 1, 2, 1}, []int{0, 0, 0, 2, 2, 1}))
	ev, err := st.Events(ctx, "node-0000", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if n := countEvents(ev, "capability"); n != 3 {
		t.Errorf("%d events of the added probe, want 3 (first seen, failing, back): %+v", n, ev)
	}
	st.Close()

	// A store that knows three probes reads three, and rolls hour 2 (of
	// four probes) up with its fourth.
	st = mustOpen(t, open)
	write(t, st, MakeRound(360, 2, nil))
	h, err = st.History(ctx, "node-0000", base, hour(4), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 || len(h[config]) != 4 || h[config][1].Total != 6 {
		t.Errorf("history by a store of three probes: %+v", h)
	}
	st.Close()

	// Samples pruned, everything comes from the hourly rows.
	st = mustOpen(t, open, four...)
	defer st.Close()
	for range 100 {
		if n, err := st.Prune(ctx, hour(5), time.Hour, 400*24*time.Hour, 1000); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			break
		}
	}
	if c, ok := st.(interface {
		SampleCount(context.Context) (int64, error)
	}); ok {
		if n, err := c.SampleCount(ctx); err != nil || n != 0 {
			t.Fatalf("%d samples left after pruning (%v)", n, err)
		}
	}
	h, err = st.History(ctx, "node-0000", base, hour(4), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	hours := func(ok, total []int) []store.Point {
		var out []store.Point
		for i := range ok {
			if total[i] > 0 {
				out = append(out, store.Point{Time: hour(i), OK: ok[i], Total: total[i], LatencySumMS: 10 * int64(total[i]), LatencyMaxMS: 10})
			}
		}
		return out
	}
	for p := range 3 {
		SamePoints(t, fmt.Sprintf("probe %d by hour", p), h[p], hours([]int{4, 6, 1, 1}, []int{4, 6, 1, 1}))
	}
	SamePoints(t, "the added probe by hour", h[added], hours([]int{0, 3, 1, 0}, []int{0, 4, 1, 0}))
}

func countEvents(ev []store.Event, probe string) int {
	n := 0
	for _, e := range ev {
		if e.Probe == probe {
			n++
		}
	}
	return n
}

// SamePoints reports where got differs from want.
func SamePoints(t *testing.T, what string, got, want []store.Point) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d points %+v, want %d %+v", what, len(got), got, len(want), want)
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) || g.OK != w.OK || g.Total != w.Total || g.LatencySumMS != w.LatencySumMS || g.LatencyMaxMS != w.LatencyMaxMS {
			t.Errorf("%s: point %d is %+v, want %+v", what, i, g, w)
		}
	}
}
