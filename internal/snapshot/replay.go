package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
)

// Several replicas serve one publication: the leader builds it, the
// others rebuild it from its identity bytes. A cache or a client must not
// tell them apart, so a rebuilt snapshot has the very bytes and ETags of
// the original: the same identity (the CRNs are taken verbatim, in the
// order published, never re-sorted), and every encoding, since each is
// compressed at its one fixed level when first asked for (compression is
// deterministic for a given input, level and library version; Digest lets
// a follower check the last).

// Digest is a hash of the All variant's gzip bytes, compressing them if
// no request has yet: equal digests for equal identities say that this
// build compresses as the leader's does, and so serves the same bytes in
// every encoding.
func (s *Snapshot) Digest() string {
	b, _ := s.All.Variant(Gzip)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// Replay rebuilds a published snapshot from the identity bytes of its All
// variant and the time it was built; its encodings are built on first
// request, as the original's are.
func Replay(identity []byte, built time.Time) (*Snapshot, error) {
	var doc struct {
		LastRefresh *string           `json:"last_refresh"`
		CRNs        []json.RawMessage `json:"crns"`
	}
	if err := json.Unmarshal(identity, &doc); err != nil {
		return nil, fmt.Errorf("replay snapshot: %w", err)
	}
	var lastRefresh time.Time
	if doc.LastRefresh != nil {
		t, err := time.Parse(time.RFC3339Nano, *doc.LastRefresh)
		if err != nil {
			return nil, fmt.Errorf("replay snapshot: last_refresh: %w", err)
		}
		lastRefresh = t
	}
	crns := make([]CRN, len(doc.CRNs))
	for i, raw := range doc.CRNs {
		n, err := aleph.ParseNodeKeys(raw, keyStrings())
		if err != nil {
			return nil, fmt.Errorf("replay snapshot: crn %d: %w", i, err)
		}
		e := parseEntry(n)
		g := e.Probes[probe.Gate.Index]
		crns[i] = CRN{Hash: n.Hash, Score: n.Score, Inactive: n.Inactive, JSON: raw,
			Up: g.Values != nil && g.Err == ""}
	}
	s := assemble(lastRefresh, crns)
	s.Built = built
	return s, nil
}
