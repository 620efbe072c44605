package refresh

import (
	"bytes"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
	"nodelist/internal/snapshot"
)

// probeState is what is kept of one probe of one node across rounds: the
// last good values and when they came, and the last error and when it
// came. A failure never erases good data.
type probeState struct {
	at     time.Time // last good answer
	values [][]byte  // the probe's fields from the last good answer
	note   string    // a problem with the last good answer
	err    *probe.Error
	errAt  time.Time
}

// nodeState is one CRN's live state. Its rendered JSON is cached and
// rebuilt only when something it renders from changes.
type nodeState struct {
	node    aleph.Node
	addr    string       // validated base URL; "" when invalid
	addrErr *probe.Error // why the node is never probed: an invalid address or a refused registry entry
	// origin and path split addr (probe.Origin): entries with both equal
	// are one node, and entries of one origin share its connection (see
	// origin.go).
	origin, path string

	probes []probeState // in the order of probe.All
	memo   probe.Memo   // spares decoding answers equal to the last ones

	rendered []byte // nil when stale
	pace     pace   // how its probes went, for the next round's order
}

func newNodeState() *nodeState {
	return &nodeState{probes: make([]probeState, len(probe.All))}
}

// judge sets the node's address, or why it is never probed: a registry
// entry refused as unreadable, or an address that is invalid or uses a
// forbidden host name. It reports whether the verdict changed.
func (s *nodeState) judge(forbidden []string) bool {
	addr, why := "", (*probe.Error)(nil)
	if s.node.Err != nil {
		// Listed like a node with an invalid address: its error, and no
		// probe.
		why = probe.Errorf(probe.ClassInvalidData, "%v", s.node.Err)
	} else if a, err := probe.ValidateAddress(s.node.Address, forbidden); err != nil {
		why = probe.Errorf(probe.ClassInvalidAddress, "%v", err)
	} else {
		addr = a
	}
	changed := addr != s.addr || errText(why) != errText(s.addrErr)
	s.addr, s.addrErr = addr, why
	s.origin, s.path = "", ""
	if addr != "" {
		s.origin, s.path = probe.Origin(addr)
	}
	if changed {
		s.rendered = nil
	}
	return changed
}

func errText(e *probe.Error) string {
	if e == nil {
		return ""
	}
	return e.Error()
}

// apply merges one round's result into the state.
func (s *nodeState) apply(r *probe.Result) {
	for _, p := range probe.All {
		a, st := r.Of(p), &s.probes[p.Index]
		if a.Skipped {
			continue // not due: the last answer stands
		}
		st.err = a.Err
		if a.Err != nil {
			st.errAt = a.At
			continue
		}
		st.at, st.values, st.note = a.At, a.Values, a.Note
	}
	s.rendered = nil
}

// renormalise decodes again the values that depend on the settings, now
// that they changed, from the normalised answer those probes keep as
// their first field (the answer itself is not kept).
func (s *nodeState) renormalise(settings *aleph.Settings) {
	for _, p := range probe.All {
		st := &s.probes[p.Index]
		if !p.UsesSettings || len(st.values) == 0 {
			continue
		}
		if values, _, err := p.DecodeAnswer(st.values[0], settings, nil); err == nil {
			st.values = values
		}
	}
	s.rendered = nil
}

// up reports whether the node answered the gate probe last time.
func (s *nodeState) up() bool {
	g := &s.probes[probe.Gate.Index]
	return s.addrErr == nil && g.err == nil && g.values != nil
}

// crn returns the node's rendered CRN, rendering it in scratch when stale;
// the cached copy is cut to its size, since at 100 000 nodes the cache is
// one of the largest things the service holds.
func (s *nodeState) crn(scratch *[]byte) snapshot.CRN {
	if s.rendered == nil {
		e := snapshot.Entry{Node: &s.node, Probes: make([]snapshot.ProbeData, len(s.probes))}
		if s.addrErr != nil {
			e.AddrErr = s.addrErr.Error()
		}
		for i, st := range s.probes {
			e.Probes[i] = snapshot.ProbeData{At: st.at, Note: st.note, Values: st.values}
			if st.err != nil {
				e.Probes[i].Err = st.err.Error()
			}
		}
		*scratch = snapshot.Render((*scratch)[:0], &e)
		s.rendered = bytes.Clone(*scratch)
	}
	return snapshot.CRN{Hash: s.node.Hash, Score: s.node.Score, Inactive: s.node.Inactive, Up: s.up(), JSON: s.rendered}
}
