package memory

import (
	"encoding/binary"

	"nodelist/internal/store"
)

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
type agg = store.Agg

// appendEntry appends one entry of second (within the hour) to b.
func appendEntry(b []byte, second int64, probes []agg) []byte {
	single := true
	for _, p := range probes {
		if p.Total != 1 || p.OK > 1 || p.LatSum < 0 || p.LatMax != p.LatSum {
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
			b = binary.AppendUvarint(b, uint64(p.LatSum)<<1|uint64(p.OK))
			continue
		}
		for _, v := range [...]int64{p.OK, p.Total, p.LatSum, p.LatMax} {
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
				buf = append(buf, agg{OK: v & 1, Total: 1, LatSum: v >> 1, LatMax: v >> 1})
				continue
			}
			ok, total, sum, mx := next(), next(), next(), next()
			buf = append(buf, agg{OK: ok, Total: total, LatSum: sum, LatMax: mx})
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
		if p.Total > 0 {
			avg = (p.LatSum + p.Total/2) / p.Total
		}
		for _, v := range [...]int64{p.OK, p.Total, avg, p.LatMax} {
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
			buf = append(buf, agg{OK: ok, Total: total, LatSum: avg * total, LatMax: mx})
		}
		fn(head>>probeBits, buf)
	}
}
