package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"nodelist/internal/store"
)

// Store is store.Store in memory. Its rows are those of the SQL backends,
// held in maps: a node's samples per hour, its hourly rollups per day,
// its transitions, each probe's state, the round marks and the last
// snapshot; so it answers as they do, and Prune deletes (and counts) the
// same rows.
type Store struct {
	d      *data
	probes []string
}

// data is what a database is to the SQL backends: what every Store
// opened on it (Reopen) shares.
type data struct {
	mu        sync.RWMutex
	nodes     map[string]*node
	rounds    map[int64]int64 // round ID → its start, in Unix microseconds
	hours     map[int64]int   // hour → nodes with samples of it
	rolled    int64           // the newest hour rolled up, -1 for none
	nextEvent int64
	snapshot  *store.Saved
	notify    notifyData // notify.go
}

type node struct {
	samples map[int64][]byte   // hour → entries (packed.go)
	hourly  map[int64][]byte   // day → its hours rolled up (packed.go)
	events  []event            // oldest first
	state   map[int]probeState // probe → its state, for the probes seen
}

type event struct {
	id, at int64 // at in Unix microseconds
	probe  int
	ok     bool
	status int
	class  string
	msg    string
}

// New returns an empty store recording probes, named in the probe
// table's order (none: store.ErrNoProbes).
func New(probes ...string) (*Store, error) {
	d := &data{nodes: map[string]*node{}, rounds: map[int64]int64{}, hours: map[int64]int{}, rolled: -1}
	return open(d, probes)
}

// Reopen returns a store on s's rows recording probes: what opening the
// same database again is to the SQL backends, for a probe table that
// grew (or, in a test, shrank).
func (s *Store) Reopen(probes ...string) (*Store, error) { return open(s.d, probes) }

func open(d *data, probes []string) (*Store, error) {
	if len(probes) == 0 {
		return nil, store.ErrNoProbes
	}
	if len(probes) > maxProbes {
		return nil, fmt.Errorf("history store: %d probes, at most %d", len(probes), maxProbes)
	}
	for i, n := range probes {
		if n == "" || slices.Contains(probes[:i], n) {
			return nil, fmt.Errorf("history store: probe %d is named %q: want a name of its own", i, n)
		}
	}
	return &Store{d: d, probes: slices.Clone(probes)}, nil
}

// Probes returns the names of the probes the store records, by index.
func (s *Store) Probes() []string { return slices.Clone(s.probes) }

// Close does nothing: the rows go with the process.
func (s *Store) Close() error { return nil }

// WriteRound records r, once: a round already written changes nothing.
func (s *Store) WriteRound(ctx context.Context, r *store.Round) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write round: %w", err)
	}
	if r.Fence != nil {
		// Only a database shared by replicas holds a lease to check.
		return fmt.Errorf("write round: %w (the memory store holds no lease)", store.ErrFenced)
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, done := d.rounds[r.ID]; done {
		return nil
	}
	d.rounds[r.ID] = store.Micros(r.Started)
	s.writeSamples(r.Results)
	s.writeStates(r)
	if r.Snapshot != nil {
		d.snapshot = &store.Saved{LastRefresh: r.Snapshot.LastRefresh, Body: slices.Clone(r.Snapshot.Body)}
	}
	return nil
}

func (d *data) node(hash string) *node {
	n := d.nodes[hash]
	if n == nil {
		n = &node{samples: map[int64][]byte{}, hourly: map[int64][]byte{}, state: map[int]probeState{}}
		d.nodes[hash] = n
	}
	return n
}

// writeSamples appends the round to each node's samples of its hour (an
// entry per node and minute, normally one per round), then rolls up every
// hour before the round's that has samples and was not rolled up yet, and
// any earlier hour a late round touched, as the SQL backends do.
func (s *Store) writeSamples(results []store.Result) {
	d := s.d
	type key struct {
		node         *node
		hour, minute int64
	}
	type entry struct {
		second int64
		probes []agg
	}
	entries := map[key]*entry{}
	var keys []key
	current := int64(-1)
	for _, r := range results {
		if r.Probe < 0 || r.Probe >= len(s.probes) {
			continue
		}
		sec := r.At.Unix()
		k := key{d.node(r.Hash), store.FloorDiv(sec, 3600), store.FloorDiv(sec, 60)}
		e := entries[k]
		if e == nil {
			e = &entry{second: sec - k.hour*3600}
			entries[k] = e
			keys = append(keys, k)
		}
		ms := max(r.Latency.Milliseconds(), 0)
		a := agg{Total: 1, LatSum: ms, LatMax: ms}
		if r.OK {
			a.OK = 1
		}
		e.probes = store.GrowAggs(e.probes, r.Probe+1)
		e.probes[r.Probe].Add(a)
		current = max(current, k.hour)
	}
	touched := map[int64]bool{}
	for _, k := range keys {
		if _, ok := k.node.samples[k.hour]; !ok {
			d.hours[k.hour]++
		}
		k.node.samples[k.hour] = appendEntry(k.node.samples[k.hour], entries[k].second, entries[k].probes)
		touched[k.hour] = true
	}
	if current < 0 {
		return
	}
	var todo []int64
	for h := range d.hours {
		if h > d.rolled && h < current || touched[h] && h < current && h <= d.rolled {
			todo = append(todo, h)
		}
	}
	slices.Sort(todo)
	for _, h := range todo {
		d.rollHour(h)
	}
}

// rollHour sums hour h of every node's samples into its day's hourly
// row, replacing what an earlier rollup of h put there, and moves the
// rollup mark up to h. Every probe of the entries is kept, those past
// the store's too: written by a later version, they are its history.
func (d *data) rollHour(h int64) {
	for _, n := range d.nodes {
		words, ok := n.samples[h]
		if !ok {
			continue
		}
		var sum []agg
		eachEntry(words, func(_ int64, probes []agg) {
			sum = store.GrowAggs(sum, len(probes))
			for p, a := range probes {
				sum[p].Add(a)
			}
		})
		day := store.FloorDiv(h, 24)
		n.hourly[day] = putHour(n.hourly[day], h-day*24, sum)
	}
	d.rolled = max(d.rolled, h)
}

// probeState is a probe's outcome as of its last transition, and when
// (Unix microseconds) that transition happened.
type probeState struct {
	ok    bool
	since int64
}

// writeStates records an event, and the new state, for each probe whose
// outcome changed (or that is seen for the first time).
func (s *Store) writeStates(r *store.Round) {
	d := s.d
	for _, res := range r.Results {
		if res.Probe < 0 || res.Probe >= len(s.probes) {
			continue
		}
		n := d.node(res.Hash)
		if was, seen := n.state[res.Probe]; seen && was.ok == res.OK {
			continue
		}
		n.state[res.Probe] = probeState{ok: res.OK, since: store.Micros(res.At)}
		d.nextEvent++
		n.events = append(n.events, event{id: d.nextEvent, at: store.Micros(res.At), probe: res.Probe, ok: res.OK,
			status: res.Status, class: res.Class, msg: res.Msg})
	}
}

// LastSnapshot returns the last snapshot written, or nil.
func (s *Store) LastSnapshot(ctx context.Context) (*store.Saved, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("last snapshot: %w", err)
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	if s.d.snapshot == nil {
		return nil, nil
	}
	return &store.Saved{LastRefresh: s.d.snapshot.LastRefresh, Body: slices.Clone(s.d.snapshot.Body)}, nil
}

// Known reports whether the store has seen hash.
func (s *Store) Known(ctx context.Context, hash string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("look up node: %w", err)
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	_, ok := s.d.nodes[hash]
	return ok, nil
}
