package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"nodelist/internal/store"
)

var _ store.Notifier = (*Store)(nil)

// MaxOutbox bounds the messages the memory store keeps: past it, the
// oldest go, delivered or not (a database has no such bound, its retry
// window has).
const MaxOutbox = 10000

// notifyData are the notification rows: the states by hash, the outbox
// in Seq order.
type notifyData struct {
	mu     sync.Mutex
	states map[string][]byte
	outbox []outboxRow
	seq    int64
}

type outboxRow struct {
	store.Delivery
	delivered int64 // Unix microseconds, 0 until delivered
}

// NotifyStates returns every node's notification state.
func (s *Store) NotifyStates(ctx context.Context) ([]store.NotifyState, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read notify states: %w", err)
	}
	n := &s.d.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]store.NotifyState, 0, len(n.states))
	for h, st := range n.states {
		out = append(out, store.NotifyState{Hash: h, State: slices.Clone(st)})
	}
	return out, nil
}

// WriteNotify writes a step; a fenced one is refused, as WriteRound
// refuses a fenced round: only a database shared by replicas holds a
// lease.
func (s *Store) WriteNotify(ctx context.Context, step *store.NotifyStep) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write notifications: %w", err)
	}
	if step.Fence != nil {
		return fmt.Errorf("write notifications: %w (the memory store holds no lease)", store.ErrFenced)
	}
	if err := store.CheckNotifyStep(step); err != nil {
		return err
	}
	n := &s.d.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.states == nil {
		n.states = map[string][]byte{}
	}
	for _, st := range step.States {
		n.states[st.Hash] = slices.Clone(st.State)
	}
	if len(step.Outbox) == 0 {
		return nil
	}
	before := store.Micros(time.Now().Add(-store.NotifyKeep))
	n.outbox = slices.DeleteFunc(n.outbox, func(r outboxRow) bool { return r.delivered > 0 && r.delivered < before })
	for _, m := range step.Outbox {
		n.seq++
		m.Seq, m.Body, m.Created = n.seq, slices.Clone(m.Body), store.FromMicros(store.Micros(m.Created))
		n.outbox = append(n.outbox, outboxRow{Delivery: m})
	}
	if over := len(n.outbox) - MaxOutbox; over > 0 {
		n.outbox = slices.Delete(n.outbox, 0, over)
	}
	return nil
}

// Undelivered returns messages not yet delivered, in Seq order.
func (s *Store) Undelivered(ctx context.Context, after int64, limit int) ([]store.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	n := &s.d.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []store.Delivery
	for _, r := range n.outbox {
		if len(out) >= limit {
			break
		}
		if r.delivered == 0 && r.Seq > after {
			d := r.Delivery
			d.Body = slices.Clone(d.Body)
			out = append(out, d)
		}
	}
	return out, nil
}

// MarkDelivered marks one message delivered at `at`.
func (s *Store) MarkDelivered(ctx context.Context, seq int64, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mark message %d delivered: %w", seq, err)
	}
	n := &s.d.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	i, found := slices.BinarySearchFunc(n.outbox, seq, func(r outboxRow, seq int64) int { return int(r.Seq - seq) })
	if found && n.outbox[i].delivered == 0 {
		n.outbox[i].delivered = max(store.Micros(at), 1)
	}
	return nil
}
