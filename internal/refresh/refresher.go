package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
	"nodelist/internal/snapshot"
)

// Refresher owns the live state of every node and runs the rounds that
// update it.
type Refresher struct {
	opts  Options
	log   *slog.Logger
	short *probe.Client // Client with ShortTimeout; nil when that is no shorter

	mu          sync.Mutex // guards the live state below
	nodes       map[string]*nodeState
	order       []*nodeState // registry order
	registryRaw []byte
	registrySum [32]byte
	settings    *aleph.Settings
	settingsSum [32]byte
	settingsAt  time.Time // last good fetch
	lastRefresh time.Time
	dirty       bool
	status      Status
	scratch     []byte // where stale CRNs are rendered before being cached

	roundMu sync.Mutex // guards current, closed and base
	current *inflight
	closed  bool
	base    context.Context
	rounds  sync.WaitGroup
}

type inflight struct {
	done chan struct{}
	err  error
}

// New makes a Refresher and publishes an empty snapshot, so the service
// answers from its first moment.
func New(opts Options) *Refresher {
	opts.setDefaults()
	r := &Refresher{opts: opts, log: opts.Logger, nodes: map[string]*nodeState{}, base: context.Background()}
	r.status.Mode = string(opts.Mode)
	if opts.ShortTimeout < opts.Client.Options().Timeout {
		r.short = opts.Client.WithTimeout(opts.ShortTimeout)
	}
	if opts.Holder.Load() == nil {
		opts.Holder.Store(snapshot.Build(time.Time{}, nil))
	}
	return r
}

// Holder is where snapshots are published.
func (r *Refresher) Holder() *snapshot.Holder { return r.opts.Holder }

// Run runs rounds until ctx ends, then waits for the round in flight.
// In on-demand mode it only waits: requests start rounds through Fresh.
func (r *Refresher) Run(ctx context.Context) error {
	r.roundMu.Lock()
	r.base = ctx
	r.roundMu.Unlock()
	defer r.stop()
	if r.opts.Mode == OnDemand {
		<-ctx.Done()
		return nil
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		started := time.Now()
		h := r.start()
		select {
		case <-ctx.Done():
			return nil
		case <-h.done:
		}
		timer.Reset(time.Until(started.Add(r.opts.Interval)))
	}
}

func (r *Refresher) stop() {
	r.roundMu.Lock()
	r.closed = true
	r.roundMu.Unlock()
	r.rounds.Wait()
}

// start begins a round, or returns the one already running: concurrent
// triggers coalesce into one round.
func (r *Refresher) start() *inflight {
	r.roundMu.Lock()
	defer r.roundMu.Unlock()
	if r.current != nil {
		return r.current
	}
	h := &inflight{done: make(chan struct{})}
	if r.closed {
		h.err = errors.New("refresher stopped")
		close(h.done)
		return h
	}
	r.current = h
	ctx := r.base
	r.rounds.Add(1)
	go func() {
		defer r.rounds.Done()
		h.err = r.round(ctx)
		r.roundMu.Lock()
		r.current = nil
		r.roundMu.Unlock()
		close(h.done)
	}()
	return h
}

// Refresh runs a round, or joins the one running, and waits for its end
// or for ctx.
func (r *Refresher) Refresh(ctx context.Context) error {
	h := r.start()
	select {
	case <-h.done:
		return h.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Fresh is called before serving in on-demand mode: stale data starts a
// round in the background, very stale data waits a bounded time for it.
func (r *Refresher) Fresh(ctx context.Context) {
	if r.opts.Mode != OnDemand {
		return
	}
	r.mu.Lock()
	last := r.lastRefresh
	r.mu.Unlock()
	age := time.Since(last)
	if !last.IsZero() && age <= r.opts.StaleAfter {
		return
	}
	h := r.start()
	if last.IsZero() || age > r.opts.WaitAfter {
		ctx, cancel := context.WithTimeout(ctx, r.opts.MaxWait)
		defer cancel()
		select {
		case <-h.done:
		case <-ctx.Done():
		}
	}
}

// Registry returns the registry aggregate as last fetched, or nil.
func (r *Refresher) Registry() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.registryRaw
}

// Nodes returns the registry entries, in registry order.
func (r *Refresher) Nodes() []aleph.Node {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]aleph.Node, len(r.order))
	for i, s := range r.order {
		out[i] = s.node
	}
	return out
}

// Status is the state of the rounds, for /debug/task and /healthz.
type Status struct {
	Mode         string        `json:"mode"`
	Running      bool          `json:"running"`
	Round        uint64        `json:"round"`
	Started      time.Time     `json:"-"`
	Finished     time.Time     `json:"-"`
	LastDuration time.Duration `json:"-"`
	LastError    string        `json:"-"`
	// SettingsError is why the last settings fetch failed; "" when it
	// went well. The last good GPU list stays in use meanwhile.
	SettingsError string `json:"-"`
	Nodes         int    `json:"nodes"`
	Responsive    int    `json:"responsive"` // nodes whose config probe succeeded last round
	Probed        int    `json:"probed"`     // nodes done in the current or last round
	Targets       int    `json:"targets"`    // nodes of the current or last round

	// LastCRNVersion is the settings aggregate's last_crn_version, the
	// release the network expects nodes to run; "" until settings name
	// one. Later work compares each node's version with it.
	LastCRNVersion string `json:"-"`
}

// Status returns the current round status.
func (r *Refresher) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.status
	if r.settings != nil {
		st.LastCRNVersion = r.settings.LastCRNVersion
	}
	return st
}

func (r *Refresher) String() string {
	return fmt.Sprintf("refresher(%s, every %s)", r.opts.Mode, r.opts.Interval)
}
