package replica

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"sync"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
)

// Options configure a Replica. Zero values take the defaults noted.
type Options struct {
	// Store is what the replicas share: the lease, the requests to the
	// leader, the publications (mysql.ConnectReplicas).
	Store store.Replicas
	ID    string // this replica's name in the lease (DefaultID())
	// TTL is the lease's time to live (6 s). The leader renews it every
	// third of it and stops probing a sixth of it before it could expire;
	// a follower tries to take it every sixth.
	TTL time.Duration
	// Poll is how often a follower looks for a new publication, and the
	// leader for requests (250 ms).
	Poll time.Duration
	// PublishEvery bounds the leader's publications while a round runs
	// (1 s); the one ending a round is written at once.
	PublishEvery time.Duration
	Mode         refresh.Mode  // refresh.Background
	Interval     time.Duration // between round starts (30 s): a new leader's first round waits that long after the last one's start
	// ForceEvery is the least time between two rounds forced by
	// /debug/node on followers, among all replicas (10 s).
	ForceEvery time.Duration
	// On-demand mode, as refresh's: data older than StaleAfter makes a
	// follower ask the leader for a round; older than WaitAfter, the
	// request waits up to MaxWait for it (31 s, 120 s, 10 s).
	StaleAfter, WaitAfter, MaxWait time.Duration
	// ReadOnly says why this replica must not write (its binary is older
	// than the database's schema): it never leads. "" when it may.
	ReadOnly string
	// MaxPacket, when positive, stands for a smaller max_allowed_packet
	// than the database's: publications are cut into parts that fit it
	// (tests of a small setting on a shared server).
	MaxPacket int
	// History records the leader's rounds, fenced; nil without history.
	History History
	Logger  *slog.Logger
}

// History takes the rounds of the leader, each with the term that must
// still hold the lease when it is written (history.Recorder).
type History interface {
	RecordFenced(*refresh.Round, *store.Term)
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.TTL, 6*time.Second)
	def(&o.Poll, 250*time.Millisecond)
	def(&o.PublishEvery, time.Second)
	def(&o.Interval, 30*time.Second)
	def(&o.ForceEvery, 10*time.Second)
	def(&o.StaleAfter, 31*time.Second)
	def(&o.WaitAfter, 120*time.Second)
	def(&o.MaxWait, 10*time.Second)
	if o.Mode == "" {
		o.Mode = refresh.Background
	}
	if o.ID == "" {
		o.ID = DefaultID()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// FromConfig is the replica's share of the configuration; the command
// adds the store, the history and the logger.
func FromConfig(c *config.Config, rc config.Replica) (Options, error) {
	mode, err := refresh.ParseMode(c.Mode)
	return Options{ID: rc.ID, TTL: rc.LeaseTTL, Mode: mode, Interval: c.RefreshInterval}, err
}

// DefaultID is the host name and a random suffix: unique among replicas
// on one host, and readable in the lease.
func DefaultID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "replica"
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// Role is what a replica does now.
type Role string

// The roles.
const (
	Follower Role = "follower"
	Leader   Role = "leader"
)

// Replica is one instance among several on a database. It is what the
// server reads from (the server's Refresher): the publications it serves,
// the status it shows, the rounds it may cause.
type Replica struct {
	opts   Options
	rs     store.Replicas
	log    *slog.Logger
	served *snapshot.Holder
	ref    *refresh.Refresher

	loadMu sync.Mutex // orders loading a publication against taking the lead

	mu          sync.Mutex
	term        *term            // nil while following
	seen        store.LeaseState // the lease as last read
	lastHeld    store.Term       // the term this process held last
	loaded      loaded           // the publication served
	lags        lagRing
	dbErr       string // the last database failure, "" after a success
	dbErrSince  time.Time
	digestErr   string // the last publication rebuilt into other bytes
	pubErr      string // the leader's last publication not written, "" after one written
	pubErrSince time.Time
	writes      writeCounts
	lastWant    time.Time
	loadedWake  chan struct{} // closed when a publication is served

	demote chan demotion // a term's goroutines ask the lease loop to end it (a few per term at most)
}

// writeCounts are the leader's publication writes by outcome: written
// in one part or in several, refused for their size, failed.
type writeCounts struct {
	whole, split, refused, failed int64
}

// loaded is what a replica knows of the publication it serves.
type loaded struct {
	version   int64
	term      store.Term
	published int64 // database microseconds
	answered  int64
	status    refresh.Status
	at        time.Time // when it was served here
}

// New makes a replica; Attach its refresher before Run, and give the
// refresher the replica's Hooks and the replica as its Sink.
func New(o Options) *Replica {
	o.setDefaults()
	return &Replica{opts: o, rs: o.Store, log: o.Logger.With("replica", o.ID), served: &snapshot.Holder{},
		loadedWake: make(chan struct{}), demote: make(chan demotion, 16)}
}

// Attach hands the replica the refresher it drives when leading, and
// serves the newest publication in the database; without one (a
// database no replica has published to yet), what the refresher holds
// (a warm restart's snapshot). Call it once, before Run and before
// serving: a replica's warm restart seeds only the refresher, so that it
// never serves that copy of a publication, with another Last-Modified,
// while the publication itself is there to load.
func (r *Replica) Attach(ctx context.Context, ref *refresh.Refresher) {
	r.ref = ref
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	_ = r.loadNewer(ctx) // a failure is reported in /healthz; Run tries again
	if r.served.Load() == nil {
		r.served.Store(ref.Holder().Load())
	}
}

// ID is the replica's name in the lease.
func (r *Replica) ID() string { return r.opts.ID }

// Leading reports whether the replica leads now.
func (r *Replica) Leading() bool { return r.currentTerm() != nil }

// Lease returns the term the replica leads under while that term may
// still write, and false otherwise: what a part writing beside the
// rounds fences its writes with.
func (r *Replica) Lease() (store.Term, bool) {
	t := r.currentTerm()
	if t == nil || !t.live() {
		return store.Term{}, false
	}
	return t.lease, true
}

func (r *Replica) currentTerm() *term {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.term
}

// dbFailed and dbOK keep what /healthz says of the database.
func (r *Replica) dbFailed(err error) {
	r.mu.Lock()
	// Published on /healthz and /debug/task: its class and reason, never
	// the driver's text with the database's address and ours, which the
	// log keeps.
	d := probe.Describe(err)
	switch {
	case r.dbErr == "":
		r.dbErrSince = time.Now()
		r.log.Warn("database unreachable; serving the last publication", "err", err)
	case d != r.dbErr:
		r.log.Debug("database still unreachable", "err", err)
	}
	r.dbErr = d
	r.mu.Unlock()
}

func (r *Replica) dbOK() {
	r.mu.Lock()
	if r.dbErr != "" {
		r.log.Info("database reachable again", "after", time.Since(r.dbErrSince).Round(time.Millisecond))
	}
	r.dbErr = ""
	r.mu.Unlock()
}

// demotion asks for the end of one term: a request that comes after its
// term ended anyway must not end the next.
type demotion struct {
	t      *term
	reason string
}

// askDemote has the lease loop end t, from one of t's own goroutines
// (which the end of a term waits for).
func (r *Replica) askDemote(t *term, reason string) {
	select {
	case r.demote <- demotion{t, reason}:
	default:
	}
}
