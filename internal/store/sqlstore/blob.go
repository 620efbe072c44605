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
//	uvarint  hour of the day (0-23) << 1 | shared
//	when shared is 1: uvarint total, the same for the 3 probes (the usual
//	                  case: every round probes all three), then
//	                  3 probes: uvarint failures, average latency ms, max latency ms
//	when shared is 0: 3 probes: uvarint total, failures, average latency ms, max latency ms
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
	shared := true
	for _, p := range probes[1:] {
		shared = shared && p.total == probes[0].total
	}
	if shared {
		b = binary.AppendUvarint(b, uint64(hourOfDay)<<1|1)
		b = binary.AppendUvarint(b, uint64(probes[0].total))
	} else {
		b = binary.AppendUvarint(b, uint64(hourOfDay)<<1)
	}
	for _, p := range probes {
		avg := int64(0)
		if p.total > 0 {
			avg = (p.latSum + p.total/2) / p.total
		}
		if !shared {
			b = binary.AppendUvarint(b, uint64(p.total))
		}
		b = appendAgg(b, p.total-p.ok, avg, p.latMax)
	}
	return b
}

// decodeHours returns the hours of an hourly blob, the last entry of an
// hour winning; hours without an entry have a zero total.
func decodeHours(b []byte) (*[24][store.NumProbes]agg, error) {
	var out [24][store.NumProbes]agg
	for len(b) > 0 {
		x, err := uvarint(&b)
		if err != nil {
			return nil, err
		}
		h, shared := x>>1, x&1 == 1
		if h >= 24 {
			return nil, errCorrupt
		}
		var total uint64
		if shared {
			if total, err = uvarint(&b); err != nil {
				return nil, err
			}
		}
		for p := range out[h] {
			if !shared {
				if total, err = uvarint(&b); err != nil {
					return nil, err
				}
			}
			var v [3]uint64
			for i := range v {
				if v[i], err = uvarint(&b); err != nil {
					return nil, err
				}
			}
			if total > 1<<31 || v[0] > total || v[1] > 1<<31 {
				return nil, errCorrupt
			}
			t, fail, avg, mx := int64(total), int64(v[0]), int64(v[1]), int64(v[2])
			out[h][p] = agg{ok: t - fail, total: t, latSum: avg * t, latMax: mx}
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
