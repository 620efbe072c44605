package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

type report struct {
	Date    time.Time
	Host    string
	Options options
	Bins    []binary
	Fleets  []*fleetResult // in the order measured
}

// find returns the result of label at n nodes on the first scheme's
// fleet, or nil.
func (r *report) find(label string, n int) *fleetResult {
	for _, f := range r.Fleets {
		if f.Label == label && f.Nodes == n && f.Scheme == r.Options.schemes[0] {
			return f
		}
	}
	return nil
}

func (r *report) write(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "nodelist bench, %s UTC, %s\n", r.Date.Format("2006-01-02 15:04"), r.Host)
	fmt.Fprintf(w, "fleet: %s, usage moving at every answer; service timeout %s; wrk -t%d -d%s, %d run(s)\n",
		o.fleet.describe(), o.timeout, o.threads, o.duration, o.loadRuns)
	if len(o.svcEnv) > 0 {
		fmt.Fprintf(w, "service environment: %s\n", strings.Join(o.svcEnv, " "))
	}
	for _, b := range r.Bins {
		src := "the working tree"
		if b.Rev != "" {
			src = "commit " + b.Rev
		}
		fmt.Fprintf(w, "%s: %s\n", b.Label, src)
	}
	fmt.Fprintln(w)
	r.writeMemory(w)
	fmt.Fprintf(w, "issue 15's targets, on the %s fleet\n\n", r.Options.schemes[0])
	r.writeTargets(w)
	r.writeFigures(w)
	r.writeGrowth(w)
	r.writeLoads(w)
	fmt.Fprintf(w, "\nworkdir (binaries, bodies, logs, profiles): %s\n", strings.TrimSpace(o.workdir))
}

// writeTargets is issue 15's table: each target, now and after.
func (r *report) writeTargets(w io.Writer) {
	labels := r.labels()
	fmt.Fprintf(w, "| figure | target |")
	for _, l := range labels {
		fmt.Fprintf(w, " %s |", l)
	}
	fmt.Fprintf(w, "\n|---|---|%s\n", strings.Repeat("---:|", len(labels)))
	at := r.Options.loadAt
	if at == 0 {
		at = r.Options.nodes[0]
	}
	big := r.Options.nodes[len(r.Options.nodes)-1]
	row := func(name, target string, n int, cell func(f *fleetResult) string) {
		fmt.Fprintf(w, "| %s | %s |", name, target)
		for _, l := range labels {
			c := "–"
			if f := r.find(l, n); f != nil {
				c = cell(f)
			}
			fmt.Fprintf(w, " %s |", c)
		}
		fmt.Fprintln(w)
	}
	row(fmt.Sprintf("CPU per steady round, %d nodes", at), "≤ 0.10 s", at, func(f *fleetResult) string { return dur(f.CPUPerRound) })
	row(fmt.Sprintf("CPU per round with nothing changed, %d nodes", at), "≤ 0.05 s", at, func(f *fleetResult) string { return dur(f.CPUStatic) })
	row(fmt.Sprintf("RSS after the rounds and the load, %d nodes (VmRSS; peak VmHWM)", at), "≤ 40 MiB", at, func(f *fleetResult) string {
		return fmt.Sprintf("%s after round %d; peak %s", mib(f.RSSNow), f.RoundsAtRSS, mib(max(f.RSSRounds, f.RSSLoad)))
	})
	row(fmt.Sprintf("live heap then, %d nodes", at), "–", at, func(f *fleetResult) string { return mib(f.Heap.HeapInuse) })
	if big != at {
		row(fmt.Sprintf("peak RSS, %d nodes", big), "≤ 250 MiB", big, func(f *fleetResult) string { return mib(f.RSSRounds) })
		row(fmt.Sprintf("responsive nodes visible, %d nodes", big), "≤ 5 s", big, func(f *fleetResult) string { return dur(f.Visible) })
	}
	row(fmt.Sprintf("responsive nodes visible, %d nodes", at), "≤ 1 s", at, func(f *fleetResult) string { return dur(f.Visible) })
	for _, c := range r.Options.conns {
		row(fmt.Sprintf("gzip crns.json, %d connections, %% of the limit, each run", c), "≥ 90% in every run", at, func(f *fleetResult) string {
			return gzipRuns(f, c)
		})
	}
	fmt.Fprintln(w)
}

func (r *report) labels() []string {
	var out []string
	for _, b := range r.Bins {
		out = append(out, b.Label)
	}
	return out
}

func (r *report) writeFigures(w io.Writer) {
	fmt.Fprintf(w, "| figure |")
	for _, f := range r.Fleets {
		fmt.Fprintf(w, " %d nodes, %s, %s |", f.Nodes, f.Scheme, f.Label)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(r.Fleets)))
	row := func(name string, cell func(f *fleetResult) string) {
		fmt.Fprintf(w, "| %s |", name)
		for _, f := range r.Fleets {
			fmt.Fprintf(w, " %s |", cell(f))
		}
		fmt.Fprintln(w)
	}
	row("responsive nodes", func(f *fleetResult) string { return fmt.Sprint(f.Responsive) })
	row("all responsive nodes visible after round start", func(f *fleetResult) string { return dur(f.Visible) })
	row("round duration, cold / steady (held by hung nodes)", func(f *fleetResult) string {
		return dur(f.ColdRound) + " / " + dur(f.SteadyRound)
	})
	row("CPU per steady round (service process, mean of the window's rounds)", func(f *fleetResult) string { return dur(f.CPUPerRound) })
	row("CPU per steady round, answers unchanged", func(f *fleetResult) string { return dur(f.CPUStatic) })
	row("new TCP connections, cold round", func(f *fleetResult) string { return fmt.Sprint(f.ColdConns) })
	row("new TCP connections per steady round", func(f *fleetResult) string {
		return fmt.Sprintf("%d (of %d node requests)", f.SteadyConns, f.SteadyRequests)
	})
	row("peak RSS after the rounds", func(f *fleetResult) string { return mib(f.RSSRounds) })
	row("peak RSS after the crns.json load", func(f *fleetResult) string {
		if f.RSSLoad == 0 {
			return "–"
		}
		return mib(f.RSSLoad)
	})
	row("RSS at rest (VmRSS), after round", func(f *fleetResult) string {
		return fmt.Sprintf("%s, %d", mib(f.RSSNow), f.RoundsAtRSS)
	})
	row("live heap then (HeapInuse after GC) / stacks", func(f *fleetResult) string {
		return mib(f.Heap.HeapInuse) + " / " + mib(f.Heap.StackInuse)
	})
	for _, enc := range []string{"identity", "gzip", "br", "zstd"} {
		row("crns.json bytes, "+enc, func(f *fleetResult) string {
			b := f.Bytes[enc]
			if b == 0 {
				return "–"
			}
			return fmt.Sprintf("%d (%.1f%%)", b, 100*float64(b)/float64(max(1, f.Bytes["identity"])))
		})
	}
	fmt.Fprintln(w)
}

// writeGrowth is the cost per node at each fleet size.
func (r *report) writeGrowth(w io.Writer) {
	fmt.Fprintf(w, "growth on the %s fleet (per node: CPU per steady round, peak RSS after the rounds, live heap)\n", r.Options.schemes[0])
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| binary | nodes | CPU per round | per node | peak RSS | per node | live heap | per node |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, l := range r.labels() {
		for _, n := range r.Options.nodes {
			f := r.find(l, n)
			if f == nil {
				continue
			}
			fmt.Fprintf(w, "| %s | %d | %s | %.0f µs | %s | %.1f KiB | %s | %.1f KiB |\n", l, n,
				dur(f.CPUPerRound), float64(f.CPUPerRound.Microseconds())/float64(n),
				mib(f.RSSRounds), float64(f.RSSRounds)/1024/float64(n),
				mib(f.Heap.HeapInuse), float64(f.Heap.HeapInuse)/1024/float64(n))
		}
	}
}

func (r *report) writeLoads(w io.Writer) {
	for _, f := range r.Fleets {
		if len(f.Loads) == 0 {
			continue
		}
		fmt.Fprintf(w, "\ncrns.json under load, %d nodes, %s fleet, %s (limit: a minimal Go server writing the same bytes from memory, run alternately)\n\n", f.Nodes, f.Scheme, f.Label)
		fmt.Fprintln(w, "| encoding | conns | run | body bytes | nodelist req/s | p50 | p99 | limit req/s | p50 | p99 | nodelist / limit | errors |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, l := range f.Loads {
			fmt.Fprintf(w, "| %s | %d | %d | %d | %.0f | %s | %s | %.0f | %s | %s | %.1f%% | %d / %d |\n",
				l.Encoding, l.Conns, l.Run, l.Bytes, l.Service.ReqPerSec, dur(l.Service.P50), dur(l.Service.P99),
				l.Limit.ReqPerSec, dur(l.Limit.P50), dur(l.Limit.P99),
				100*l.Service.ReqPerSec/max(1e-9, l.Limit.ReqPerSec), l.Service.Errors, l.Limit.Errors)
		}
	}
}

func dur(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// gzipRuns is each gzip load's rate at c connections as a share of the
// same-bytes server's in the same run, in run order.
func gzipRuns(f *fleetResult, c int) string {
	var out []string
	for _, l := range f.Loads {
		if l.Encoding == "gzip" && l.Conns == c {
			out = append(out, fmt.Sprintf("%.1f%%", 100*l.Service.ReqPerSec/max(1e-9, l.Limit.ReqPerSec)))
		}
	}
	return strings.Join(out, ", ")
}
