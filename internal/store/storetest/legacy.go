package storetest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"nodelist/internal/store"
)

// SeedLegacy writes rollups the way schema versions 1 and 2 kept them (a
// row per node, probe and bucket) for node "legacy-node": one minute at
// base, and one hour a day before base.
func SeedLegacy(t *testing.T, db *sql.DB) {
	t.Helper()
	minute, hour := base.Unix()/60, base.Add(-24*time.Hour).Unix()/3600
	stmts := []struct {
		q    string
		args []any
	}{
		{"INSERT INTO nodes (hash) VALUES (?)", []any{"legacy-node"}},
		{"INSERT INTO minute_rollup (node_id, probe, bucket, ok, total, lat_sum, lat_max) SELECT id, 0, ?, 1, 2, 30, 20 FROM nodes WHERE hash = ?", []any{minute, "legacy-node"}},
		{"INSERT INTO minute_rollup (node_id, probe, bucket, ok, total, lat_sum, lat_max) SELECT id, 1, ?, 2, 2, 40, 25 FROM nodes WHERE hash = ?", []any{minute, "legacy-node"}},
		{"INSERT INTO hour_rollup (node_id, probe, bucket, ok, total, lat_sum, lat_max) SELECT id, 0, ?, 100, 120, 6000, 90 FROM nodes WHERE hash = ?", []any{hour, "legacy-node"}},
	}
	for _, s := range stmts {
		if _, err := db.Exec(s.q, s.args...); err != nil {
			t.Fatalf("seed legacy rollups: %v", err)
		}
	}
}

// CheckLegacy checks that the rollups of SeedLegacy read back the same
// after the upgrade.
func CheckLegacy(t *testing.T, st store.Store) {
	t.Helper()
	h, err := st.History(context.Background(), "legacy-node", base.Add(-25*time.Hour), base.Add(time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Point{
		{Time: base.Add(-24 * time.Hour), OK: 100, Total: 120, LatencySumMS: 6000, LatencyMaxMS: 90},
		{Time: base, OK: 1, Total: 2, LatencySumMS: 30, LatencyMaxMS: 20},
	}
	got := h[store.ProbeConfig]
	if len(got) != len(want) {
		t.Fatalf("config history after the upgrade: %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].OK != want[i].OK || got[i].Total != want[i].Total ||
			got[i].LatencySumMS != want[i].LatencySumMS || got[i].LatencyMaxMS != want[i].LatencyMaxMS {
			t.Errorf("config point %d after the upgrade: %+v, want %+v", i, got[i], want[i])
		}
	}
	if u := h[store.ProbeUsage]; len(u) != 1 || u[0].OK != 2 || u[0].Total != 2 || u[0].LatencySumMS != 40 {
		t.Errorf("usage history after the upgrade: %+v", u)
	}
}

// CheckUpgrade checks that a database left by db at schema version from
// upgrades when open opens it: it seeds the earlier schema's rollups
// (versions before 4 kept them), closes db, opens the store, and expects
// the seeded rollups back and a round to be written.
func CheckUpgrade(t *testing.T, from int64, db *sql.DB, open func() (store.Store, error)) {
	t.Helper()
	if from < 4 { // from 4 on, nothing writes the row rollups
		SeedLegacy(t, db)
	}
	db.Close()
	st, err := open()
	if err != nil {
		t.Fatalf("upgrade from version %d: %v", from, err)
	}
	defer st.Close()
	if from < 4 {
		CheckLegacy(t, st)
	}
	if err := st.WriteRound(context.Background(), MakeRound(0, 3, nil)); err != nil {
		t.Errorf("write after upgrade from %d: %v", from, err)
	}
}
