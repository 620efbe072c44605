package refresh

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
	"nodelist/internal/snapshot"
)

// A replica's leader hears of every publication, the round's last one
// marked final, and can refuse a round before it sends anything.
func TestHooks(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 8, Seed: 2, Latency: 20 * time.Millisecond})
	var mu sync.Mutex
	var finals, progressive int
	var last *snapshot.Snapshot
	refuse := false
	c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 2 * time.Second, Concurrency: 2})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c, Forbidden: config.DefaultForbiddenHosts, PublishEvery: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Hooks: Hooks{
			BeforeRound: func(context.Context, time.Time) error {
				mu.Lock()
				defer mu.Unlock()
				if refuse {
					return errors.New("not the leader")
				}
				return nil
			},
			Published: func(s *snapshot.Snapshot, final bool) {
				mu.Lock()
				defer mu.Unlock()
				if final {
					finals++
				} else {
					progressive++
				}
				last = s
			},
		}})
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if finals != 1 || last != r.Holder().Load() {
		t.Errorf("%d final publications (the last one current: %v), want 1", finals, last == r.Holder().Load())
	}
	t.Logf("%d progressive publications", progressive)
	refuse = true
	mu.Unlock()
	before := f.Stats()
	if err := r.Refresh(context.Background()); err == nil {
		t.Error("a refused round reported no error")
	}
	if after := f.Stats(); after.NodeRequests != before.NodeRequests || after.APIRequests != before.APIRequests {
		t.Errorf("a refused round sent %d node and %d API requests", after.NodeRequests-before.NodeRequests, after.APIRequests-before.APIRequests)
	}
	if st := r.Status(); st.Round != 1 {
		t.Errorf("round %d after a refused one, want 1", st.Round)
	}
}

// RunFrom waits for its first round, and a refresher runs again after a
// RunFrom that ended (a replica leads, follows, then leads again).
func TestRunFromAgain(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 4, Seed: 3})
	rounds := make(chan *Round, 4)
	r := newRefresher(t, f, 2*time.Second, func(rd *Round) { rounds <- rd })
	for term := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		first := time.Now().Add(300 * time.Millisecond)
		done := make(chan struct{})
		go func() { defer close(done); _ = r.RunFrom(ctx, first) }()
		select {
		case rd := <-rounds:
			if rd.Started.Before(first) {
				t.Errorf("term %d: the first round started %s before its time", term, first.Sub(rd.Started))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("term %d: no round within 10 s", term)
		}
		cancel()
		<-done
		if err := r.Refresh(context.Background()); err == nil {
			t.Errorf("term %d: a round ran after RunFrom ended", term)
		}
	}
}

// A replica taking over the lead resumes from the last publication: it
// serves it as it is, and its next round updates the nodes it lists.
func TestResume(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 6, Seed: 4})
	leader := newRefresher(t, f, 2*time.Second, nil)
	if err := leader.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	pub := leader.Holder().Load()
	st := leader.Status()

	next := newRefresher(t, f, 2*time.Second, nil)
	if err := next.Resume(pub, st); err != nil {
		t.Fatal(err)
	}
	if next.Holder().Load() != pub {
		t.Error("the resumed publication is not served as it is")
	}
	if got := next.Status(); got.Round != st.Round || got.Nodes != 6 || got.Running {
		t.Errorf("resumed status %+v, want round %d and 6 nodes", got, st.Round)
	}
	if n := len(next.Nodes()); n != 6 {
		t.Errorf("%d nodes resumed, want 6", n)
	}
	f.SetRegistryDown(true) // the next round works from the resumed nodes
	_ = next.Refresh(context.Background())
	snap := next.Holder().Load()
	if snap == pub || snap.Count != 6 || !snap.LastRefresh.After(pub.LastRefresh) {
		t.Errorf("after a round: %d CRNs, last_refresh %s (was %s)", snap.Count, snap.LastRefresh, pub.LastRefresh)
	}
	if bytes.Equal(snap.All.Identity, pub.All.Identity) {
		t.Error("the round changed nothing in the resumed snapshot")
	}
	if got := next.Status(); got.Round != st.Round+1 {
		t.Errorf("round %d after resuming at %d", got.Round, st.Round)
	}
}

// Once Allow says no, the round sends nothing more: a leader resumed
// after a pause past its lease probes no further node.
func TestAllowStopsTheRound(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 10, Seed: 5})
	c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 2 * time.Second, Concurrency: 1})
	t.Cleanup(c.CloseIdleConnections)
	var mu sync.Mutex
	asked := 0
	r := New(Options{Client: c, Forbidden: config.DefaultForbiddenHosts, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Hooks: Hooks{Allow: func() bool {
			mu.Lock()
			defer mu.Unlock()
			asked++
			return asked <= 2
		}}})
	before := f.Stats().NodeRequests
	_ = r.Refresh(context.Background())
	if sent := f.Stats().NodeRequests - before; sent == 0 || sent > 2*int64(len(probe.All)) {
		t.Errorf("%d node requests, want those of the 2 nodes allowed (at most %d)", sent, 2*len(probe.All))
	}
}
