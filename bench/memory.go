package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// rssParts is VmRSS as /proc/PID/status splits it: anonymous memory (the
// Go runtime's and any other allocator's) and file pages (the binary's
// mapped text and data, for a Go program without a file cache of its own).
type rssParts struct {
	Anon, File, Shmem int64
}

func readRSSParts(pid int) (rssParts, error) {
	var p rssParts
	for _, f := range []struct {
		key string
		dst *int64
	}{{"RssAnon:", &p.Anon}, {"RssFile:", &p.File}, {"RssShmem:", &p.Shmem}} {
		fh, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return p, err
		}
		*f.dst, err = parseStatusKB(fh, f.key)
		fh.Close()
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// memRow is one line of the breakdown, from runtime/metrics after a
// forced collection, and /proc.
type memRow struct {
	name string
	val  func(f *fleetResult) string
}

func metric(f *fleetResult, names ...string) int64 {
	var sum int64
	for _, n := range names {
		sum += int64(f.Heap.Metrics[n])
	}
	return sum
}

// goResident is what the Go runtime has mapped and not returned to the
// OS: an upper bound of its share of the resident set (a page mapped but
// never touched is not resident).
func goResident(f *fleetResult) int64 {
	return metric(f, "/memory/classes/total:bytes") - metric(f, "/memory/classes/heap/released:bytes")
}

var memRows = []memRow{
	{"VmRSS at rest", func(f *fleetResult) string { return mib(f.RSSNow) }},
	{"file pages (binary mapped; RssFile)", func(f *fleetResult) string { return mib(f.RSSParts.File) }},
	{"anonymous (RssAnon)", func(f *fleetResult) string { return mib(f.RSSParts.Anon) }},
	{"Go heap, live objects (/gc/heap/live)", func(f *fleetResult) string { return mib(metric(f, "/gc/heap/live:bytes")) }},
	{"Go heap, unused in spans in use (fragmentation)", func(f *fleetResult) string { return mib(metric(f, "/memory/classes/heap/unused:bytes")) }},
	{"Go heap, free and not returned", func(f *fleetResult) string { return mib(metric(f, "/memory/classes/heap/free:bytes")) }},
	{"Go heap, returned to the OS (not resident)", func(f *fleetResult) string { return mib(metric(f, "/memory/classes/heap/released:bytes")) }},
	{"goroutine stacks (heap/stacks + os-stacks)", func(f *fleetResult) string {
		return mib(metric(f, "/memory/classes/heap/stacks:bytes", "/memory/classes/os-stacks:bytes"))
	}},
	{"goroutines", func(f *fleetResult) string { return fmt.Sprint(metric(f, "/sched/goroutines:goroutines")) }},
	{"runtime metadata, profiling, other", func(f *fleetResult) string {
		return mib(metric(f, "/memory/classes/metadata/mcache/free:bytes", "/memory/classes/metadata/mcache/inuse:bytes",
			"/memory/classes/metadata/mspan/free:bytes", "/memory/classes/metadata/mspan/inuse:bytes",
			"/memory/classes/metadata/other:bytes", "/memory/classes/profiling/buckets:bytes", "/memory/classes/other:bytes"))
	}},
	{"Go mapped, not returned (total − released)", func(f *fleetResult) string { return mib(goResident(f)) }},
	{"anonymous outside Go's accounting (RssAnon − that; ≈, ≥ this)", func(f *fleetResult) string {
		return mib(f.RSSParts.Anon - goResident(f))
	}},
}

// writeMemory is issue 23's table: each target per scheme and binary,
// and the reference client beside the service.
func (r *report) writeMemory(w io.Writer) {
	at := r.Options.loadAt
	if at == 0 {
		at = r.Options.nodes[0]
	}
	big := r.Options.nodes[len(r.Options.nodes)-1]
	type col struct{ scheme, label string }
	var cols []col
	for _, s := range r.Options.schemes {
		for _, l := range r.labels() {
			cols = append(cols, col{s, l})
		}
	}
	find := func(c col, n int) *fleetResult {
		for _, f := range r.Fleets {
			if f.Label == c.label && f.Scheme == c.scheme && f.Nodes == n {
				return f
			}
		}
		return nil
	}
	// ref finds the reference client's run on the same fleet size and
	// scheme, whichever binary it ran beside.
	ref := func(scheme string, n int) *refResult {
		for _, f := range r.Fleets {
			if f.Scheme == scheme && f.Nodes == n && f.Ref != nil {
				return f.Ref
			}
		}
		return nil
	}
	fmt.Fprintln(w, "memory (issue 23)")
	fmt.Fprintln(w)
	fmt.Fprint(w, "| figure | target |")
	for _, c := range cols {
		fmt.Fprintf(w, " %s, %s |", c.scheme, c.label)
	}
	fmt.Fprintf(w, "\n|---|---|%s\n", strings.Repeat("---:|", len(cols)))
	row := func(name, target string, n int, cell func(f *fleetResult) string) {
		fmt.Fprintf(w, "| %s | %s |", name, target)
		for _, c := range cols {
			v := "–"
			if f := find(c, n); f != nil {
				v = cell(f)
			}
			fmt.Fprintf(w, " %s |", v)
		}
		fmt.Fprintln(w)
	}
	row(fmt.Sprintf("RSS after the rounds and the load, %d nodes (VmRSS)", at), "≤ 55 MB", at, func(f *fleetResult) string {
		return fmt.Sprintf("%s (%.1f MB) after round %d", mib(f.RSSNow), float64(f.RSSNow)/1e6, f.RoundsAtRSS)
	})
	for _, n := range r.Options.nodes {
		target := "–"
		if n == big && big != at {
			target = "≤ 250 MB"
		}
		row(fmt.Sprintf("peak RSS, %d nodes (VmHWM)", n), target, n, func(f *fleetResult) string {
			p := max(f.RSSRounds, f.RSSLoad)
			return fmt.Sprintf("%s (%.0f MB)", mib(p), float64(p)/1e6)
		})
	}
	for _, n := range r.Options.nodes {
		target := "–"
		switch n {
		case at:
			target = "≤ 1 s"
		case big:
			target = "≤ 5 s"
		}
		row(fmt.Sprintf("responsive nodes visible, %d nodes", n), target, n, func(f *fleetResult) string { return dur(f.Visible) })
	}
	for _, n := range r.Options.nodes {
		row(fmt.Sprintf("CPU per steady round, %d nodes: service / reference client", n), "≤ 1.25×", n, func(f *fleetResult) string {
			rf := ref(f.Scheme, n)
			if rf == nil || rf.CPUPerRound == 0 {
				return dur(f.CPUPerRound) + " / –"
			}
			return fmt.Sprintf("%s / %s = %.2f×", dur(f.CPUPerRound), dur(rf.CPUPerRound), float64(f.CPUPerRound)/float64(rf.CPUPerRound))
		})
		row(fmt.Sprintf("node requests per steady round, %d nodes: service / reference client", n), "–", n, func(f *fleetResult) string {
			if rf := ref(f.Scheme, n); rf != nil {
				return fmt.Sprintf("%d / %d", f.SteadyRequests, rf.RequestsPerRound)
			}
			return fmt.Sprint(f.SteadyRequests)
		})
		row(fmt.Sprintf("reference client RSS after its rounds (peak), %d nodes", n), "–", n, func(f *fleetResult) string {
			if rf := ref(f.Scheme, n); rf != nil {
				return fmt.Sprintf("%s (%s)", mib(rf.RSSAfter), mib(rf.PeakRSS))
			}
			return "–"
		})
	}
	for _, c := range r.Options.conns {
		row(fmt.Sprintf("gzip crns.json, %d connections, %% of the same-bytes server, each run", c), "≥ 90% in every run", at, func(f *fleetResult) string {
			return gzipRuns(f, c)
		})
	}
	fmt.Fprintln(w)
	for _, n := range r.Options.nodes {
		fmt.Fprintf(w, "memory at rest, %d nodes (after a forced GC; runtime/metrics and /proc/PID/status)\n\n", n)
		fmt.Fprint(w, "| part |")
		for _, c := range cols {
			fmt.Fprintf(w, " %s, %s |", c.scheme, c.label)
		}
		fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(cols)))
		for _, m := range memRows {
			fmt.Fprintf(w, "| %s |", m.name)
			for _, c := range cols {
				v := "–"
				if f := find(c, n); f != nil && f.Heap.Metrics != nil {
					v = m.val(f)
				}
				fmt.Fprintf(w, " %s |", v)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w)
	}
}
