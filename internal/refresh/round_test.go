package refresh

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
	"nodelist/internal/snapshot"
)

// TestSmallPoolProbesSequentially gives the pool room for fewer than two
// connections per node: each node is then probed on one connection, and
// steady rounds open none.
func TestSmallPoolProbesSequentially(t *testing.T) {
	const nodes = 12
	f := startFleet(t, simfleet.Options{Nodes: nodes, Seed: 5, Latency: 5 * time.Millisecond})
	c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 5 * time.Second, Concurrency: 8, MaxIdleConns: 2*nodes - 1})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	first := f.Stats()
	if first.NodeConnections != nodes {
		t.Errorf("first round opened %d connections to %d nodes probed sequentially", first.NodeConnections, nodes)
	}
	for range 2 {
		if err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Stats().NodeConnections - first.NodeConnections; n != 0 {
		t.Errorf("steady rounds opened %d new connections", n)
	}
	if st := r.Status(); st.Responsive != nodes {
		t.Errorf("responsive %d of %d", st.Responsive, nodes)
	}
}

// TestHungConfigSkipsLaterProbes checks that a node whose config probe
// timed out is not asked for IPv6 (nor, probed sequentially, for usage):
// the round then lasts one timeout, not two or three.
func TestHungConfigSkipsLaterProbes(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 1, Seed: 2, Hung: 1})
	c := probe.NewClient(probe.Options{Timeout: 300 * time.Millisecond})
	t.Cleanup(c.CloseIdleConnections)
	addr := f.Nodes()[0].Address
	// Sequential first: a request of the parallel probe (usage, asked
	// beside config) may reach the hung node after that probe returned,
	// and would be counted against the next one.
	for _, tc := range []struct {
		name      string
		probeNode func(context.Context, string, *aleph.Settings, *probe.Memo) probe.Result
	}{{"sequential", c.NodeSequential}, {"parallel", c.Node}} {
		name, probeNode := tc.name, tc.probeNode
		before := f.Stats().NodeRequests
		res := probeNode(context.Background(), addr, nil, nil)
		if res.Of(probe.Config).Err == nil || res.Of(probe.Config).Err.Class != probe.ClassTimeout {
			t.Fatalf("%s: config %+v, want a timeout", name, res.Of(probe.Config).Err)
		}
		if res.Of(probe.IPv6).Err == nil || res.Of(probe.IPv6).Err.Class != probe.ClassTimeout {
			t.Errorf("%s: IPv6 %+v, want the skipped timeout", name, res.Of(probe.IPv6).Err)
		}
		// Config and usage are asked at once (usage may time out before
		// the node has seen it); probed sequentially, config alone.
		want := int64(2)
		if name == "sequential" {
			want = 1
		}
		if got := f.Stats().NodeRequests - before; got > want || got == 0 {
			t.Errorf("%s: %d requests reached the hung node, want at most %d", name, got, want)
		}
	}
}

// TestInFlightGrowsWithTheFleet: a round probes an eighth of its fleet at
// once, at least minInFlight nodes, never more than the client's bound
// nor than there are nodes.
func TestInFlightGrowsWithTheFleet(t *testing.T) {
	for _, tt := range []struct{ bound, nodes, want int }{
		{1250, 0, 0}, {1250, 100, 100}, {1250, 1000, 256}, {1250, 5000, 625},
		{1250, 10000, 1250}, {1250, 100000, 1250}, {64, 1000, 64},
	} {
		if got := inFlight(tt.bound, tt.nodes); got != tt.want {
			t.Errorf("inFlight(%d, %d) = %d, want %d", tt.bound, tt.nodes, got, tt.want)
		}
	}
}

// TestPublishesOnceTheSteadyNodesAnswered: once every node that answered
// last round has answered again, a snapshot goes out at once, not at the
// publisher's next tick (here an hour away) nor at the round's end (held
// here by a hung node's retry).
func TestPublishesOnceTheSteadyNodesAnswered(t *testing.T) {
	const nodes = 20
	f := startFleet(t, simfleet.Options{Nodes: nodes, Seed: 6, Hung: 0.05})
	c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 2 * time.Second, Concurrency: 32})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c, PublishEvery: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	if err := r.Refresh(ctx); err != nil { // cold: every node is new
		t.Fatal(err)
	}
	responsive := r.Status().Responsive
	if responsive != nodes-1 {
		t.Fatalf("%d responsive nodes, want %d", responsive, nodes-1)
	}
	_, next := r.Holder().Watch()
	done := make(chan error, 1)
	go func() { done <- r.Refresh(ctx) }()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case <-next:
		case err := <-done:
			t.Fatalf("round ended (%v) before a publication with the steady nodes", err)
		case <-deadline:
			t.Fatal("no publication")
		}
		var snap *snapshot.Snapshot
		snap, next = r.Holder().Watch()
		st := r.Status()
		if fresh := countFresh(t, snap, st.Started); fresh == responsive {
			if st.Probed == st.Targets {
				t.Fatalf("the steady nodes were published only with the round's last result")
			}
			break
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// countFresh counts the CRNs of snap whose config came at or after since.
func countFresh(t *testing.T, snap *snapshot.Snapshot, since time.Time) int {
	t.Helper()
	n := 0
	for _, c := range decode(t, snap.All.Identity).CRNs {
		if c.ConfigAt == nil {
			continue
		}
		at, err := time.Parse(snapshot.TimeLayout, *c.ConfigAt)
		if err == nil && !at.Before(since) {
			n++
		}
	}
	return n
}
