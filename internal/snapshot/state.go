package snapshot

import (
	"nodelist/internal/aleph"
	"nodelist/internal/probe"
)

// State is what a snapshot says of one listed CRN, read from the data it
// was rendered from: whether it is up, and the gate probe's last good
// answer and last error (probe.Gate), what badges and uptime judge it by.
type State struct {
	Up       bool
	Inactive bool
	Gate     ProbeData
}

// Probed reports whether the gate probe was ever asked of the CRN, or the
// CRN refused before it (an invalid address): it has an answer or an
// error.
func (s State) Probed() bool {
	return !s.Gate.At.IsZero() || s.Gate.Err != "" || s.Gate.Note != "" || s.Gate.Values != nil
}

// State returns the state of the CRN of that hash; listed is false when
// the snapshot has no such CRN.
func (s *Snapshot) State(hash string) (st State, listed bool) {
	c, ok := s.byHash()[hash]
	if !ok {
		return State{}, false
	}
	st = State{Up: c.Up, Inactive: c.Inactive}
	if n, err := aleph.ParseNodeKeys(c.JSON, keyStrings()); err == nil {
		st.Gate = parseEntry(n).Probes[probe.Gate.Index]
	}
	return st, true
}
