package refresh

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
)

// TestHungMajorityDoesNotStarveHonestNodes runs rounds whose deadline is
// far too short to wait out every hung node with the full timeout: probed
// in registry order, the same honest nodes were never reached. Every
// honest node must answer in every round after the first, and the fleet
// must see each of them.
func TestHungMajorityDoesNotStarveHonestNodes(t *testing.T) {
	for _, hung := range []float64{0.6, 0.8} {
		t.Run(fmt.Sprintf("hung %.0f%%", 100*hung), func(t *testing.T) {
			const nodes, rounds = 40, 3
			f := startFleet(t, simfleet.Options{Nodes: nodes, Seed: 31, Hung: hung})
			// A hung node holds two of the 8 request slots (config and
			// usage) for the whole timeout: waiting each out would take
			// 24 or 32 × 400 ms / 4 = 2.4 or 3.2 s, against a 1 s round.
			c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 400 * time.Millisecond, Concurrency: 8})
			t.Cleanup(c.CloseIdleConnections)
			var reports []*Round
			r := New(Options{Client: c, RoundTimeout: time.Second,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Sink:   SinkFunc(func(rd *Round) { reports = append(reports, rd) })})
			for range rounds {
				if err := r.Refresh(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			honest := map[string]int{}
			for _, n := range f.Nodes() {
				if n.Kind == simfleet.KindOK {
					honest[n.Hash] = n.Index
				}
			}
			everAnswered := map[string]bool{}
			for k, rd := range reports {
				answered := 0
				for _, n := range rd.Nodes {
					if _, ok := honest[n.Hash]; ok && n.Of(probe.Config).OK {
						answered++
						everAnswered[n.Hash] = true
					} else if ok && k > 0 {
						t.Errorf("round %d: honest node %d not probed: %s: %s", k+1, honest[n.Hash], n.Of(probe.Config).Class, n.Of(probe.Config).Msg)
					}
				}
				t.Logf("round %d: %d of %d honest nodes answered", k+1, answered, len(honest))
			}
			for hash, i := range honest {
				if !everAnswered[hash] {
					t.Errorf("honest node %d never answered in %d rounds", i, rounds)
				}
				if f.NodeConnections(i) == 0 {
					t.Errorf("honest node %d never reached", i)
				}
			}
		})
	}
}

// TestSlowNodeIsRetriedWithTheFullTimeout checks the second chance: a
// node slower than the short first attempt, never probed before, is
// probed again with the full timeout in the same round and heard; the
// next round gives it the full timeout at once.
func TestSlowNodeIsRetriedWithTheFullTimeout(t *testing.T) {
	var configs atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == probe.ConfigPath {
			configs.Add(1)
		}
		select {
		case <-time.After(150 * time.Millisecond): // the node's own slowness
		case <-r.Context().Done():
			return
		}
		http.Error(w, "no such route", http.StatusNotFound)
	}))
	t.Cleanup(slow.Close)
	f := startFleet(t, simfleet.Options{Nodes: 1, Seed: 32})
	api := hostileAPI(t, f, `{"hash":"slow","name":"slow","address":"`+slow.URL+`"}`)
	c := probe.NewClient(probe.Options{APIURL: api, Timeout: 2 * time.Second, Concurrency: 4})
	t.Cleanup(c.CloseIdleConnections)
	var reports []*Round
	r := New(Options{Client: c, ShortTimeout: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Sink: SinkFunc(func(rd *Round) { reports = append(reports, rd) })})
	for round, wantConfigs := range []int64{2, 1} {
		before := configs.Load()
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, n := range reports[round].Nodes {
			if n.Hash == "slow" && (n.Of(probe.Config).Class != probe.ClassHTTPStatus || n.Of(probe.Config).Status != http.StatusNotFound) {
				t.Errorf("round %d: slow node %s: %s", round+1, n.Of(probe.Config).Class, n.Of(probe.Config).Msg)
			}
		}
		if got := configs.Load() - before; got != wantConfigs {
			t.Errorf("round %d: %d config requests to the slow node, want %d", round+1, got, wantConfigs)
		}
	}
}

func TestScheduleOrdersByPaceAndShuffles(t *testing.T) {
	answered := func(streak int) pace { return pace{seen: true, streak: streak} }
	paces := []pace{
		{seen: true, timedOut: true}, {}, answered(1), answered(streakCap), answered(3), {seen: true, timedOut: true},
		{}, answered(streakCap), answered(streakCap), answered(streakCap),
	}
	targets := make([]*nodeState, len(paces))
	for i, p := range paces {
		targets[i] = &nodeState{pace: p}
	}
	firsts := map[int]bool{}
	for range 50 {
		jobs := schedule(targets, true)
		for k := 1; k < len(jobs); k++ {
			if targets[jobs[k-1].i].pace.rank() > targets[jobs[k].i].pace.rank() {
				t.Fatalf("out of order at %d: %+v", k, jobs)
			}
		}
		for _, j := range jobs {
			p := targets[j.i].pace
			if j.short != (!p.seen || p.timedOut) {
				t.Fatalf("node %d (%+v): short %v", j.i, p, j.short)
			}
		}
		// The last two are the nodes that timed out last round.
		if !targets[jobs[len(jobs)-1].i].pace.timedOut || !targets[jobs[len(jobs)-2].i].pace.timedOut {
			t.Fatalf("timed-out nodes not last: %+v", jobs)
		}
		firsts[jobs[0].i] = true
	}
	// Four nodes share the longest streak: each round draws among them.
	if len(firsts) < 2 {
		t.Errorf("the same node came first in 50 rounds: %v", firsts)
	}
	for _, j := range schedule(targets, false) {
		if j.short {
			t.Fatal("short attempt without a shorter timeout")
		}
	}
}
