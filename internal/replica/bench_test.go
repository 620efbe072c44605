package replica

import (
	"context"
	"slices"
	"testing"
	"time"

	"nodelist/internal/simfleet"
)

// BenchmarkReplicas measures, on the local MariaDB, three replicas at the
// default lease TTL over a 1000-node fleet: the follower lag (from a
// publication's write to a follower serving it, p50 and p99 over every
// publication both followers loaded), and the takeover time (from a
// leader's crash to another replica leading) over a few crashes.
//
//	go test -run - -bench Replicas -benchtime 1x ./internal/replica
func BenchmarkReplicas(b *testing.B) {
	dsn := migrated(b)
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 1000, Seed: 8, SharedListener: true,
		Latency: 50 * time.Millisecond, Jitter: 100 * time.Millisecond, Failing: 0.05, Hung: 0.01})
	if err != nil {
		b.Fatal(err)
	}
	defer fleet.Close()
	for range b.N {
		var lags []time.Duration
		var takeovers []time.Duration
		opts := func(o *Options) { o.TTL, o.Interval = 6*time.Second, 10*time.Second }
		var nodes, gone []*node
		for _, id := range []string{"a", "b", "c"} {
			nodes = append(nodes, startNode(b, dsn, fleet, id, opts, 256))
		}
		leader := func() *node {
			for _, n := range nodes {
				if n.rep.Leading() {
					return n
				}
			}
			return nil
		}
		waitFor(b, 30*time.Second, "a leader", func() bool { return leader() != nil })
		// Rounds of a few seconds: a publication each second, and one at
		// the end.
		observeFor(40 * time.Second)
		for range 3 {
			l := leader()
			if l == nil {
				b.Fatal("no leader")
			}
			crash := time.Now()
			l.proxy.cut() // a crash: nothing more reaches the database, not even a release
			l.stop()
			gone = append(gone, l)
			nodes = slices.DeleteFunc(nodes, func(n *node) bool { return n == l })
			waitFor(b, 15*time.Second, "a new leader", func() bool { return leader() != nil })
			takeovers = append(takeovers, time.Since(crash))
			observeFor(15 * time.Second)
			nodes = append(nodes, startNode(b, dsn, fleet, "x"+time.Now().Format("150405.000"), opts, 256))
		}
		for _, n := range append(gone, nodes...) {
			n.rep.mu.Lock()
			k := min(n.rep.lags.n, len(n.rep.lags.v))
			lags = append(lags, n.rep.lags.v[:k]...)
			n.rep.mu.Unlock()
		}
		slices.Sort(lags)
		slices.Sort(takeovers)
		if len(lags) == 0 {
			b.Fatal("no follower loaded a publication")
		}
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(ms(lags[len(lags)/2]), "lag-p50-ms")
		b.ReportMetric(ms(lags[len(lags)*99/100]), "lag-p99-ms")
		b.ReportMetric(float64(len(lags)), "lags")
		b.ReportMetric(takeovers[len(takeovers)/2].Seconds(), "takeover-median-s")
		b.ReportMetric(takeovers[len(takeovers)-1].Seconds(), "takeover-max-s")
		b.Logf("takeovers %v; %d follower loads", takeovers, len(lags))
		for _, n := range nodes {
			n.stop()
		}
	}
}

func observeFor(d time.Duration) { time.Sleep(d) } // a period of observation, not a wait for an event
