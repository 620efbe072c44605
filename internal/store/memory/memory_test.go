package memory

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"nodelist/internal/probe"
	"nodelist/internal/store"
	"nodelist/internal/store/sqlite"
	"nodelist/internal/store/storetest"
)

// TestStore runs the suite every backend passes: a database is a Store's
// rows, and opening it again is Reopen.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		var first *Store
		return func(probes ...string) (store.Store, error) {
			if first == nil {
				st, err := New(probes...)
				first = st
				return st, err
			}
			return first.Reopen(probes...)
		}
	})
}

// TestSameHistoryAsSQLite checks that the memory store answers every
// history query as the SQLite store does, for the same rounds.
func TestSameHistoryAsSQLite(t *testing.T) {
	mem, err := New(probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	storetest.SameHistory(t, mem, lite)
}

func TestLargeSnapshot(t *testing.T) {
	st, err := New(probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	storetest.LargeSnapshot(t, st, 300_000)
}

// TestFenceRefused checks that a fenced write, which only a database
// shared by replicas can check, is refused and writes nothing.
func TestFenceRefused(t *testing.T) {
	st, err := New(probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	r := storetest.MakeRound(1, 2, nil)
	r.Fence = &store.Term{Holder: "a", Epoch: 1}
	if err := st.WriteRound(context.Background(), r); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("a fenced write: %v, want ErrFenced", err)
	}
	if known, _ := st.Known(context.Background(), "node-0000"); known {
		t.Error("a refused write recorded its node")
	}
}

// The outbox is bounded: past MaxOutbox messages the oldest go.
func TestOutboxBounded(t *testing.T) {
	st, err := New(probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range MaxOutbox + 5 {
		m := store.Delivery{ID: fmt.Sprintf("m%d", i), URL: "http://127.0.0.1:9/", Body: []byte("{}")}
		if err := st.WriteNotify(ctx, &store.NotifyStep{Outbox: []store.Delivery{m}}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Undelivered(ctx, 0, 2*MaxOutbox)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != MaxOutbox || got[0].ID != "m5" || got[len(got)-1].ID != fmt.Sprintf("m%d", MaxOutbox+4) {
		t.Fatalf("%d messages from %s: want %d from m5", len(got), got[0].ID, MaxOutbox)
	}
}
