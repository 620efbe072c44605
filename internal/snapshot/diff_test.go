package snapshot

import (
	"slices"
	"testing"
	"time"
)

func TestDiff(t *testing.T) {
	crn := func(hash string, up bool, body string) CRN {
		return CRN{Hash: hash, Up: up, JSON: []byte(`{"hash":"` + hash + `","x":"` + body + `"}`)}
	}
	at := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	prev := Build(at, []CRN{
		crn("same", true, "a"), crn("gone", true, "a"), crn("edit", true, "a"),
		crn("fell", true, "a"), crn("rose", false, "a"), crn("still-down", false, "a"),
	})
	next := Build(at.Add(time.Minute), []CRN{
		crn("same", true, "a"), crn("new", false, "a"), crn("edit", true, "b"),
		crn("fell", false, "b"), crn("rose", true, "a"), crn("still-down", false, "a"),
	})
	got := Diff(prev, next)
	want := []Change{
		{"edit", Changed}, {"fell", WentDown}, {"gone", Removed}, {"new", Added}, {"rose", WentUp},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Diff = %v, want %v", got, want)
	}
	if d := Diff(next, next); len(d) != 0 {
		t.Errorf("Diff of a snapshot with itself = %v, want none", d)
	}
	if d := Diff(nil, prev); len(d) != 6 || d[0].Kind != Added {
		t.Errorf("Diff from nil = %v, want 6 added", d)
	}
	if up, listed := next.Up("rose"); !up || !listed {
		t.Errorf("Up(rose) = %v, %v; want true, true", up, listed)
	}
	if _, listed := next.Up("gone"); listed {
		t.Error("Up(gone) says listed")
	}
}

func TestHolderWatch(t *testing.T) {
	var h Holder
	first := Build(time.Time{}, nil)
	h.Store(first)
	cur, ch := h.Watch()
	if cur != first {
		t.Fatal("Watch did not return the current snapshot")
	}
	select {
	case <-ch:
		t.Fatal("woken before any Store")
	default:
	}
	second := Build(time.Time{}, nil)
	h.Store(second)
	select {
	case <-ch:
	default:
		t.Fatal("Store did not wake the watcher")
	}
	if cur, _ := h.Watch(); cur != second {
		t.Fatal("Watch after Store did not return the new snapshot")
	}
}

// BenchmarkDiff compares two 3000-CRN publications: "cached" shares every
// CRN's bytes (a publication where nothing changed), "all" has every CRN
// in new bytes (the end of a round, where every probe time moved).
func BenchmarkDiff(b *testing.B) {
	crns := fleetCRNs(b, 3000)
	at := time.Now()
	prev := Build(at, crns)
	copied := make([]CRN, len(crns))
	for i, c := range crns {
		c.JSON = append([]byte(nil), c.JSON...)
		c.JSON[len(c.JSON)-2] ^= 1 // other bytes, same length
		copied[i] = c
	}
	for _, tc := range []struct {
		name string
		next *Snapshot
	}{{"cached", Build(at, crns)}, {"all", Build(at, copied)}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Diff(prev, tc.next)
			}
			b.ReportMetric(float64(len(Diff(prev, tc.next))), "changes")
		})
	}
}
