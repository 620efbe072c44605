package memory

import (
	"context"
	"fmt"
	"time"

	"nodelist/internal/store"
)

// History sums the node's samples, and for the hours without samples its
// hourly rollups, into buckets of step starting at from, as the SQL
// backends do.
func (s *Store) History(ctx context.Context, hash string, from, to time.Time, step time.Duration) ([][]store.Point, error) {
	out := make([][]store.Point, len(s.probes))
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("history: %w", err)
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	n := s.d.nodes[hash]
	if n == nil {
		return out, nil
	}
	fromS, toS := from.Unix(), to.Unix()
	buckets := store.NewBuckets(len(out), from, step)
	add := func(unix int64, probes []agg) {
		for p, a := range probes {
			buckets.Add(unix, p, a.OK, a.Total, a.LatSum, a.LatMax)
		}
	}
	firstHour, lastHour := store.FloorDiv(fromS, 3600), store.FloorDiv(toS, 3600)
	for hour, words := range n.samples {
		if hour < firstHour || hour > lastHour {
			continue
		}
		eachEntry(words, func(second int64, probes []agg) {
			if t := hour*3600 + second; t >= fromS && t < toS {
				add(t, probes)
			}
		})
	}
	for day, row := range n.hourly {
		if day < store.FloorDiv(fromS, 86400) || day > store.FloorDiv(toS, 86400) {
			continue
		}
		eachHour(row, func(h int64, probes []agg) {
			hour := day*24 + h
			if _, covered := n.samples[hour]; covered {
				return
			}
			if t := hour * 3600; t+3600 > fromS && t < toS {
				add(t, probes)
			}
		})
	}
	return buckets.Points(), nil
}

// Events returns the node's transitions newest first, with IDs below
// before (0: from the newest), at most limit.
func (s *Store) Events(ctx context.Context, hash string, before int64, limit int) ([]store.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if before <= 0 {
		before = 1<<62 - 1
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := []store.Event{}
	n := s.d.nodes[hash]
	if n == nil {
		return out, nil
	}
	for i := len(n.events) - 1; i >= 0 && len(out) < limit; i-- {
		e := n.events[i]
		if e.id >= before {
			continue
		}
		ev := store.Event{ID: e.id, At: store.FromMicros(e.at), OK: e.ok, Status: e.status, Class: e.class, Msg: e.msg}
		if e.probe < len(s.probes) {
			ev.Probe = s.probes[e.probe]
		}
		out = append(out, ev)
	}
	return out, nil
}

// Uptime sums every node's store.UpProbe over 24 h, 7 d and 30 d up to
// now: the hours rolled up from their hourly rows, the others from their
// samples.
func (s *Store) Uptime(ctx context.Context, now time.Time) (map[string]store.Uptime, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("uptime: %w", err)
	}
	h := now.Unix() / 3600
	day, week, month := h-24, h-7*24, h-30*24
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	rolled := s.d.rolled
	out := map[string]store.Uptime{}
	for hash, n := range s.d.nodes {
		var v [6]int64
		count := func(hour int64, a agg) {
			if a.Total == 0 || hour <= month || hour > h {
				return
			}
			for i, since := range [...]int64{day, week, month} {
				if hour > since {
					v[2*i] += a.OK
					v[2*i+1] += a.Total
				}
			}
		}
		for d, row := range n.hourly {
			if d < store.FloorDiv(month, 24) {
				continue
			}
			eachHour(row, func(h int64, probes []agg) {
				if hour := d*24 + h; hour <= rolled && len(probes) > store.UpProbe {
					count(hour, probes[store.UpProbe])
				}
			})
		}
		for hour, words := range n.samples {
			if hour <= max(rolled, month) {
				continue
			}
			eachEntry(words, func(_ int64, probes []agg) {
				if len(probes) > store.UpProbe {
					count(hour, probes[store.UpProbe])
				}
			})
		}
		if v[5] > 0 {
			u := store.Uptime{Day: ratio(v[0], v[1]), Week: ratio(v[2], v[3]), Month: ratio(v[4], v[5])}
			// The state of the probe counted above: the first.
			if st, seen := n.state[store.UpProbe]; seen {
				u.Up, u.Since = st.ok, store.FromMicros(st.since)
			}
			out[hash] = u
		}
	}
	return out, nil
}

func ratio(ok, total int64) *float64 {
	if total == 0 {
		return nil
	}
	r := float64(ok) / float64(total)
	return &r
}

// SampleCount is the number of probe outcomes in the samples rows, for
// tests and checks that count what was written.
func (s *Store) SampleCount(ctx context.Context) (int64, error) {
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	var total int64
	for _, n := range s.d.nodes {
		for _, words := range n.samples {
			eachEntry(words, func(_ int64, probes []agg) {
				for _, p := range probes {
					total += p.Total
				}
			})
		}
	}
	return total, ctx.Err()
}
