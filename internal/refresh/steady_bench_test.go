package refresh

import (
	"context"
	"io"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
)

// BenchmarkSteadyRound measures a steady round over a fleet of 1000 nodes
// whose usage moves at every answer, as real nodes' does, after a first
// round that dialed every node and asked every probe: the process's CPU
// per round (cpu-ms/op, user and system, from getrusage), its allocations,
// and the requests each round sends (requests/op) and the capability
// requests among them (capability/op), and the size of the crns.json it
// publishes (crns-bytes).
//
// With NODELIST_BENCH_FLEET set to the API URL of a fleet run apart
// (nodelist simfleet --nodes 1000 --seed 1 --moving-usage --shared-listener
// --old-version 0.3 --gpu 0.2 --failing 0.02), the figures are the
// service's alone; without it, the fleet runs in this process and its
// share is counted too.
//
// BenchmarkHourlyRound is the same with the capability asked in every
// round, as it is of every node once an hour (and of all of them in the
// first round after a start).
//
//	go test -run - -bench 'SteadyRound|HourlyRound' -benchtime 20x -count 5 ./internal/refresh
func BenchmarkSteadyRound(b *testing.B) { benchRound(b, false) }

func BenchmarkHourlyRound(b *testing.B) { benchRound(b, true) }

func benchRound(b *testing.B, hourly bool) {
	ctx := context.Background()
	api := os.Getenv("NODELIST_BENCH_FLEET")
	if api == "" {
		f, err := simfleet.Start(ctx, simfleet.Options{Nodes: 1000, Seed: 1, MovingUsage: true, SharedListener: true,
			OldVersion: 0.3, GPU: 0.2, Failing: 0.02})
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		api = f.APIURL()
	}
	c := probe.NewClient(probe.Options{APIURL: api, Timeout: 10 * time.Second})
	defer c.CloseIdleConnections()
	// By name, so that the benchmark runs unchanged on a tree without the
	// capability probe, for comparison.
	capabilityIndex := -1
	for _, p := range probe.All {
		if p.Name == "capability" {
			capabilityIndex = p.Index
			if hourly {
				every := p.Every
				p.Every = 0 // no cadence: asked every round
				defer func() { p.Every = every }()
			}
		}
	}
	var requests, capability int
	r := New(Options{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sink: SinkFunc(func(rd *Round) {
			for _, n := range rd.Nodes {
				for i, o := range n.Outcomes {
					if o.Latency > 0 {
						requests++
						if i == capabilityIndex {
							capability++
						}
					}
				}
			}
		})})
	if err := r.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	requests, capability = 0, 0
	cpu := func() time.Duration {
		var u syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
		return time.Duration(u.Utime.Nano() + u.Stime.Nano())
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpu()
	for b.Loop() {
		if err := r.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpu()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(capability)/float64(b.N), "capability/op")
	b.ReportMetric(float64(len(r.Holder().Load().All.Identity)), "crns-bytes")
}
