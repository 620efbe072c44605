package replica

import (
	"context"
	"fmt"
	"slices"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/refresh"
	"nodelist/internal/snapshot"
)

// What the server reads of a replica: the same as of a single instance's
// refresher, with the leader's work seen from a follower.

// Holder is where the publications served are: the leader's own once
// written, a follower's rebuilt from the database.
func (r *Replica) Holder() *snapshot.Holder { return r.served }

// Status is the leader's round status: its own when leading, as the last
// publication carried it when following.
func (r *Replica) Status() refresh.Status {
	if r.Leading() {
		return r.ref.Status()
	}
	r.mu.Lock()
	l := r.loaded
	r.mu.Unlock()
	if l.version == 0 {
		return r.ref.Status()
	}
	st := l.status
	st.Mode = string(r.opts.Mode)
	// The bound on the data's age is this replica's own: a follower whose
	// database is away keeps serving, and turns unready once what it
	// serves is as old as a leader's would be after failed rounds.
	st.MaxAge = r.ref.Status().MaxAge
	return st
}

// Refresh runs a round and waits for it; a follower asks the leader
// through the database and waits for the publication that answers it.
func (r *Replica) Refresh(ctx context.Context) error {
	if r.Leading() {
		return r.ref.Refresh(ctx)
	}
	cctx, cancel := context.WithTimeout(ctx, r.opTimeout())
	n, err := r.rs.ForceRound(cctx, r.opts.ForceEvery)
	cancel()
	if err != nil {
		return err
	}
	for {
		l, wake := r.loadedWait()
		if l.answered >= n {
			return nil
		}
		if r.Leading() {
			return r.ref.Refresh(ctx) // took the lead meanwhile
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-time.After(r.opts.TTL):
			// Look again: the lead may have come here.
		}
	}
}

// Fresh is called before serving in on-demand mode: a follower that
// finds the data stale tells the leader (at most once a second), and
// when very stale waits a bounded time for a newer publication.
func (r *Replica) Fresh(ctx context.Context) {
	if r.opts.Mode != refresh.OnDemand {
		return
	}
	if r.Leading() {
		r.ref.Fresh(ctx)
		return
	}
	snap := r.served.Load()
	last := snap.LastRefresh
	age := time.Since(last)
	if !last.IsZero() && age <= r.opts.StaleAfter {
		return
	}
	r.mu.Lock()
	ask := time.Since(r.lastWant) >= time.Second
	if ask {
		r.lastWant = time.Now()
	}
	r.mu.Unlock()
	if ask {
		cctx, cancel := context.WithTimeout(ctx, r.opTimeout())
		if err := r.rs.WantRound(cctx); err != nil {
			r.log.Warn("could not ask the leader for a round", "err", err)
		}
		cancel()
	}
	if !last.IsZero() && age <= r.opts.WaitAfter {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.MaxWait)
	defer cancel()
	for {
		cur, wake := r.served.Watch()
		if cur.LastRefresh.After(last) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
	}
}

// Registry is the registry aggregate as this replica last fetched it: nil
// on a replica that never led.
func (r *Replica) Registry() []byte { return r.ref.Registry() }

// Nodes are the registry entries: the leader's own, or those of the
// publication a follower serves.
func (r *Replica) Nodes() []aleph.Node {
	if r.Leading() {
		return r.ref.Nodes()
	}
	entries, err := snapshot.Parse(r.served.Load().All.Identity)
	if err != nil {
		return nil
	}
	out := make([]aleph.Node, len(entries))
	for i, e := range entries {
		out[i] = *e.Node
	}
	return out
}

// State is what /debug/task and /healthz show of the replica.
type State struct {
	ID        string  `json:"id"`
	Role      Role    `json:"role"`
	Leader    string  `json:"leader"` // "" when none holds a valid lease, as far as this replica saw
	Epoch     int64   `json:"epoch"`
	Version   int64   `json:"publication"`               // the publication served
	LeaseTTL  float64 `json:"lease_ttl_seconds"`         // the lease's time to live
	LastLoad  *string `json:"last_load"`                 // when this replica served its publication
	Lag       Lag     `json:"follower_lag"`              // from a publication to a follower serving it
	Database  string  `json:"database"`                  // "ok", or why it is unreachable
	Since     *string `json:"database_down_since"`       // when it became unreachable
	ReadOnly  string  `json:"read_only,omitempty"`       // why this replica never leads
	DigestErr string  `json:"digest_mismatch,omitempty"` // a publication rebuilt into other bytes
	// Writes counts this replica's publication writes as leader.
	Writes Writes `json:"publication_writes"`
	// WriteErr is why the leader's last publication was not written, ""
	// once one is; WriteErrSince when that began.
	WriteErr      string  `json:"publication_error,omitempty"`
	WriteErrSince *string `json:"publication_error_since,omitempty"`
}

// Writes are a leader's publication writes by outcome.
type Writes struct {
	Whole   int64 `json:"whole"`   // written in one row
	Split   int64 `json:"split"`   // written in parts, each fitting the database's packet
	Refused int64 `json:"refused"` // too large to be written at all (not retried)
	Failed  int64 `json:"failed"`  // the database failed or refused it (retried)
}

// Lag sums up the follower lags of the last publications loaded.
type Lag struct {
	Samples int      `json:"samples"`
	LastMS  *float64 `json:"last_ms"`
	P50MS   *float64 `json:"p50_ms"`
	P99MS   *float64 `json:"p99_ms"`
	MaxMS   *float64 `json:"max_ms"`
}

// State reports the replica's role, the lease as seen, the publication
// served and the database's state.
func (r *Replica) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := State{ID: r.opts.ID, Role: Follower, Version: r.loaded.version, LeaseTTL: r.opts.TTL.Seconds(),
		Lag: r.lags.summary(), Database: "ok", ReadOnly: r.opts.ReadOnly, DigestErr: r.digestErr,
		Writes: Writes{Whole: r.writes.whole, Split: r.writes.split, Refused: r.writes.refused, Failed: r.writes.failed}}
	if r.pubErr != "" {
		t := snapshot.FormatTime(r.pubErrSince)
		s.WriteErr, s.WriteErrSince = r.pubErr, &t
	}
	if r.seen.Valid() || r.term != nil {
		s.Leader, s.Epoch = r.seen.Holder, r.seen.Epoch
	}
	if r.term != nil {
		s.Role, s.Leader, s.Epoch = Leader, r.term.lease.Holder, r.term.lease.Epoch
	}
	if !r.loaded.at.IsZero() {
		t := snapshot.FormatTime(r.loaded.at)
		s.LastLoad = &t
	}
	if r.dbErr != "" {
		s.Database = r.dbErr
		t := snapshot.FormatTime(r.dbErrSince)
		s.Since = &t
	}
	return s
}

// Problems are what /healthz lists of the replica: the database out of
// reach, or a binary too old to lead.
func (r *Replica) Problems() []string {
	s := r.State()
	var out []string
	if s.Since != nil {
		served := "nothing yet"
		if snap := r.served.Load(); snap != nil && !snap.LastRefresh.IsZero() {
			served = fmt.Sprintf("publication %d, last_refresh %s", s.Version, snapshot.FormatTime(snap.LastRefresh))
		}
		out = append(out, fmt.Sprintf("database unreachable since %s (%s): serving the last publication loaded (%s)", *s.Since, s.Database, served))
	}
	if s.WriteErr != "" {
		out = append(out, fmt.Sprintf("publications not written since %s (%s): this leader serves its own data, followers publication %d",
			*s.WriteErrSince, s.WriteErr, s.Version))
	}
	if s.ReadOnly != "" {
		out = append(out, "this replica never leads: "+s.ReadOnly)
	}
	if s.DigestErr != "" {
		out = append(out, s.DigestErr)
	}
	return out
}

// lagRing keeps the last follower lags.
type lagRing struct {
	v    [512]time.Duration
	n    int // samples ever
	last time.Duration
}

func (l *lagRing) add(d time.Duration) {
	l.v[l.n%len(l.v)] = d
	l.n++
	l.last = d
}

func (l *lagRing) summary() Lag {
	k := min(l.n, len(l.v))
	out := Lag{Samples: l.n}
	if k == 0 {
		return out
	}
	s := slices.Clone(l.v[:k])
	slices.Sort(s)
	ms := func(d time.Duration) *float64 { v := float64(d.Microseconds()) / 1000; return &v }
	out.LastMS, out.P50MS, out.P99MS, out.MaxMS = ms(l.last), ms(s[k/2]), ms(s[min(k-1, k*99/100)]), ms(s[k-1])
	return out
}
