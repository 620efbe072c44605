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
// entry costs 5 to 8 bytes per round (samples) and 13 to 19 bytes per
// hour (hourly); BENCHMARKS.md has the arithmetic.
//
// A samples blob is a sequence of entries, one per round (or per minute,
// for data converted from the earlier schema), each:
//
//	uvarint  second within the hour << 1 | aggregate
//	3 probes, when aggregate is 0: uvarint latency_ms << 1 | ok  (one sample)
//	          when aggregate is 1: uvarint ok, total, latency sum, latency max
//
// An hourly blob is a sequence of entries, one per rolled-up hour; a later
// entry for the same hour replaces an earlier one (an hour rolled up again
// after a late round), so appending is idempotent:
//
//	uvarint  hour of the day (0-23)
//	3 probes: uvarint total, failures, average latency ms, max latency ms
//
// Latencies are whole milliseconds; the hourly sum is kept as an average,
// so a sum read back is the average times the count.

// agg is one probe's outcomes over a span of time.
type agg struct{ ok, total, latSum, latMax int64 }

func (a *agg) add(b agg) {
	a.ok += b.ok
	a.total += b.total
	a.latSum += b.latSum
	a.latMax = max(a.latMax, b.latMax)
}

// sample is one decoded samples entry.
type sample struct {
	second int64 // within the hour
	probes [store.NumProbes]agg
}

var errCorrupt = errors.New("corrupt history blob")

// appendSample encodes one entry of a samples blob.
func appendSample(b []byte, s sample) []byte {
	single := true
	for _, p := range s.probes {
		if p.total != 1 || p.ok > 1 || p.latSum < 0 {
			single = false
		}
	}
	if single {
		b = binary.AppendUvarint(b, uint64(s.second)<<1)
		for _, p := range s.probes {
			b = binary.AppendUvarint(b, uint64(p.latSum)<<1|uint64(p.ok))
		}
		return b
	}
	b = binary.AppendUvarint(b, uint64(s.second)<<1|1)
	for _, p := range s.probes {
		b = appendAgg(b, p.ok, p.total, p.latSum, p.latMax)
	}
	return b
}

func appendAgg(b []byte, v ...int64) []byte {
	for _, x := range v {
		b = binary.AppendUvarint(b, uint64(max(x, 0)))
	}
	return b
}

// decodeSamples calls fn for each entry of a samples blob.
func decodeSamples(b []byte, fn func(sample)) error {
	for len(b) > 0 {
		var s sample
		head, err := uvarint(&b)
		if err != nil {
			return err
		}
		s.second = int64(head >> 1)
		if s.second >= 3600 {
			return errCorrupt
		}
		for p := range s.probes {
			if head&1 == 0 {
				v, err := uvarint(&b)
				if err != nil {
					return err
				}
				lat := int64(v >> 1)
				s.probes[p] = agg{ok: int64(v & 1), total: 1, latSum: lat, latMax: lat}
				continue
			}
			var v [4]int64
			for i := range v {
				x, err := uvarint(&b)
				if err != nil {
					return err
				}
				v[i] = int64(x)
			}
			if v[0] > v[1] {
				return errCorrupt
			}
			s.probes[p] = agg{ok: v[0], total: v[1], latSum: v[2], latMax: v[3]}
		}
		fn(s)
	}
	return nil
}

// appendHour encodes one entry of an hourly blob.
func appendHour(b []byte, hourOfDay int64, probes [store.NumProbes]agg) []byte {
	b = binary.AppendUvarint(b, uint64(hourOfDay))
	for _, p := range probes {
		avg := int64(0)
		if p.total > 0 {
			avg = (p.latSum + p.total/2) / p.total
		}
		b = appendAgg(b, p.total, p.total-p.ok, avg, p.latMax)
	}
	return b
}

// decodeHours returns the hours of an hourly blob, the last entry of an
// hour winning; hours without an entry have a zero total.
func decodeHours(b []byte) (*[24][store.NumProbes]agg, error) {
	var out [24][store.NumProbes]agg
	for len(b) > 0 {
		h, err := uvarint(&b)
		if err != nil {
			return nil, err
		}
		if h >= 24 {
			return nil, errCorrupt
		}
		for p := range out[h] {
			var v [4]uint64
			for i := range v {
				if v[i], err = uvarint(&b); err != nil {
					return nil, err
				}
			}
			total, fail, avg, mx := int64(v[0]), int64(v[1]), int64(v[2]), int64(v[3])
			if fail > total || total > 1<<31 || avg > 1<<31 {
				return nil, errCorrupt
			}
			out[h][p] = agg{ok: total - fail, total: total, latSum: avg * total, latMax: mx}
		}
	}
	return &out, nil
}

func uvarint(b *[]byte) (uint64, error) {
	v, n := binary.Uvarint(*b)
	if n <= 0 {
		return 0, errCorrupt
	}
	*b = (*b)[n:]
	return v, nil
}
