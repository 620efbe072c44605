package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"nodelist/internal/store"
)

// ReplicasDatabase makes an empty database of t's own and returns its
// history store and the replicas' storage on it (a pool of their own).
type ReplicasDatabase func(t *testing.T) (store.Store, store.Replicas)

// RunReplicas runs the suite of the storage several replicas share, for
// the backends that have it (MySQL: SQLite serves one replica).
func RunReplicas(t *testing.T, db ReplicasDatabase) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, store.Store, store.Replicas)
	}{
		{"LeaseAndFencing", testLeaseAndFencing},
		{"ForceCoalesces", testForceCoalesces},
		{"PublicationsInParts", testPublicationsInParts},
		{"PublicationTooLarge", testPublicationTooLarge},
		{"NotifyFenced", testNotifyFenced},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, rs := db(t)
			tc.fn(t, st, rs)
		})
	}
}

// publication is a publication of term with a body of n random bytes.
func publication(term store.Term, n int, seed uint64) *store.Publication {
	rng := rand.New(rand.NewPCG(seed, 2))
	body := make([]byte, n)
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	return &store.Publication{Term: term, Built: base.Add(time.Duration(seed) * time.Microsecond), Final: seed%2 == 0,
		Answered: int64(seed), ETag: "\"e" + strings.Repeat("a", 20) + "\"", ActiveETag: "\"a\"", Digest: strings.Repeat("d", 32),
		Status: []byte(`{"mode":"background"}`), Body: body}
}

// describe is p without its bytes, for messages.
func describe(p *store.Publication) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprintf("version %d of %+v, built %s, final %v, answered %d, ETags %s %s, digest %s, status %q, %d body bytes",
		p.Version, p.Term, p.Built, p.Final, p.Answered, p.ETag, p.ActiveETag, p.Digest, p.Status, len(p.Body))
}

// One replica holds the lease at a time; once another takes it, every
// write of the first is refused: its renewals, its round marks, its
// publications and its history.
func testLeaseAndFencing(t *testing.T, st store.Store, rs store.Replicas) {
	ctx := context.Background()
	const ttl = 300 * time.Millisecond
	a, _, ok, err := rs.AcquireLease(ctx, "a", ttl)
	if err != nil || !ok || a.Epoch != 1 {
		t.Fatalf("first acquisition: %+v %v %v", a, ok, err)
	}
	if _, row, ok, err := rs.AcquireLease(ctx, "b", ttl); err != nil || ok || row.Holder != "a" || !row.Valid() {
		t.Fatalf("b took a valid lease of a: %v %v (lease %+v)", ok, err, row)
	}
	if err := rs.RenewLease(ctx, a, ttl); err != nil {
		t.Fatalf("renewal by the holder: %v", err)
	}
	if err := rs.MarkRound(ctx, a); err != nil {
		t.Fatalf("round mark by the holder: %v", err)
	}
	if l, err := rs.ReadLease(ctx); err != nil || l.Term != a || l.RoundStarted <= 0 || l.RoundStarted > l.Now {
		t.Fatalf("the lease after a's round mark: %+v %v", l, err)
	}
	if v, _, err := rs.WritePublication(ctx, publication(a, 100, 1), 0); err != nil || v != 1 {
		t.Fatalf("publication by the holder: version %d, %v", v, err)
	}
	r := MakeRound(1, 4, nil)
	r.Fence = &a
	if err := st.WriteRound(ctx, r); err != nil {
		t.Fatalf("history by the holder: %v", err)
	}

	// a stops renewing; b takes over once the lease expires.
	var b store.Term
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, _, ok, err = rs.AcquireLease(ctx, "b", time.Minute); err != nil {
			t.Fatal(err)
		} else if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b never took the expired lease")
		}
		time.Sleep(20 * time.Millisecond) // polling the expiry with a deadline
	}
	if b.Epoch != 2 {
		t.Errorf("b's epoch %d, want 2", b.Epoch)
	}
	if err := rs.RenewLease(ctx, a, ttl); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("a renewed b's lease: %v", err)
	}
	if err := rs.MarkRound(ctx, a); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("a marked a round under b's lease: %v", err)
	}
	if err := rs.ReleaseLease(ctx, a); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("a released b's lease: %v", err)
	}
	if _, _, err := rs.WritePublication(ctx, publication(a, 100, 2), 0); !errors.Is(err, store.ErrFenced) {
		t.Errorf("a's publication under b's lease: %v, want ErrFenced", err)
	}
	r = MakeRound(2, 4, nil)
	r.Fence = &a
	if err := st.WriteRound(ctx, r); !errors.Is(err, store.ErrFenced) {
		t.Errorf("a's history under b's lease: %v, want ErrFenced", err)
	}
	if _, total := totals(t, st, "node-0000"); total != 3 {
		t.Errorf("node-0000 has %d samples after a's refused round, want the 3 of a's first", total)
	}
	r.Fence = &b
	if err := st.WriteRound(ctx, r); err != nil {
		t.Errorf("b's history: %v", err)
	}
	if _, total := totals(t, st, "node-0000"); total != 6 {
		t.Errorf("node-0000 has %d samples, want the 6 of a's first round and b's", total)
	}
	if p, _, err := rs.NewerPublication(ctx, 0, 5*time.Second); err != nil || p == nil || p.Version != 1 || p.Term != a {
		t.Errorf("the newest publication: %s (%v), want a's one before b took over", describe(p), err)
	}
	// A replica restarted under b's name takes over at once, in a new
	// epoch: what the old process had in flight is refused.
	b2, _, ok, err := rs.AcquireLease(ctx, "b", time.Minute)
	if err != nil || !ok || b2.Epoch != 3 {
		t.Fatalf("b again: %+v %v %v", b2, ok, err)
	}
	if err := rs.RenewLease(ctx, b, time.Minute); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("the earlier term of b renewed: %v", err)
	}
	if err := rs.ReleaseLease(ctx, b2); err != nil {
		t.Fatal(err)
	}
	if l, err := rs.ReadLease(ctx); err != nil || l.Valid() {
		t.Errorf("the lease after a release: %+v %v, want it free", l, err)
	}
	if c, _, ok, err := rs.AcquireLease(ctx, "c", time.Minute); err != nil || !ok || c.Epoch != 4 {
		t.Errorf("after a release c takes over at once: %+v %v %v", c, ok, err)
	}
}

// Forced rounds: among all replicas, at most one every interval; a
// request within it joins the last one.
func testForceCoalesces(t *testing.T, _ store.Store, rs store.Replicas) {
	ctx := context.Background()
	first, err := rs.ForceRound(ctx, time.Hour)
	if err != nil || first != 1 {
		t.Fatalf("first request: %d %v", first, err)
	}
	if n, err := rs.ForceRound(ctx, time.Hour); err != nil || n != first {
		t.Errorf("a request within the interval: %d %v, want to join %d", n, err, first)
	}
	if n, err := rs.ForceRound(ctx, 0); err != nil || n != first+1 {
		t.Errorf("a request past the interval: %d %v, want %d", n, err, first+1)
	}
	if err := rs.WantRound(ctx); err != nil {
		t.Fatal(err)
	}
	if q, err := rs.Requests(ctx); err != nil || q.Forced != 2 || q.Wanted != 1 {
		t.Errorf("requests %+v %v", q, err)
	}
}

// Publications larger than the packet are written in parts and read back
// byte for byte with every field; a follower asks for what is newer than
// it serves, and one far behind gets the newest.
func testPublicationsInParts(t *testing.T, _ store.Store, rs store.Replicas) {
	ctx := context.Background()
	a, _, ok, err := rs.AcquireLease(ctx, "a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("acquisition: %v %v", ok, err)
	}
	if p, _, err := rs.NewerPublication(ctx, 0, 5*time.Second); p != nil || err != nil {
		t.Fatalf("a publication before any was written: %s %v", describe(p), err)
	}
	const packet = 64 << 10
	sizes := []int{200_000, 10, 0, 100_000, 1, 70_000, 5, 300_000, 2, 40_000}
	for i, n := range sizes {
		want := publication(a, n, uint64(i+1))
		v, parts, err := rs.WritePublication(ctx, want, packet)
		if err != nil || v != int64(i+1) {
			t.Fatalf("publication %d of %d bytes: version %d, %v", i+1, n, v, err)
		}
		if min := n/(packet/2) + 1; parts < min {
			t.Errorf("publication %d of %d bytes in %d parts under a %d-byte packet, want %d or more", v, n, parts, packet, min)
		}
		got, now, err := rs.NewerPublication(ctx, v-1, 5*time.Second)
		if err != nil || got == nil {
			t.Fatalf("publication %d: read back %s, %v", v, describe(got), err)
		}
		if got.Version != v || got.Term != a || !got.Built.Equal(want.Built) || got.Final != want.Final || got.Answered != want.Answered ||
			got.ETag != want.ETag || got.ActiveETag != want.ActiveETag || got.Digest != want.Digest || !bytes.Equal(got.Status, want.Status) {
			t.Errorf("publication %d read back as %s, written as %s", v, describe(got), describe(want))
		}
		if !bytes.Equal(got.Body, want.Body) {
			t.Fatalf("publication %d: %d bytes read back (equal: false), %d written", v, len(got.Body), len(want.Body))
		}
		if got.Published <= 0 || got.Published > now {
			t.Errorf("publication %d published at %d, read at %d", v, got.Published, now)
		}
		if p, _, err := rs.NewerPublication(ctx, v, 5*time.Second); p != nil || err != nil {
			t.Errorf("a publication newer than the newest: %s %v", describe(p), err)
		}
	}
	if p, _, err := rs.NewerPublication(ctx, 0, 5*time.Second); err != nil || p == nil || p.Version != int64(len(sizes)) {
		t.Errorf("the newest after 0: %s %v, want version %d", describe(p), err, len(sizes))
	}
}

// A packet too small for any part refuses the publication for its size
// (ErrTooLarge: retrying cannot help), and writes nothing.
func testPublicationTooLarge(t *testing.T, _ store.Store, rs store.Replicas) {
	ctx := context.Background()
	a, _, ok, err := rs.AcquireLease(ctx, "a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("acquisition: %v %v", ok, err)
	}
	for _, packet := range []int{1, 2048, 16<<10 - 1} {
		if _, _, err := rs.WritePublication(ctx, publication(a, 1000, 1), packet); !errors.Is(err, store.ErrTooLarge) {
			t.Errorf("a publication under a %d-byte packet: %v, want ErrTooLarge", packet, err)
		}
	}
	p := publication(a, 1000, 1)
	p.Status = bytes.Repeat([]byte("s"), 64<<10)
	if _, _, err := rs.WritePublication(ctx, p, 64<<10); !errors.Is(err, store.ErrTooLarge) {
		t.Errorf("a status filling the packet: %v, want ErrTooLarge", err)
	}
	if p, _, err := rs.NewerPublication(ctx, 0, 5*time.Second); p != nil || err != nil {
		t.Errorf("a refused publication was written: %s %v", describe(p), err)
	}
}
