package mysql

import (
	"testing"
	"time"

	"nodelist/internal/store/storetest"
)

func BenchmarkWriteRound1000(b *testing.B) {
	st := openStore(b, testDSN(b))
	defer st.Close()
	storetest.BenchWriteRound(b, st, 1000)
}

func BenchmarkHistory7d(b *testing.B) {
	st := openStore(b, testDSN(b))
	defer st.Close()
	storetest.BenchHistory7d(b, st, 1000, 10*time.Minute)
}

// BenchmarkSteadySize is the database at default retention (48 h of
// rounds every 30 s, 400 days of hourly rollups) for 1000 nodes, as
// InnoDB reports it (data and indexes, after ANALYZE TABLE), in total and
// for the packed history and the events.
func BenchmarkSteadySize(b *testing.B) {
	st := openStore(b, testDSN(b))
	defer st.Close()
	storetest.BenchSteadySize(b, st, 1000, func() (map[string]float64, error) {
		db := st.DB()
		out := map[string]float64{}
		for _, t := range []string{"nodes", "rounds", "samples", "hourly", "rollup_mark", "probe_state", "events", "snapshot"} {
			if _, err := db.Exec("ANALYZE TABLE " + t); err != nil {
				return nil, err
			}
			var n int64
			if err := db.QueryRow("SELECT data_length + index_length FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?", t).Scan(&n); err != nil {
				return nil, err
			}
			out["MB"] += float64(n) / 1e6
			if t == "samples" || t == "hourly" || t == "events" {
				out["MB-"+t] = float64(n) / 1e6
			}
		}
		return out, nil
	})
}
