package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"nodelist/internal/store"
)

// Replicas is store.Replicas on the tables of MySQL's migration 7 (and
// 9): the lease row, its request counters, and the publications with
// their parts. SQLite has none of them: it serves one replica.
type Replicas struct {
	db *sql.DB
}

var _ store.Replicas = (*Replicas)(nil)

// NewReplicas returns the replicas' storage on db, a migrated MySQL pool
// of their own opened with FoundRows (an UPDATE then reports the rows it
// matched: a renewal that changes nothing still finds the lease), which
// it then owns.
func NewReplicas(db *sql.DB) *Replicas { return &Replicas{db: db} }

// Close closes the pool.
func (s *Replicas) Close() error { return s.db.Close() }

// nowUS is the database's time in microseconds since the Unix epoch. Every
// time the replicas compare is read from it, never from their own clocks,
// so that their skew does not matter.
const nowUS = "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6))"

// leaseColumns are what ReadLease reads, then the database's time.
const leaseColumns = "SELECT holder, epoch, expires, round_started, " + nowUS + " FROM replica_lease WHERE id = 1"

func scanLease(row *sql.Row) (store.LeaseState, error) {
	var l store.LeaseState
	err := row.Scan(&l.Holder, &l.Epoch, &l.Expires, &l.RoundStarted, &l.Now)
	return l, err
}

// ReadLease reads the lease.
func (s *Replicas) ReadLease(ctx context.Context) (store.LeaseState, error) {
	l, err := scanLease(s.db.QueryRowContext(ctx, leaseColumns))
	if err != nil {
		return l, fmt.Errorf("read lease: %w", err)
	}
	return l, nil
}

// AcquireLease takes the lease for id when it is free, expired, or
// already id's (a replica restarted under the same id, or one that
// stopped leading for fear of not renewing in time): always with a new
// epoch, so that whatever the previous term still had in flight is
// refused. It returns the lease as it was when not taken.
func (s *Replicas) AcquireLease(ctx context.Context, id string, ttl time.Duration) (store.Term, store.LeaseState, bool, error) {
	cur, err := s.ReadLease(ctx)
	if err != nil || (cur.Valid() && cur.Holder != id) {
		return store.Term{}, cur, false, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return store.Term{}, cur, false, fmt.Errorf("acquire lease: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// Checked again under the row's lock: another replica may have taken
	// it since the read.
	if cur, err = scanLease(tx.QueryRowContext(ctx, leaseColumns+" FOR UPDATE")); err != nil {
		return store.Term{}, cur, false, fmt.Errorf("acquire lease: %w", err)
	}
	if cur.Valid() && cur.Holder != id {
		return store.Term{}, cur, false, nil
	}
	t := store.Term{Holder: id, Epoch: cur.Epoch + 1}
	if _, err := tx.ExecContext(ctx, "UPDATE replica_lease SET holder = ?, epoch = ?, expires = "+nowUS+" + ?, acquired = "+nowUS+" WHERE id = 1",
		t.Holder, t.Epoch, ttl.Microseconds()); err != nil {
		return store.Term{}, cur, false, fmt.Errorf("acquire lease: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return store.Term{}, cur, false, fmt.Errorf("acquire lease: %w", err)
	}
	return t, cur, true, nil
}

// RenewLease extends the lease by ttl from now, if it is still t's and
// has not expired: a lease that lapsed is gone, even when nobody took it.
func (s *Replicas) RenewLease(ctx context.Context, t store.Term, ttl time.Duration) error {
	return s.updateHeld(ctx, "renew lease", "expires = "+nowUS+" + ?", t, ttl.Microseconds())
}

// ReleaseLease ends the lease at once, so that another replica takes
// over without waiting for it to expire (a graceful shutdown).
func (s *Replicas) ReleaseLease(ctx context.Context, t store.Term) error {
	return s.updateHeld(ctx, "release lease", "expires = 0", t)
}

// MarkRound records the start of a round of t's term: a leader that
// takes over waits an interval from it before its first round.
func (s *Replicas) MarkRound(ctx context.Context, t store.Term) error {
	return s.updateHeld(ctx, "mark round", "round_started = "+nowUS, t)
}

func (s *Replicas) updateHeld(ctx context.Context, what, set string, t store.Term, args ...any) error {
	args = append(args, t.Holder, t.Epoch)
	res, err := s.db.ExecContext(ctx, "UPDATE replica_lease SET "+set+" WHERE id = 1 AND holder = ? AND epoch = ? AND expires > "+nowUS, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	} else if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrLeaseLost)
	}
	return nil
}

// fence is the check every write of a leader's term t makes in its
// transaction, last before it commits: the lease must still be t's. It
// locks the lease row until the commit, so an acquisition by another
// replica is ordered after the write, never beside it. A database that
// holds no lease refuses every fenced write.
func (d Dialect) fence(ctx context.Context, tx *sql.Tx, t store.Term) error {
	if d.FenceQuery == "" {
		return fmt.Errorf("%w: a %s database holds no lease", store.ErrFenced, d.Name)
	}
	var cur store.Term
	if err := tx.QueryRowContext(ctx, d.FenceQuery).Scan(&cur.Holder, &cur.Epoch); err != nil {
		return fmt.Errorf("fence: %w", err)
	}
	if cur != t {
		return fmt.Errorf("%w: epoch %d of %s is over (%s holds epoch %d)", store.ErrFenced, t.Epoch, t.Holder, cur.Holder, cur.Epoch)
	}
	return nil
}

// Requests reads the rounds followers asked of the leader.
func (s *Replicas) Requests(ctx context.Context) (store.Requests, error) {
	var r store.Requests
	err := s.db.QueryRowContext(ctx, "SELECT forced, wanted FROM replica_lease WHERE id = 1").Scan(&r.Forced, &r.Wanted)
	if err != nil {
		return r, fmt.Errorf("read requests: %w", err)
	}
	return r, nil
}

// ForceRound asks the leader for a round, the way /debug/node does: at
// most one every `every` among all replicas; a request within that time
// joins the last one. It returns the request's number: the round that
// answers it makes a publication whose Answered is at least that.
func (s *Replicas) ForceRound(ctx context.Context, every time.Duration) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
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

// WantRound tells the leader a follower found the data stale (on-demand
// mode): the leader starts a round if it finds it stale too.
func (s *Replicas) WantRound(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, "UPDATE replica_lease SET wanted = wanted + 1, wanted_at = "+nowUS+" WHERE id = 1"); err != nil {
		return fmt.Errorf("ask for fresh data: %w", err)
	}
	return nil
}
