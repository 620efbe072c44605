package history

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/store"
)

// Writer moves rounds to a store off the serving path: Enqueue never
// blocks, one goroutine writes each round in one transaction, and a round
// that fails is retried with backoff until it is written. While the
// database is away rounds wait in memory, up to a bound; past it the
// oldest is dropped and counted.
type Writer struct {
	st   store.Store
	max  int
	log  *slog.Logger
	wake chan struct{}

	mu      sync.Mutex
	queue   []*store.Round
	dropped int64
	written int64
	refused int64
	lastErr string
	busy    bool      // a round is being written
	failing time.Time // when writes began to fail; zero while they succeed
	fails   int       // failed attempts since then

	metrics *metrics // nil until RegisterMetrics
}

// WriterStatus is what /healthz reports of the writer.
type WriterStatus struct {
	Backlog   int    `json:"backlog"` // rounds waiting, the one being written included
	Max       int    `json:"max"`     // rounds held at most; at it, the oldest is dropped
	Written   int64  `json:"written"`
	Dropped   int64  `json:"dropped"`
	LastError string `json:"last_error,omitempty"`
	// Refused counts rounds the database refused for good: probed by a
	// leader that lost its lease (fenced), or meant for a schema newer
	// than this binary's.
	Refused int64 `json:"refused,omitempty"`
}

// NewWriter makes a writer holding at most max rounds in memory.
func NewWriter(st store.Store, max int, log *slog.Logger) *Writer {
	if max <= 0 {
		max = 1000
	}
	if log == nil {
		log = slog.Default()
	}
	return &Writer{st: st, max: max, log: log, wake: make(chan struct{}, 1)}
}

// Enqueue hands a round over; it never blocks.
func (w *Writer) Enqueue(r *store.Round) {
	w.mu.Lock()
	if len(w.queue) >= w.max {
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.dropped++
	}
	w.queue = append(w.queue, r)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Status reports the backlog.
func (w *Writer) Status() WriterStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.queue)
	if w.busy {
		n++
	}
	return WriterStatus{Backlog: n, Max: w.max, Written: w.written, Dropped: w.dropped, Refused: w.refused, LastError: w.lastErr}
}

// Run writes rounds until ctx ends. Call Flush afterwards to write what
// is left, within a deadline.
func (w *Writer) Run(ctx context.Context) {
	for {
		if !w.writeNext(ctx) {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
			}
		}
	}
}

// Flush writes every queued round, giving up when ctx ends.
func (w *Writer) Flush(ctx context.Context) {
	for w.writeNext(ctx) {
	}
}

// writeNext writes the oldest round, retrying with backoff until it is
// written or ctx ends. It reports whether it took a round.
func (w *Writer) writeNext(ctx context.Context) bool {
	w.mu.Lock()
	if len(w.queue) == 0 || ctx.Err() != nil {
		w.mu.Unlock()
		return false
	}
	r := w.queue[0]
	w.queue[0] = nil
	w.queue = w.queue[1:]
	w.busy = true
	w.mu.Unlock()

	backoff := 100 * time.Millisecond
	for {
		start := time.Now()
		err := w.st.WriteRound(ctx, r)
		w.metrics.wrote(time.Since(start), err)
		w.mu.Lock()
		if err == nil {
			w.written++
			w.lastErr = ""
			w.busy = false
			since, fails, backlog := w.failing, w.fails, len(w.queue)
			w.failing, w.fails = time.Time{}, 0
			w.mu.Unlock()
			if !since.IsZero() {
				w.log.Info("history writes recovered", "round", r.N, "failed_attempts", fails,
					"failing_for", time.Since(since), "backlog", backlog)
			}
			return true
		}
		if errors.Is(err, store.ErrFenced) || errors.Is(err, store.ErrReadOnly) {
			w.refused++
			w.busy = false
			w.mu.Unlock()
			w.log.Warn("history round refused; dropped", "round", r.ID, "err", err)
			return true
		}
		// Published on /healthz and /readyz: its class and reason, never
		// the driver's text with the database's address and ours; the
		// log below keeps that.
		w.lastErr = probe.Describe(err)
		if w.failing.IsZero() {
			w.failing = time.Now()
		}
		w.fails++
		w.mu.Unlock()
		w.log.Warn("history write failed; retrying", "round", r.N, "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			w.mu.Lock()
			w.queue = append([]*store.Round{r}, w.queue...) // keep it for Flush
			w.busy = false
			w.mu.Unlock()
			return false
		case <-t.C:
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}
