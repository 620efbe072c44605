package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// convertBlobs is migration 6 (from format1 to format2; down, the
// reverse): it rewrites every samples and hourly row, entry by entry, a
// page of rows at a time, in the migration's transaction. An entry that
// does not decode ends its blob: it and what follows were unreadable
// before too, and a row left in the old format would be misread.
func convertBlobs(ctx context.Context, d Dialect, tx *sql.Tx, from, to format) error {
	for _, t := range []struct {
		table, col string
		convert    func([]byte, format, format) []byte
	}{{"samples", "hour", convertSamples}, {"hourly", "day", convertHours}} {
		if err := convertTable(ctx, d, tx, t.table, t.col, func(b []byte) []byte { return t.convert(b, from, to) }); err != nil {
			return fmt.Errorf("convert %s to format %d: %w", t.table, to, err)
		}
	}
	return nil
}

// convertTable rewrites the data of every row of table, a node at a
// time (a node has a row per hour or day of retention).
func convertTable(ctx context.Context, d Dialect, tx *sql.Tx, table, col string, convert func([]byte) []byte) error {
	nodes, err := queryInts(ctx, tx, "SELECT DISTINCT node_id FROM "+table)
	if err != nil {
		return err
	}
	upsert := " " + d.OnConflict("node_id, "+col) + " data = " + d.Excluded("data")
	for _, node := range nodes {
		rows, err := tx.QueryContext(ctx, "SELECT "+col+", data FROM "+table+" WHERE node_id = ?", node)
		if err != nil {
			return err
		}
		var args []any
		for rows.Next() {
			var key int64
			var data []byte
			if err := rows.Scan(&key, &data); err != nil {
				rows.Close()
				return err
			}
			args = append(args, node, key, convert(data))
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for start := 0; start < len(args); start += 3 * rowsPerStatement {
			chunk := args[start:min(start+3*rowsPerStatement, len(args))]
			q := "INSERT INTO " + table + " (node_id, " + col + ", data) VALUES " + placeholders(len(chunk)/3, 3) + upsert
			if _, err := tx.ExecContext(ctx, q, chunk...); err != nil {
				return err
			}
		}
	}
	return nil
}

// convertSamples re-encodes a samples blob from one format to another.
func convertSamples(b []byte, from, to format) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	_ = decodeSamplesAs(b, from, func(s sample) { out = appendSampleAs(out, s, to) })
	return out
}

// convertHours re-encodes an hourly blob from one format to another,
// every entry kept in order (so the last of an hour still wins).
func convertHours(b []byte, from, to format) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	_ = decodeHoursAs(b, from, func(h int64, probes []agg) { out = appendHourAs(out, h, probes, to) })
	return out
}
