package refresh

import (
	"fmt"
	"strings"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/snapshot"
)

// Seed loads a persisted crns.json (a warm restart) into the live state
// and publishes it at once, with its own last_refresh. Rounds then update
// each node as usual; a node keeps its seeded data until a round brings
// better, exactly as if the service had never stopped. The snapshot
// package parses what it rendered, from the same field list.
func (r *Refresher) Seed(lastRefresh time.Time, body []byte) error {
	states, order, err := r.statesOf(body)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	r.mu.Lock()
	if r.registryGz == nil && len(r.order) == 0 {
		r.nodes, r.order = states, order
		r.lastRefresh = lastRefresh
		r.dirty = true
		r.fleetChanged()
	}
	r.mu.Unlock()
	r.publish(false)
	return nil
}

// Resume replaces the live state with that of snap, the last publication
// of the replica that led before this one, and of its status st: the next
// round goes on from there, as if this replica had run the rounds before.
// snap is made current as it is, not rebuilt. Call it only while no round
// runs (before RunFrom).
func (r *Refresher) Resume(snap *snapshot.Snapshot, st Status) error {
	states, order, err := r.statesOf(snap.All.Identity)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	r.mu.Lock()
	for hash, s := range states {
		if old := r.nodes[hash]; old != nil {
			s.pace = old.pace // how this replica's own rounds found the node
		}
	}
	r.nodes, r.order = states, order
	r.lastRefresh = snap.LastRefresh
	// The registry is parsed again next round: its nodes are now the
	// publication's, whatever this replica fetched when it last led.
	r.registrySum = [32]byte{}
	r.dirty = false
	st.Mode, st.Running = r.status.Mode, false
	r.status = st
	r.fleetChanged()
	r.mu.Unlock()
	r.opts.Holder.Store(snap)
	return nil
}

// statesOf reads a crns.json the service rendered back into node states,
// in its order.
func (r *Refresher) statesOf(body []byte) (map[string]*nodeState, []*nodeState, error) {
	entries, err := snapshot.Parse(body)
	if err != nil {
		return nil, nil, err
	}
	r.mu.Lock()
	forbidden := r.plan.forbidden
	r.mu.Unlock()
	states := make(map[string]*nodeState, len(entries))
	order := make([]*nodeState, 0, len(entries))
	for _, e := range entries {
		st := newNodeState()
		st.node = *e.Node
		st.judge(forbidden)
		st.seed(e.Probes)
		states[st.node.Hash] = st
		order = append(order, st)
	}
	return states, order, nil
}

func (s *nodeState) seed(data []snapshot.ProbeData) {
	for _, p := range probe.All {
		d, st := data[p.Index], &s.probes[p.Index]
		// The served values of a probe that uses the settings start with
		// its normalised answer, which renormalise judges again.
		st.at, st.values, st.note = d.At, d.Values, d.Note
		if s.addrErr == nil {
			st.err = parseError(d.Err)
		}
		// A list written before the probe's bound, or by a release with a
		// larger one, is not served again past it.
		if err := p.Bound(st.values); err != nil {
			st.at, st.values, st.note, st.err = time.Time{}, nil, "", err
		}
	}
}

// parseError reads back "class: message"; "" is no error.
func parseError(s string) *probe.Error {
	if s == "" {
		return nil
	}
	class, msg, ok := strings.Cut(s, ": ")
	if !ok {
		return &probe.Error{Class: probe.ClassOther, Msg: s}
	}
	return &probe.Error{Class: probe.Class(class), Msg: msg}
}
