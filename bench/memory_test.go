package main

import (
	"strings"
	"testing"
	"time"
)

// The memory table sets each binary's CPU beside the reference client
// run on the same fleet size and scheme, whichever binary it ran beside,
// and breaks memory down from the hook's runtime/metrics.
func TestWriteMemory(t *testing.T) {
	heap := benchHeap{Metrics: map[string]uint64{
		"/gc/heap/live:bytes": 20 << 20, "/memory/classes/total:bytes": 60 << 20,
		"/memory/classes/heap/released:bytes": 10 << 20, "/sched/goroutines:goroutines": 1993,
	}}
	ref := &refResult{CPUPerRound: 200 * time.Millisecond, RequestsPerRound: 3000}
	r := &report{
		Options: options{nodes: []int{1000}, loadAt: 1000, schemes: []string{"https"}, conns: []int{16}},
		Bins:    []binary{{Label: "now"}, {Label: "after"}},
		Fleets: []*fleetResult{
			{Label: "now", Scheme: "https", Nodes: 1000, CPUPerRound: 300 * time.Millisecond, SteadyRequests: 3000,
				RSSNow: 90 << 20, RSSParts: rssParts{Anon: 70 << 20, File: 20 << 20}, Heap: heap, Ref: ref},
			{Label: "after", Scheme: "https", Nodes: 1000, CPUPerRound: 250 * time.Millisecond, SteadyRequests: 3000,
				RSSNow: 60 << 20, RSSParts: rssParts{Anon: 40 << 20, File: 20 << 20}, Heap: heap},
		},
	}
	var sb strings.Builder
	r.writeMemory(&sb)
	out := sb.String()
	for _, want := range []string{
		"| figure | target | https, now | https, after |",
		"300.0 ms / 200.0 ms = 1.50× | 250.0 ms / 200.0 ms = 1.25× |",
		"| 3000 / 3000 | 3000 / 3000 |",
		"| goroutines | 1993 | 1993 |",
		"| Go mapped, not returned (total − released) | 50.0 MiB | 50.0 MiB |",
		"| anonymous outside Go's accounting (RssAnon − that; ≈, ≥ this) | 20.0 MiB | -10.0 MiB |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}
