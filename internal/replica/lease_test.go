package replica

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"nodelist/internal/snapshot"
	"nodelist/internal/store"
	"nodelist/internal/store/mysql"
	"nodelist/internal/store/mysql/mysqltest"
	"nodelist/internal/store/sqlstore"
	"nodelist/internal/store/storetest"
)

// openDB migrates a database of the test's own and returns the history
// store and a replicas' pool on it.
func openDB(t *testing.T) (*sqlstore.Store, *sql.DB, string) {
	t.Helper()
	dsn, name := mysqltest.DSN(t)
	st, err := mysql.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db, err := mysql.Connect(context.Background(), dsn, mysql.Pool{MaxOpen: 4, FoundRows: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return st, db, name
}

func testSnapshot(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	return snapshot.Build(time.Now(), nil)
}

// One replica holds the lease at a time; once another takes it, every
// write of the first is refused by the database: its renewals, its round
// marks, its publications and its history.
func TestLeaseAndFencing(t *testing.T) {
	st, db, _ := openDB(t)
	ctx := context.Background()
	const ttl = 300 * time.Millisecond
	a, _, ok, err := acquire(ctx, db, "a", ttl)
	if err != nil || !ok || a.Epoch != 1 {
		t.Fatalf("first acquisition: %+v %v %v", a, ok, err)
	}
	if _, row, ok, err := acquire(ctx, db, "b", ttl); err != nil || ok || row.Holder != "a" {
		t.Fatalf("b took a valid lease of a: %v %v (holder %q)", ok, err, row.Holder)
	}
	if err := renew(ctx, db, a, ttl); err != nil {
		t.Fatalf("renewal by the holder: %v", err)
	}
	if err := markRound(ctx, db, a); err != nil {
		t.Fatalf("round mark by the holder: %v", err)
	}
	if _, _, err := writePublication(ctx, db, &publication{Lease: a, Snap: testSnapshot(t)}, 0); err != nil {
		t.Fatalf("publication by the holder: %v", err)
	}
	r := storetest.MakeRound(1, 4, nil)
	r.Fence = fence(a)
	if err := st.WriteRound(ctx, r); err != nil {
		t.Fatalf("history by the holder: %v", err)
	}

	// a stops renewing; b takes over once the lease expires.
	var b Lease
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, _, ok, err = acquire(ctx, db, "b", time.Minute); err != nil {
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
	if err := renew(ctx, db, a, ttl); !errors.Is(err, errLost) {
		t.Errorf("a renewed b's lease: %v", err)
	}
	if err := markRound(ctx, db, a); !errors.Is(err, errLost) {
		t.Errorf("a marked a round under b's lease: %v", err)
	}
	if _, _, err := writePublication(ctx, db, &publication{Lease: a, Snap: testSnapshot(t)}, 0); !errors.Is(err, store.ErrFenced) {
		t.Errorf("a's publication under b's lease: %v, want ErrFenced", err)
	}
	r = storetest.MakeRound(2, 4, nil)
	r.Fence = fence(a)
	if err := st.WriteRound(ctx, r); !errors.Is(err, store.ErrFenced) {
		t.Errorf("a's history under b's lease: %v, want ErrFenced", err)
	}
	r.Fence = fence(b)
	if err := st.WriteRound(ctx, r); err != nil {
		t.Errorf("b's history: %v", err)
	}
	var pubs, rounds int
	var epochs string
	if err := db.QueryRow("SELECT COUNT(*), GROUP_CONCAT(epoch) FROM publications").Scan(&pubs, &epochs); err != nil || pubs != 1 || epochs != "1" {
		t.Errorf("publications: %d of epochs %s (%v), want a's one before b took over", pubs, epochs, err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM rounds").Scan(&rounds); err != nil || rounds != 2 {
		t.Errorf("%d history rounds (%v), want a's first and b's", rounds, err)
	}
	// A replica restarted under b's name takes over at once, in a new
	// epoch: what the old process had in flight is refused.
	b2, _, ok, err := acquire(ctx, db, "b", time.Minute)
	if err != nil || !ok || b2.Epoch != 3 {
		t.Fatalf("b again: %+v %v %v", b2, ok, err)
	}
	if err := renew(ctx, db, b, time.Minute); !errors.Is(err, errLost) {
		t.Errorf("the earlier term of b renewed: %v", err)
	}
	if err := release(ctx, db, b2); err != nil {
		t.Fatal(err)
	}
	if c, _, ok, err := acquire(ctx, db, "c", time.Minute); err != nil || !ok || c.Epoch != 4 {
		t.Errorf("after a release c takes over at once: %+v %v %v", c, ok, err)
	}
}

// Forced rounds: among all replicas, at most one every interval; a
// request within it joins the last one.
func TestForceCoalesces(t *testing.T) {
	_, db, _ := openDB(t)
	ctx := context.Background()
	first, err := force(ctx, db, time.Hour)
	if err != nil || first != 1 {
		t.Fatalf("first request: %d %v", first, err)
	}
	if n, err := force(ctx, db, time.Hour); err != nil || n != first {
		t.Errorf("a request within the interval: %d %v, want to join %d", n, err, first)
	}
	if n, err := force(ctx, db, 0); err != nil || n != first+1 {
		t.Errorf("a request past the interval: %d %v, want %d", n, err, first+1)
	}
	if err := want(ctx, db); err != nil {
		t.Fatal(err)
	}
	if q, err := readRequests(ctx, db); err != nil || q.forced != 2 || q.wanted != 1 {
		t.Errorf("requests %+v %v", q, err)
	}
}
