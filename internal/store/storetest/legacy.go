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
	SamePoints(t, "config history after the upgrade", h[config], []store.Point{
		{Time: base.Add(-24 * time.Hour), OK: 100, Total: 120, LatencySumMS: 6000, LatencyMaxMS: 90},
		{Time: base, OK: 1, Total: 2, LatencySumMS: 30, LatencyMaxMS: 20},
	})
	SamePoints(t, "usage history after the upgrade", h[usage], []store.Point{{Time: base, OK: 2, Total: 2, LatencySumMS: 40, LatencyMaxMS: 25}})
	if len(h[2]) != 0 {
		t.Errorf("ipv6 history after the upgrade: %+v, want none", h[2])
	}
}

// The rows of node "packed-node" as schema versions 3 to 5 kept them (the
// first packed format: three probes an entry, no count), byte by byte.
var (
	// The samples of base's hour: a round at second 30 (config ok in
	// 12 ms, usage failing in 40, ipv6 ok in 200), then a minute summed
	// (the form migration 4 wrote: config 2 of 2 ok, usage 1 of 2, no
	// ipv6).
	packedSamples = []byte{
		30 << 1, 12<<1 | 1, 40 << 1, 0x91, 0x03, // 0x91 0x03: 200<<1 | 1
		0xb5, 0x01, 2, 2, 30, 20, 1, 2, 50, 40, 0, 0, 0, 0, // 0xb5 0x01: 90<<1 | 1
	}
	// The hours of the day before base's: hour 5 with one count of rounds
	// for the three probes, hour 6 with a count each, then hour 5 again
	// (rolled up after a late round), which replaces the first.
	packedHours = []byte{
		5<<1 | 1, 60, 0, 99, 120, 0, 99, 120, 0, 99, 120,
		6 << 1, 60, 6, 10, 15, 30, 3, 100, 0xac, 0x02, 0, 0, 0, 0, // 0xac 0x02: 300
		5<<1 | 1, 120, 20, 50, 90, 0, 20, 30, 120, 0, 0,
	}
)

// SeedPacked writes packedSamples and packedHours, as versions 3 to 5
// could hold them.
func SeedPacked(t *testing.T, db *sql.DB) {
	t.Helper()
	stmts := []struct {
		q    string
		args []any
	}{
		{"INSERT INTO nodes (hash) VALUES (?)", []any{"packed-node"}},
		{"INSERT INTO samples (node_id, hour, data) SELECT id, ?, ? FROM nodes WHERE hash = ?", []any{base.Unix() / 3600, packedSamples, "packed-node"}},
		{"INSERT INTO hourly (node_id, day, data) SELECT id, ?, ? FROM nodes WHERE hash = ?", []any{base.Unix()/86400 - 1, packedHours, "packed-node"}},
	}
	for _, s := range stmts {
		if _, err := db.Exec(s.q, s.args...); err != nil {
			t.Fatalf("seed packed rows: %v", err)
		}
	}
}

// CheckPacked checks that the rows of SeedPacked read back the same after
// the upgrade, and that a round appends to the converted samples row.
func CheckPacked(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	day := base.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	want := [3][]store.Point{
		{
			{Time: day.Add(5 * time.Hour), OK: 100, Total: 120, LatencySumMS: 6000, LatencyMaxMS: 90},
			{Time: day.Add(6 * time.Hour), OK: 54, Total: 60, LatencySumMS: 600, LatencyMaxMS: 15},
			{Time: base, OK: 1, Total: 1, LatencySumMS: 12, LatencyMaxMS: 12},
			{Time: base.Add(time.Minute), OK: 2, Total: 2, LatencySumMS: 30, LatencyMaxMS: 20},
		},
		{
			{Time: day.Add(5 * time.Hour), OK: 120, Total: 120, LatencySumMS: 2400, LatencyMaxMS: 30},
			{Time: day.Add(6 * time.Hour), OK: 27, Total: 30, LatencySumMS: 3000, LatencyMaxMS: 300},
			{Time: base, OK: 0, Total: 1, LatencySumMS: 40, LatencyMaxMS: 40},
			{Time: base.Add(time.Minute), OK: 1, Total: 2, LatencySumMS: 50, LatencyMaxMS: 40},
		},
		{
			{Time: day.Add(5 * time.Hour), OK: 0, Total: 120},
			{Time: base, OK: 1, Total: 1, LatencySumMS: 200, LatencyMaxMS: 200},
		},
	}
	read := func() [][]store.Point {
		h, err := st.History(ctx, "packed-node", day, base.Add(time.Hour), time.Minute)
		if err != nil {
			t.Fatalf("history after the upgrade: %v", err)
		}
		return h
	}
	h := read()
	for p, name := range Probes {
		SamePoints(t, name+" history after the upgrade", h[p], want[p])
	}
	r := MakeRound(5, 1, nil) // base + 150 s: minute 2
	for i := range r.Results {
		r.Results[i].Hash = "packed-node"
	}
	write(t, st, r)
	h = read()
	for p, name := range Probes {
		w := append(want[p], store.Point{Time: base.Add(2 * time.Minute), OK: 1, Total: 1, LatencySumMS: 10, LatencyMaxMS: 10})
		SamePoints(t, name+" history after a round on the upgraded rows", h[p], w)
	}
}

// upgradedSnapshot is the last snapshot an earlier version left.
const upgradedSnapshot = `{"last_refresh":"2026-11-20T10:00:00+00:00","crns":[]}`

// CheckUpgrade checks that a database left by db at schema version from
// upgrades when open opens it: it seeds the rows that version kept
// (versions before 4 had row rollups, 4 and 5 the first packed format)
// and a last snapshot, closes db, opens the store, and expects the seeded
// history and snapshot back and a round to be written.
func CheckUpgrade(t *testing.T, from int64, db *sql.DB, open func() (store.Store, error)) {
	t.Helper()
	switch {
	case from < 4:
		SeedLegacy(t, db)
	case from < 6:
		SeedPacked(t, db)
	}
	// Every version kept a last snapshot in one row.
	if _, err := db.Exec("INSERT INTO snapshot (id, last_refresh, saved_at, body) VALUES (1, ?, ?, ?)",
		base.UnixMicro(), base.UnixMicro(), []byte(upgradedSnapshot)); err != nil {
		t.Fatalf("seed snapshot at version %d: %v", from, err)
	}
	db.Close()
	st, err := open()
	if err != nil {
		t.Fatalf("upgrade from version %d: %v", from, err)
	}
	defer st.Close()
	switch {
	case from < 4:
		CheckLegacy(t, st)
	case from < 6:
		CheckPacked(t, st)
	}
	if s, err := st.LastSnapshot(context.Background()); err != nil || s == nil || string(s.Body) != upgradedSnapshot || !s.LastRefresh.Equal(base) {
		t.Errorf("snapshot after upgrade from %d: %+v, %v", from, s, err)
	}
	if err := st.WriteRound(context.Background(), MakeRound(0, 3, nil)); err != nil {
		t.Errorf("write after upgrade from %d: %v", from, err)
	}
}

// EarlierVersions returns every schema version that db, migrated to the
// newest, went through before it.
func EarlierVersions(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.Query("SELECT DISTINCT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY version_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		t.Fatalf("schema versions: %v %v", out, err)
	}
	return out[:len(out)-1]
}
