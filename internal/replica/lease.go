package replica

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"nodelist/internal/store"
)

// nowUS is the database's time in microseconds since the Unix epoch. Every
// time the replicas compare is read from it, never from their own clocks,
// so that their skew does not matter.
const nowUS = "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6))"

// Lease is a leadership term: who holds the lease, and its epoch, which
// grows with every acquisition.
type Lease struct {
	Holder string
	Epoch  int64
}

// leaseRow is what the lease row says now.
type leaseRow struct {
	Lease
	expires, now, roundStarted int64 // database microseconds
}

func (l leaseRow) valid() bool { return l.Holder != "" && l.expires > l.now }

// errLost is a renewal or a mark refused: the lease is no longer ours.
var errLost = errors.New("the lease is no longer held")

func readLease(ctx context.Context, db *sql.DB) (leaseRow, error) {
	var l leaseRow
	err := db.QueryRowContext(ctx, "SELECT holder, epoch, expires, round_started, "+nowUS+" FROM replica_lease WHERE id = 1").
		Scan(&l.Holder, &l.Epoch, &l.expires, &l.roundStarted, &l.now)
	if err != nil {
		return l, fmt.Errorf("read lease: %w", err)
	}
	return l, nil
}

// acquire takes the lease for id when it is free, expired, or already
// id's (a replica restarted under the same id, or one that stopped
// leading for fear of not renewing in time): always with a new epoch, so
// that whatever the previous term still had in flight is refused. It
// returns the row as it was when not taken.
func acquire(ctx context.Context, db *sql.DB, id string, ttl time.Duration) (Lease, leaseRow, bool, error) {
	cur, err := readLease(ctx, db)
	if err != nil || (cur.valid() && cur.Holder != id) {
		return Lease{}, cur, false, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return Lease{}, cur, false, fmt.Errorf("acquire lease: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// Checked again under the row's lock: another replica may have taken
	// it since the read.
	err = tx.QueryRowContext(ctx, "SELECT holder, epoch, expires, round_started, "+nowUS+" FROM replica_lease WHERE id = 1 FOR UPDATE").
		Scan(&cur.Holder, &cur.Epoch, &cur.expires, &cur.roundStarted, &cur.now)
	if err != nil {
		return Lease{}, cur, false, fmt.Errorf("acquire lease: %w", err)
	}
	if cur.valid() && cur.Holder != id {
		return Lease{}, cur, false, nil
	}
	l := Lease{Holder: id, Epoch: cur.Epoch + 1}
	if _, err := tx.ExecContext(ctx, "UPDATE replica_lease SET holder = ?, epoch = ?, expires = "+nowUS+" + ?, acquired = "+nowUS+" WHERE id = 1",
		l.Holder, l.Epoch, ttl.Microseconds()); err != nil {
		return Lease{}, cur, false, fmt.Errorf("acquire lease: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Lease{}, cur, false, fmt.Errorf("acquire lease: %w", err)
	}
	return l, cur, true, nil
}

// renew extends the lease by ttl from now, if it is still l and has not
// expired: a lease that lapsed is gone, even when nobody took it.
func renew(ctx context.Context, db *sql.DB, l Lease, ttl time.Duration) error {
	return updateHeld(ctx, db, "renew lease", "expires = "+nowUS+" + ?", l, ttl.Microseconds())
}

// release ends the lease at once, so that another replica takes over
// without waiting for it to expire (a graceful shutdown).
func release(ctx context.Context, db *sql.DB, l Lease) error {
	return updateHeld(ctx, db, "release lease", "expires = 0", l)
}

// markRound records the start of a round of l's term: a leader that
// takes over waits an interval from it before its first round.
func markRound(ctx context.Context, db *sql.DB, l Lease) error {
	return updateHeld(ctx, db, "mark round", "round_started = "+nowUS, l)
}

func updateHeld(ctx context.Context, db *sql.DB, what, set string, l Lease, args ...any) error {
	args = append(args, l.Holder, l.Epoch)
	res, err := db.ExecContext(ctx, "UPDATE replica_lease SET "+set+" WHERE id = 1 AND holder = ? AND epoch = ? AND expires > "+nowUS, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	} else if n == 0 {
		return fmt.Errorf("%s: %w", what, errLost)
	}
	return nil
}

// fence is the check every write of a leader makes in its transaction,
// last before it commits: the lease must still be l. It locks the lease
// row until the commit, so an acquisition by another replica is ordered
// after the write, never beside it.
func fence(l Lease) store.Fence {
	return func(ctx context.Context, tx *sql.Tx) error {
		var cur Lease
		if err := tx.QueryRowContext(ctx, "SELECT holder, epoch FROM replica_lease WHERE id = 1 FOR UPDATE").Scan(&cur.Holder, &cur.Epoch); err != nil {
			return fmt.Errorf("fence: %w", err)
		}
		if cur != l {
			return fmt.Errorf("%w: epoch %d of %s is over (%s holds epoch %d)", store.ErrFenced, l.Epoch, l.Holder, cur.Holder, cur.Epoch)
		}
		return nil
	}
}

// requests are the rounds followers asked of the leader, as counters.
type requests struct {
	forced, wanted int64
}

func readRequests(ctx context.Context, db *sql.DB) (requests, error) {
	var r requests
	err := db.QueryRowContext(ctx, "SELECT forced, wanted FROM replica_lease WHERE id = 1").Scan(&r.forced, &r.wanted)
	if err != nil {
		return r, fmt.Errorf("read requests: %w", err)
	}
	return r, nil
}

// force asks the leader for a round, the way /debug/node does: at most
// one every `every` among all replicas; a request within that time joins
// the last one. It returns the request's number: the round that answers
// it makes a publication whose answered is at least that.
func force(ctx context.Context, db *sql.DB, every time.Duration) (int64, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("ask for a round: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n, at, now int64
	if err := tx.QueryRowContext(ctx, "SELECT forced, forced_at, "+nowUS+" FROM replica_lease WHERE id = 1 FOR UPDATE").Scan(&n, &at, &now); err != nil {
		return 0, fmt.Errorf("ask for a round: %w", err)
	}
	if now-at < every.Microseconds() {
		return n, nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE replica_lease SET forced = ?, forced_at = ? WHERE id = 1", n+1, now); err != nil {
		return 0, fmt.Errorf("ask for a round: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("ask for a round: %w", err)
	}
	return n + 1, nil
}

// want tells the leader a follower found the data stale (on-demand
// mode): the leader starts a round if it finds it stale too.
func want(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, "UPDATE replica_lease SET wanted = wanted + 1, wanted_at = "+nowUS+" WHERE id = 1"); err != nil {
		return fmt.Errorf("ask for fresh data: %w", err)
	}
	return nil
}
