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
	Fleets  []*fleetResult
}

func (r *report) write(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "nodelist bench, %s UTC, %s\n", r.Date.Format("2006-01-02 15:04"), r.Host)
	fmt.Fprintf(w, "fleet: %s; service timeout %s; wrk -t%d -d%s\n\n", o.fleet.describe(), o.timeout, o.threads, o.duration)

	fmt.Fprintf(w, "| figure |")
	for _, f := range r.Fleets {
		fmt.Fprintf(w, " %d nodes |", f.Nodes)
	}
	fmt.Fprintf(w, "\n|---|")
	for range r.Fleets {
		fmt.Fprintf(w, "---:|")
	}
	fmt.Fprintln(w)
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
	row("CPU per steady round (service process)", func(f *fleetResult) string { return dur(f.CPUPerRound) })
	row("new TCP connections, cold round", func(f *fleetResult) string { return fmt.Sprint(f.ColdConns) })
	row("new TCP connections, steady round", func(f *fleetResult) string {
		return fmt.Sprintf("%d (of %d node requests)", f.SteadyConns, f.SteadyRequests)
	})
	row("peak RSS after the rounds", func(f *fleetResult) string { return mib(f.RSSRounds) })
	row("peak RSS after the crns.json load", func(f *fleetResult) string {
		if f.RSSLoad == 0 {
			return "–"
		}
		return mib(f.RSSLoad)
	})
	for _, enc := range []string{"identity", "gzip", "br", "zstd"} {
		row("crns.json bytes, "+enc, func(f *fleetResult) string {
			b := f.Bytes[enc]
			if b == 0 {
				return "– (no end-of-round snapshot seen: rounds ran back to back)"
			}
			return fmt.Sprintf("%d (%.1f%%)", b, 100*float64(b)/float64(max(1, f.Bytes["identity"])))
		})
	}

	for _, f := range r.Fleets {
		if len(f.Loads) == 0 {
			continue
		}
		fmt.Fprintf(w, "\ncrns.json under load, %d nodes (limit: a minimal Go server writing the same bytes from memory)\n\n", f.Nodes)
		fmt.Fprintln(w, "| encoding | conns | body bytes | nodelist req/s | p50 | p99 | limit req/s | p50 | p99 | nodelist / limit | errors |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, l := range f.Loads {
			fmt.Fprintf(w, "| %s | %d | %d | %.0f | %s | %s | %.0f | %s | %s | %.1f%% | %d / %d |\n",
				l.Encoding, l.Conns, l.Bytes, l.Service.ReqPerSec, dur(l.Service.P50), dur(l.Service.P99),
				l.Limit.ReqPerSec, dur(l.Limit.P50), dur(l.Limit.P99),
				100*l.Service.ReqPerSec/max(1e-9, l.Limit.ReqPerSec), l.Service.Errors, l.Limit.Errors)
		}
	}
	fmt.Fprintf(w, "\nworkdir (binaries, bodies, logs): %s\n", strings.TrimSpace(o.workdir))
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
