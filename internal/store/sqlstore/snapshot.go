package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"nodelist/internal/store"
)

// writeSnapshot keeps saved as the last snapshot, in parts that each fit
// in a statement of tx's connection (see parts.go).
func (s *Store) writeSnapshot(ctx context.Context, tx *sql.Tx, saved *store.Saved, at time.Time) error {
	packet, err := s.d.Packet(ctx, tx)
	if err != nil {
		return err
	}
	size, err := PartSize(packet, int(s.maxPacket.Load()))
	if err != nil {
		return err
	}
	parts := Split(saved.Body, size)
	q := "INSERT INTO snapshot (id, last_refresh, saved_at, parts, body) VALUES (1, ?, ?, ?, ?) " + s.d.OnConflict("id") +
		" last_refresh = " + s.d.Excluded("last_refresh") + ", saved_at = " + s.d.Excluded("saved_at") +
		", parts = " + s.d.Excluded("parts") + ", body = " + s.d.Excluded("body")
	if _, err := tx.ExecContext(ctx, q, store.Micros(saved.LastRefresh), store.Micros(at), len(parts), parts[0]); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM snapshot_parts"); err != nil {
		return err
	}
	for i, p := range parts[1:] {
		if _, err := tx.ExecContext(ctx, "INSERT INTO snapshot_parts (part, body) VALUES (?, ?)", i+1, p); err != nil {
			return fmt.Errorf("part %d of %d: %w", i+1, len(parts), err)
		}
	}
	return nil
}

// LastSnapshot returns the last persisted snapshot, or nil.
func (s *Store) LastSnapshot(ctx context.Context) (*store.Saved, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	var out *store.Saved
	err := retryRead(ctx, func() error {
		var err error
		out, err = s.lastSnapshot(ctx)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("last snapshot: %w", err)
	}
	return out, nil
}

// lastSnapshot reads the row and its parts in one transaction, so that a
// snapshot written meanwhile is not mixed into it.
func (s *Store) lastSnapshot(ctx context.Context) (*store.Saved, error) {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read only
	var lr int64
	var n int
	var body []byte
	if err := tx.QueryRowContext(ctx, "SELECT last_refresh, parts, body FROM snapshot WHERE id = 1").Scan(&lr, &n, &body); err != nil {
		return nil, err
	}
	if n > 1 {
		rows, err := tx.QueryContext(ctx, "SELECT part, body FROM snapshot_parts ORDER BY part")
		if body, err = JoinParts(body, n, rows, err); err != nil {
			return nil, err
		}
	}
	return &store.Saved{LastRefresh: store.FromMicros(lr), Body: body}, nil
}
