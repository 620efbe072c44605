package store

import "time"

// Agg is one probe's outcomes over a span of time, as the backends pack
// them: successes of attempts, and the attempts' latency sum and maximum
// in milliseconds.
type Agg struct{ OK, Total, LatSum, LatMax int64 }

// Add counts b's outcomes in a.
func (a *Agg) Add(b Agg) {
	a.OK += b.OK
	a.Total += b.Total
	a.LatSum += b.LatSum
	a.LatMax = max(a.LatMax, b.LatMax)
}

// GrowAggs returns probes with at least n entries, the new ones zero.
func GrowAggs(probes []Agg, n int) []Agg {
	if n > len(probes) {
		probes = append(probes, make([]Agg, n-len(probes))...)
	}
	return probes
}

// Micros is t in Unix microseconds, 0 for the zero time: how the
// backends keep times.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicros reads back what Micros wrote, in UTC.
func FromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
