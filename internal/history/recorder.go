package history

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nodelist/internal/config"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
)

// Recorder is the running history: it turns each round refresh reports
// into store rows (a refresh.Sink), writes them through a Writer, prunes
// expired rows, and seeds a warm restart from the last snapshot.
type Recorder struct {
	st     store.Store
	writer *Writer
	cfg    config.History
	log    *slog.Logger
	wg     sync.WaitGroup
	cancel context.CancelFunc
	// pruneWhen, when set, says whether pruning may run now: among
	// replicas, only the leader prunes.
	pruneWhen func() bool
}

// New records into st; it does nothing until Start.
func New(st store.Store, cfg config.History, log *slog.Logger) *Recorder {
	return &Recorder{st: st, writer: NewWriter(st, cfg.Queue, log), cfg: cfg, log: log}
}

// Store is the recorder's store, for the history API.
func (h *Recorder) Store() store.Store { return h.st }

// Writer is the recorder's writer, for its status in /healthz.
func (h *Recorder) Writer() *Writer { return h.writer }

// Record hands a round's report to the writer; it never blocks.
func (h *Recorder) Record(r *refresh.Round) { h.RecordFenced(r, nil) }

// RecordFenced is Record for a round whose write must pass fence (see
// Round.Fence): a replica's leader records its rounds so.
func (h *Recorder) RecordFenced(r *refresh.Round, fence *store.Term) {
	out := &store.Round{ID: r.Started.UnixMilli(), N: r.N, Started: r.Started, Finished: r.Finished,
		Results: make([]store.Result, 0, len(r.Nodes)*len(probe.All)), Fence: fence}
	for _, n := range r.Nodes {
		for p, o := range n.Outcomes {
			if o.Skipped {
				// A probe that was not due has no sample: its history
				// holds the rounds it was asked in, and uptime, success
				// ratios and transitions count only those.
				continue
			}
			out.Results = append(out.Results, store.Result{Hash: n.Hash, Probe: p, OK: o.OK, At: o.At,
				Latency: o.Latency, Status: o.Status, Class: string(o.Class), Msg: o.Msg})
		}
	}
	if r.Snapshot != nil && len(r.Nodes) > 0 {
		// The store keeps the gzip bytes clients are served: built here,
		// once, when no client has asked for them yet (a few ms per
		// thousand nodes, never waiting on I/O).
		gz, _ := r.Snapshot.All.Variant(snapshot.Gzip)
		out.Snapshot = &store.Saved{LastRefresh: r.Snapshot.LastRefresh, Body: gz}
	}
	h.writer.Enqueue(out)
}

// PruneWhen makes the pruner skip its turns while ok reports false; call
// it before Start.
func (h *Recorder) PruneWhen(ok func() bool) { h.pruneWhen = ok }

// Start runs the writer and the pruner until Stop.
func (h *Recorder) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.wg.Add(2)
	go func() { defer h.wg.Done(); h.writer.Run(ctx) }()
	go func() { defer h.wg.Done(); h.prune(ctx) }()
}

// prune deletes expired rows in small batches, every few minutes.
func (h *Recorder) prune(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		for h.pruneWhen == nil || h.pruneWhen() {
			n, err := h.st.Prune(ctx, time.Now(), h.cfg.RetentionRaw, h.cfg.RetentionLong, 1000)
			if err != nil || n == 0 {
				if err != nil && !errors.Is(err, context.Canceled) {
					h.log.Warn("prune", "err", err)
				}
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stop flushes the queue within deadline and closes the store: the
// recorder owns it.
func (h *Recorder) Stop(deadline time.Duration) {
	if h.cancel != nil {
		h.cancel()
	}
	h.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	h.writer.Flush(ctx)
	if s := h.writer.Status(); s.Backlog > 0 {
		h.log.Warn("history rounds not written at shutdown", "rounds", s.Backlog)
	}
	if err := h.st.Close(); err != nil {
		h.log.Warn("close history store", "err", err)
	}
}

// RegisterMetrics registers the history's metrics on reg (nil: none).
// Call it before Start.
func (h *Recorder) RegisterMetrics(reg prometheus.Registerer) { h.writer.RegisterMetrics(reg) }
