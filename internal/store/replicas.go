package store

import (
	"context"
	"errors"
	"time"
)

// Several replicas on one database (internal/replica) share three things
// through it: the leader lease, the rounds followers ask of the leader,
// and the leader's publications. Replicas is their storage; every time it
// compares is read from the database's clock, in microseconds since the
// Unix epoch, never from a replica's, so that their skew does not matter.

// Term is one holding of the leader lease: who holds it, and its epoch,
// which grows with every acquisition. A write fenced by a term commits
// only while that term still holds the lease.
type Term struct {
	Holder string
	Epoch  int64
}

// LeaseState is the lease as read: its term, when it expires, when the
// leader's latest round started, and the database's time of the read
// (database microseconds).
type LeaseState struct {
	Term
	Expires, RoundStarted, Now int64
}

// Valid reports whether someone holds the lease now.
func (l LeaseState) Valid() bool { return l.Holder != "" && l.Expires > l.Now }

// Requests are the rounds followers asked of the leader, as counters.
type Requests struct {
	Forced, Wanted int64
}

// Publication is one publication of the leader, as stored: the gzip of
// its crns.json and what a follower needs to rebuild the same bytes.
type Publication struct {
	Version   int64 // given by WritePublication
	Term      Term  // the leader's term that wrote it
	Published int64 // database microseconds, set by WritePublication
	Built     time.Time
	Final     bool // the end of a round
	// Answered is the highest forced request whose round had ended when
	// this was published (see Replicas.ForceRound).
	Answered   int64
	ETag       string // of crns.json
	ActiveETag string // of the active CRNs' variant
	Digest     string // of the compressed encodings
	Status     []byte // the leader's refresh status, JSON
	Body       []byte // the gzip of crns.json
}

// Replicas is the storage several replicas share: the MySQL backend's
// (SQLite serves one replica). Every write of a term is fenced: it
// happens only while that term holds the lease, checked in the write's
// transaction.
type Replicas interface {
	// ReadLease reads the lease.
	ReadLease(ctx context.Context) (LeaseState, error)
	// AcquireLease takes the lease for holder when it is free, expired,
	// or already holder's, always with a new epoch, for ttl. It returns
	// the new term, the lease as it was, and whether it was taken.
	AcquireLease(ctx context.Context, holder string, ttl time.Duration) (Term, LeaseState, bool, error)
	// RenewLease extends t's lease by ttl from now; ErrLeaseLost when t
	// no longer holds it (a lease that lapsed is gone, even when nobody
	// took it).
	RenewLease(ctx context.Context, t Term, ttl time.Duration) error
	// ReleaseLease ends t's lease at once (ErrLeaseLost when it was not
	// t's any more).
	ReleaseLease(ctx context.Context, t Term) error
	// MarkRound records the start of a round of t's term (ErrLeaseLost
	// when t no longer holds the lease).
	MarkRound(ctx context.Context, t Term) error
	// Requests reads the rounds followers asked for.
	Requests(ctx context.Context) (Requests, error)
	// ForceRound asks the leader for a round: at most one every `every`
	// among all replicas; a request within that time joins the last one.
	// It returns the request's number.
	ForceRound(ctx context.Context, every time.Duration) (int64, error)
	// WantRound tells the leader a follower found the data stale.
	WantRound(ctx context.Context) error
	// WritePublication stores p as the next version, fenced by p.Term
	// (ErrFenced), and prunes the oldest; it returns the version and the
	// parts the body was written in, each fitting a statement of the
	// writing connection (its max_allowed_packet, lowered to maxPacket
	// when that is positive). ErrTooLarge when no part can fit.
	WritePublication(ctx context.Context, p *Publication, maxPacket int) (version int64, parts int, err error)
	// NewerPublication returns the newest publication after version, or
	// nil when there is none, with the database's time of the read. Its
	// head is read within timeout; the rest of a body in parts has more,
	// after its bytes.
	NewerPublication(ctx context.Context, version int64, timeout time.Duration) (*Publication, int64, error)
	// Close releases the storage; only the owner calls it, at shutdown.
	Close() error
}

// ErrLeaseLost is a renewal, a release or a round mark refused: the lease
// is no longer the caller's.
var ErrLeaseLost = errors.New("the lease is no longer held")

// ErrTooLarge is a publication refused for its size: writing it again
// cannot help.
var ErrTooLarge = errors.New("publication too large")
