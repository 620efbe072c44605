package sqlstore

import (
	"context"
	"database/sql"
	"errors"
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
	if sc := s.opts.Schema; sc.Newer() {
		return fmt.Errorf("write round: %w (version %d; this binary knows up to %d)", store.ErrReadOnly, sc.Database, sc.Binary)
	}
	timeout := s.opts.WriteTimeout
	if r.Snapshot != nil {
		// A large snapshot takes its time: its bytes at 2 MiB/s at worst.
		timeout += time.Duration(len(r.Snapshot.Body)) * time.Second / (2 << 20)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write round: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	res, err := tx.ExecContext(ctx, s.d.InsertIgnore+" INTO rounds (id, started, finished, results) VALUES (?, ?, ?, ?)",
		r.ID, store.Micros(r.Started), store.Micros(r.Finished), len(r.Results))
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
		if err := s.writeSnapshot(ctx, tx, r.Snapshot, r.Finished); err != nil {
			return fmt.Errorf("write round: snapshot: %w", err)
		}
	}
	// Last before the commit: a fence that locks a row holds it only
	// for the commit's time.
	if r.Fence != nil {
		if err := s.d.fence(ctx, tx, *r.Fence); err != nil {
			return fmt.Errorf("write round: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write round: commit: %w", err)
	}
	return nil
}

// nodeIDs maps every hash of results to its row id, adding new nodes.
func (s *Store) nodeIDs(ctx context.Context, tx *sql.Tx, results []store.Result) (map[string]int64, error) {
	ids := make(map[string]int64, len(results)/max(len(s.opts.Probes), 1))
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

type sampleKey struct {
	node, hour, minute int64
}

// writeRollups appends the round to the samples of each node's hour (an
// entry per node and minute, normally one per round), then rolls up into
// hourly every hour before the round's that has samples and was not
// rolled up yet, and any earlier hour a late round touched. An hour is
// rolled up whole, never added to, so a retried round cannot count twice
// there either.
func (s *Store) writeRollups(ctx context.Context, tx *sql.Tx, ids map[string]int64, results []store.Result) error {
	entries := map[sampleKey]*sample{}
	var keys []sampleKey
	current := int64(-1)
	for _, r := range results {
		if r.Probe < 0 || r.Probe >= len(s.opts.Probes) {
			continue
		}
		sec := r.At.Unix()
		k := sampleKey{ids[r.Hash], sec / 3600, sec / 60}
		e := entries[k]
		if e == nil {
			e = &sample{second: sec % 3600, probes: make([]agg, 0, len(s.opts.Probes))}
			entries[k] = e
			keys = append(keys, k)
		}
		ms := max(r.Latency.Milliseconds(), 0)
		a := agg{Total: 1, LatSum: ms, LatMax: ms}
		if r.OK {
			a.OK = 1
		}
		// An entry holds the probes up to the last one the round has.
		e.probes = store.GrowAggs(e.probes, r.Probe+1)
		e.probes[r.Probe].Add(a)
		current = max(current, k.hour)
	}
	type rowKey struct{ node, hour int64 }
	blobs := map[rowKey][]byte{}
	var rowKeys []rowKey
	for _, k := range keys {
		rk := rowKey{k.node, k.hour}
		if _, ok := blobs[rk]; !ok {
			rowKeys = append(rowKeys, rk)
		}
		blobs[rk] = appendSample(blobs[rk], *entries[k])
	}
	suffix := " " + s.d.OnConflict("node_id, hour") + " data = " + s.d.Concat("data", s.d.Excluded("data"))
	hours := map[int64]bool{}
	for start := 0; start < len(rowKeys); start += rowsPerStatement {
		chunk := rowKeys[start:min(start+rowsPerStatement, len(rowKeys))]
		args := make([]any, 0, len(chunk)*3)
		for _, k := range chunk {
			args = append(args, k.node, k.hour, blobs[k])
			hours[k.hour] = true
		}
		q := "INSERT INTO samples (node_id, hour, data) VALUES " + placeholders(len(chunk), 3) + suffix
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	if current < 0 {
		return nil
	}
	last, err := rolledHour(ctx, tx)
	if err != nil {
		return err
	}
	todo, err := queryInts(ctx, tx, "SELECT DISTINCT hour FROM samples WHERE hour > ? AND hour < ?", last, current)
	if err != nil {
		return err
	}
	for h := range hours {
		if h < current && h <= last {
			todo = append(todo, h) // a late round changed an hour already rolled up
		}
	}
	for _, h := range todo {
		if err := s.rollHour(ctx, tx, h); err != nil {
			return err
		}
	}
	return nil
}

// rolledHour is the newest hour rolled up, or -1.
func rolledHour(ctx context.Context, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, error) {
	var last int64
	err := db.QueryRowContext(ctx, "SELECT hour FROM rollup_mark WHERE id = 1").Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, nil
	}
	return last, err
}

// rollHour sums hour h of every node's samples into an entry of its day
// in hourly, and moves the rollup mark up to h. A corrupt samples row is
// left out of the rollup rather than stopping every later write.
func (s *Store) rollHour(ctx context.Context, tx *sql.Tx, h int64) error {
	rows, err := tx.QueryContext(ctx, "SELECT node_id, data FROM samples WHERE hour = ?", h)
	if err != nil {
		return err
	}
	var args []any
	for rows.Next() {
		var node int64
		var data []byte
		if err := rows.Scan(&node, &data); err != nil {
			rows.Close()
			return err
		}
		// Every probe of the hour's entries is kept, those past the store's
		// too: written by a later version, they are its history.
		var sum []agg
		if decodeSamples(data, func(e sample) {
			sum = store.GrowAggs(sum, len(e.probes))
			for p, a := range e.probes {
				sum[p].Add(a)
			}
		}) != nil {
			continue
		}
		args = append(args, node, h/24, appendHour(nil, h%24, sum))
	}
	if err := rows.Close(); err != nil {
		return err
	}
	suffix := " " + s.d.OnConflict("node_id, day") + " data = " + s.d.Concat("data", s.d.Excluded("data"))
	for start := 0; start < len(args); start += rowsPerStatement * 3 {
		chunk := args[start:min(start+rowsPerStatement*3, len(args))]
		q := "INSERT INTO hourly (node_id, day, data) VALUES " + placeholders(len(chunk)/3, 3) + suffix
		if _, err := tx.ExecContext(ctx, q, chunk...); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO rollup_mark (id, hour) VALUES (1, ?) "+s.d.OnConflict("id")+
		" hour = "+s.d.Greatest+"(hour, "+s.d.Excluded("hour")+")", h)
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
		if res.Probe < 0 || res.Probe >= len(s.opts.Probes) {
			continue
		}
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
			evArgs = append(evArgs, k.node, e.Probe, r.ID, store.Micros(e.At), e.OK, e.Status, e.Class, e.Msg)
			stArgs = append(stArgs, k.node, e.Probe, e.OK, store.Micros(e.At), store.Micros(e.At), e.Status, e.Class, e.Msg, e.Latency.Milliseconds())
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
