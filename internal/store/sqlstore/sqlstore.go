package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"nodelist/internal/store"
)

// Options tune a Store. Zero values take the defaults noted.
type Options struct {
	WriteTimeout time.Duration // one round's transaction (10 s)
	ReadTimeout  time.Duration // one API query (5 s)
}

// Store is store.Store on database/sql. It reads through r and writes
// through w, which may be the same pool (MySQL) or not (SQLite: one
// writer connection, readers in parallel).
type Store struct {
	d    Dialect
	w, r *sql.DB
	opts Options
}

// New returns a Store over open, migrated databases, which it now owns.
func New(d Dialect, w, r *sql.DB, o Options) *Store {
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 5 * time.Second
	}
	return &Store{d: d, w: w, r: r, opts: o}
}

// Close closes the pools; only the owner calls it, at shutdown.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// DB returns the write pool, for tests that inspect it.
func (s *Store) DB() *sql.DB { return s.w }

// LastSnapshot returns the last persisted snapshot, or nil.
func (s *Store) LastSnapshot(ctx context.Context) (*store.Saved, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	var lr int64
	var body []byte
	err := retryRead(ctx, func() error {
		return s.r.QueryRowContext(ctx, "SELECT last_refresh, body FROM snapshot WHERE id = 1").Scan(&lr, &body)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("last snapshot: %w", err)
	}
	return &store.Saved{LastRefresh: fromMicros(lr), Body: body}, nil
}

// Known reports whether the store has seen hash.
func (s *Store) Known(ctx context.Context, hash string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	var id int64
	err := retryRead(ctx, func() error {
		return s.r.QueryRowContext(ctx, "SELECT id FROM nodes WHERE hash = ?", hash).Scan(&id)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up node: %w", err)
	}
	return true, nil
}

// History reads the minute rollups when the range lies within raw, the
// hourly ones otherwise, and sums them into buckets of step.
func (s *Store) History(ctx context.Context, hash string, from, to time.Time, step time.Duration) ([store.NumProbes][]store.Point, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	var out [store.NumProbes][]store.Point
	err := retryRead(ctx, func() (err error) {
		out, err = s.history(ctx, hash, from, to, step)
		return err
	})
	return out, err
}

func (s *Store) history(ctx context.Context, hash string, from, to time.Time, step time.Duration) ([store.NumProbes][]store.Point, error) {
	var out [store.NumProbes][]store.Point
	table, size := "hour_rollup", time.Hour
	if step < time.Hour || to.Sub(from) <= 48*time.Hour {
		table, size = "minute_rollup", time.Minute
	}
	if step < size {
		step = size
	}
	secs := int64(size / time.Second)
	fromB, toB := from.Unix()/secs, (to.Unix()+secs-1)/secs
	q := "SELECT r.probe, r.bucket * ?, r.ok, r.total, r.lat_sum, r.lat_max FROM " + table +
		" r JOIN nodes n ON n.id = r.node_id WHERE n.hash = ? AND r.bucket >= ? AND r.bucket < ?"
	args := []any{secs, hash, fromB, toB}
	if table == "hour_rollup" {
		// Hours not rolled up yet are read from their minutes.
		rolled, err := s.lastRolledHour(ctx)
		if err != nil {
			return out, fmt.Errorf("history: %w", err)
		}
		q += " AND r.bucket <= ? UNION ALL SELECT r.probe, r.bucket * 60, r.ok, r.total, r.lat_sum, r.lat_max FROM minute_rollup r" +
			" JOIN nodes n ON n.id = r.node_id WHERE n.hash = ? AND r.bucket >= ? AND r.bucket < ?"
		args = append(args, rolled, hash, max(fromB, rolled+1)*60, toB*60)
	}
	rows, err := s.r.QueryContext(ctx, "SELECT * FROM ("+q+") h ORDER BY 2", args...)
	if err != nil {
		return out, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	stepSecs := int64(step / time.Second)
	for rows.Next() {
		var probe int
		var unix, ok, total, sum, mx int64
		if err := rows.Scan(&probe, &unix, &ok, &total, &sum, &mx); err != nil {
			return out, fmt.Errorf("history: %w", err)
		}
		if probe < 0 || probe >= store.NumProbes {
			continue
		}
		t := time.Unix(unix/stepSecs*stepSecs, 0).UTC()
		pts := out[probe]
		if n := len(pts); n > 0 && pts[n-1].Time.Equal(t) {
			p := &pts[n-1]
			p.OK += int(ok)
			p.Total += int(total)
			p.LatencySumMS += sum
			p.LatencyMaxMS = max(p.LatencyMaxMS, mx)
			continue
		}
		out[probe] = append(pts, store.Point{Time: t, OK: int(ok), Total: int(total), LatencySumMS: sum, LatencyMaxMS: mx})
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("history: %w", err)
	}
	return out, nil
}

// Events returns the node's transitions, newest first.
func (s *Store) Events(ctx context.Context, hash string, before int64, limit int) ([]store.Event, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	var out []store.Event
	err := retryRead(ctx, func() (err error) {
		out, err = s.events(ctx, hash, before, limit)
		return err
	})
	return out, err
}

func (s *Store) events(ctx context.Context, hash string, before int64, limit int) ([]store.Event, error) {
	if before <= 0 {
		before = 1<<62 - 1
	}
	rows, err := s.r.QueryContext(ctx, "SELECT e.id, e.probe, e.at, e.ok, e.status, e.class, e.msg FROM events e "+
		"JOIN nodes n ON n.id = e.node_id WHERE n.hash = ? AND e.id < ? ORDER BY e.id DESC LIMIT ?", hash, before, limit)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	out := []store.Event{}
	for rows.Next() {
		var e store.Event
		var probe int
		var at int64
		if err := rows.Scan(&e.ID, &probe, &at, &e.OK, &e.Status, &e.Class, &e.Msg); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		if probe >= 0 && probe < store.NumProbes {
			e.Probe = store.ProbeNames[probe]
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return out, nil
}

// Uptime sums the hourly config-probe rollups over 24 h, 7 d and 30 d.
func (s *Store) Uptime(ctx context.Context, now time.Time) (map[string]store.Uptime, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	var out map[string]store.Uptime
	err := retryRead(ctx, func() (err error) {
		out, err = s.uptime(ctx, now)
		return err
	})
	return out, err
}

func (s *Store) uptime(ctx context.Context, now time.Time) (map[string]store.Uptime, error) {
	h := now.Unix() / 3600
	day, week, month := h-24, h-7*24, h-30*24
	rolled, err := s.lastRolledHour(ctx)
	if err != nil {
		return nil, fmt.Errorf("uptime: %w", err)
	}
	// Complete hours come from the hourly rollups, the hours not rolled up
	// yet from their minutes; both in hours (minute bucket / 60).
	rows, err := s.r.QueryContext(ctx, `SELECT n.hash,
		SUM(CASE WHEN u.hour > ? THEN u.ok ELSE 0 END), SUM(CASE WHEN u.hour > ? THEN u.total ELSE 0 END),
		SUM(CASE WHEN u.hour > ? THEN u.ok ELSE 0 END), SUM(CASE WHEN u.hour > ? THEN u.total ELSE 0 END),
		SUM(u.ok), SUM(u.total)
		FROM (SELECT node_id, bucket AS hour, ok, total FROM hour_rollup WHERE probe = ? AND bucket > ? AND bucket <= ?
		      UNION ALL
		      SELECT node_id, FLOOR(bucket / 60) AS hour, ok, total FROM minute_rollup WHERE probe = ? AND bucket >= ? AND bucket < ?) u
		JOIN nodes n ON n.id = u.node_id GROUP BY n.hash`,
		day, day, week, week, store.ProbeConfig, month, min(h, rolled), store.ProbeConfig, max(month, rolled)*60+60, (h+1)*60)
	if err != nil {
		return nil, fmt.Errorf("uptime: %w", err)
	}
	defer rows.Close()
	out := map[string]store.Uptime{}
	for rows.Next() {
		var hash string
		var v [6]int64
		if err := rows.Scan(&hash, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
			return nil, fmt.Errorf("uptime: %w", err)
		}
		out[hash] = store.Uptime{Day: ratio(v[0], v[1]), Week: ratio(v[2], v[3]), Month: ratio(v[4], v[5])}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("uptime: %w", err)
	}
	return out, nil
}

func ratio(ok, total int64) *float64 {
	if total == 0 {
		return nil
	}
	r := float64(ok) / float64(total)
	return &r
}

// Prune deletes up to batch rows past retention: minute rollups older than
// raw, then hourly rollups, events and round marks older than long.
func (s *Store) Prune(ctx context.Context, now time.Time, raw, long time.Duration, batch int) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.WriteTimeout)
	defer cancel()
	if err := s.rollBefore(ctx, now.Add(-raw)); err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	steps := []struct {
		q    string
		args []any
	}{
		{s.d.PruneRollup("minute_rollup"), []any{now.Add(-raw).Unix() / 60, batch}},
		{s.d.PruneRollup("hour_rollup"), []any{now.Add(-long).Unix() / 3600, batch}},
		{"DELETE FROM events WHERE id IN (SELECT id FROM (SELECT id FROM events WHERE at < ? ORDER BY id LIMIT ?) old)", []any{micros(now.Add(-long)), batch}},
		{"DELETE FROM rounds WHERE id IN (SELECT id FROM (SELECT id FROM rounds WHERE started < ? ORDER BY id LIMIT ?) old)", []any{micros(now.Add(-long)), batch}},
	}
	for _, st := range steps {
		res, err := s.w.ExecContext(ctx, st.q, st.args...)
		if err != nil {
			return 0, fmt.Errorf("prune: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return n, nil
		}
	}
	return 0, nil
}

// lastRolledHour is the newest hour rolled up, or -1.
func (s *Store) lastRolledHour(ctx context.Context) (int64, error) {
	var last sql.NullInt64
	if err := s.r.QueryRowContext(ctx, "SELECT MAX(bucket) FROM hour_rollup").Scan(&last); err != nil {
		return 0, err
	}
	if !last.Valid {
		return -1, nil
	}
	return last.Int64, nil
}

// rollBefore rolls up every hour whose minutes are about to be pruned
// and that no later round rolled up (the service stopped in that hour).
func (s *Store) rollBefore(ctx context.Context, cutoff time.Time) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var oldest sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MIN(bucket) FROM minute_rollup").Scan(&oldest); err != nil || !oldest.Valid {
		return err
	}
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MAX(bucket) FROM hour_rollup").Scan(&last); err != nil {
		return err
	}
	from := oldest.Int64 / 60
	if last.Valid {
		from = max(from, last.Int64+1)
	}
	for h := from; h <= cutoff.Unix()/3600; h++ {
		if err := s.rollHour(ctx, tx, h); err != nil {
			return err
		}
	}
	return tx.Commit()
}
