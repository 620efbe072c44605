package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/refresh"
	"nodelist/internal/store"
	"nodelist/internal/store/mysql"
	"nodelist/internal/store/sqlite"
)

// history is the running store: the store, its writer and their goroutines.
type history struct {
	st     store.Store
	writer *store.Writer
	cfg    config.History
	log    *slog.Logger
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// openHistory opens the configured store (nil for --db none).
func openHistory(ctx context.Context, cfg config.History, log *slog.Logger) (*history, error) {
	st, err := store.Open(ctx, cfg.DB,
		func(ctx context.Context, path string) (store.Store, error) { return sqlite.Open(ctx, path) },
		func(ctx context.Context, dsn string) (store.Store, error) { return mysql.Open(ctx, dsn) })
	if err != nil || st == nil {
		return nil, err
	}
	return &history{st: st, writer: store.NewWriter(st, cfg.Queue, log), cfg: cfg, log: log}, nil
}

// seed serves the last persisted snapshot at once.
func (h *history) seed(ctx context.Context, ref *refresh.Refresher) {
	saved, err := h.st.LastSnapshot(ctx)
	if err != nil {
		h.log.Warn("no warm start: reading the last snapshot failed", "err", err)
		return
	}
	if saved == nil {
		return
	}
	body, err := gunzip(saved.Body)
	if err == nil {
		err = ref.Seed(saved.LastRefresh, body)
	}
	if err != nil {
		h.log.Warn("no warm start: the last snapshot is unreadable", "err", err)
		return
	}
	h.log.Info("serving the last persisted snapshot", "last_refresh", saved.LastRefresh)
}

// onRound hands a round's report to the writer.
func (h *history) onRound(r *refresh.Round) {
	out := &store.Round{ID: r.Started.UnixMilli(), Started: r.Started, Finished: r.Finished,
		Results: make([]store.Result, 0, len(r.Nodes)*store.NumProbes)}
	for _, n := range r.Nodes {
		for p, o := range [store.NumProbes]refresh.Outcome{n.Config, n.Usage, n.IPv6} {
			out.Results = append(out.Results, store.Result{Hash: n.Hash, Probe: p, OK: o.OK, At: o.At,
				Latency: o.Latency, Status: o.Status, Class: string(o.Class), Msg: o.Msg})
		}
	}
	if r.Snapshot != nil && len(r.Nodes) > 0 {
		// A round's snapshot is compressed at its publication (gzip at
		// every level); the store keeps those bytes.
		out.Snapshot = &store.Saved{LastRefresh: r.Snapshot.LastRefresh, Body: r.Snapshot.All.Gzip.Bytes}
	}
	h.writer.Enqueue(out)
}

// start runs the writer and the pruner until stop.
func (h *history) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.wg.Add(2)
	go func() { defer h.wg.Done(); h.writer.Run(ctx) }()
	go func() { defer h.wg.Done(); h.prune(ctx) }()
}

// prune deletes expired rows in small batches, every few minutes.
func (h *history) prune(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		for {
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

// stop flushes the queue within deadline and closes the store.
func (h *history) stop(deadline time.Duration) {
	h.cancel()
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

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, 1<<30))
}
