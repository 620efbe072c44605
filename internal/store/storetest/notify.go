package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"nodelist/internal/store"
)

// RunNotify runs the suite of the notifications' storage.
func RunNotify(t *testing.T, db Database) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, store.Notifier)
	}{
		{"States", testNotifyStates},
		{"Outbox", testNotifyOutbox},
		{"FenceWithoutLease", testNotifyFenceWithoutLease},
		{"Refused", testNotifyRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := mustOpen(t, db(t))
			defer st.Close()
			tc.fn(t, notifier(t, st))
		})
	}
}

func notifier(t *testing.T, st store.Store) store.Notifier {
	t.Helper()
	n, ok := st.(store.Notifier)
	if !ok {
		t.Fatalf("%T is no store.Notifier", st)
	}
	return n
}

func states(t *testing.T, n store.Notifier) map[string]string {
	t.Helper()
	got, err := n.NotifyStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, s := range got {
		m[s.Hash] = string(s.State)
	}
	return m
}

func undelivered(t *testing.T, n store.Notifier, after int64, limit int) []store.Delivery {
	t.Helper()
	got, err := n.Undelivered(context.Background(), after, limit)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func message(i int) store.Delivery {
	return store.Delivery{ID: fmt.Sprintf("id-%d", i), URL: fmt.Sprintf("http://127.0.0.1:9/%d", i%2),
		Body: fmt.Appendf(nil, `{"n":%d}`, i), Created: base.Add(time.Duration(i) * time.Second)}
}

// A state replaces the node's; the others stay.
func testNotifyStates(t *testing.T, n store.Notifier) {
	ctx := context.Background()
	if got := states(t, n); len(got) != 0 {
		t.Fatalf("an empty store has states %v", got)
	}
	step := &store.NotifyStep{States: []store.NotifyState{{Hash: "a", State: []byte(`{"down":false}`)}, {Hash: "b", State: []byte("x")}}}
	if err := n.WriteNotify(ctx, step); err != nil {
		t.Fatal(err)
	}
	if err := n.WriteNotify(ctx, &store.NotifyStep{States: []store.NotifyState{{Hash: "a", State: []byte(`{"down":true}`)}}}); err != nil {
		t.Fatal(err)
	}
	got := states(t, n)
	if len(got) != 2 || got["a"] != `{"down":true}` || got["b"] != "x" {
		t.Fatalf("states %v, want a replaced and b kept", got)
	}
}

// Messages come back in the order written, after a Seq, up to a limit,
// each with its fields; a delivered one does not come back.
func testNotifyOutbox(t *testing.T, n store.Notifier) {
	ctx := context.Background()
	var step store.NotifyStep
	for i := range 5 {
		step.Outbox = append(step.Outbox, message(i))
	}
	if err := n.WriteNotify(ctx, &step); err != nil {
		t.Fatal(err)
	}
	all := undelivered(t, n, 0, 100)
	if len(all) != 5 {
		t.Fatalf("%d messages, want 5", len(all))
	}
	for i, d := range all {
		want := message(i)
		if d.ID != want.ID || d.URL != want.URL || string(d.Body) != string(want.Body) || !d.Created.Equal(want.Created) {
			t.Fatalf("message %d: %+v, want %+v", i, d, want)
		}
		if i > 0 && d.Seq <= all[i-1].Seq {
			t.Fatalf("seq %d after %d: want growing", d.Seq, all[i-1].Seq)
		}
	}
	if got := undelivered(t, n, all[1].Seq, 2); len(got) != 2 || got[0].ID != "id-2" || got[1].ID != "id-3" {
		t.Fatalf("after the second, two: %+v", got)
	}
	if err := n.MarkDelivered(ctx, all[0].Seq, base); err != nil {
		t.Fatal(err)
	}
	if err := n.MarkDelivered(ctx, all[3].Seq, base); err != nil {
		t.Fatal(err)
	}
	got := undelivered(t, n, 0, 100)
	if len(got) != 3 || got[0].ID != "id-1" || got[1].ID != "id-2" || got[2].ID != "id-4" {
		t.Fatalf("after two deliveries: %+v, want id-1, id-2, id-4", got)
	}
	// A new message comes after every earlier one.
	if err := n.WriteNotify(ctx, &store.NotifyStep{Outbox: []store.Delivery{message(9)}}); err != nil {
		t.Fatal(err)
	}
	got = undelivered(t, n, 0, 100)
	if len(got) != 4 || got[3].ID != "id-9" || got[3].Seq <= all[4].Seq {
		t.Fatalf("a later message: %+v", got)
	}
}

// A fenced step on a store whose database holds no lease (or not this
// term) is refused, and writes nothing.
func testNotifyFenceWithoutLease(t *testing.T, n store.Notifier) {
	step := &store.NotifyStep{States: []store.NotifyState{{Hash: "a", State: []byte("s")}},
		Outbox: []store.Delivery{message(1)}, Fence: &store.Term{Holder: "nobody", Epoch: 7}}
	if err := n.WriteNotify(context.Background(), step); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("a fenced step: %v, want ErrFenced", err)
	}
	if got := states(t, n); len(got) != 0 {
		t.Fatalf("a refused step wrote states %v", got)
	}
	if got := undelivered(t, n, 0, 10); len(got) != 0 {
		t.Fatalf("a refused step wrote messages %+v", got)
	}
}

// A step no backend could store is refused whole.
func testNotifyRefused(t *testing.T, n store.Notifier) {
	for _, step := range []*store.NotifyStep{
		{States: []store.NotifyState{{Hash: "a", State: []byte("s")}, {Hash: ""}}},
		{Outbox: []store.Delivery{message(1), {ID: "", URL: "http://127.0.0.1:9/"}}},
		{Outbox: []store.Delivery{{ID: string(make([]byte, 65)), URL: "http://127.0.0.1:9/"}}},
	} {
		if err := n.WriteNotify(context.Background(), step); err == nil {
			t.Fatalf("step %+v written", step)
		}
	}
	if got := states(t, n); len(got) != 0 {
		t.Fatalf("refused steps wrote states %v", got)
	}
	if got := undelivered(t, n, 0, 10); len(got) != 0 {
		t.Fatalf("refused steps wrote messages %+v", got)
	}
}

// testNotifyFenced: with replicas, a step of the lease's term commits,
// one of an earlier term is refused and writes nothing.
func testNotifyFenced(t *testing.T, st store.Store, rs store.Replicas) {
	ctx := context.Background()
	n := notifier(t, st)
	first, _, ok, err := rs.AcquireLease(ctx, "a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	step := &store.NotifyStep{States: []store.NotifyState{{Hash: "x", State: []byte("1")}}, Outbox: []store.Delivery{message(1)}, Fence: &first}
	if err := n.WriteNotify(ctx, step); err != nil {
		t.Fatal(err)
	}
	if err := rs.ReleaseLease(ctx, first); err != nil {
		t.Fatal(err)
	}
	second, _, ok, err := rs.AcquireLease(ctx, "b", time.Minute)
	if err != nil || !ok {
		t.Fatalf("acquire by b: %v %v", ok, err)
	}
	stale := &store.NotifyStep{States: []store.NotifyState{{Hash: "x", State: []byte("2")}}, Outbox: []store.Delivery{message(2)}, Fence: &first}
	if err := n.WriteNotify(ctx, stale); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("a step of an ended term: %v, want ErrFenced", err)
	}
	if got := states(t, n); got["x"] != "1" {
		t.Fatalf("state %q after a refused step, want 1", got["x"])
	}
	if got := undelivered(t, n, 0, 10); len(got) != 1 || got[0].ID != "id-1" {
		t.Fatalf("messages after a refused step: %+v", got)
	}
	stale.Fence = &second
	if err := n.WriteNotify(ctx, stale); err != nil {
		t.Fatalf("the new term's step: %v", err)
	}
}
