package snapshot

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

// A follower that replays a publication, whatever it replayed before,
// serves what the leader served: every variant's bytes and ETag in every
// encoding (built on first request on each side, at the one level each
// coding has), the counts, each CRN and whether it is up.
func TestReplayIsTheLeadersSnapshot(t *testing.T) {
	crns := fleetCRNs(t, 300)
	for i := range crns {
		crns[i].Up = i%20 != 7 // as fleetCRNs renders them
	}
	at := time.Date(2026, 11, 22, 14, 40, 0, 123456789, time.UTC)
	changed := slices.Clone(crns)
	changed[5] = fleetCRNs(t, 301)[5] // another body
	// The leader's chain: a publication, the same body again (its
	// encodings reused, some built before the next publication), another
	// body, the same again, then the first body once more.
	var chain []*Snapshot
	var prev *Snapshot
	for i, step := range [][]CRN{crns, crns, changed, changed, crns} {
		prev = Build(at, step).Reuse(prev)
		if i%2 == 0 {
			prev.All.Variant(Gzip) // requested before the next publication
		}
		chain = append(chain, prev)
	}
	if !chain[1].All.Built(Gzip) || chain[1].All.Built(Brotli) {
		t.Fatal("an unchanged body did not keep its built encodings, or built one nobody asked for")
	}
	// Replayed in another order than published, as a follower that missed
	// some would.
	for _, i := range []int{4, 1, 0, 3, 2} {
		want := chain[i]
		got, err := Replay(want.All.Identity, want.Built)
		if err != nil {
			t.Fatalf("publication %d: %v", i, err)
		}
		if got.All.Built(Zstd) || got.Active.Built(Gzip) {
			t.Errorf("publication %d: replay compressed before any request", i)
		}
		for _, pair := range [...]struct {
			name      string
			got, want *Body
		}{{"all", &got.All, &want.All}, {"active", &got.Active, &want.Active}} {
			for _, e := range Encodings {
				gb, ge := pair.got.Variant(e)
				wb, we := pair.want.Variant(e)
				if !bytes.Equal(gb, wb) || ge != we {
					t.Errorf("publication %d, %s %s: %d bytes %s, want %d bytes %s", i, pair.name, e.Token(), len(gb), ge, len(wb), we)
				}
			}
		}
		if got.Digest() != want.Digest() || !got.Built.Equal(want.Built) || !got.LastRefresh.Equal(want.LastRefresh.Truncate(time.Microsecond)) ||
			got.Count != want.Count || got.ActiveCount != want.ActiveCount {
			t.Errorf("publication %d: digest, built, last_refresh or counts differ", i)
		}
		for _, c := range crns[:40] {
			gu, gl := got.Up(c.Hash)
			wu, wl := want.Up(c.Hash)
			if gu != wu || gl != wl || !bytes.Equal(got.CRN(c.Hash), want.CRN(c.Hash)) {
				t.Errorf("publication %d, crn %s: up %v/%v listed %v/%v", i, c.Hash, gu, wu, gl, wl)
			}
		}
	}
	if chain[0].Digest() == chain[2].Digest() {
		t.Error("two bodies have one digest")
	}
	if _, err := Replay([]byte(`{"crns":[`), at); err == nil {
		t.Error("replay accepted a truncated body")
	}
}

// A body published again unchanged keeps the time it was first built:
// Last-Modified moves only with the bytes.
func TestUnchangedBodyKeepsItsBuiltTime(t *testing.T) {
	crns := fleetCRNs(t, 10)
	at := time.Date(2026, 11, 22, 14, 40, 0, 0, time.UTC)
	first := Build(at, crns)
	first.Built = first.Built.Add(-time.Hour) // as if an hour ago
	again := Build(at, crns).Reuse(first)
	if !again.Built.Equal(first.Built) {
		t.Errorf("an unchanged body was built at %s, then %s", first.Built, again.Built)
	}
	other := Build(at.Add(time.Second), crns).Reuse(again)
	if other.Built.Equal(first.Built) {
		t.Error("a changed body kept the earlier body's built time")
	}
}
