package mysql

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"nodelist/internal/history"
	"nodelist/internal/probe"
	"nodelist/internal/store"
	"nodelist/internal/store/sqlite"
	"nodelist/internal/store/sqlstore"
	"nodelist/internal/store/storetest"
)

// testDSN returns the DSN of a new database of its own, dropped at the
// end of the test, or skips when no MariaDB is configured.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("NODELIST_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Skip("NODELIST_TEST_MYSQL_DSN is not set (e.g. mysql://nodelist:nodelist@127.0.0.1:3306/nodelist_test); .ci/run sets it and starts MariaDB")
	}
	cfg, err := ParseDSN(dsn)
	if err != nil {
		t.Fatalf("NODELIST_TEST_MYSQL_DSN: %v", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := cfg.DBName + "_" + hex.EncodeToString(b)
	admin := adminDB(t, cfg)
	if _, err := admin.Exec("CREATE DATABASE `" + name + "`"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a := adminDB(t, cfg)
		_, _ = a.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		a.Close()
	})
	admin.Close()
	return strings.Replace(dsn, "/"+cfg.DBName, "/"+name, 1)
}

func adminDB(t testing.TB, cfg *mysql.Config) *sql.DB {
	t.Helper()
	c := cfg.Clone()
	c.DBName = ""
	conn, err := mysql.NewConnector(c)
	if err != nil {
		t.Fatal(err)
	}
	return sql.OpenDB(conn)
}

func openStore(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	st, err := Open(context.Background(), dsn, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dsn := testDSN(t)
		return func(probes ...string) (store.Store, error) {
			st, err := Open(context.Background(), dsn, probes...)
			if err != nil {
				return nil, err
			}
			return st, nil
		}
	})
}

func TestUpgradeFromEveryVersion(t *testing.T) {
	dsn := testDSN(t)
	cfg, _ := ParseDSN(dsn)
	conn, _ := mysql.NewConnector(cfg)
	latest := openStore(t, dsn)
	versions := storetest.EarlierVersions(t, latest.DB())
	latest.Close()
	if len(versions) < 5 {
		t.Fatalf("upgrading from versions %v: want every one from 1", versions)
	}
	t.Logf("upgrading from versions %v", versions)
	for _, from := range versions {
		db := sql.OpenDB(conn)
		for _, table := range []string{"notify_outbox", "notify_state", "publication_parts", "snapshot_parts", "publications", "replica_lease", "snapshot", "events", "probe_state", "rollup_mark", "hourly", "samples", "hour_rollup", "minute_rollup", "rounds", "nodes", "goose_db_version"} {
			if _, err := db.Exec("DROP TABLE IF EXISTS " + table); err != nil {
				t.Fatal(err)
			}
		}
		if err := Migrate(context.Background(), db, from); err != nil {
			t.Fatal(err)
		}
		storetest.CheckUpgrade(t, from, db, func() (store.Store, error) { return Open(context.Background(), dsn, probe.Names()...) })
	}
}

func TestBadDSNs(t *testing.T) {
	for _, dsn := range []string{"mysql://", "mysql://host", "postgres://u@h/db", "mysql://u:p@127.0.0.1:1/db"} {
		if _, err := Open(context.Background(), dsn, probe.Names()...); err == nil || strings.Contains(err.Error(), "goroutine") {
			t.Errorf("Open(%q): %v", dsn, err)
		}
	}
}

func globalStatus(t *testing.T, db *sql.DB, name string) int64 {
	t.Helper()
	var k string
	var v int64
	if err := db.QueryRow("SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&k, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// connIDs are the server's ids of the connections to database name, but
// the caller's.
func connIDs(t *testing.T, db *sql.DB, name string) map[int64]bool {
	t.Helper()
	rows, err := db.Query("SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()", name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	return ids
}

// TestWarmReuse checks that writes on a warm pool cost no ping round trip
// and open no connection: the pool neither pings on checkout nor grows.
// A connection the pool keeps is told apart by its server id, so other
// tests sharing the server do not count. Pings and connections opened and
// closed again are only counted server-wide, so a batch that saw some is
// written again, and the test fails only when each of three batches did:
// this store's own would show in each, another test's rarely in all three.
func TestWarmReuse(t *testing.T) {
	dsn := testDSN(t)
	st := openStore(t, dsn)
	defer st.Close()
	cfg, _ := ParseDSN(dsn)
	probe := adminDB(t, cfg)
	defer probe.Close()
	probe.SetMaxOpenConns(1)
	ctx := context.Background()
	for n := range 3 { // warm-up
		if err := st.WriteRound(ctx, storetest.MakeRound(n, 100, nil)); err != nil {
			t.Fatal(err)
		}
	}
	globalStatus(t, probe, "Connections") // opens the probe's own connection first
	round := 3
	var batches []string
	for range 3 {
		before := connIDs(t, probe, cfg.DBName)
		pings, conns := globalStatus(t, probe, "Com_admin_commands"), globalStatus(t, probe, "Connections")
		open := st.DB().Stats().OpenConnections
		for range 20 {
			if err := st.WriteRound(ctx, storetest.MakeRound(round, 100, nil)); err != nil {
				t.Fatal(err)
			}
			round++
		}
		d := globalStatus(t, probe, "Com_admin_commands") - pings
		c := globalStatus(t, probe, "Connections") - conns
		after := connIDs(t, probe, cfg.DBName)
		for id := range after {
			if !before[id] {
				t.Errorf("20 writes opened a connection (server id %d); before: %v, after: %v", id, before, after)
			}
		}
		if s := st.DB().Stats(); s.OpenConnections > open || s.OpenConnections > MaxOpen {
			t.Errorf("pool grew from %d to %d connections", open, s.OpenConnections)
		}
		if d == 0 && c == 0 {
			return
		}
		batches = append(batches, fmt.Sprintf("%d admin commands, %d connections", d, c))
	}
	t.Errorf("each batch of 20 writes saw pings or connections opened on the server: %v", batches)
}

// killAll kills every connection to database name but the caller's: what
// a restart does to the store, without touching the connections of other
// tests sharing the server (they may run at once, as go test runs
// packages in parallel).
func killAll(db *sql.DB, name string) (int, error) {
	rows, err := db.Query("SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()", name)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	for _, id := range ids {
		_, _ = db.Exec(fmt.Sprintf("KILL CONNECTION %d", id))
	}
	return len(ids), nil
}

// TestNothingLostUnderFaults writes rounds through a Writer while every
// connection of the test user is killed each second, and (when allowed)
// while MariaDB restarts; afterwards the rows equal exactly what was
// produced, and no history read failed during the kills.
func TestNothingLostUnderFaults(t *testing.T) {
	dsn := testDSN(t)
	st := openStore(t, dsn)
	defer st.Close()
	cfg, _ := ParseDSN(dsn)
	admin := adminDB(t, cfg)
	defer admin.Close()
	admin.SetMaxOpenConns(1)

	w := history.NewWriter(st, 10000, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.Run(ctx) }()

	const nodes = 50
	produced := 0
	produce := func(d time.Duration) {
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			w.Enqueue(storetest.MakeRound(produced, nodes, func(node, probe int) bool { return (node+produced)%7 == 0 }))
			produced++
			time.Sleep(20 * time.Millisecond) // the pace of rounds, not a wait for an event
		}
	}

	// Readers run throughout the kill phase; none may fail.
	var reads, readFailures atomic.Int64
	readCtx, stopReads := context.WithCancel(context.Background())
	var rwg sync.WaitGroup
	for i := range 2 {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for readCtx.Err() == nil {
				_, err := st.Events(readCtx, fmt.Sprintf("node-%04d", i), 0, 20)
				if err == nil {
					_, err = st.History(readCtx, "node-0001", time.Unix(0, 0), time.Now().Add(48*time.Hour), time.Hour)
				}
				if err != nil && readCtx.Err() == nil {
					readFailures.Add(1)
					t.Logf("read failed: %v", err)
				}
				reads.Add(1)
			}
		}()
	}
	killed := 0
	for range 5 {
		produce(time.Second)
		n, err := killAll(admin, cfg.DBName)
		if err != nil {
			t.Fatal(err)
		}
		killed += n
	}
	stopReads()
	rwg.Wait()
	if killed == 0 {
		t.Error("no connection was killed: the test proved nothing")
	}
	if readFailures.Load() > 0 {
		t.Errorf("%d of %d history reads failed while connections were killed", readFailures.Load(), reads.Load())
	}
	t.Logf("killed %d connections; %d reads", killed, reads.Load())

	if os.Getenv("NODELIST_TEST_MARIADB_RESTART") == "1" {
		restartMariaDB(t, func() { produce(500 * time.Millisecond) })
	} else {
		t.Log("NODELIST_TEST_MARIADB_RESTART is not 1: the restart part is skipped")
	}
	produce(200 * time.Millisecond)

	flushCtx, done := context.WithTimeout(context.Background(), 60*time.Second)
	defer done()
	deadline := time.Now().Add(60 * time.Second)
	for w.Status().Backlog > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling the backlog with a deadline
	}
	cancel()
	wg.Wait()
	w.Flush(flushCtx)
	if s := w.Status(); s.Backlog != 0 || s.Dropped != 0 || s.Written != int64(produced) {
		t.Fatalf("writer %+v, produced %d rounds", s, produced)
	}
	var rounds, total int64
	db := st.DB()
	if err := db.QueryRow("SELECT COUNT(*) FROM rounds").Scan(&rounds); err != nil {
		t.Fatal(err)
	}
	var err error
	if total, err = st.SampleCount(context.Background()); err != nil {
		t.Fatal(err)
	}
	probes := len(storetest.Probes)
	if rounds != int64(produced) || total != int64(produced*nodes*probes) {
		t.Errorf("%d rounds and %d samples stored; produced %d rounds, %d samples", rounds, total, produced, produced*nodes*probes)
	}
}

// restartMariaDB stops mariadbd, runs during() while it is down, and
// starts it again, waiting until it answers.
func restartMariaDB(t *testing.T, during func()) {
	t.Helper()
	if out, err := exec.Command("start-stop-daemon", "--stop", "--retry", "30", "--exec", "/usr/sbin/mariadbd").CombinedOutput(); err != nil {
		t.Fatalf("stop mariadbd: %v %s", err, out)
	}
	during()
	if out, err := exec.Command("start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd", "--", "--user=mysql").CombinedOutput(); err != nil {
		t.Fatalf("start mariadbd: %v %s", err, out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for exec.Command("mysql", "-uroot", "-e", "select 1").Run() != nil {
		if time.Now().After(deadline) {
			t.Fatal("mariadbd did not come back within 60 s")
		}
		time.Sleep(200 * time.Millisecond) // polling for the server with a deadline
	}
}

// Replicas starting together on one new database: every one comes up,
// and each migration is applied once (before the lock, two of three
// failed with "Table 'nodes' already exists").
func TestReplicasMigrateOnce(t *testing.T) {
	dsn := testDSN(t)
	const replicas = 4
	errs := make(chan error, replicas)
	stores := make(chan *sqlstore.Store, replicas)
	start := make(chan struct{})
	for range replicas {
		go func() {
			<-start
			st, err := Open(context.Background(), dsn, probe.Names()...)
			if err == nil {
				stores <- st
			}
			errs <- err
		}()
	}
	close(start)
	for range replicas {
		if err := <-errs; err != nil {
			t.Errorf("a replica failed to start: %v", err)
		}
	}
	close(stores)
	var db *sql.DB
	for st := range stores {
		if ro := st.ReadOnly(); ro != "" {
			t.Errorf("a replica of the current version is read-only: %s", ro)
		}
		db = st.DB()
		t.Cleanup(func() { st.Close() })
	}
	if db == nil {
		t.Fatal("no replica started")
	}
	var applied, distinct int
	if err := db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0").Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != distinct {
		t.Errorf("%d migrations recorded for %d versions: some ran twice", applied, distinct)
	}
}

// A replica older than the schema opens read-only, says so, and refuses
// to write.
func TestOlderReplicaRefusesToWrite(t *testing.T) {
	dsn := testDSN(t)
	st := openStore(t, dsn)
	if _, err := st.DB().Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = openStore(t, dsn)
	defer st.Close()
	if ro := st.ReadOnly(); !strings.Contains(ro, "version 99") {
		t.Errorf("ReadOnly() = %q, want it to name version 99", ro)
	}
	if err := st.WriteRound(context.Background(), storetest.MakeRound(1, 3, nil)); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("a write to a newer schema: %v, want ErrReadOnly", err)
	}
}

// On MariaDB a connection idle inside a transaction is dropped after a
// few seconds, so a paused replica cannot hold the lease row's lock.
func TestIdleTransactionBounded(t *testing.T) {
	st := openStore(t, testDSN(t))
	defer st.Close()
	var version string
	if err := st.DB().QueryRow("SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(version, "MariaDB") {
		t.Skipf("%s is not MariaDB", version)
	}
	var secs float64
	if err := st.DB().QueryRow("SELECT @@session.idle_transaction_timeout").Scan(&secs); err != nil {
		t.Fatal(err)
	}
	if time.Duration(secs*float64(time.Second)) != idleTransaction {
		t.Errorf("idle_transaction_timeout = %v s, want %s", secs, idleTransaction)
	}
}

// snapshotParts is the parts the last snapshot was written in.
func snapshotParts(t *testing.T, st *sqlstore.Store) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow("SELECT parts FROM snapshot WHERE id = 1").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A last snapshot larger than a statement may be is written in parts and
// read back whole; here the packet is a bound of the store's (64 KiB),
// standing for a small server setting on the shared server.
func TestSnapshotInParts(t *testing.T) {
	st := openStore(t, testDSN(t))
	defer st.Close()
	st.SetMaxPacket(64 << 10)
	storetest.LargeSnapshot(t, st, 300_000)
	if n := snapshotParts(t, st); n < 10 {
		t.Errorf("a snapshot of 300 000 bytes under a packet of 64 KiB in %d parts, want 10 or more", n)
	}
}

// A last snapshot over the server's own max_allowed_packet (16 MiB by
// default on MariaDB) is written in parts and read back whole. Before, the
// server dropped the connection at each try: the round was never written
// and the history queue grew until rounds were dropped.
func TestSnapshotOverDefaultPacket(t *testing.T) {
	if testing.Short() {
		t.Skip("writes snapshots of some 17 MB")
	}
	st := openStore(t, testDSN(t))
	defer st.Close()
	var packet int
	if err := st.DB().QueryRow("SELECT @@session.max_allowed_packet").Scan(&packet); err != nil {
		t.Fatal(err)
	}
	storetest.LargeSnapshot(t, st, packet+1<<20)
	n := snapshotParts(t, st)
	if n < 2 {
		t.Errorf("a snapshot of %d bytes over a packet of %d in %d part", packet+1<<20, packet, n)
	}
	t.Logf("a snapshot of %d bytes over the server's %d-byte packet: written and read back in %d parts", packet+1<<20, packet, n)
}

// MariaDB and SQLite cut a node's history into the same buckets, starting
// at from.
func TestSameHistoryAsSQLite(t *testing.T) {
	my := openStore(t, testDSN(t))
	defer my.Close()
	lite, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	storetest.SameHistory(t, my, lite)
}
