package sqlite

import (
	"context"
	"path/filepath"
	"testing"

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
	latest, err := Open(context.Background(), filepath.Join(t.TempDir(), "new.db"))
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
		storetest.CheckUpgrade(t, from, db, func() (store.Store, error) { return Open(context.Background(), path) })
	}
}

func TestBadPath(t *testing.T) {
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir", "h.db")); err == nil {
		t.Error("opening a database in a missing directory succeeded")
	}
}

func TestProbeNamesChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	for _, names := range [][]string{{"config", "usage", "config"}, {"config", ""}} {
		if st, err := Open(context.Background(), path, names...); err == nil {
			st.Close()
			t.Errorf("a store opened with probes %q", names)
		}
	}
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := st.Probes(); len(got) != 3 || got[0] != "config" || got[2] != "ipv6" {
		t.Errorf("a store opened without names records %v, want the default three", got)
	}
}
