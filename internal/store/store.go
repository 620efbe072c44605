package store

import (
	"context"
	"errors"
	"time"
)

// A store records the probes it is opened with, by name, in the order it
// is given them (the probe table's). That order only grows at the end: a
// probe's index is what the store keeps, in every row, so it never
// changes. The store knows nothing else of probes.

// UpProbe is the index of the probe whose answers say whether a node is
// up: the one Uptime counts. It is the first the store is opened with;
// the probe table puts its gate there.
const UpProbe = 0

// ErrNoProbes is a store opened without the names of the probes it is to
// record.
var ErrNoProbes = errors.New("history store: no probes named")

// Result is one probe of one node in one round.
type Result struct {
	Hash    string
	Probe   int // index in the store's probes; a result of another index is not recorded
	OK      bool
	At      time.Time
	Latency time.Duration
	Status  int    // HTTP status, 0 when none came
	Class   string // error class, "" when OK
	Msg     string
}

// Round is one refresh round's results, written in one transaction.
// Writing the same round twice changes nothing.
type Round struct {
	ID       int64  // unique per round: its start in Unix milliseconds
	N        uint64 // the refresh round's number since start, as logs and /debug/task say it
	Started  time.Time
	Finished time.Time
	Results  []Result
	Snapshot *Saved // the snapshot published at the end of the round, if any
	// Fence, when set, is the term of a replica's leader that probed the
	// round: the store checks in the round's transaction, just before it
	// commits, that the term still holds the lease, and refuses the round
	// with ErrFenced if not (or if the store holds no lease).
	Fence *Term
}

// Saved is a persisted snapshot: the crns.json body, gzip-compressed
// (a tenth of the bytes to write each round), and its last_refresh.
type Saved struct {
	LastRefresh time.Time
	Body        []byte
}

// Point is one bucket of a node's history for one probe.
type Point struct {
	Time         time.Time
	OK, Total    int
	LatencySumMS int64
	LatencyMaxMS int64
}

// Event is a state transition of one probe of one node.
type Event struct {
	ID     int64
	Probe  string
	At     time.Time
	OK     bool
	Status int
	Class  string
	Msg    string
}

// Uptime is a node's success ratio of the UpProbe over three windows; nil
// where the window has no sample.
type Uptime struct {
	Day, Week, Month *float64
	// Up and Since are the same probe's state as of its last transition:
	// whether it answered, and when it entered that state (zero when the
	// store holds no state for the node).
	Up    bool
	Since time.Time
}

// Store is a history backend.
type Store interface {
	// WriteRound records a round atomically and idempotently.
	WriteRound(ctx context.Context, r *Round) error
	// LastSnapshot returns the last persisted snapshot, or nil.
	LastSnapshot(ctx context.Context) (*Saved, error)
	// Probes returns the names of the probes the store records, by index.
	Probes() []string
	// History returns, per probe (a slice for each of Probes), the node's
	// samples between from and to in buckets of step, the first starting
	// at from (whole seconds): from, from+step, …
	History(ctx context.Context, hash string, from, to time.Time, step time.Duration) ([][]Point, error)
	// Events returns the node's transitions newest first, with IDs below
	// before (0: from the newest), at most limit.
	Events(ctx context.Context, hash string, before int64, limit int) ([]Event, error)
	// Uptime returns the success ratios up to now of every node sampled
	// in the last 30 days, with its config probe's current state.
	Uptime(ctx context.Context, now time.Time) (map[string]Uptime, error)
	// Prune deletes at most batch rows older than the retention windows
	// and says how many it deleted; call it until it returns 0.
	Prune(ctx context.Context, now time.Time, raw, long time.Duration, batch int) (int64, error)
	// Known reports whether the store has ever seen hash.
	Known(ctx context.Context, hash string) (bool, error)
	// Close releases the store; only the owner calls it, at shutdown.
	Close() error
}

// ErrFenced is a write refused because the replica that made it no longer
// leads: another holds the lease. Retrying cannot help.
var ErrFenced = errors.New("write refused: this replica no longer holds the leader lease")

// ErrReadOnly is a write refused because the database's schema is newer
// than this binary's: a newer version of the service writes there now.
var ErrReadOnly = errors.New("write refused: the database's schema is newer than this binary's")

// ReadOnly returns why st refuses to write, or "" when it writes.
func ReadOnly(st Store) string {
	if r, ok := st.(interface{ ReadOnly() string }); ok {
		return r.ReadOnly()
	}
	return ""
}
