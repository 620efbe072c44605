package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"nodelist/internal/store/sqlstore"
	"nodelist/internal/store/storetest"
)

func benchStore(b *testing.B) (*sqlstore.Store, string) {
	path := filepath.Join(b.TempDir(), "h.db")
	st, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st, path
}

func BenchmarkWriteRound1000(b *testing.B) {
	st, _ := benchStore(b)
	storetest.BenchWriteRound(b, st, 1000)
}

// BenchmarkHistory7d writes 7 days of hourly-equivalent rounds (one every
// 10 minutes keeps the set-up short; hourly rows are the same count) and
// reads one node's week.
func BenchmarkHistory7d(b *testing.B) {
	st, _ := benchStore(b)
	storetest.BenchHistory7d(b, st, 1000, 10*time.Minute)
}

// BenchmarkDaySize writes a simulated day of 1000 nodes at a 30 s
// interval (2880 rounds) and reports the database size.
func BenchmarkDaySize(b *testing.B) {
	for b.Loop() {
		st, path := benchStore(b)
		for n := range 2880 {
			if err := st.WriteRound(context.Background(), storetest.MakeRound(n, 1000, storetest.SteadyFaults(n))); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := st.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(fi.Size())/1e6, "MB/day")
	}
}
