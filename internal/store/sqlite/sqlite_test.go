package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"nodelist/internal/store"
	"nodelist/internal/store/storetest"
)

func TestSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func TestUpgradeFromEveryVersion(t *testing.T) {
	for _, from := range []int64{1, 2, 3, 4} {
		path := filepath.Join(t.TempDir(), "old.db")
		db, err := open(path, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := Migrate(context.Background(), db, from); err != nil {
			t.Fatal(err)
		}
		storetest.CheckUpgrade(t, from, db, func() (store.Store, error) { return Open(context.Background(), path) })
	}
}

func TestBadPath(t *testing.T) {
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir", "h.db")); err == nil {
		t.Error("opening a database in a missing directory succeeded")
	}
}
