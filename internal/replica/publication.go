package replica

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"

	"nodelist/internal/refresh"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
)

// publication is one publication of the leader, as replicas serve it.
type publication struct {
	Version   int64
	Term      store.Term
	Published int64 // database microseconds
	Final     bool  // the end of a round
	// Answered is the highest forced request whose round had ended when
	// this was published (see store.Replicas.ForceRound).
	Answered int64
	Status   refresh.Status // in its JSON form in the database
	Snap     *snapshot.Snapshot
}

// maxIdentity bounds a publication's crns.json: a follower reads no more
// (gunzip), so a larger one is refused rather than written.
const maxIdentity = 1 << 30

// errTooLarge is a publication refused for its size: writing it again
// cannot help.
var errTooLarge = store.ErrTooLarge

// stored is p as the store keeps it: the gzip of the identity bytes, and
// what a follower needs to rebuild the same bytes.
func (p *publication) stored() (*store.Publication, error) {
	status, err := json.Marshal(p.Status)
	if err != nil {
		return nil, fmt.Errorf("write publication: %w", err)
	}
	s := p.Snap
	if n := len(s.All.Identity); n > maxIdentity {
		return nil, fmt.Errorf("write publication: %w: crns.json of %d bytes, more than the %d a follower reads", errTooLarge, n, maxIdentity)
	}
	// The gzip of the identity bytes: a tenth of the bytes, and the
	// encoding clients ask for most, so building it here is rarely extra
	// work.
	body, _ := s.All.Variant(snapshot.Gzip)
	return &store.Publication{Term: p.Term, Built: s.Built, Final: p.Final, Answered: p.Answered,
		ETag: s.All.ETag, ActiveETag: s.Active.ETag, Digest: s.Digest(), Status: status, Body: body}, nil
}

// writePublication stores p as the next version, fenced by p.Term; it
// returns the version and the parts its body was written in (see
// store.Replicas.WritePublication).
func writePublication(ctx context.Context, rs store.Replicas, p *publication, maxPacket int) (int64, int, error) {
	sp, err := p.stored()
	if err != nil {
		return 0, 0, err
	}
	return rs.WritePublication(ctx, sp, maxPacket)
}

// newerPublication returns the newest publication after version,
// rebuilt, with the database's time when it was read, or nil when there
// is none (see store.Replicas.NewerPublication). One rebuilt into other
// compressed bytes than the leader's comes with errDigest.
func newerPublication(ctx context.Context, rs store.Replicas, version int64, timeout time.Duration) (*publication, int64, error) {
	sp, now, err := rs.NewerPublication(ctx, version, timeout)
	if sp == nil || err != nil {
		return nil, 0, err
	}
	p, err := rebuild(sp)
	if p == nil {
		return nil, 0, err
	}
	return p, now, err
}

// rebuild turns a stored publication back into the snapshot the leader
// served: the same bytes and ETags.
func rebuild(sp *store.Publication) (*publication, error) {
	p := publication{Version: sp.Version, Term: sp.Term, Published: sp.Published, Final: sp.Final, Answered: sp.Answered}
	if err := json.Unmarshal(sp.Status, &p.Status); err != nil {
		return nil, fmt.Errorf("publication %d: status: %w", p.Version, err)
	}
	identity, err := gunzip(sp.Body)
	if err != nil {
		return nil, fmt.Errorf("publication %d: %w", p.Version, err)
	}
	s, err := snapshot.Replay(identity, sp.Built)
	if err != nil {
		return nil, fmt.Errorf("publication %d: %w", p.Version, err)
	}
	if s.All.ETag != sp.ETag || s.Active.ETag != sp.ActiveETag {
		return nil, fmt.Errorf("publication %d: rebuilt with ETags %s and %s, published with %s and %s", p.Version, s.All.ETag, s.Active.ETag, sp.ETag, sp.ActiveETag)
	}
	p.Snap = s
	if d := s.Digest(); d != sp.Digest {
		// Same content, other compressed bytes: another version of a
		// compression library, whose encodings all may differ from the
		// leader's. Served all the same, and said.
		return &p, fmt.Errorf("%w: publication %d: digest %s, the leader's %s", errDigest, p.Version, d, sp.Digest)
	}
	return &p, nil
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
