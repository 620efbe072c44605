package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"nodelist/internal/store"
)

// Prune deletes up to batch rows past retention, in the SQL backends'
// order, and says how many: samples rows (a node's hour) and round marks
// older than raw, after rolling up the samples' hours; then hourly rows
// (a node's day) and events older than long. It is what bounds the
// store's memory.
func (s *Store) Prune(ctx context.Context, now time.Time, raw, long time.Duration, batch int) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	rawHour := store.FloorDiv(now.Add(-raw).Unix(), 3600)
	var late []int64 // hours about to go that no later round rolled up
	for h := range d.hours {
		if h > d.rolled && h < rawHour {
			late = append(late, h)
		}
	}
	slices.Sort(late)
	for _, h := range late {
		d.rollHour(h)
	}
	for _, step := range []func(int) int64{
		func(batch int) int64 { return d.pruneSamples(rawHour, batch) },
		func(batch int) int64 { return d.pruneRounds(store.Micros(now.Add(-raw)), batch) },
		func(batch int) int64 { return d.pruneHourly(store.FloorDiv(now.Add(-long).Unix(), 86400), batch) },
		func(batch int) int64 { return d.pruneEvents(store.Micros(now.Add(-long)), batch) },
	} {
		if n := step(batch); n > 0 {
			return n, nil
		}
	}
	return 0, nil
}

// pruneSamples deletes up to batch samples rows of hours before cutoff,
// the oldest first.
func (d *data) pruneSamples(cutoff int64, batch int) int64 {
	var hours []int64
	for h := range d.hours {
		if h < cutoff {
			hours = append(hours, h)
		}
	}
	slices.Sort(hours)
	var n int64
	for _, h := range hours {
		for _, nd := range d.nodes {
			if n >= int64(batch) {
				return n
			}
			if _, ok := nd.samples[h]; ok {
				delete(nd.samples, h)
				n++
				if d.hours[h]--; d.hours[h] == 0 {
					delete(d.hours, h)
				}
			}
		}
	}
	return n
}

// pruneRounds deletes up to batch round marks of rounds started before
// cutoff (Unix microseconds), the oldest first.
func (d *data) pruneRounds(cutoff int64, batch int) int64 {
	var ids []int64
	for id, started := range d.rounds {
		if started < cutoff {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids[:min(len(ids), batch)] {
		delete(d.rounds, id)
	}
	return int64(min(len(ids), batch))
}

// pruneHourly deletes up to batch hourly rows of days before cutoff, the
// oldest first.
func (d *data) pruneHourly(cutoff int64, batch int) int64 {
	type row struct {
		n   *node
		day int64
	}
	var rows []row
	for _, nd := range d.nodes {
		for day := range nd.hourly {
			if day < cutoff {
				rows = append(rows, row{nd, day})
			}
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.day, b.day) })
	for _, r := range rows[:min(len(rows), batch)] {
		delete(r.n.hourly, r.day)
	}
	return int64(min(len(rows), batch))
}

// pruneEvents deletes up to batch events older than cutoff (Unix
// microseconds), the first written first.
func (d *data) pruneEvents(cutoff int64, batch int) int64 {
	var ids []int64
	for _, nd := range d.nodes {
		for _, e := range nd.events {
			if e.at < cutoff {
				ids = append(ids, e.id)
			}
		}
	}
	if len(ids) == 0 {
		return 0
	}
	slices.Sort(ids)
	ids = ids[:min(len(ids), batch)]
	last := ids[len(ids)-1]
	for _, nd := range d.nodes {
		nd.events = slices.DeleteFunc(nd.events, func(e event) bool { return e.at < cutoff && e.id <= last })
	}
	return int64(len(ids))
}
