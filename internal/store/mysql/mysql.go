package mysql

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"nodelist/internal/store/sqlstore"
)

func init() {
	// The driver logs dropped connections through the log package; the
	// pool recovers from them, and the store reports what it cannot.
	_ = mysql.SetLogger(log.New(io.Discard, "", 0))
}

//go:embed migrations/*.sql
var migrations embed.FS

// MaxOpen is the pool's size: one writer and a few API readers.
const MaxOpen = 4

// Open connects, reads the server's wait_timeout to size the pool's idle
// time below it, applies the migrations (under a lock: several replicas
// may start together on one database) and returns the store, recording
// the probes named in the probe table's order (none: store.ErrNoProbes).
// A database whose schema is newer than this
// binary's is opened read-only: see sqlstore.Store.ReadOnly.
func Open(ctx context.Context, dsn string, probes ...string) (*sqlstore.Store, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql dsn: %w", err)
	}
	return OpenConfig(ctx, cfg, probes...)
}

// OpenConfig is Open of a parsed --db (Config).
func OpenConfig(ctx context.Context, cfg *mysql.Config, probes ...string) (*sqlstore.Store, error) {
	db, err := ConnectConfig(ctx, cfg, Pool{MaxOpen: MaxOpen})
	if err != nil {
		return nil, err
	}
	mctx, cancel := context.WithTimeout(ctx, MigrationWait+time.Minute)
	defer cancel()
	schema, err := migrate(mctx, db, 0)
	if err != nil {
		db.Close()
		return nil, err
	}
	return sqlstore.New(sqlstore.MySQL, db, db, sqlstore.Options{Probes: probes, Schema: schema})
}

// ConnectReplicas opens the storage several replicas share on the
// database of dsn (see sqlstore.Replicas), on a pool of its own: the
// lease's renewals never wait behind a history write. Open (the history
// store) migrates the database; this only connects.
func ConnectReplicas(ctx context.Context, dsn string) (*sqlstore.Replicas, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql dsn: %w", err)
	}
	return ConnectReplicasConfig(ctx, cfg)
}

// ConnectReplicasConfig is ConnectReplicas of a parsed --db (Config).
func ConnectReplicasConfig(ctx context.Context, cfg *mysql.Config) (*sqlstore.Replicas, error) {
	db, err := ConnectConfig(ctx, cfg, Pool{MaxOpen: 4, FoundRows: true})
	if err != nil {
		return nil, err
	}
	return sqlstore.NewReplicas(db), nil
}

// MigrationWait bounds how long a replica waits for another's migration
// (the upgrade to schema 6 takes about 10 s per 1000 nodes).
const MigrationWait = 10 * time.Minute

// Pool says how Connect sizes and tunes a pool.
type Pool struct {
	MaxOpen int // MaxOpen if 0
	// FoundRows makes an UPDATE report the rows it matched rather than
	// those it changed.
	FoundRows bool
}

// idleTransaction bounds, on MariaDB, how long a connection may sit in a
// transaction without sending anything: a replica paused (or cut off)
// inside one would otherwise hold its row locks, the leader lease's
// among them, for as long as its connection stays open. The service's
// transactions send their statements back to back.
const idleTransaction = 5 * time.Second

// Connect opens a pool to the database of dsn, sized for the server's
// wait_timeout, and checks that it answers.
func Connect(ctx context.Context, dsn string, p Pool) (*sql.DB, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql dsn: %w", err)
	}
	return ConnectConfig(ctx, cfg, p)
}

// ConnectConfig is Connect of a parsed --db (Config); it changes cfg.
func ConnectConfig(ctx context.Context, cfg *mysql.Config, p Pool) (*sql.DB, error) {
	cfg.ClientFoundRows = p.FoundRows
	if p.MaxOpen <= 0 {
		p.MaxOpen = MaxOpen
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	db, wait, version, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, set := cfg.Params["idle_transaction_timeout"]; strings.Contains(version, "MariaDB") && !set {
		// Every new connection of the pool sets it: reopen with it.
		db.Close()
		cfg.Params["idle_transaction_timeout"] = fmt.Sprint(int(idleTransaction / time.Second))
		if db, wait, _, err = connect(ctx, cfg); err != nil {
			return nil, err
		}
	}
	ConfigurePool(db, wait)
	db.SetMaxOpenConns(p.MaxOpen)
	db.SetMaxIdleConns(p.MaxOpen)
	return db, nil
}

// connect opens a pool of cfg and reads the server's wait_timeout and
// version.
func connect(ctx context.Context, cfg *mysql.Config) (*sql.DB, time.Duration, string, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, 0, "", fmt.Errorf("mysql dsn: %w", err)
	}
	db := sql.OpenDB(conn)
	var wait int64
	var version string
	if err := db.QueryRowContext(ctx, "SELECT @@session.wait_timeout, VERSION()").Scan(&wait, &version); err != nil {
		db.Close()
		return nil, 0, "", fmt.Errorf("connect to mysql at %s: %w", cfg.Addr, err)
	}
	return db, time.Duration(wait) * time.Second, version, nil
}

// ConfigurePool sizes the pool for a server that drops connections idle
// for wait: idle ones retire at half of it (at most 5 minutes).
func ConfigurePool(db *sql.DB, wait time.Duration) {
	idle := min(wait/2, 5*time.Minute)
	if idle <= 0 {
		idle = time.Minute
	}
	db.SetMaxOpenConns(MaxOpen)
	db.SetMaxIdleConns(MaxOpen)
	db.SetConnMaxIdleTime(idle)
	db.SetConnMaxLifetime(30 * time.Minute)
}

// Migrate applies the embedded migrations up to version (0: all).
func Migrate(ctx context.Context, db *sql.DB, version int64) error {
	_, err := migrate(ctx, db, version)
	return err
}

func migrate(ctx context.Context, db *sql.DB, version int64) (schema sqlstore.Schema, err error) {
	err = withMigrationLock(ctx, db, MigrationWait, func() error {
		schema, err = sqlstore.Migrate(ctx, db, sqlstore.MySQL, migrations, version)
		return err
	})
	return schema, err
}
