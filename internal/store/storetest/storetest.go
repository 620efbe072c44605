package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"nodelist/internal/store"
)

// Opener opens a store on one database, recording the probes named
// (none: store.ErrNoProbes).
type Opener func(probes ...string) (store.Store, error)

// Probes are the probes the suite writes and opens its stores with, unless
// a test says otherwise: the table's first three, which every store has
// recorded since the first schema, and which a steady round writes (the
// probes with a cadence are not asked in most rounds). testProbeAdded
// covers a table that grows.
var Probes = []string{"config", "usage", "ipv6"}

// Database makes an empty database of t's own and returns its Opener.
type Database func(t *testing.T) Opener

// Run runs the suite.
func Run(t *testing.T, db Database) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"WriteIsIdempotent", testIdempotent},
		{"Transitions", testTransitions},
		{"History", testHistory},
		{"HistoryAlignedToFrom", testHistoryAlignedToFrom},
		{"Uptime", testUptime},
		{"UptimeState", testUptimeState},
		{"Snapshot", testSnapshot},
		{"Prune", testPrune},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := mustOpen(t, db(t))
			defer st.Close()
			tc.fn(t, st)
		})
	}
	t.Run("ProbeAdded", func(t *testing.T) { testProbeAdded(t, db(t)) })
	t.Run("Notify", func(t *testing.T) { RunNotify(t, db) })
}

func mustOpen(t *testing.T, open Opener, probes ...string) store.Store {
	t.Helper()
	if len(probes) == 0 {
		probes = Probes
	}
	st, err := open(probes...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The probes' indices in Probes, for the tests.
const (
	config = store.UpProbe
	usage  = 1
)

// base is a fixed hour boundary, so bucket arithmetic is predictable.
var base = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// MakeRound builds round n of nodes, each of the three Probes OK
// unless failing says so; rounds are 30 s apart from base.
func MakeRound(n int, nodes int, failing func(node, probe int) bool) *store.Round {
	return MakeRoundOf(n, nodes, len(Probes), failing)
}

// MakeRoundOf is MakeRound with probes probes per node.
func MakeRoundOf(n, nodes, probes int, failing func(node, probe int) bool) *store.Round {
	start := base.Add(time.Duration(n) * 30 * time.Second)
	r := &store.Round{ID: start.UnixMilli(), Started: start, Finished: start.Add(time.Second)}
	for i := range nodes {
		for p := range probes {
			res := store.Result{Hash: fmt.Sprintf("node-%04d", i), Probe: p, OK: true, At: start.Add(500 * time.Millisecond),
				Latency: time.Duration(10+i%50) * time.Millisecond, Status: 200}
			if failing != nil && failing(i, p) {
				res.OK, res.Status, res.Class, res.Msg = false, 500, "http_status", "HTTP 500"
			}
			r.Results = append(r.Results, res)
		}
	}
	return r
}

func write(t *testing.T, st store.Store, r *store.Round) {
	t.Helper()
	if err := st.WriteRound(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func totals(t *testing.T, st store.Store, hash string) (ok, total int) {
	t.Helper()
	h, err := st.History(context.Background(), hash, base.Add(-time.Hour), base.Add(24*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, pts := range h {
		for _, p := range pts {
			ok += p.OK
			total += p.Total
		}
	}
	return ok, total
}

func testIdempotent(t *testing.T, st store.Store) {
	for n := range 4 {
		r := MakeRound(n, 20, nil)
		write(t, st, r)
		write(t, st, r) // a retried batch
	}
	if ok, total := totals(t, st, "node-0003"); ok != 12 || total != 12 {
		t.Errorf("node-0003: %d/%d samples after 4 rounds written twice, want 12/12", ok, total)
	}
	ev, err := st.Events(context.Background(), "node-0003", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != len(Probes) {
		t.Errorf("%d events, want one first-seen event per probe", len(ev))
	}
}

func testTransitions(t *testing.T, st store.Store) {
	// node 1's config fails in rounds 2 and 3, then recovers.
	for n := range 5 {
		write(t, st, MakeRound(n, 3, func(node, probe int) bool {
			return node == 1 && probe == config && (n == 2 || n == 3)
		}))
	}
	ctx := context.Background()
	ev, err := st.Events(ctx, "node-0001", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var cfg []store.Event
	for _, e := range ev {
		if e.Probe == "config" {
			cfg = append(cfg, e)
		}
	}
	if len(cfg) != 3 || !cfg[0].OK || cfg[1].OK || !cfg[2].OK || cfg[1].Class != "http_status" || cfg[1].Status != 500 {
		t.Fatalf("config events, newest first: %+v", cfg)
	}
	if !cfg[0].At.After(cfg[1].At) {
		t.Errorf("events not newest first: %v then %v", cfg[0].At, cfg[1].At)
	}
	page1, err := st.Events(ctx, "node-0001", 0, 2)
	if err != nil || len(page1) != 2 {
		t.Fatalf("page 1: %v %v", page1, err)
	}
	page2, err := st.Events(ctx, "node-0001", page1[1].ID, 100)
	if err != nil || len(page2) != len(ev)-2 || page2[0].ID >= page1[1].ID {
		t.Fatalf("page 2: %v %v", page2, err)
	}
	if ev0, _ := st.Events(ctx, "node-0000", 0, 100); len(ev0) != len(Probes) {
		t.Errorf("a node that never changed has %d events", len(ev0))
	}
	if ok, _ := st.Known(ctx, "node-0002"); !ok {
		t.Error("a written node is unknown")
	}
	if ok, _ := st.Known(ctx, "nope"); ok {
		t.Error("an unwritten node is known")
	}
}

func testHistory(t *testing.T, st store.Store) {
	// 10 rounds, 30 s apart: 5 minutes; node 0's usage fails in odd rounds.
	for n := range 10 {
		write(t, st, MakeRound(n, 2, func(node, probe int) bool { return node == 0 && probe == usage && n%2 == 1 }))
	}
	h, err := st.History(context.Background(), "node-0000", base, base.Add(10*time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 {
		t.Fatalf("history of %d probes, want the store's 3", len(h))
	}
	u := h[usage]
	if len(u) != 5 {
		t.Fatalf("%d one-minute points, want 5: %+v", len(u), u)
	}
	for _, p := range u {
		if p.Total != 2 || p.OK != 1 || p.LatencyMaxMS != 10 || p.LatencySumMS != 20 {
			t.Errorf("usage point %+v, want 1 of 2 ok, latency 10 ms", p)
		}
	}
	h, err = st.History(context.Background(), "node-0000", base, base.Add(10*time.Minute), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if c := h[config]; len(c) != 1 || c[0].Total != 10 || c[0].OK != 10 || !c[0].Time.Equal(base) {
		t.Errorf("5-minute config points %+v", c)
	}
	if h, _ := st.History(context.Background(), "unknown", base, base.Add(time.Hour), time.Minute); len(h[0]) != 0 {
		t.Error("history of an unknown node is not empty")
	}
}

// Buckets start at from, not at a multiple of step since the epoch: a
// range starting at 10:00:45 in buckets of 2 minutes has its buckets at
// 10:00:45 and 10:02:45, each holding the rounds of its own 2 minutes.
func testHistoryAlignedToFrom(t *testing.T, st store.Store) {
	// 10 rounds, 30 s apart, from base: samples at 0 s, 30 s, … 270 s.
	for n := range 10 {
		write(t, st, MakeRound(n, 1, nil))
	}
	from := base.Add(45 * time.Second)
	h, err := st.History(context.Background(), "node-0000", from, base.Add(10*time.Minute), 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c := h[config]
	want := []time.Time{from, from.Add(2 * time.Minute)}
	if len(c) != len(want) {
		t.Fatalf("%d points, want %d at from and from+2m: %+v", len(c), len(want), c)
	}
	for i, p := range c {
		if !p.Time.Equal(want[i]) || p.Total != 4 || p.OK != 4 {
			t.Errorf("point %d: %s with %d of %d ok, want %s with 4 of 4", i, p.Time.Format(time.TimeOnly), p.OK, p.Total, want[i].Format(time.TimeOnly))
		}
	}
}

func testUptime(t *testing.T, st store.Store) {
	for n := range 4 {
		write(t, st, MakeRound(n, 2, func(node, probe int) bool { return node == 1 && probe == config && n == 0 }))
	}
	up, err := st.Uptime(context.Background(), base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if u := up["node-0000"]; u.Day == nil || *u.Day != 1 || u.Month == nil || *u.Month != 1 {
		t.Errorf("node-0000 uptime %+v", u)
	}
	if u := up["node-0001"]; u.Day == nil || *u.Day != 0.75 || *u.Week != 0.75 {
		t.Errorf("node-0001 uptime %+v, want 0.75", u)
	}
	up, err = st.Uptime(context.Background(), base.Add(40*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(up) != 0 {
		t.Errorf("uptime 40 days later: %v", up)
	}
}

// testUptimeState checks that Uptime says each node's config state and
// when it entered it: its last transition, not its last round.
func testUptimeState(t *testing.T, st store.Store) {
	// node 1's config answers in round 0, fails from round 1 on; node 2's
	// usage fails, which is not the config's state.
	for n := range 4 {
		write(t, st, MakeRound(n, 3, func(node, probe int) bool {
			return node == 1 && probe == config && n >= 1 || node == 2 && probe != config
		}))
	}
	up, err := st.Uptime(context.Background(), base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	at := func(n int) time.Time { return base.Add(time.Duration(n)*30*time.Second + 500*time.Millisecond) }
	for _, c := range []struct {
		hash  string
		up    bool
		since time.Time
	}{
		{"node-0000", true, at(0)},
		{"node-0001", false, at(1)},
		{"node-0002", true, at(0)},
	} {
		u, ok := up[c.hash]
		if !ok {
			t.Errorf("%s: no uptime", c.hash)
			continue
		}
		if u.Up != c.up || !u.Since.Equal(c.since) {
			t.Errorf("%s: up %v since %s, want up %v since %s", c.hash, u.Up, u.Since.Format(time.RFC3339Nano), c.up, c.since.Format(time.RFC3339Nano))
		}
	}
}

func testSnapshot(t *testing.T, st store.Store) {
	ctx := context.Background()
	if s, err := st.LastSnapshot(ctx); err != nil || s != nil {
		t.Fatalf("empty store: %v %v", s, err)
	}
	for n, body := range []string{`{"last_refresh":null,"crns":[]}`, `{"last_refresh":"x","crns":[{"hash":"a"}]}`} {
		r := MakeRound(n, 1, nil)
		r.Snapshot = &store.Saved{LastRefresh: r.Finished, Body: []byte(body)}
		write(t, st, r)
	}
	s, err := st.LastSnapshot(ctx)
	if err != nil || s == nil {
		t.Fatal(s, err)
	}
	if string(s.Body) != `{"last_refresh":"x","crns":[{"hash":"a"}]}` || !s.LastRefresh.Equal(base.Add(31*time.Second)) {
		t.Errorf("snapshot %s at %v", s.Body, s.LastRefresh)
	}
}

func testPrune(t *testing.T, st store.Store) {
	for n := range 6 {
		write(t, st, MakeRound(n, 5, nil))
	}
	ctx := context.Background()
	prune := func(now time.Time, raw, long time.Duration) (deleted int64) {
		for range 1000 {
			n, err := st.Prune(ctx, now, raw, long, 2)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			deleted += n
		}
		return deleted
	}
	// Past the raw window, the 5 nodes' samples rows go, rolled up first,
	// and the 6 round marks.
	if n := prune(base.Add(3*time.Hour), time.Hour, 400*24*time.Hour); n != 5+6 {
		t.Errorf("pruned %d rows past the raw window, want %d", n, 5+6)
	}
	if ok, total := totals(t, st, "node-0001"); ok != 18 || total != 18 {
		t.Errorf("after the raw window, %d of %d samples ok, want 18 of 18 from the hourly rollup", ok, total)
	}
	// Past long retention: the 5 hourly rows and 15 events.
	if n := prune(base.Add(3*24*time.Hour), time.Hour, 2*time.Hour); n != 5+15 {
		t.Errorf("pruned %d rows past retention, want %d", n, 5+15)
	}
	if _, total := totals(t, st, "node-0001"); total != 0 {
		t.Errorf("%d samples left after pruning", total)
	}
}
