package snapshot

import (
	"crypto/sha256"
	"encoding/binary"
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
// order published, never re-sorted), and every encoding compressed at the
// level the original used (compression is deterministic for a given
// input, level and library version; Digest lets the follower check it).

// Levels says how each encoding of both variants was compressed: six
// characters, gzip, brotli and zstd of All then of Active, each 'f'
// (Fast), 'b' (Best) or '-' (absent).
func (s *Snapshot) Levels() string {
	out := make([]byte, 0, 6)
	for _, b := range [...]*Body{&s.All, &s.Active} {
		for _, e := range Encodings[1:] {
			switch enc := b.slot(e); {
			case enc.Bytes == nil:
				out = append(out, '-')
			case enc.Level == Fast:
				out = append(out, 'f')
			default:
				out = append(out, 'b')
			}
		}
	}
	return string(out)
}

// Digest is a hash of every compressed variant's bytes: equal digests,
// equal bytes.
func (s *Snapshot) Digest() string {
	h := sha256.New()
	var n [8]byte
	for _, b := range [...]*Body{&s.All, &s.Active} {
		for _, e := range Encodings[1:] {
			bytes := b.slot(e).Bytes
			binary.BigEndian.PutUint64(n[:], uint64(len(bytes)))
			h.Write(n[:])
			h.Write(bytes)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Replay rebuilds a published snapshot from the identity bytes of its All
// variant, the time it was built and its Levels.
func Replay(identity []byte, built time.Time, levels string) (*Snapshot, error) {
	if len(levels) != 6 {
		return nil, fmt.Errorf("replay snapshot: levels %q: want 6 characters", levels)
	}
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
		n, err := aleph.ParseNode(raw)
		if err != nil {
			return nil, fmt.Errorf("replay snapshot: crn %d: %w", i, err)
		}
		e := parseEntry(n)
		cfg := e.Probes[probe.Config.Index]
		crns[i] = CRN{Hash: n.Hash, Score: n.Score, Inactive: n.Inactive, JSON: raw,
			Up: cfg.Values != nil && cfg.Err == ""}
	}
	s := assemble(lastRefresh, crns)
	s.Built = built
	i := 0
	for _, b := range [...]*Body{&s.All, &s.Active} {
		for _, e := range Encodings[1:] {
			switch levels[i] {
			case 'f':
				*b.slot(e) = encode(e, Fast, b)
			case 'b':
				*b.slot(e) = encode(e, Best, b)
			case '-':
			default:
				return nil, fmt.Errorf("replay snapshot: levels %q: want f, b or - each", levels)
			}
			i++
		}
	}
	return s, nil
}
