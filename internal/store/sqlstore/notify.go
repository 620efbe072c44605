package sqlstore

import (
	"context"
	"fmt"
	"time"

	"nodelist/internal/store"
)

var _ store.Notifier = (*Store)(nil)

// NotifyStates returns every node's notification state.
func (s *Store) NotifyStates(ctx context.Context) ([]store.NotifyState, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	var out []store.NotifyState
	err := retryRead(ctx, func() error {
		out = out[:0]
		rows, err := s.r.QueryContext(ctx, "SELECT hash, state FROM notify_state")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st store.NotifyState
			if err := rows.Scan(&st.Hash, &st.State); err != nil {
				return err
			}
			out = append(out, st)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read notify states: %w", err)
	}
	return out, nil
}

// WriteNotify writes the step's states and messages in one transaction,
// checking the fence last, and prunes delivered messages older than
// store.NotifyKeep.
func (s *Store) WriteNotify(ctx context.Context, step *store.NotifyStep) error {
	if sc := s.opts.Schema; sc.Newer() {
		return fmt.Errorf("write notifications: %w", store.ErrReadOnly)
	}
	if err := store.CheckNotifyStep(step); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.WriteTimeout)
	defer cancel()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write notifications: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, st := range step.States {
		if _, err := tx.ExecContext(ctx, "INSERT INTO notify_state (hash, state) VALUES (?, ?) "+
			s.d.OnConflict("hash")+" state = "+s.d.Excluded("state"), st.Hash, st.State); err != nil {
			return fmt.Errorf("write notifications: state of %s: %w", st.Hash, err)
		}
	}
	for _, m := range step.Outbox {
		if _, err := tx.ExecContext(ctx, "INSERT INTO notify_outbox (event_id, url, body, created) VALUES (?, ?, ?, ?)",
			m.ID, m.URL, m.Body, store.Micros(m.Created)); err != nil {
			return fmt.Errorf("write notifications: outbox: %w", err)
		}
	}
	if len(step.Outbox) > 0 {
		before := store.Micros(time.Now().Add(-store.NotifyKeep))
		if _, err := tx.ExecContext(ctx, "DELETE FROM notify_outbox WHERE delivered > 0 AND delivered < ?", before); err != nil {
			return fmt.Errorf("write notifications: prune: %w", err)
		}
	}
	if step.Fence != nil {
		if err := s.d.fence(ctx, tx, *step.Fence); err != nil {
			return fmt.Errorf("write notifications: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write notifications: commit: %w", err)
	}
	return nil
}

// Undelivered returns messages not yet delivered, in Seq order. It reads
// from the write pool: a message just written must be seen at once.
func (s *Store) Undelivered(ctx context.Context, after int64, limit int) ([]store.Delivery, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	var out []store.Delivery
	err := retryRead(ctx, func() error {
		out = out[:0]
		rows, err := s.w.QueryContext(ctx, "SELECT seq, event_id, url, body, created FROM notify_outbox "+
			"WHERE delivered = 0 AND seq > ? ORDER BY seq LIMIT ?", after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d store.Delivery
			var created int64
			if err := rows.Scan(&d.Seq, &d.ID, &d.URL, &d.Body, &created); err != nil {
				return err
			}
			d.Created = store.FromMicros(created)
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return out, nil
}

// MarkDelivered marks one message delivered at `at`.
func (s *Store) MarkDelivered(ctx context.Context, seq int64, at time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.WriteTimeout)
	defer cancel()
	if _, err := s.w.ExecContext(ctx, "UPDATE notify_outbox SET delivered = ? WHERE seq = ? AND delivered = 0",
		max(store.Micros(at), 1), seq); err != nil {
		return fmt.Errorf("mark message %d delivered: %w", seq, err)
	}
	return nil
}
