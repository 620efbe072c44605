package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"nodelist/internal/store"
)

// keepPublications is how many publications stay in the table: followers
// only ever load the newest, and a few more cost little.
const keepPublications = 8

// WritePublication stores p as the next version, fenced by p.Term, and
// prunes the oldest; it returns the version and the parts its body was
// written in. The body is cut into parts that each fit in a statement of
// the connection that writes them (its max_allowed_packet, lowered to
// maxPacket when that is positive).
func (s *Replicas) WritePublication(ctx context.Context, p *store.Publication, maxPacket int) (int64, int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("write publication: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	packet, err := MySQL.Packet(ctx, tx)
	if err != nil {
		return 0, 0, fmt.Errorf("write publication: %w", err)
	}
	size, err := PartSize(packet, maxPacket)
	if err != nil {
		return 0, 0, fmt.Errorf("write publication: %w: %w", store.ErrTooLarge, err)
	}
	// The first part shares its statement with the status, escaped too.
	if size -= len(p.Status); size <= 0 {
		return 0, 0, fmt.Errorf("write publication: %w: a status of %d bytes leaves no room for a part of the body", store.ErrTooLarge, len(p.Status))
	}
	parts := Split(p.Body, size)
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM publications").Scan(&last); err != nil {
		return 0, 0, fmt.Errorf("write publication: %w", err)
	}
	v := last + 1
	if _, err := tx.ExecContext(ctx, "INSERT INTO publications (version, epoch, holder, published, built, final, answered, etag, active_etag, digest, status, parts, body) "+
		"VALUES (?, ?, ?, "+nowUS+", ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		v, p.Term.Epoch, p.Term.Holder, p.Built.UnixMicro(), p.Final, p.Answered, p.ETag, p.ActiveETag, p.Digest, p.Status, len(parts), parts[0]); err != nil {
		return 0, 0, fmt.Errorf("write publication: %w", err)
	}
	for i, part := range parts[1:] {
		if _, err := tx.ExecContext(ctx, "INSERT INTO publication_parts (version, part, body) VALUES (?, ?, ?)", v, i+1, part); err != nil {
			return 0, 0, fmt.Errorf("write publication: part %d of %d: %w", i+1, len(parts), err)
		}
	}
	for _, table := range []string{"publications", "publication_parts"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE version <= ?", v-keepPublications); err != nil {
			return 0, 0, fmt.Errorf("write publication: prune: %w", err)
		}
	}
	if err := MySQL.fence(ctx, tx, p.Term); err != nil {
		return 0, 0, fmt.Errorf("write publication: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("write publication: commit: %w", err)
	}
	return v, len(parts), nil
}

// pubColumns are a publication's columns, then the database's time.
const pubColumns = "version, epoch, holder, published, built, final, answered, etag, active_etag, digest, status, parts, body, " + nowUS

// NewerPublication returns the newest publication after version, with
// the database's time when it was read, or nil when there is none: a
// query on the primary key, cheap enough to run a few times a second.
// The query has timeout; the rest of a publication in parts has more,
// after its bytes.
func (s *Replicas) NewerPublication(ctx context.Context, version int64, timeout time.Duration) (*store.Publication, int64, error) {
	var p store.Publication
	var built, now int64
	var parts int
	// One transaction: the parts are those of the row, even if the
	// leader prunes it meanwhile.
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("read publication: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	err = tx.QueryRowContext(hctx, "SELECT "+pubColumns+" FROM publications WHERE version > ? ORDER BY version DESC LIMIT 1", version).
		Scan(&p.Version, &p.Term.Epoch, &p.Term.Holder, &p.Published, &built, &p.Final, &p.Answered, &p.ETag, &p.ActiveETag, &p.Digest, &p.Status, &parts, &p.Body, &now)
	if err == sql.ErrNoRows {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read publication: %w", err)
	}
	p.Built = time.UnixMicro(built)
	if parts > 1 {
		// The other parts are the size of the first, but the last: their
		// bytes at 2 MiB/s at worst.
		pctx, cancel := context.WithTimeout(ctx, timeout+time.Duration(len(p.Body))*time.Duration(parts-1)*time.Second/(2<<20))
		defer cancel()
		rows, err := tx.QueryContext(pctx, "SELECT part, body FROM publication_parts WHERE version = ? ORDER BY part", p.Version)
		if p.Body, err = JoinParts(p.Body, parts, rows, err); err != nil {
			return nil, 0, fmt.Errorf("read publication %d: %w", p.Version, err)
		}
	}
	return &p, now, nil
}
