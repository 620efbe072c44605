package snapshot

import (
	"bytes"
	"slices"
	"strings"
)

// ChangeKind says how one CRN differs between two snapshots.
type ChangeKind string

// The kinds of change, as the change stream names them. Up and down win
// over changed: a CRN whose config probe started or stopped succeeding
// also has new bytes.
const (
	Added    ChangeKind = "added"
	Removed  ChangeKind = "removed"
	WentUp   ChangeKind = "up"
	WentDown ChangeKind = "down"
	Changed  ChangeKind = "changed"
)

// Change is one CRN that differs between two snapshots.
type Change struct {
	Hash string
	Kind ChangeKind
}

// Diff lists the CRNs of next that differ from prev, and those of prev
// that next lacks, sorted by hash. A nil prev counts as empty. CRNs
// rendered from a cache share their bytes between snapshots, so most are
// told apart without reading them.
func Diff(prev, next *Snapshot) []Change {
	var out []Change
	var before map[string]CRN
	if prev != nil {
		before = prev.byHash()
	}
	for hash, c := range next.byHash() {
		p, ok := before[hash]
		switch {
		case !ok:
			out = append(out, Change{hash, Added})
		case c.Up && !p.Up:
			out = append(out, Change{hash, WentUp})
		case !c.Up && p.Up:
			out = append(out, Change{hash, WentDown})
		case !sameBytes(c.JSON, p.JSON):
			out = append(out, Change{hash, Changed})
		}
	}
	for hash := range before {
		if _, ok := next.byHash()[hash]; !ok {
			out = append(out, Change{hash, Removed})
		}
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.Hash, b.Hash) })
	return out
}

func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return bytes.Equal(a, b)
}
