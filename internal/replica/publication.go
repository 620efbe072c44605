package replica

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"

	"nodelist/internal/refresh"
	"nodelist/internal/snapshot"
	"nodelist/internal/store/sqlstore"
)

// keepPublications is how many publications stay in the table: followers
// only ever load the newest, and a few more cost little.
const keepPublications = 8

// publication is one row of the publications table.
type publication struct {
	Version   int64
	Lease     Lease
	Published int64 // database microseconds
	Final     bool  // the end of a round
	// Answered is the highest forced request whose round had ended when
	// this was published (see force).
	Answered int64
	Status   wireStatus
	Snap     *snapshot.Snapshot
}

// wireStatus is the leader's refresh status as followers show it.
type wireStatus struct {
	Mode           string    `json:"mode"`
	Running        bool      `json:"running"`
	Round          uint64    `json:"round"`
	Started        time.Time `json:"started"`
	Finished       time.Time `json:"finished"`
	LastDuration   int64     `json:"last_duration_us"`
	LastError      string    `json:"last_error,omitempty"`
	SettingsError  string    `json:"settings_error,omitempty"`
	Nodes          int       `json:"nodes"`
	Responsive     int       `json:"responsive"`
	Probed         int       `json:"probed"`
	Targets        int       `json:"targets"`
	LastCRNVersion string    `json:"last_crn_version,omitempty"`
	// The nodes whose config names another hash, as the leader counted
	// them (refresh.Status.IdentityMismatches).
	IdentityMismatches     int      `json:"identity_mismatches,omitempty"`
	IdentityMismatchHashes []string `json:"identity_mismatch_hashes,omitempty"`
}

func toWire(s refresh.Status) wireStatus {
	return wireStatus{Mode: s.Mode, Running: s.Running, Round: s.Round, Started: s.Started, Finished: s.Finished,
		LastDuration: s.LastDuration.Microseconds(), LastError: s.LastError, SettingsError: s.SettingsError,
		Nodes: s.Nodes, Responsive: s.Responsive, Probed: s.Probed, Targets: s.Targets, LastCRNVersion: s.LastCRNVersion,
		IdentityMismatches: s.IdentityMismatches, IdentityMismatchHashes: s.IdentityMismatchHashes}
}

func (w wireStatus) status() refresh.Status {
	return refresh.Status{Mode: w.Mode, Running: w.Running, Round: w.Round, Started: w.Started, Finished: w.Finished,
		LastDuration: time.Duration(w.LastDuration) * time.Microsecond, LastError: w.LastError, SettingsError: w.SettingsError,
		Nodes: w.Nodes, Responsive: w.Responsive, Probed: w.Probed, Targets: w.Targets, LastCRNVersion: w.LastCRNVersion,
		IdentityMismatches: w.IdentityMismatches, IdentityMismatchHashes: w.IdentityMismatchHashes}
}

// maxIdentity bounds a publication's crns.json: a follower reads no more
// (gunzip), so a larger one is refused rather than written.
const maxIdentity = 1 << 30

// errTooLarge is a publication refused for its size: writing it again
// cannot help.
var errTooLarge = errors.New("publication too large")

// writePublication stores p as the next version, fenced by p.Lease, and
// prunes the oldest; it returns the version and the parts its body was
// written in. The body is cut into parts that each fit in a statement of
// the connection that writes them (its max_allowed_packet, lowered to
// maxPacket when that is positive).
func writePublication(ctx context.Context, db *sql.DB, p *publication, maxPacket int) (int64, int, error) {
	status, err := json.Marshal(p.Status)
	if err != nil {
		return 0, 0, fmt.Errorf("write publication: %w", err)
	}
	s := p.Snap
	if n := len(s.All.Identity); n > maxIdentity {
		return 0, 0, fmt.Errorf("write publication: %w: crns.json of %d bytes, more than the %d a follower reads", errTooLarge, n, maxIdentity)
	}
	// The gzip of the identity bytes: a tenth of the bytes, and the
	// encoding clients ask for most, so building it here is rarely extra
	// work.
	body, _ := s.All.Variant(snapshot.Gzip)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("write publication: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	packet, err := sqlstore.MySQL.Packet(ctx, tx)
	if err != nil {
		return 0, 0, fmt.Errorf("write publication: %w", err)
	}
	size, err := sqlstore.PartSize(packet, maxPacket)
	if err != nil {
		return 0, 0, fmt.Errorf("write publication: %w: %w", errTooLarge, err)
	}
	// The first part shares its statement with the status, escaped too.
	if size -= len(status); size <= 0 {
		return 0, 0, fmt.Errorf("write publication: %w: a status of %d bytes leaves no room for a part of the body", errTooLarge, len(status))
	}
	parts := sqlstore.Split(body, size)
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM publications").Scan(&last); err != nil {
		return 0, 0, fmt.Errorf("write publication: %w", err)
	}
	v := last + 1
	if _, err := tx.ExecContext(ctx, "INSERT INTO publications (version, epoch, holder, published, built, final, answered, etag, active_etag, digest, status, parts, body) "+
		"VALUES (?, ?, ?, "+nowUS+", ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		v, p.Lease.Epoch, p.Lease.Holder, s.Built.UnixMicro(), p.Final, p.Answered, s.All.ETag, s.Active.ETag, s.Digest(), status, len(parts), parts[0]); err != nil {
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
	if err := fence(p.Lease)(ctx, tx); err != nil {
		return 0, 0, fmt.Errorf("write publication: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("write publication: commit: %w", err)
	}
	return v, len(parts), nil
}

// pubColumns are a publication's columns, then the database's time.
const pubColumns = "version, epoch, holder, published, built, final, answered, etag, active_etag, digest, status, parts, body, " + nowUS

// newerPublication returns the newest publication after version, with
// the database's time when it was read, or nil when there is none: a
// query on the primary key, cheap enough to run a few times a second.
// The query has timeout; the rest of a publication in parts has more,
// after its bytes.
func newerPublication(ctx context.Context, db *sql.DB, version int64, timeout time.Duration) (*publication, int64, error) {
	var p publication
	var built, now int64
	var etag, activeETag, digest string
	var status, body []byte
	var parts int
	// One transaction: the parts are those of the row, even if the
	// leader prunes it meanwhile.
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("read publication: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	err = tx.QueryRowContext(hctx, "SELECT "+pubColumns+" FROM publications WHERE version > ? ORDER BY version DESC LIMIT 1", version).
		Scan(&p.Version, &p.Lease.Epoch, &p.Lease.Holder, &p.Published, &built, &p.Final, &p.Answered, &etag, &activeETag, &digest, &status, &parts, &body, &now)
	if err == sql.ErrNoRows {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read publication: %w", err)
	}
	if parts > 1 {
		// The other parts are the size of the first, but the last: their
		// bytes at 2 MiB/s at worst.
		pctx, cancel := context.WithTimeout(ctx, timeout+time.Duration(len(body))*time.Duration(parts-1)*time.Second/(2<<20))
		defer cancel()
		rows, err := tx.QueryContext(pctx, "SELECT part, body FROM publication_parts WHERE version = ? ORDER BY part", p.Version)
		if body, err = sqlstore.JoinParts(body, parts, rows, err); err != nil {
			return nil, 0, fmt.Errorf("read publication %d: %w", p.Version, err)
		}
	}
	if err := json.Unmarshal(status, &p.Status); err != nil {
		return nil, 0, fmt.Errorf("publication %d: status: %w", p.Version, err)
	}
	identity, err := gunzip(body)
	if err != nil {
		return nil, 0, fmt.Errorf("publication %d: %w", p.Version, err)
	}
	s, err := snapshot.Replay(identity, time.UnixMicro(built))
	if err != nil {
		return nil, 0, fmt.Errorf("publication %d: %w", p.Version, err)
	}
	if s.All.ETag != etag || s.Active.ETag != activeETag {
		return nil, 0, fmt.Errorf("publication %d: rebuilt with ETags %s and %s, published with %s and %s", p.Version, s.All.ETag, s.Active.ETag, etag, activeETag)
	}
	p.Snap = s
	if d := s.Digest(); d != digest {
		// Same content, other compressed bytes: another version of a
		// compression library, whose encodings all may differ from the
		// leader's. Served all the same, and said.
		return &p, now, fmt.Errorf("%w: publication %d: digest %s, the leader's %s", errDigest, p.Version, d, digest)
	}
	return &p, now, nil
}

// errDigest is a publication rebuilt with other compressed bytes than the
// leader's.
var errDigest = fmt.Errorf("compressed bytes differ from the leader's")

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxIdentity+1))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	if len(out) > maxIdentity {
		return nil, fmt.Errorf("gunzip: %w: more than %d bytes", errTooLarge, maxIdentity)
	}
	return out, nil
}
