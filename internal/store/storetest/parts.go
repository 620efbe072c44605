package storetest

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"nodelist/internal/store"
)

// LargeSnapshot writes last snapshots of size random bytes, then a small
// one, then a large one again, beside rounds, and checks that each reads
// back byte for byte: a body larger than the database's packet is written
// in parts, and a part of an earlier snapshot is never read into a later
// one.
func LargeSnapshot(t *testing.T, st store.Store, size int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(size), 1))
	body := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for n, b := range [][]byte{body(size), body(1000), body(size - 1)} {
		r := MakeRound(n, 3, nil)
		r.Snapshot = &store.Saved{LastRefresh: r.Finished, Body: b}
		write(t, st, r)
		s, err := st.LastSnapshot(ctx)
		if err != nil || s == nil {
			t.Fatalf("snapshot %d of %d bytes: read back %v, %v", n, len(b), s, err)
		}
		if !bytes.Equal(s.Body, b) || !s.LastRefresh.Equal(r.Finished) {
			t.Fatalf("snapshot %d of %d bytes: read back %d bytes (equal: %v), last_refresh %v, want %v",
				n, len(b), len(s.Body), bytes.Equal(s.Body, b), s.LastRefresh, r.Finished)
		}
	}
}
