package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"nodelist/internal/probe"
	"nodelist/internal/store"
	"nodelist/internal/store/storetest"
)

func TestSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "h.db")
		return func(probes ...string) (store.Store, error) {
			st, err := Open(context.Background(), path, probes...)
			if err != nil {
				return nil, err
			}
			return st, nil
		}
	})
}

func TestUpgradeFromEveryVersion(t *testing.T) {
	latest, err := Open(context.Background(), filepath.Join(t.TempDir(), "new.db"), probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	versions := storetest.EarlierVersions(t, latest.DB())
	latest.Close()
	if len(versions) < 5 {
		t.Fatalf("upgrading from versions %v: want every one from 1", versions)
	}
	t.Logf("upgrading from versions %v", versions)
	for _, from := range versions {
		path := filepath.Join(t.TempDir(), "old.db")
		db, err := open(path, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := Migrate(context.Background(), db, from); err != nil {
			t.Fatal(err)
		}
		storetest.CheckUpgrade(t, from, db, func() (store.Store, error) { return Open(context.Background(), path, probe.Names()...) })
	}
}

func TestBadPath(t *testing.T) {
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir", "h.db"), probe.Names()...); err == nil {
		t.Error("opening a database in a missing directory succeeded")
	}
}

func TestProbeNamesChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	for _, names := range [][]string{{"config", "usage", "config"}, {"config", ""}, nil} {
		if st, err := Open(context.Background(), path, names...); err == nil {
			st.Close()
			t.Errorf("a store opened with probes %q", names)
		}
	}
	st, err := Open(context.Background(), path, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := st.Probes(); fmt.Sprint(got) != fmt.Sprint(probe.Names()) {
		t.Errorf("a store opened with the probe table's names records %v, want %v", got, probe.Names())
	}
}

// SQLite serves one replica: a second store on the same file is refused,
// saying who holds it and what to use instead, until the first closes.
func TestSecondOpenRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	first, err := Open(context.Background(), path, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), path, probe.Names()...)
	if err == nil {
		t.Fatal("a second store opened the same SQLite file")
	}
	for _, want := range []string{"in use by nodelist pid", "single replica", "mysql://"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(context.Background(), path, probe.Names()...)
	if err != nil {
		t.Fatalf("reopening after close: %v", err)
	}
	again.Close()
}

// A database migrated by a newer binary is read, never written.
func TestNewerSchemaIsReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st, err := Open(context.Background(), path, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(context.Background(), path, probe.Names()...)
	if err != nil {
		t.Fatalf("opening a newer schema: %v", err)
	}
	defer st.Close()
	if ro := st.ReadOnly(); !strings.Contains(ro, "version 99") {
		t.Errorf("ReadOnly() = %q, want it to name version 99", ro)
	}
	err = st.WriteRound(context.Background(), storetest.MakeRound(1, 3, nil))
	if !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("a write to a newer schema: %v, want ErrReadOnly", err)
	}
}

// A fenced round (a replica leader's) writes nothing on SQLite, which
// holds no lease; an unfenced round beside it is written. (That the
// history writer drops a refused round rather than retrying it is
// history's test.)
func TestFencedRoundWritesNothing(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := storetest.MakeRound(1, 5, nil)
	r.Fence = &store.Term{Holder: "a", Epoch: 3}
	if err := st.WriteRound(context.Background(), r); !errors.Is(err, store.ErrFenced) || !strings.Contains(err.Error(), "holds no lease") {
		t.Fatalf("a fenced write: %v, want ErrFenced (no lease here)", err)
	}
	if err := st.WriteRound(context.Background(), storetest.MakeRound(2, 5, nil)); err != nil {
		t.Fatalf("an unfenced write: %v", err)
	}
	var rounds int
	if err := st.DB().QueryRow("SELECT COUNT(*) FROM rounds").Scan(&rounds); err != nil || rounds != 1 {
		t.Errorf("%d rounds stored (%v), want the unfenced one", rounds, err)
	}
	if n, _ := st.SampleCount(context.Background()); n != 5*3 {
		t.Errorf("%d samples stored, want the 15 of the unfenced round", n)
	}
}

// A last snapshot larger than the bound of a part is written in parts and
// read back whole (SQLite's own bound on a blob is 1 GB: the bound here
// stands for it).
func TestSnapshotInParts(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.SetMaxPacket(64 << 10)
	storetest.LargeSnapshot(t, st, 300_000)
	var n int
	if err := st.DB().QueryRow("SELECT parts FROM snapshot WHERE id = 1").Scan(&n); err != nil || n < 10 {
		t.Errorf("a snapshot of 300 000 bytes under a part bound of 64 KiB in %d parts (%v), want 10 or more", n, err)
	}
}

// Every connection, writer and reader, has its page cache bounded and
// memory-mapped I/O off.
func TestConnectionMemoryBounds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bounds.db")
	for _, c := range []struct {
		readOnly bool
		cacheKiB int
	}{{false, writerCacheKiB}, {true, readerCacheKiB}} {
		db, err := open(path, c.readOnly)
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(2)
		ctx := context.Background()
		// Two connections at once, so the second is a fresh one too.
		c1, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, conn := range []*sql.Conn{c1, c2} {
			var cache, mmap int64
			if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, "PRAGMA mmap_size").Scan(&mmap); err != nil {
				t.Fatal(err)
			}
			if cache != -int64(c.cacheKiB) || mmap != 0 {
				t.Errorf("read-only %v, connection %d: cache_size %d, mmap_size %d; want -%d, 0", c.readOnly, i, cache, mmap, c.cacheKiB)
			}
		}
		c1.Close()
		c2.Close()
		db.Close()
	}
}
