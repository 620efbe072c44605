package store

import (
	"slices"
	"time"
)

// Buckets sums a node's outcomes into points of one step each, the first
// starting at from, one series per probe: what every backend's History
// answers, whatever it reads its outcomes from.
type Buckets struct {
	from, step int64 // seconds
	series     []map[int64]*Point
}

// NewBuckets makes the buckets of probes series from from, step long (a
// minute at least).
func NewBuckets(probes int, from time.Time, step time.Duration) *Buckets {
	b := &Buckets{from: from.Unix(), step: int64(max(step, time.Minute) / time.Second), series: make([]map[int64]*Point, probes)}
	for p := range b.series {
		b.series[p] = map[int64]*Point{}
	}
	return b
}

// Add counts outcomes of probe p at unix: ok of total, their latencies'
// sum and maximum in ms. An hourly entry that began before from counts in
// the first bucket; a probe past the series (kept for a later version)
// is not counted.
func (b *Buckets) Add(unix int64, p int, ok, total, latSumMS, latMaxMS int64) {
	if p >= len(b.series) || total == 0 {
		return
	}
	t := b.from + max(0, FloorDiv(unix-b.from, b.step))*b.step
	pt := b.series[p][t]
	if pt == nil {
		pt = &Point{Time: time.Unix(t, 0).UTC()}
		b.series[p][t] = pt
	}
	pt.OK += int(ok)
	pt.Total += int(total)
	pt.LatencySumMS += latSumMS
	pt.LatencyMaxMS = max(pt.LatencyMaxMS, latMaxMS)
}

// Points are the series, each in time order.
func (b *Buckets) Points() [][]Point {
	out := make([][]Point, len(b.series))
	for p, m := range b.series {
		pts := make([]Point, 0, len(m))
		for _, pt := range m {
			pts = append(pts, *pt)
		}
		slices.SortFunc(pts, func(a, b Point) int { return a.Time.Compare(b.Time) })
		out[p] = pts
	}
	return out
}

// FloorDiv is a / b rounded down, for times before the epoch too.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
