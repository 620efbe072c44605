package snapshot

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

// A follower that replays a publication, whatever it replayed before,
// serves what the leader served: every variant's bytes and ETag, the
// counts, each CRN and whether it is up.
func TestReplayIsTheLeadersSnapshot(t *testing.T) {
	crns := fleetCRNs(t, 300)
	for i := range crns {
		crns[i].Up = i%20 != 7 // as fleetCRNs renders them
	}
	at := time.Date(2026, 11, 22, 14, 40, 0, 123456789, time.UTC)
	changed := slices.Clone(crns)
	changed[5] = fleetCRNs(t, 301)[5] // another body
	// The leader's chain: a fast publication, the same body at the end of
	// the round (its gzip and zstd reused at the fast level, brotli added
	// at best), another body at best, then the same body fast-published.
	var chain []*Snapshot
	var prev *Snapshot
	for _, step := range []struct {
		crns  []CRN
		level Level
	}{{crns, Fast}, {crns, Best}, {changed, Best}, {changed, Fast}, {crns, Fast}} {
		prev = Build(at, step.crns).Compress(step.level, prev)
		chain = append(chain, prev)
	}
	if got := chain[1].Levels(); got != "fbffbf" {
		t.Fatalf("levels of an unchanged body at the end of a round = %q, want fbffbf (gzip and zstd reused)", got)
	}
	// Replayed in another order than published, as a follower that missed
	// some would.
	for _, i := range []int{4, 1, 0, 3, 2} {
		want := chain[i]
		got, err := Replay(want.All.Identity, want.Built, want.Levels())
		if err != nil {
			t.Fatalf("publication %d: %v", i, err)
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
	if _, err := Replay([]byte(`{"last_refresh":null,"crns":[]}`), at, "ffx---"); err == nil {
		t.Error("replay accepted an unknown level")
	}
	if _, err := Replay([]byte(`{"crns":[`), at, "ff-ff-"); err == nil {
		t.Error("replay accepted a truncated body")
	}
}

// A body published again unchanged keeps the time it was first built:
// Last-Modified moves only with the bytes.
func TestUnchangedBodyKeepsItsBuiltTime(t *testing.T) {
	crns := fleetCRNs(t, 10)
	at := time.Date(2026, 11, 22, 14, 40, 0, 0, time.UTC)
	first := Build(at, crns).Compress(Fast, nil)
	first.Built = first.Built.Add(-time.Hour) // as if an hour ago
	again := Build(at, crns).Compress(Best, first)
	if !again.Built.Equal(first.Built) {
		t.Errorf("an unchanged body was built at %s, then %s", first.Built, again.Built)
	}
	other := Build(at.Add(time.Second), crns).Compress(Fast, again)
	if other.Built.Equal(first.Built) {
		t.Error("a changed body kept the earlier body's built time")
	}
}
