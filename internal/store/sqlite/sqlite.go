package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"nodelist/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open opens (creating if needed) the database at path, applies every
// migration and returns the store, recording the probes named in the
// probe table's order (none: store.ErrNoProbes). It refuses a
// database another process has open (see lock.go).
func Open(ctx context.Context, path string, probes ...string) (*sqlstore.Store, error) {
	if err := checkFolder(path); err != nil {
		return nil, err
	}
	release, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	w, err := open(path, false)
	if err != nil {
		return nil, errors.Join(err, release())
	}
	w.SetMaxOpenConns(1) // SQLite has one writer at a time; queueing here beats SQLITE_BUSY
	schema, err := sqlstore.Migrate(ctx, w, sqlstore.SQLite, migrations, 0)
	if err != nil {
		return nil, errors.Join(err, w.Close(), release())
	}
	r, err := open(path, true)
	if err != nil {
		return nil, errors.Join(err, w.Close(), release())
	}
	r.SetMaxOpenConns(4)
	// A reader connection holds its own page cache and schema; history
	// requests come in bursts, so between them one idle reader is kept,
	// and none after readerIdle.
	r.SetMaxIdleConns(1)
	r.SetConnMaxIdleTime(readerIdle)
	return sqlstore.New(sqlstore.SQLite, w, r, sqlstore.Options{Probes: probes, Schema: schema, OnClose: release})
}

// Memory bounds of each connection. SQLite's default page cache is
// 2 MB per connection, filled as the history grows (five connections:
// 10 MB at most, outside Go's heap and never returned while the
// connection lives); a round's writes touch the newest pages and the
// history queries read indexes, so a smaller cache costs re-reads from
// the OS's file cache, not from disk. Memory-mapped I/O stays off so
// the database's pages are not counted in the process's resident set.
const (
	writerCacheKiB = 1024
	readerCacheKiB = 512
	readerIdle     = time.Minute
)

func open(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "mmap_size(0)")
	cache := writerCacheKiB
	if readOnly {
		cache = readerCacheKiB
	}
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cache)) // negative: KiB, not pages
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

// Migrate applies the embedded migrations up to version (0: all).
func Migrate(ctx context.Context, db *sql.DB, version int64) error {
	_, err := sqlstore.Migrate(ctx, db, sqlstore.SQLite, migrations, version)
	return err
}
