package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"nodelist/internal/store"
)

// Options tune a Store. Zero values take the defaults noted.
type Options struct {
	WriteTimeout time.Duration // one round's transaction (10 s)
	ReadTimeout  time.Duration // one API query (5 s)
	// Probes names the probes recorded, in the probe table's order; none
	// is store.ErrNoProbes.
	Probes []string
	// Schema is what Migrate found: a database of a newer schema is read,
	// never written.
	Schema Schema
	// OnClose, when set, runs after the pools are closed (the SQLite
	// backend releases its lock file there).
	OnClose func() error
}

// Store is store.Store on database/sql. It reads through r and writes
// through w, which may be the same pool (MySQL) or not (SQLite: one
// writer connection, readers in parallel).
type Store struct {
	d         Dialect
	w, r      *sql.DB
	opts      Options
	maxPacket atomic.Int64 // see SetMaxPacket
}

// SetMaxPacket makes the store write as if the database's packet were at
// most n bytes (0: as it is): the last snapshot is cut into parts that
// fit it. Tests use it to stand for a small server setting.
func (s *Store) SetMaxPacket(n int) { s.maxPacket.Store(int64(n)) }

// New returns a Store over open, migrated databases, which it then owns
// (closing them if the options are refused).
func New(d Dialect, w, r *sql.DB, o Options) (*Store, error) {
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 5 * time.Second
	}
	o.Probes = slices.Clone(o.Probes)
	s := &Store{d: d, w: w, r: r, opts: o}
	if err := checkProbes(o.Probes); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// checkProbes refuses names a history could not tell apart.
func checkProbes(names []string) error {
	if len(names) == 0 {
		return store.ErrNoProbes
	}
	if len(names) > MaxProbes {
		return fmt.Errorf("history store: %d probes, at most %d", len(names), MaxProbes)
	}
	for i, n := range names {
		if n == "" || slices.Contains(names[:i], n) {
			return fmt.Errorf("history store: probe %d is named %q: want a name of its own", i, n)
		}
	}
	return nil
}

// Probes returns the names of the probes the store records, by index.
func (s *Store) Probes() []string { return slices.Clone(s.opts.Probes) }

// Close closes the pools; only the owner calls it, at shutdown.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	if s.opts.OnClose != nil {
		err = errors.Join(err, s.opts.OnClose())
	}
	return err
}

// ReadOnly says why the store refuses to write, or "" when it writes.
func (s *Store) ReadOnly() string {
	if sc := s.opts.Schema; sc.Newer() {
		return fmt.Sprintf("the database's schema is at version %d, newer than this binary's %d: a newer version of the service writes there; this one only reads (upgrade it)", sc.Database, sc.Binary)
	}
	return ""
}

// DB returns the write pool, for tests that inspect it.
func (s *Store) DB() *sql.DB { return s.w }

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
// hourly ones otherwise, and sums them into buckets of step starting at
// from.
func (s *Store) History(ctx context.Context, hash string, from, to time.Time, step time.Duration) ([][]store.Point, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	var out [][]store.Point
	err := retryRead(ctx, func() (err error) {
		out, err = s.history(ctx, hash, from, to, step)
		return err
	})
	return out, err
}

func (s *Store) history(ctx context.Context, hash string, from, to time.Time, step time.Duration) ([][]store.Point, error) {
	out := make([][]store.Point, len(s.opts.Probes))
	var node int64
	err := s.r.QueryRowContext(ctx, "SELECT id FROM nodes WHERE hash = ?", hash).Scan(&node)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("history: %w", err)
	}
	fromS, toS := from.Unix(), to.Unix()
	buckets := store.NewBuckets(len(out), from, step)
	add := func(unix int64, probes []agg) {
		for p, a := range probes {
			buckets.Add(unix, p, a.OK, a.Total, a.LatSum, a.LatMax)
		}
	}
	// Hours with samples are read from them, at the resolution of a
	// round; the others from their hourly entry.
	covered := map[int64]bool{}
	err = s.scanBlobs(ctx, "SELECT hour, data FROM samples WHERE node_id = ? AND hour >= ? AND hour <= ?",
		[]any{node, store.FloorDiv(fromS, 3600), store.FloorDiv(toS, 3600)}, func(hour int64, data []byte) error {
			covered[hour] = true
			return decodeSamples(data, func(e sample) {
				if t := hour*3600 + e.second; t >= fromS && t < toS {
					add(t, e.probes)
				}
			})
		})
	if err != nil {
		return out, fmt.Errorf("history: %w", err)
	}
	err = s.scanBlobs(ctx, "SELECT day, data FROM hourly WHERE node_id = ? AND day >= ? AND day <= ?",
		[]any{node, store.FloorDiv(fromS, 86400), store.FloorDiv(toS, 86400)}, func(day int64, data []byte) error {
			hours, err := decodeHours(data)
			if err != nil {
				return err
			}
			for h := range hours {
				hour := day*24 + int64(h)
				if t := hour * 3600; !covered[hour] && t+3600 > fromS && t < toS {
					add(t, hours[h])
				}
			}
			return nil
		})
	if err != nil {
		return out, fmt.Errorf("history: %w", err)
	}
	return buckets.Points(), nil
}

// scanBlobs runs a query of (bucket, data) rows and hands each to fn; a
// corrupt blob is an error.
func (s *Store) scanBlobs(ctx context.Context, q string, args []any, fn func(int64, []byte) error) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b int64
		var data []byte
		if err := rows.Scan(&b, &data); err != nil {
			return err
		}
		if err := fn(b, data); err != nil {
			return err
		}
	}
	return rows.Err()
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
		if probe >= 0 && probe < len(s.opts.Probes) {
			e.Probe = s.opts.Probes[probe]
		}
		e.At = store.FromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return out, nil
}

// Uptime sums the hourly rollups of store.UpProbe over 24 h, 7 d and 30 d.
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
	rolled, err := rolledHour(ctx, s.r)
	if err != nil {
		return nil, fmt.Errorf("uptime: %w", err)
	}
	type sums struct{ v [6]int64 }
	per := map[string]*sums{}
	count := func(hash string, hour int64, a agg) {
		if a.Total == 0 || hour <= month || hour > h {
			return
		}
		u := per[hash]
		if u == nil {
			u = &sums{}
			per[hash] = u
		}
		for i, since := range [...]int64{day, week, month} {
			if hour > since {
				u.v[2*i] += a.OK
				u.v[2*i+1] += a.Total
			}
		}
	}
	// Hours rolled up come from hourly, the others from their samples.
	err = s.scanHashBlobs(ctx, "SELECT n.hash, x.day, x.data FROM hourly x JOIN nodes n ON n.id = x.node_id WHERE x.day >= ?",
		[]any{store.FloorDiv(month, 24)}, func(hash string, d int64, data []byte) error {
			hours, err := decodeHours(data)
			if err != nil {
				return nil // one corrupt row does not hide every node's uptime
			}
			for i := range hours {
				if hour := d*24 + int64(i); hour <= rolled && len(hours[i]) > store.UpProbe {
					count(hash, hour, hours[i][store.UpProbe])
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("uptime: %w", err)
	}
	err = s.scanHashBlobs(ctx, "SELECT n.hash, x.hour, x.data FROM samples x JOIN nodes n ON n.id = x.node_id WHERE x.hour > ?",
		[]any{max(rolled, month)}, func(hash string, hour int64, data []byte) error {
			_ = decodeSamples(data, func(e sample) {
				if len(e.probes) > store.UpProbe {
					count(hash, hour, e.probes[store.UpProbe])
				}
			})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("uptime: %w", err)
	}
	out := make(map[string]store.Uptime, len(per))
	for hash, u := range per {
		out[hash] = store.Uptime{Day: ratio(u.v[0], u.v[1]), Week: ratio(u.v[2], u.v[3]), Month: ratio(u.v[4], u.v[5])}
	}
	if err := s.gateStates(ctx, out); err != nil {
		return nil, fmt.Errorf("uptime: %w", err)
	}
	return out, nil
}

// gateStates sets Up and Since, from probe_state, on the nodes of out:
// the state of the probe whose ratios Uptime counts (the first, the
// config probe), as of its last transition.
func (s *Store) gateStates(ctx context.Context, out map[string]store.Uptime) error {
	rows, err := s.r.QueryContext(ctx, "SELECT n.hash, p.ok, p.since FROM probe_state p JOIN nodes n ON n.id = p.node_id WHERE p.probe = ?", store.UpProbe)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var hash string
		var ok bool
		var since int64
		if err := rows.Scan(&hash, &ok, &since); err != nil {
			return err
		}
		if u, sampled := out[hash]; sampled {
			u.Up, u.Since = ok, store.FromMicros(since)
			out[hash] = u
		}
	}
	return rows.Err()
}

// scanHashBlobs runs a query of (hash, bucket, data) rows and hands each
// to fn.
func (s *Store) scanHashBlobs(ctx context.Context, q string, args []any, fn func(string, int64, []byte) error) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var hash string
		var b int64
		var data []byte
		if err := rows.Scan(&hash, &b, &data); err != nil {
			return err
		}
		if err := fn(hash, b, data); err != nil {
			return err
		}
	}
	return rows.Err()
}

func ratio(ok, total int64) *float64 {
	if total == 0 {
		return nil
	}
	r := float64(ok) / float64(total)
	return &r
}

// Prune deletes up to batch rows past retention: samples and round marks
// older than raw (after rolling up the samples' hours), then hourly rows
// and events older than long. A round mark only has to outlive the
// retries of its round's write, which come within the writer's queue
// bound; kept for long, a 30 s interval would leave a million of them.
func (s *Store) Prune(ctx context.Context, now time.Time, raw, long time.Duration, batch int) (int64, error) {
	if s.ReadOnly() != "" {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.WriteTimeout)
	defer cancel()
	rawHour := store.FloorDiv(now.Add(-raw).Unix(), 3600)
	if err := s.rollBefore(ctx, rawHour); err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	steps := []struct {
		q    string
		args []any
	}{
		{s.d.PruneOld("samples", "hour"), []any{rawHour, batch}},
		{"DELETE FROM rounds WHERE id IN (SELECT id FROM (SELECT id FROM rounds WHERE started < ? ORDER BY id LIMIT ?) old)", []any{store.Micros(now.Add(-raw)), batch}},
		{s.d.PruneOld("hourly", "day"), []any{store.FloorDiv(now.Add(-long).Unix(), 86400), batch}},
		{"DELETE FROM events WHERE id IN (SELECT id FROM (SELECT id FROM events WHERE at < ? ORDER BY id LIMIT ?) old)", []any{store.Micros(now.Add(-long)), batch}},
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

// rollBefore rolls up every hour before cutoff whose samples are about to
// be pruned and that no later round rolled up (the service stopped in
// that hour).
func (s *Store) rollBefore(ctx context.Context, cutoff int64) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	last, err := rolledHour(ctx, tx)
	if err != nil {
		return err
	}
	todo, err := queryInts(ctx, tx, "SELECT DISTINCT hour FROM samples WHERE hour > ? AND hour < ?", last, cutoff)
	if err != nil || len(todo) == 0 {
		return err
	}
	for _, h := range todo {
		if err := s.rollHour(ctx, tx, h); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// SampleCount is the number of probe outcomes in the samples rows, for
// tests and checks that count what was written.
func (s *Store) SampleCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.scanBlobs(ctx, "SELECT hour, data FROM samples", nil, func(_ int64, data []byte) error {
		return decodeSamples(data, func(e sample) {
			for _, p := range e.probes {
				n += p.Total
			}
		})
	})
	return n, err
}
