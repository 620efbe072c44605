package sqlstore

import (
	"encoding/binary"
	"errors"

	"nodelist/internal/store"
)

// Probe outcomes are kept packed, a row per node and hour (samples) and a
// row per node and day (hourly), because a row per node, probe and bucket
// costs about 50 bytes: 8.6 million minute rows for 48 hours and 28.8
// million hour rows for 400 days of 1000 nodes, some 2 GB. Packed, an
// entry costs 5 to 8 bytes per round (samples) and 11 to 17 bytes per
// hour (hourly) for three probes; BENCHMARKS.md has the arithmetic.
//
// Each entry says how many probes it holds, so that the probe table can
// grow: probe i of an entry is probe i of the table (its order only ever
// grows at the end), an entry written with fewer probes than the table
// has no sample of the others, and probes past the table's end are kept
// when an hour is rolled up. Most entries hold three probes, so a count
// of three is implied by a bit of the entry's head and costs no byte;
// any other count follows the head.
//
// A samples blob is a sequence of entries, one per round (or per minute,
// for data converted from the first schema), each:
//
//	uvarint  second within the hour << 2 | aggregate << 1 | counted
//	uvarint  when counted is 1: the number of probes n (else n is 3)
//	n probes, when aggregate is 0: uvarint latency_ms << 1 | ok  (one sample)
//	          when aggregate is 1: uvarint ok, total, latency sum, latency max
//
// An hourly blob is a sequence of entries, one per rolled-up hour; a later
// entry for the same hour replaces an earlier one (an hour rolled up again
// after a late round), so appending is idempotent:
//
//	uvarint  hour of the day (0-23) << 2 | shared << 1 | counted
//	uvarint  when counted is 1: the number of probes n (else n is 3)
//	when shared is 1: uvarint total, the same for the n probes (the usual
//	                  case: every round probes them all), then
//	                  n probes: uvarint failures, average latency ms, max latency ms
//	when shared is 0: n probes: uvarint total, failures, average latency ms, max latency ms
//
// Latencies are whole milliseconds; the hourly sum is kept as an average,
// so a sum read back is the average times the count.
//
// Schema versions 3 to 5 kept the first format (format1 below): the same
// entries without the counted bit, always three probes. Migration 4
// writes it, being of its time, and migration 6 converts it.

// format is a version of the packed entries.
type format int

const (
	format1 format = iota + 1 // schema versions 3 to 5: always three probes
	format2                   // schema version 6 on: an entry says how many
)

const (
	// format1Probes is the count of probes of every format1 entry and of
	// the first schema's rollups: config, usage and IPv6.
	format1Probes = 3
	// impliedProbes is the count an entry of format2 holds when its head
	// says none: the three probes the service had when it was made. Part
	// of the format; changing it needs a migration.
	impliedProbes = 3
	// MaxProbes bounds an entry's count, so that a corrupt one cannot ask
	// for much memory.
	MaxProbes = 64
)

// agg is one probe's outcomes over a span of time.
type agg = store.Agg

// sample is one decoded samples entry.
type sample struct {
	second int64 // within the hour
	probes []agg
}

var errCorrupt = errors.New("corrupt history blob")

// appendSample encodes one entry of a samples blob.
func appendSample(b []byte, s sample) []byte { return appendSampleAs(b, s, format2) }

func appendSampleAs(b []byte, s sample, f format) []byte {
	s.probes = fit(s.probes, f)
	single := true
	for _, p := range s.probes {
		if p.Total != 1 || p.OK > 1 || p.LatSum < 0 || p.LatMax != p.LatSum {
			single = false
		}
	}
	b = appendHead(b, f, s.second, !single, len(s.probes))
	for _, p := range s.probes {
		if single {
			b = binary.AppendUvarint(b, uint64(p.LatSum)<<1|uint64(p.OK))
		} else {
			b = appendAgg(b, p.OK, p.Total, p.LatSum, p.LatMax)
		}
	}
	return b
}

func appendAgg(b []byte, v ...int64) []byte {
	for _, x := range v {
		b = binary.AppendUvarint(b, uint64(max(x, 0)))
	}
	return b
}

// fit returns probes as format f can hold them: format1 holds three, the
// missing ones without a sample, the others left out.
func fit(probes []agg, f format) []agg {
	if f != format1 || len(probes) == format1Probes {
		return probes
	}
	out := make([]agg, format1Probes)
	copy(out, probes)
	return out
}

// appendHead encodes an entry's head: its second or hour v, its form
// flag and, in format2, its count of probes n. Format1 holds three.
func appendHead(b []byte, f format, v int64, flag bool, n int) []byte {
	x := uint64(v) << 1
	if flag {
		x |= 1
	}
	if f == format1 {
		return binary.AppendUvarint(b, x)
	}
	if n == impliedProbes {
		return binary.AppendUvarint(b, x<<1)
	}
	b = binary.AppendUvarint(b, x<<1|1)
	return binary.AppendUvarint(b, uint64(n))
}

// readHead decodes an entry's head; v must be below limit.
func readHead(b *[]byte, f format, limit uint64) (v uint64, flag bool, n int, err error) {
	x, err := uvarint(b)
	if err != nil {
		return 0, false, 0, err
	}
	n = format1Probes
	if f == format2 {
		n = impliedProbes
		counted := x&1 == 1
		x >>= 1
		if counted {
			c, err := uvarint(b)
			if err != nil {
				return 0, false, 0, err
			}
			if c > MaxProbes {
				return 0, false, 0, errCorrupt
			}
			n = int(c)
		}
	}
	if x>>1 >= limit {
		return 0, false, 0, errCorrupt
	}
	return x >> 1, x&1 == 1, n, nil
}

// decodeSamples calls fn for each entry of a samples blob, up to the
// first corrupt one. fn must not keep s.probes: the next entry reuses it.
func decodeSamples(b []byte, fn func(s sample)) error { return decodeSamplesAs(b, format2, fn) }

func decodeSamplesAs(b []byte, f format, fn func(sample)) error {
	buf := make([]agg, 0, impliedProbes+1)
	for len(b) > 0 {
		second, aggregate, n, err := readHead(&b, f, 3600)
		if err != nil {
			return err
		}
		s := sample{second: int64(second), probes: buf[:0]}
		for range n {
			if !aggregate {
				v, err := uvarint(&b)
				if err != nil {
					return err
				}
				lat := int64(v >> 1)
				s.probes = append(s.probes, agg{OK: int64(v & 1), Total: 1, LatSum: lat, LatMax: lat})
				continue
			}
			var v [4]uint64
			for i := range v {
				if v[i], err = uvarint(&b); err != nil {
					return err
				}
			}
			if v[0] > v[1] || v[1] > 1<<62 || v[2] > 1<<62 || v[3] > 1<<62 {
				return errCorrupt
			}
			s.probes = append(s.probes, agg{OK: int64(v[0]), Total: int64(v[1]), LatSum: int64(v[2]), LatMax: int64(v[3])})
		}
		buf = s.probes
		fn(s)
	}
	return nil
}

// appendHour encodes one entry of an hourly blob.
func appendHour(b []byte, hourOfDay int64, probes []agg) []byte {
	return appendHourAs(b, hourOfDay, probes, format2)
}

func appendHourAs(b []byte, hourOfDay int64, probes []agg, f format) []byte {
	probes = fit(probes, f)
	shared := len(probes) > 0
	for _, p := range probes {
		shared = shared && p.Total == probes[0].Total
	}
	b = appendHead(b, f, hourOfDay, shared, len(probes))
	if shared {
		b = binary.AppendUvarint(b, uint64(probes[0].Total))
	}
	for _, p := range probes {
		avg := int64(0)
		if p.Total > 0 {
			avg = (p.LatSum + p.Total/2) / p.Total
		}
		if !shared {
			b = binary.AppendUvarint(b, uint64(p.Total))
		}
		b = appendAgg(b, p.Total-p.OK, avg, p.LatMax)
	}
	return b
}

// hours is a decoded hourly blob: each hour's probes, nil for an hour
// without an entry.
type hours [24][]agg

// decodeHours returns the hours of an hourly blob, the last entry of an
// hour winning.
func decodeHours(b []byte) (*hours, error) {
	var out hours
	buf := make([]agg, 0, 24*impliedProbes)
	err := decodeHoursAs(b, format2, func(h int64, probes []agg) {
		start := len(buf)
		buf = append(buf, probes...)
		out[h] = buf[start:len(buf):len(buf)]
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// decodeHoursAs calls fn for each entry of an hourly blob, in order, up to
// the first corrupt one. fn must not keep probes.
func decodeHoursAs(b []byte, f format, fn func(hour int64, probes []agg)) error {
	probes := make([]agg, 0, impliedProbes+1)
	for len(b) > 0 {
		h, shared, n, err := readHead(&b, f, 24)
		if err != nil {
			return err
		}
		var total uint64
		if shared {
			if total, err = uvarint(&b); err != nil {
				return err
			}
		}
		probes = probes[:0]
		for range n {
			if !shared {
				if total, err = uvarint(&b); err != nil {
					return err
				}
			}
			var v [3]uint64
			for i := range v {
				if v[i], err = uvarint(&b); err != nil {
					return err
				}
			}
			if total > 1<<31 || v[0] > total || v[1] > 1<<31 || v[2] > 1<<62 {
				return errCorrupt
			}
			t, fail, avg, mx := int64(total), int64(v[0]), int64(v[1]), int64(v[2])
			probes = append(probes, agg{OK: t - fail, Total: t, LatSum: avg * t, LatMax: mx})
		}
		fn(int64(h), probes)
	}
	return nil
}

func uvarint(b *[]byte) (uint64, error) {
	v, n := binary.Uvarint(*b)
	if n <= 0 {
		return 0, errCorrupt
	}
	*b = (*b)[n:]
	return v, nil
}
