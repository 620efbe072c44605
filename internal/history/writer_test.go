package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/store"
)

// flakyStore fails its first writes, as a database that went away and
// came back.
type flakyStore struct {
	store.Store // the rest is not called
	fail        atomic.Int64
	wrote       atomic.Int64
}

func (f *flakyStore) WriteRound(context.Context, *store.Round) error {
	if f.fail.Add(-1) >= 0 {
		return errors.New("connection refused")
	}
	f.wrote.Add(1)
	return nil
}

// The writer says when the store comes back, naming the round as the
// refresher's logs do.
func TestWriterLogsRecovery(t *testing.T) {
	var logs bytes.Buffer
	st := &flakyStore{}
	st.fail.Store(2)
	w := NewWriter(st, 10, slog.New(slog.NewTextHandler(&logs, nil)))
	w.Enqueue(&store.Round{ID: 1700000000000, N: 7})
	w.Enqueue(&store.Round{ID: 1700000001000, N: 8})
	w.Flush(context.Background())
	if st.wrote.Load() != 2 {
		t.Fatalf("%d rounds written, want 2", st.wrote.Load())
	}
	out := logs.String()
	if n := strings.Count(out, `msg="history write failed; retrying" round=7`); n != 2 {
		t.Errorf("%d failures of round 7 logged, want 2:\n%s", n, out)
	}
	if n := strings.Count(out, "history writes recovered"); n != 1 ||
		!strings.Contains(out, `msg="history writes recovered" round=7 failed_attempts=2`) {
		t.Errorf("recovery logged %d times:\n%s", n, out)
	}
	if strings.Contains(out, "1700000000000") {
		t.Errorf("a round is named by its storage key:\n%s", out)
	}
}

// The store counts uptime from its first probe, knowing no names; the
// recorder writes probes by their index in the table, whose gate is
// first: the two agree.
func TestGateIsTheStoresUpProbe(t *testing.T) {
	if probe.Gate.Index != store.UpProbe {
		t.Fatalf("the gate probe %q is at index %d; the store counts uptime from index %d", probe.Gate.Name, probe.Gate.Index, store.UpProbe)
	}
}

// refusingStore refuses fenced rounds for good, as a store whose lease
// another replica holds, and writes the others.
type refusingStore struct {
	store.Store // the rest is not called
	wrote       atomic.Int64
}

func (f *refusingStore) WriteRound(_ context.Context, r *store.Round) error {
	if r.Fence != nil {
		return fmt.Errorf("write round: %w", store.ErrFenced)
	}
	f.wrote.Add(1)
	return nil
}

// A round the store refuses for good is dropped and counted, not retried;
// the round behind it is written.
func TestWriterDropsRefusedRound(t *testing.T) {
	st := &refusingStore{}
	w := NewWriter(st, 10, slog.New(slog.DiscardHandler))
	w.Enqueue(&store.Round{ID: 1, N: 1, Fence: &store.Term{Holder: "a", Epoch: 3}})
	w.Enqueue(&store.Round{ID: 2, N: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w.Flush(ctx)
	if s := w.Status(); s.Refused != 1 || s.Written != 1 || s.Backlog != 0 || s.LastError != "" {
		t.Errorf("writer %+v, want one round refused and one written", s)
	}
	if st.wrote.Load() != 1 {
		t.Errorf("%d rounds written, want 1", st.wrote.Load())
	}
}
