package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"nodelist/internal/store"
)

// rowsPerStatement bounds multi-row statements (SQLite allows 32 766
// parameters, MySQL a 16 MiB packet by default).
const rowsPerStatement = 250

// WriteRound records r in one transaction. The round's ID is inserted
// first with insert-ignore: a round already written (a retry after a lost
// commit acknowledgement) is recognised and nothing is added twice.
func (s *Store) WriteRound(ctx context.Context, r *store.Round) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.WriteTimeout)
	defer cancel()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write round: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	res, err := tx.ExecContext(ctx, s.d.InsertIgnore+" INTO rounds (id, started, finished, results) VALUES (?, ?, ?, ?)",
		r.ID, micros(r.Started), micros(r.Finished), len(r.Results))
	if err != nil {
		return fmt.Errorf("write round: mark round: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("write round: %w", err)
	} else if n == 0 {
		return tx.Commit() // already written
	}
	ids, err := s.nodeIDs(ctx, tx, r.Results)
	if err != nil {
		return fmt.Errorf("write round: node ids: %w", err)
	}
	if err := s.writeRollups(ctx, tx, ids, r.Results); err != nil {
		return fmt.Errorf("write round: rollups: %w", err)
	}
	if err := s.writeStates(ctx, tx, ids, r); err != nil {
		return fmt.Errorf("write round: states: %w", err)
	}
	if r.Snapshot != nil {
		q := "INSERT INTO snapshot (id, last_refresh, saved_at, body) VALUES (1, ?, ?, ?) " + s.d.OnConflict("id") +
			" last_refresh = " + s.d.Excluded("last_refresh") + ", saved_at = " + s.d.Excluded("saved_at") + ", body = " + s.d.Excluded("body")
		if _, err := tx.ExecContext(ctx, q, micros(r.Snapshot.LastRefresh), micros(r.Finished), r.Snapshot.Body); err != nil {
			return fmt.Errorf("write round: snapshot: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write round: commit: %w", err)
	}
	return nil
}

// nodeIDs maps every hash of results to its row id, adding new nodes.
func (s *Store) nodeIDs(ctx context.Context, tx *sql.Tx, results []store.Result) (map[string]int64, error) {
	ids := make(map[string]int64, len(results)/NumProbesHint)
	var hashes []string
	for _, r := range results {
		if _, ok := ids[r.Hash]; !ok {
			ids[r.Hash] = 0
			hashes = append(hashes, r.Hash)
		}
	}
	for start := 0; start < len(hashes); start += rowsPerStatement {
		chunk := hashes[start:min(start+rowsPerStatement, len(hashes))]
		args := make([]any, len(chunk))
		for i, h := range chunk {
			args[i] = h
		}
		marks := placeholders(len(chunk), 1)
		if _, err := tx.ExecContext(ctx, s.d.InsertIgnore+" INTO nodes (hash) VALUES "+marks, args...); err != nil {
			return nil, err
		}
		rows, err := tx.QueryContext(ctx, "SELECT id, hash FROM nodes WHERE hash IN ("+strings.Repeat("?,", len(chunk)-1)+"?)", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var h string
			if err := rows.Scan(&id, &h); err != nil {
				rows.Close()
				return nil, err
			}
			ids[h] = id
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// NumProbesHint sizes maps keyed by node from per-probe results.
const NumProbesHint = store.NumProbes

type rollupKey struct {
	node   int64
	probe  int
	bucket int64
}

type rollup struct{ ok, total, latSum, latMax int64 }

// writeRollups adds the round to the minute rollups, then computes the
// hourly rollup of every complete hour not yet rolled up (and of any
// earlier hour a late round touched) from the minute rows. An hour is
// recomputed whole, never added to, so a retried round cannot count
// twice there either.
func (s *Store) writeRollups(ctx context.Context, tx *sql.Tx, ids map[string]int64, results []store.Result) error {
	agg := map[rollupKey]*rollup{}
	var keys []rollupKey
	hours := map[int64]bool{}
	var current int64
	for _, r := range results {
		k := rollupKey{ids[r.Hash], r.Probe, r.At.Unix() / 60}
		a := agg[k]
		if a == nil {
			a = &rollup{}
			agg[k] = a
			keys = append(keys, k)
		}
		a.total++
		if r.OK {
			a.ok++
		}
		ms := r.Latency.Milliseconds()
		a.latSum += ms
		a.latMax = max(a.latMax, ms)
		h := k.bucket / 60
		hours[h] = true
		current = max(current, h)
	}
	x := s.d.Excluded
	suffix := " " + s.d.OnConflict("node_id, probe, bucket") + " ok = ok + " + x("ok") + ", total = total + " + x("total") +
		", lat_sum = lat_sum + " + x("lat_sum") + ", lat_max = " + s.d.Greatest + "(lat_max, " + x("lat_max") + ")"
	for start := 0; start < len(keys); start += rowsPerStatement {
		chunk := keys[start:min(start+rowsPerStatement, len(keys))]
		args := make([]any, 0, len(chunk)*7)
		for _, k := range chunk {
			a := agg[k]
			args = append(args, k.node, k.probe, k.bucket, a.ok, a.total, a.latSum, a.latMax)
		}
		q := "INSERT INTO minute_rollup (node_id, probe, bucket, ok, total, lat_sum, lat_max) VALUES " + placeholders(len(chunk), 7) + suffix
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MAX(bucket) FROM hour_rollup").Scan(&last); err != nil {
		return err
	}
	todo := map[int64]bool{}
	for h := range hours {
		if h < current && (!last.Valid || h <= last.Int64) {
			todo[h] = true // a late round changed an hour already rolled up
		}
	}
	from := current - 1
	if last.Valid {
		from = last.Int64 + 1
	}
	for h := max(from, current-24*400); h < current; h++ {
		todo[h] = true
	}
	for h := range todo {
		if err := s.rollHour(ctx, tx, h); err != nil {
			return err
		}
	}
	return nil
}

// rollHour recomputes hour h from its minute rows.
func (s *Store) rollHour(ctx context.Context, tx *sql.Tx, h int64) error {
	x := s.d.Excluded
	q := "INSERT INTO hour_rollup (node_id, probe, bucket, ok, total, lat_sum, lat_max) " +
		"SELECT node_id, probe, ?, SUM(ok), SUM(total), SUM(lat_sum), MAX(lat_max) FROM minute_rollup " +
		"WHERE bucket >= ? AND bucket < ? GROUP BY node_id, probe " + s.d.OnConflict("node_id, probe, bucket") +
		" ok = " + x("ok") + ", total = " + x("total") + ", lat_sum = " + x("lat_sum") + ", lat_max = " + x("lat_max")
	_, err := tx.ExecContext(ctx, q, h, h*60, h*60+60)
	return err
}

type stateKey struct {
	node  int64
	probe int
}

// writeStates records an event, and the new state, for each probe whose
// outcome changed (or that is seen for the first time).
func (s *Store) writeStates(ctx context.Context, tx *sql.Tx, ids map[string]int64, r *store.Round) error {
	prev := make(map[stateKey]bool, len(r.Results))
	rows, err := tx.QueryContext(ctx, "SELECT node_id, probe, ok FROM probe_state")
	if err != nil {
		return err
	}
	for rows.Next() {
		var k stateKey
		var ok bool
		if err := rows.Scan(&k.node, &k.probe, &ok); err != nil {
			rows.Close()
			return err
		}
		prev[k] = ok
	}
	if err := rows.Close(); err != nil {
		return err
	}
	var events []store.Result
	var eventKeys []stateKey
	for _, res := range r.Results {
		k := stateKey{ids[res.Hash], res.Probe}
		if was, seen := prev[k]; !seen || was != res.OK {
			events = append(events, res)
			eventKeys = append(eventKeys, k)
		}
	}
	// Only transitions are written: an event each, and the probe's state
	// as of its last transition. A steady round writes none of either.
	x := s.d.Excluded
	suffix := " " + s.d.OnConflict("node_id, probe") + " ok = " + x("ok") + ", since = " + x("since") + ", at = " + x("at") +
		", status = " + x("status") + ", class = " + x("class") + ", msg = " + x("msg") + ", latency_ms = " + x("latency_ms")
	for start := 0; start < len(events); start += rowsPerStatement {
		end := min(start+rowsPerStatement, len(events))
		evArgs := make([]any, 0, (end-start)*8)
		stArgs := make([]any, 0, (end-start)*9)
		for i := start; i < end; i++ {
			e, k := events[i], eventKeys[i]
			evArgs = append(evArgs, k.node, e.Probe, r.ID, micros(e.At), e.OK, e.Status, e.Class, e.Msg)
			stArgs = append(stArgs, k.node, e.Probe, e.OK, micros(e.At), micros(e.At), e.Status, e.Class, e.Msg, e.Latency.Milliseconds())
		}
		q := s.d.InsertIgnore + " INTO events (node_id, probe, round_id, at, ok, status, class, msg) VALUES " + placeholders(end-start, 8)
		if _, err := tx.ExecContext(ctx, q, evArgs...); err != nil {
			return err
		}
		q = "INSERT INTO probe_state (node_id, probe, ok, since, at, status, class, msg, latency_ms) VALUES " + placeholders(end-start, 9) + suffix
		if _, err := tx.ExecContext(ctx, q, stArgs...); err != nil {
			return err
		}
	}
	return nil
}

// placeholders writes n rows of width question marks: (?,?),(?,?).
func placeholders(n, width int) string {
	row := "(" + strings.Repeat("?,", width-1) + "?)"
	var b strings.Builder
	b.Grow(n * (len(row) + 1))
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
