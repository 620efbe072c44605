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
	entries, err := snapshot.Parse(body)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	states := make(map[string]*nodeState, len(entries))
	order := make([]*nodeState, 0, len(entries))
	for _, e := range entries {
		st := newNodeState()
		st.node = *e.Node
		if addr, err := probe.ValidateAddress(st.node.Address, r.opts.Forbidden); err != nil {
			st.addrErr = probe.Errorf(probe.ClassInvalidAddress, "%v", err)
		} else {
			st.addr = addr
		}
		st.seed(e.Probes)
		states[st.node.Hash] = st
		order = append(order, st)
	}
	r.mu.Lock()
	if r.registryRaw == nil && len(r.order) == 0 {
		r.nodes, r.order = states, order
		r.lastRefresh = lastRefresh
		r.dirty = true
	}
	r.mu.Unlock()
	r.publish()
	return nil
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
