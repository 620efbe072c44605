package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"slices"

	"github.com/pressly/goose/v3"
)

// Schema is the migration version a database holds beside the newest this
// binary knows.
type Schema struct {
	Database, Binary int64
}

// Newer reports whether the database was migrated by a newer binary: this
// one must not write there.
func (s Schema) Newer() bool { return s.Database > s.Binary }

// Migrate applies the migrations in the folder "migrations" of fsys, and
// the Go migrations shared by every dialect, to db, up to version (0: all),
// with the provider options given (a lock, for databases several replicas
// share). It returns the schema then found.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, fsys fs.FS, version int64, opts ...goose.ProviderOption) (Schema, error) {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		return Schema{}, err
	}
	// In the migration's transaction: goose holds a connection while it
	// runs, and SQLite's writer pool has only that one.
	convert := goose.NewGoMigration(4,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return convertRollups(ctx, d, tx) }},
		&goose.GoFunc{RunTx: func(context.Context, *sql.Tx) error { return nil }})
	count := goose.NewGoMigration(6,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return convertBlobs(ctx, d, tx, format1, format2) }},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return convertBlobs(ctx, d, tx, format2, format1) }})
	opts = append([]goose.ProviderOption{goose.WithGoMigrations(convert, count), goose.WithDisableGlobalRegistry(true)}, opts...)
	p, err := goose.NewProvider(d.Goose, db, sub, opts...)
	if err != nil {
		return Schema{}, fmt.Errorf("migrations: %w", err)
	}
	if version > 0 {
		_, err = p.UpTo(ctx, version)
	} else {
		_, err = p.Up(ctx)
	}
	if err != nil {
		return Schema{}, fmt.Errorf("migrate %s: %w", d.Name, err)
	}
	var s Schema
	if src := p.ListSources(); len(src) > 0 {
		s.Binary = src[len(src)-1].Version
	}
	if s.Database, err = p.GetDBVersion(ctx); err != nil {
		return Schema{}, fmt.Errorf("migrate %s: read the schema version: %w", d.Name, err)
	}
	return s, nil
}

// convertRollups is migration 4: it packs the rows of minute_rollup into
// samples and those of hour_rollup into hourly, a node at a time, in the
// format of its time (format1, which migration 6 converts). Each packed
// row is written whole (replacing), in one transaction.
func convertRollups(ctx context.Context, d Dialect, db *sql.Tx) error {
	nodes, err := queryInts(ctx, db, "SELECT node_id FROM minute_rollup UNION SELECT node_id FROM hour_rollup")
	if err != nil {
		return fmt.Errorf("convert rollups: %w", err)
	}
	for _, node := range nodes {
		if err := convertNode(ctx, d, db, node, "minute_rollup", "samples", "hour", 60); err != nil {
			return fmt.Errorf("convert rollups of node %d: %w", node, err)
		}
		if err := convertNode(ctx, d, db, node, "hour_rollup", "hourly", "day", 24); err != nil {
			return fmt.Errorf("convert rollups of node %d: %w", node, err)
		}
	}
	var last sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(bucket) FROM hour_rollup").Scan(&last); err != nil {
		return fmt.Errorf("convert rollups: %w", err)
	}
	if last.Valid {
		if _, err := db.ExecContext(ctx, "INSERT INTO rollup_mark (id, hour) VALUES (1, ?) "+d.OnConflict("id")+
			" hour = "+d.Excluded("hour"), last.Int64); err != nil {
			return fmt.Errorf("convert rollups: %w", err)
		}
	}
	return nil
}

// convertNode packs one node's rows of a rollup table: buckets of per
// outer bucket go to one row of the packed table.
func convertNode(ctx context.Context, d Dialect, db *sql.Tx, node int64, from, to, col string, per int64) error {
	rows, err := db.QueryContext(ctx, "SELECT probe, bucket, ok, total, lat_sum, lat_max FROM "+from+" WHERE node_id = ?", node)
	if err != nil {
		return err
	}
	buckets := map[int64]*[format1Probes]agg{}
	for rows.Next() {
		var probe int
		var bucket int64
		var a agg
		if err := rows.Scan(&probe, &bucket, &a.OK, &a.Total, &a.LatSum, &a.LatMax); err != nil {
			rows.Close()
			return err
		}
		if probe < 0 || probe >= format1Probes || bucket < 0 {
			continue
		}
		if buckets[bucket] == nil {
			buckets[bucket] = &[format1Probes]agg{}
		}
		buckets[bucket][probe].Add(a)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	packed := map[int64][]byte{}
	keys := make([]int64, 0, len(buckets))
	for b := range buckets {
		keys = append(keys, b)
	}
	slices.Sort(keys)
	for _, b := range keys {
		outer, inner := b/per, b%per
		if to == "samples" {
			packed[outer] = appendSampleAs(packed[outer], sample{second: inner * 60, probes: buckets[b][:]}, format1)
		} else {
			packed[outer] = appendHourAs(packed[outer], inner, buckets[b][:], format1)
		}
	}
	for outer, blob := range packed {
		if _, err := db.ExecContext(ctx, "INSERT INTO "+to+" (node_id, "+col+", data) VALUES (?, ?, ?) "+
			d.OnConflict("node_id, "+col)+" data = "+d.Excluded("data"), node, outer, blob); err != nil {
			return err
		}
	}
	return nil
}

// querier is a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func queryInts(ctx context.Context, db querier, q string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
