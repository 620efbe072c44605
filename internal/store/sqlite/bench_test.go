package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/store/sqlstore"
	"nodelist/internal/store/storetest"
)

func benchStore(b *testing.B) (*sqlstore.Store, string) {
	path := filepath.Join(b.TempDir(), "h.db")
	st, err := Open(context.Background(), path, probe.Names()...)
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

// BenchmarkSteadySize is the database at default retention (48 h of
// rounds every 30 s, 400 days of hourly rollups) for 1000 nodes; several
// minutes. It reports the file's size (pages pruning freed for reuse
// included) and, from dbstat, the bytes of each kind of table with its
// indexes.
func BenchmarkSteadySize(b *testing.B) {
	st, path := benchStore(b)
	storetest.BenchSteadySize(b, st, 1000, func() (map[string]float64, error) {
		db := st.DB()
		if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return nil, err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		out := map[string]float64{"MB": float64(fi.Size()) / 1e6}
		var free, page int64
		if err := db.QueryRow("PRAGMA freelist_count").Scan(&free); err != nil {
			return nil, err
		}
		if err := db.QueryRow("PRAGMA page_size").Scan(&page); err != nil {
			return nil, err
		}
		out["MB-free"] = float64(free*page) / 1e6
		rows, err := db.Query("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var n int64
			if err := rows.Scan(&name, &n); err != nil {
				return nil, err
			}
			for _, part := range []string{"samples", "hourly", "events"} {
				if strings.Contains(name, part) {
					out["MB-"+part] += float64(n) / 1e6
				}
			}
		}
		var events int64
		if err := db.QueryRow("SELECT COUNT(*) FROM events").Scan(&events); err != nil {
			return nil, err
		}
		out["events"] = float64(events)
		return out, rows.Err()
	})
}
