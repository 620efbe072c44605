package refresh

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
)

// BenchmarkRoundOversizedNodes measures the memory of one round over 10
// honest nodes, 100 nodes whose usage carries a 1 MB unknown field and
// 60 whose usage is 1 MiB of nesting under the depth bound, and the size
// of the crns.json it publishes. Run it alone, so that the process's
// peak RSS is its own:
//
//	go test -run - -bench RoundOversized -benchtime 1x ./internal/refresh
func BenchmarkRoundOversizedNodes(b *testing.B) {
	f, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 10, Seed: 23, GPU: 0.5})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	api := hostileAPI(b, f, oversizedNodes(b, 100, 60, 1_000_000, 1<<20)...)
	var peak, live, rss, crns uint64
	var tooLarge, usages int
	for b.Loop() {
		base := heapInuse()
		resetPeakRSS()
		c := probe.NewClient(probe.Options{APIURL: api, Timeout: 30 * time.Second, Concurrency: 32})
		r := New(Options{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		stop := heapPeak()
		if err := r.Refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
		peak = max(peak, stop()-base)
		rss = max(rss, peakRSS())
		live = max(live, heapInuse()-base)
		snap := r.Holder().Load()
		crns = uint64(len(snap.All.Identity))
		tooLarge = strings.Count(string(snap.All.Identity), `"usage_from_crn_error":"too_large`)
		usages = strings.Count(string(snap.All.Identity), `"usage_from_crn_error":"None"`)
		runtime.KeepAlive(r)
		c.CloseIdleConnections()
	}
	b.ReportMetric(float64(peak)/mib, "round-heap-peak-MiB")
	b.ReportMetric(float64(live)/mib, "round-heap-live-MiB")
	b.ReportMetric(float64(rss)/mib, "process-peak-RSS-MiB")
	b.ReportMetric(float64(crns)/mib, "crns.json-MiB")
	b.ReportMetric(float64(tooLarge), "too-large-nodes")
	b.ReportMetric(float64(usages), "usages-served")
}
