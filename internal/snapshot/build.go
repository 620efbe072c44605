package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// CRN is one rendered CRN, ready to be joined into a snapshot.
type CRN struct {
	Hash     string
	Score    float64
	Inactive bool
	Up       bool   // the last config probe succeeded
	JSON     []byte // from Render; never modified once built
}

// Body is one variant of crns.json, in every encoding it is served in.
// Build fills Identity and ETag; Variant compresses on demand.
type Body struct {
	Identity []byte
	ETag     string     // strong, quoted, derived from the identity bytes
	enc      *encodings // nil only in a Body not made by Build
}

// Snapshot is an immutable view of the node list. Handlers only read it;
// a new one replaces it whole.
type Snapshot struct {
	LastRefresh time.Time // zero: no round has completed yet
	Built       time.Time
	All         Body                  // crns.json
	Active      Body                  // crns.json?filter_inactive=true
	Count       int                   // CRNs in All
	ActiveCount int                   // CRNs in Active
	crns        []CRN                 // sorted
	byHash      func() map[string]CRN // built on first lookup: most snapshots never get one
}

// CRN returns the rendered JSON object of one CRN, or nil.
func (s *Snapshot) CRN(hash string) []byte { return s.byHash()[hash].JSON }

// Up reports whether the CRN's last config probe succeeded; listed is
// false when the snapshot has no such CRN.
func (s *Snapshot) Up(hash string) (up, listed bool) {
	c, ok := s.byHash()[hash]
	return c.Up, ok
}

// Build joins rendered CRNs into a snapshot, sorted by score, highest
// first (ties keep the given order). Each crns[i].JSON is then pointed at
// the equal bytes inside the snapshot's body (see Snapshot.point): a
// caller that keeps them holds one copy of the list, not two.
func Build(lastRefresh time.Time, crns []CRN) *Snapshot {
	order := make([]int, len(crns))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case crns[a].Score > crns[b].Score:
			return -1
		case crns[a].Score < crns[b].Score:
			return 1
		}
		return 0
	})
	sorted := make([]CRN, len(crns))
	for i, j := range order {
		sorted[i] = crns[j]
	}
	s := assemble(lastRefresh, sorted)
	for i, j := range order {
		crns[j].JSON = s.crns[i].JSON
	}
	return s
}

// Empty is the snapshot served before any round: no CRN, no last
// refresh, and built at the Unix epoch rather than when the process
// started, so that replicas started a second apart serve it with one
// Last-Modified, as they do its one ETag.
func Empty() *Snapshot {
	s := Build(time.Time{}, nil)
	s.Built = time.Unix(0, 0).UTC()
	return s
}

// assemble joins CRNs already in score order into a snapshot.
func assemble(lastRefresh time.Time, sorted []CRN) *Snapshot {
	s := &Snapshot{LastRefresh: lastRefresh, Built: time.Now(), crns: sorted}
	s.byHash = sync.OnceValue(func() map[string]CRN {
		m := make(map[string]CRN, len(s.crns))
		for _, c := range s.crns {
			m[c.Hash] = c
		}
		return m
	})
	size, inactive := 64, 0
	for _, c := range sorted {
		size += len(c.JSON) + 1
		if c.Inactive {
			inactive++
		}
	}
	s.All.Identity, s.Count = join(lastRefresh, sorted, size, false)
	s.point()
	s.All.ETag = etag(s.All.Identity)
	s.All.enc = new(encodings)
	if inactive == 0 {
		// Both variants are the same bytes: one body, one set of
		// encodings, built once for both.
		s.Active, s.ActiveCount = s.All, s.Count
		return s
	}
	s.Active.Identity, s.ActiveCount = join(lastRefresh, sorted, size, true)
	s.Active.ETag = etag(s.Active.Identity)
	s.Active.enc = new(encodings)
	return s
}

// point makes each CRN's JSON the very bytes of it inside the All body,
// which join wrote from them in order, each followed by one byte: the
// body is then the only copy of the CRNs the snapshot holds, and those it
// was joined from can be dropped.
func (s *Snapshot) point() {
	b := s.All.Identity
	pos := bytes.Index(b, []byte(crnsKey)) + len(crnsKey)
	for i := range s.crns {
		end := pos + len(s.crns[i].JSON)
		s.crns[i].JSON = b[pos:end:end]
		pos = end + 1
	}
}

const crnsKey = `,"crns":[`

func join(lastRefresh time.Time, crns []CRN, size int, activeOnly bool) ([]byte, int) {
	buf := make([]byte, 0, size)
	buf = append(buf, `{"last_refresh":`...)
	buf = AppendTime(buf, lastRefresh)
	buf = append(buf, crnsKey...)
	n := 0
	for _, c := range crns {
		if activeOnly && c.Inactive {
			continue
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, c.JSON...)
		n++
	}
	return append(buf, "]}"...), n
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// Holder holds the current snapshot; Load and Store are safe for
// concurrent use, and Load never waits.
type Holder struct {
	p    atomic.Pointer[Snapshot]
	mu   sync.Mutex    // guards next
	next chan struct{} // closed by the next Store; nil when nobody watches
}

// Load returns the current snapshot, or nil before the first.
func (h *Holder) Load() *Snapshot { return h.p.Load() }

// Store publishes s and wakes every watcher.
func (h *Holder) Store(s *Snapshot) {
	h.p.Store(s)
	h.mu.Lock()
	if h.next != nil {
		close(h.next)
		h.next = nil
	}
	h.mu.Unlock()
}

// Watch returns the current snapshot and a channel closed when a later
// one is stored. A wake-up may find the same snapshot (a Store raced the
// call); compare pointers.
func (h *Holder) Watch() (*Snapshot, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.next == nil {
		h.next = make(chan struct{})
	}
	return h.p.Load(), h.next
}
