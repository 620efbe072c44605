package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// Replicas that start together (or a new version rolling out beside old
// ones) migrate one database: each runs its migrations holding MySQL's
// named lock of that database, so the first applies them and the others,
// waiting for the lock, then find nothing left to do. The lock belongs to
// a session: a replica that dies while migrating releases it with its
// connection. (Goose's own session lock is not enough: it checks for
// pending migrations, creating its version table, before it locks.)

// lockName is the lock of the connection's database; the name is hashed,
// since MySQL bounds it to 64 characters.
const lockName = "CONCAT('nodelist-migrate:', LEFT(SHA1(DATABASE()), 32))"

// withMigrationLock runs fn holding the database's migration lock, waiting
// up to wait for another replica to release it.
func withMigrationLock(ctx context.Context, db *sql.DB, wait time.Duration, fn func() error) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+lockName+", ?)", int64(wait/time.Second)).Scan(&got); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("migration lock: another replica has been migrating this database for more than %s", wait)
	}
	defer func() {
		// Released even when ctx is over: the connection goes back to the
		// pool, and a lock left on it would stop every other replica.
		if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK("+lockName+")"); uerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // the pool drops it, and the lock with it
			err = errors.Join(err, fmt.Errorf("migration unlock: %w", uerr))
		}
	}()
	return fn()
}
