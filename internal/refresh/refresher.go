package refresh

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
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
	met   *metrics      // nil without a registerer

	mu          sync.Mutex // guards the live state below
	plan        plan       // what the next round does; see Reconfigure
	rejudge     bool       // the forbidden names changed: judge every address again
	nodes       map[string]*nodeState
	order       []*nodeState // registry order
	registryGz  []byte       // the aggregate as last fetched, gzipped: only /debug reads it
	registrySum [32]byte
	settings    *aleph.Settings
	settingsSum [32]byte
	settingsAt  time.Time // last good fetch
	lastRefresh time.Time
	dirty       bool
	status      Status
	scratch     []byte // where stale CRNs are rendered before being cached
	// turns is, for each origin with several addresses, the path of the
	// last of them a round asked: the next round goes on after it.
	turns map[string]string

	roundMu sync.Mutex // guards current, closed and base
	current *inflight
	closed  bool
	base    context.Context
	rounds  sync.WaitGroup
	replan  chan struct{} // the mode or the interval changed: Run schedules anew
}

type inflight struct {
	done chan struct{}
	err  error
}

// New makes a Refresher and publishes an empty snapshot, so the service
// answers from its first moment.
func New(opts Options) *Refresher {
	opts.setDefaults()
	r := &Refresher{opts: opts, log: opts.Logger, plan: planOf(&opts), nodes: map[string]*nodeState{},
		base: context.Background(), replan: make(chan struct{}, 1), met: newMetrics(opts.Registerer, opts.Holder)}
	r.status.Mode = string(opts.Mode)
	if opts.ShortTimeout < opts.Client.Options().Timeout {
		r.short = opts.Client.WithTimeout(opts.ShortTimeout)
	}
	if opts.Holder.Load() == nil {
		opts.Holder.Store(snapshot.Empty())
	}
	return r
}

// Holder is where snapshots are published.
func (r *Refresher) Holder() *snapshot.Holder { return r.opts.Holder }

// Run runs rounds until ctx ends, then waits for the round in flight.
// In background mode a round starts every interval; in on-demand mode Run
// only waits, and requests start rounds through Fresh. A change of mode
// or interval (Reconfigure) takes effect in the current wait.
func (r *Refresher) Run(ctx context.Context) error { return r.RunFrom(ctx, time.Time{}) }

// RunFrom is Run with the first background round at first (at once if it
// is past): a replica that takes over the lead keeps the schedule of the
// leader before it. Rounds run again after a RunFrom that ended, until
// the next ends too.
func (r *Refresher) RunFrom(ctx context.Context, first time.Time) error {
	r.roundMu.Lock()
	r.base = ctx
	r.closed = false
	r.roundMu.Unlock()
	defer r.stop()
	r.mu.Lock()
	last := first.Add(-r.plan.interval) // start of the last round, as if one ran an interval before first
	r.mu.Unlock()
	for {
		r.mu.Lock()
		mode, interval := r.plan.mode, r.plan.interval
		r.mu.Unlock()
		var due <-chan time.Time // never, in on-demand mode
		timer := time.NewTimer(time.Until(last.Add(interval)))
		if mode == Background {
			due = timer.C
		}
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-r.replan:
			timer.Stop()
			continue
		case <-due:
		}
		last = time.Now()
		h := r.start()
		select {
		case <-ctx.Done():
			return nil
		case <-h.done:
		}
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
	r.mu.Lock()
	last, mode := r.lastRefresh, r.plan.mode
	r.mu.Unlock()
	if mode != OnDemand {
		return
	}
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
	gz := r.registryGz
	r.mu.Unlock()
	if gz == nil {
		return nil
	}
	raw, err := gunzip(gz)
	if err != nil {
		panic("refresh: the registry kept is not gzip: " + err.Error()) // written by keepRegistry
	}
	return raw
}

func gunzip(gz []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// keepRegistry returns raw gzipped: the aggregate is kept for the debug
// endpoint alone, and compressed it takes a fifth of the memory (7 MB of
// JSON at 10 000 nodes). It is compressed only when it changed.
func keepRegistry(raw []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	_, _ = zw.Write(raw) // a bytes.Buffer takes every write
	_ = zw.Close()
	return bytes.Clone(b.Bytes())
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

// Status returns the current round status.
func (r *Refresher) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.status
	if r.opts.Mode == Background {
		st.MaxAge = 3*r.opts.Interval + r.opts.RoundTimeout
	}
	if r.settings != nil {
		st.LastCRNVersion = r.settings.LastCRNVersion
	}
	return st
}

func (r *Refresher) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("refresher(%s, every %s)", r.plan.mode, r.plan.interval)
}
