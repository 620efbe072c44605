package memory

// A node's samples of one hour are kept as a stream of 32-bit words, an
// entry per round (normally), as the SQL backends keep one blob per node
// and hour: a head word, then each probe's outcome in one word, or in
// four for an entry summing several outcomes of a probe. About 16 bytes
// per node and round for three probes, where a struct per outcome would
// cost several times that.
//
//	head:   second within the hour | probes << 12 | summed << 19
//	single: min(latency ms, 2^31-1) << 1 | ok
//	summed: ok, total, latency sum ms, latency max ms (each at most 2^32-1)

const (
	secondBits = 12
	probeBits  = 7
	summedBit  = 1 << (secondBits + probeBits)
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

// appendEntry appends one entry of second (within the hour) to words.
func appendEntry(words []uint32, second int64, probes []agg) []uint32 {
	single := true
	for _, p := range probes {
		if p.total != 1 || p.ok > 1 || p.latSum < 0 || p.latMax != p.latSum {
			single = false
		}
	}
	head := uint32(second) | uint32(len(probes))<<secondBits
	if !single {
		head |= summedBit
	}
	words = append(words, head)
	for _, p := range probes {
		if single {
			words = append(words, uint32(min(p.latSum, 1<<31-1))<<1|uint32(p.ok))
			continue
		}
		words = append(words, clamp32(p.ok), clamp32(p.total), clamp32(p.latSum), clamp32(p.latMax))
	}
	return words
}

func clamp32(v int64) uint32 { return uint32(min(max(v, 0), 1<<32-1)) }

// eachEntry calls fn for each entry of words; fn must not keep probes:
// the next entry reuses it.
func eachEntry(words []uint32, fn func(second int64, probes []agg)) {
	buf := make([]agg, 0, 4)
	for len(words) > 0 {
		head := words[0]
		words = words[1:]
		n := int(head >> secondBits & maxProbes)
		buf = buf[:0]
		for range n {
			if head&summedBit == 0 {
				lat := int64(words[0] >> 1)
				buf = append(buf, agg{ok: int64(words[0] & 1), total: 1, latSum: lat, latMax: lat})
				words = words[1:]
				continue
			}
			buf = append(buf, agg{ok: int64(words[0]), total: int64(words[1]), latSum: int64(words[2]), latMax: int64(words[3])})
			words = words[4:]
		}
		fn(int64(head&(1<<secondBits-1)), buf)
	}
}

// hourAgg is one probe's hour rolled up, its latency kept as the average
// as the SQL backends keep it, so that both answer alike.
type hourAgg struct{ ok, total, latAvg, latMax uint32 }

func rollup(probes []agg) []hourAgg {
	out := make([]hourAgg, len(probes))
	for i, p := range probes {
		avg := int64(0)
		if p.total > 0 {
			avg = (p.latSum + p.total/2) / p.total
		}
		out[i] = hourAgg{ok: clamp32(p.ok), total: clamp32(p.total), latAvg: clamp32(avg), latMax: clamp32(p.latMax)}
	}
	return out
}

func (h hourAgg) agg() agg {
	t := int64(h.total)
	return agg{ok: int64(h.ok), total: t, latSum: int64(h.latAvg) * t, latMax: int64(h.latMax)}
}
