package memory

import "encoding/binary"

// A node's samples of one hour are kept packed, an entry per round
// (normally), as the SQL backends keep one blob per node and hour: a head,
// then each probe's outcome in one varint, or in four for an entry summing
// several outcomes of a probe. Most outcomes take a byte or two, so an
// entry of three probes takes 5 to 8 bytes, where a struct per outcome
// would cost several times that.
//
//	head:   uvarint second within the hour << 8 | probes << 1 | summed
//	single: uvarint latency ms << 1 | ok
//	summed: uvarint ok, total, latency sum ms, latency max ms

const (
	probeBits = 7
	// maxProbes bounds an entry's count of probes (what probeBits holds).
	maxProbes = 1<<probeBits - 1
)

// agg is one probe's outcomes over a span of time.
type agg struct{ ok, total, latSum, latMax int64 }

func (a *agg) add(b agg) {
	a.ok += b.ok
	a.total += b.total
	a.latSum += b.latSum
	a.latMax = max(a.latMax, b.latMax)
}

// grow returns probes with at least n entries, the new ones zero.
func grow(probes []agg, n int) []agg {
	if n > len(probes) {
		probes = append(probes, make([]agg, n-len(probes))...)
	}
	return probes
}

// appendEntry appends one entry of second (within the hour) to b.
func appendEntry(b []byte, second int64, probes []agg) []byte {
	single := true
	for _, p := range probes {
		if p.total != 1 || p.ok > 1 || p.latSum < 0 || p.latMax != p.latSum {
			single = false
		}
	}
	head := uint64(second)<<(probeBits+1) | uint64(len(probes))<<1
	if !single {
		head |= 1
	}
	b = binary.AppendUvarint(b, head)
	for _, p := range probes {
		if single {
			b = binary.AppendUvarint(b, uint64(p.latSum)<<1|uint64(p.ok))
			continue
		}
		for _, v := range [...]int64{p.ok, p.total, p.latSum, p.latMax} {
			b = binary.AppendUvarint(b, uint64(max(v, 0)))
		}
	}
	return b
}

// eachEntry calls fn for each entry of b; fn must not keep probes: the
// next entry reuses it.
func eachEntry(b []byte, fn func(second int64, probes []agg)) {
	next := func() int64 {
		v, n := binary.Uvarint(b)
		b = b[n:]
		return int64(v)
	}
	buf := make([]agg, 0, 4)
	for len(b) > 0 {
		head := next()
		buf = buf[:0]
		for range head >> 1 & maxProbes {
			if head&1 == 0 {
				v := next()
				buf = append(buf, agg{ok: v & 1, total: 1, latSum: v >> 1, latMax: v >> 1})
				continue
			}
			ok, total, sum, mx := next(), next(), next(), next()
			buf = append(buf, agg{ok: ok, total: total, latSum: sum, latMax: mx})
		}
		fn(head>>(probeBits+1), buf)
	}
}

// A node's hourly rollups of one day are kept as varints, an entry per
// hour rolled up (a few hundred days of them is the bulk of the store at
// the default retention):
//
//	uvarint  hour of the day << 7 | probes
//	probes:  uvarint ok, total, average latency ms, max latency ms
//
// The latency is kept as the average, as the SQL backends keep it, so
// that both answer alike: a sum read back is the average times the
// count.

// putHour returns row with hour h's entry set to probes, replacing any.
func putHour(row []byte, h int64, probes []agg) []byte {
	out := make([]byte, 0, len(row)+4+16*len(probes))
	eachHour(row, func(hour int64, ps []agg) {
		if hour != h {
			out = appendHour(out, hour, ps)
		}
	})
	return appendHour(out, h, probes)
}

func appendHour(b []byte, h int64, probes []agg) []byte {
	b = binary.AppendUvarint(b, uint64(h)<<probeBits|uint64(len(probes)))
	for _, p := range probes {
		avg := int64(0)
		if p.total > 0 {
			avg = (p.latSum + p.total/2) / p.total
		}
		for _, v := range [...]int64{p.ok, p.total, avg, p.latMax} {
			b = binary.AppendUvarint(b, uint64(max(v, 0)))
		}
	}
	return b
}

// eachHour calls fn for each entry of row; fn must not keep probes.
func eachHour(row []byte, fn func(hour int64, probes []agg)) {
	next := func() int64 {
		v, n := binary.Uvarint(row)
		row = row[n:]
		return int64(v)
	}
	buf := make([]agg, 0, 4)
	for len(row) > 0 {
		head := next()
		buf = buf[:0]
		for range head & maxProbes {
			ok, total, avg, mx := next(), next(), next(), next()
			buf = append(buf, agg{ok: ok, total: total, latSum: avg * total, latMax: mx})
		}
		fn(head>>probeBits, buf)
	}
}
