package probe

import (
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"time"

	"nodelist/internal/aleph"
)

// Memo remembers what a node's last good answers decoded to, so that an
// answer whose bytes equal the last one's is not decoded again: a node's
// config rarely changes between rounds, and decoding it was a large part
// of a round's CPU. It keeps a hash of each answer, not the answer.
//
// A Memo belongs to one node and is used by one probe of it at a time;
// its probes may run concurrently, each touching its own entry.
type Memo struct {
	entries  []memoEntry // by probe index; nil until first used
	node     aleph.NodeConfig
	cadences []cadence // by probe index, for probes with a cadence (Probe.Every)
}

// cadence is when a probe with a cadence was last asked of the node.
type cadence struct {
	at      time.Time // zero: never, so it is due
	version string    // the node's version then
	// untilNewVersion: the node lacked the route (Probe.UntilNewVersion),
	// so the probe waits for another version rather than for Every.
	untilNewVersion bool
}

type memoEntry struct {
	ok       bool
	sum      uint64
	settings *aleph.Settings // what the values were judged against, for UsesSettings probes
	values   [][]byte
	note     string
}

// memoSeed is per process: the hashes are never stored, and a node
// cannot aim for a collision with a seed it does not know.
var memoSeed = maphash.MakeSeed()

// Reset forgets the answers, when the node's registry entry changes, so
// that they are decoded afresh; when the probes with a cadence were last
// asked is kept (a new score is no new hardware). A new address calls
// for Forget.
func (m *Memo) Reset() { *m = Memo{cadences: m.cadences} }

// Forget forgets everything, when the node's address changes: every
// probe is due again.
func (m *Memo) Forget() { *m = Memo{} }

// Checkpoint returns a function that puts back when the probes with a
// cadence were last asked, as it is now: an attempt whose result is
// thrown away (a short first attempt that timed out, tried again) must
// not leave them looking asked, or the retry would skip them.
func (m *Memo) Checkpoint() (restore func()) {
	saved := slices.Clone(m.cadences)
	return func() { m.cadences = saved }
}

// prepare sizes the entries before probes run concurrently.
func (m *Memo) prepare() {
	if m != nil && len(m.entries) != len(All) {
		m.entries = make([]memoEntry, len(All))
	}
	if m != nil && len(m.cadences) != len(All) {
		m.cadences = make([]cadence, len(All))
	}
}

// due reports whether p, which has a cadence, is to be asked of a node
// running version now: never asked (or no memo), another version since,
// or Every gone by, unless the node lacked the route at that version.
func (m *Memo) due(p *Probe, version string, now time.Time) bool {
	if m == nil {
		return true
	}
	c := &m.cadences[p.Index]
	switch {
	case c.at.IsZero() || c.version != version:
		return true
	case c.untilNewVersion:
		return false
	}
	return now.Sub(c.at) >= p.Every
}

// asked records that p was asked of a node running version, with resp.
// A request the round canceled asked nothing, and is not recorded.
func (m *Memo) asked(p *Probe, version string, resp Response) {
	if m == nil || resp.Err != nil && resp.Err.Class == ClassCanceled {
		return
	}
	at := resp.At
	if at.IsZero() {
		at = time.Now()
	}
	if half := p.Every / 2; half > 0 && m.cadences[p.Index].at.IsZero() {
		// The node's first answer is dated back by up to half the
		// cadence, so that its next ask falls anywhere in the second
		// half: a fleet asked all at once (the first round after a
		// start) is then asked a little at a time, not all again each
		// Every, and each node keeps its own phase from there on.
		at = at.Add(-rand.N(half))
	}
	m.cadences[p.Index] = cadence{at: at, version: version,
		untilNewVersion: resp.Err != nil && p.UntilNewVersion != nil && p.UntilNewVersion(resp)}
}

// recall fills a from the memo when body equals p's last good answer and
// the settings it was judged against are the same.
func (m *Memo) recall(p *Probe, body []byte, settings *aleph.Settings, a *Answer, r *Result) (sum uint64, ok bool) {
	if m == nil {
		return 0, false
	}
	sum = maphash.Bytes(memoSeed, body)
	e := &m.entries[p.Index]
	if !e.ok || e.sum != sum || (p.UsesSettings && e.settings != settings) {
		return sum, false
	}
	a.Values, a.Note = e.values, e.note
	if p == Config {
		r.Node = m.node
	}
	return sum, true
}

// remember records a decoded answer, or forgets the entry when the answer
// was no good.
func (m *Memo) remember(p *Probe, sum uint64, settings *aleph.Settings, a *Answer, r *Result) {
	if m == nil {
		return
	}
	e := &m.entries[p.Index]
	if a.Err != nil {
		*e = memoEntry{}
		return
	}
	*e = memoEntry{ok: true, sum: sum, settings: settings, values: a.Values, note: a.Note}
	if p == Config {
		m.node = r.Node
	}
}
