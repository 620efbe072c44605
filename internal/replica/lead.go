package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"nodelist/internal/refresh"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
)

// term is one leadership: it ends when its lease does.
type term struct {
	lease     store.Term
	ctx       context.Context // the rounds' context: canceled when the term ends
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	nextRenew time.Time // the lease loop's alone
	kick      chan struct{}

	mu       sync.Mutex
	deadline time.Time // the local time by which probing stops, short of the lease's expiry
	latest   *snapshot.Snapshot
	final    bool // latest ends a round
	written  *snapshot.Snapshot
	// Forced requests: the highest seen, the highest seen when the
	// running round started (it answers those), and the highest a
	// finished round answered.
	seenForced, covers, answered int64
	seenWanted                   int64
}

func (t *term) deadlineAt() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.deadline
}

func (t *term) setDeadline(d time.Time) {
	t.mu.Lock()
	t.deadline = d
	t.mu.Unlock()
}

// live reports whether the term may still probe and write: not ended,
// and short of its deadline by the clock (not by a timer, which a process
// resumed after a pause may not have run yet).
func (t *term) live() bool { return t.ctx.Err() == nil && time.Now().Before(t.deadlineAt()) }

func (t *term) poke() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// startTerm begins leading under l, acquired at sent: it catches up with
// the newest publication, resumes the refresher from it, and starts the
// rounds where the last leader's schedule puts them.
func (r *Replica) startTerm(ctx context.Context, l store.Term, sent time.Time, row store.LeaseState) error {
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if err := r.loadNewer(ctx); err != nil {
		return fmt.Errorf("catch up with the last publication: %w", err)
	}
	r.mu.Lock()
	last := r.loaded
	r.mu.Unlock()
	if pub := r.served.Load(); pub != nil && pub != r.ref.Holder().Load() {
		if err := r.ref.Resume(pub, last.status); err != nil {
			return err
		}
	}
	tctx, cancel := context.WithCancel(ctx)
	t := &term{lease: l, ctx: tctx, cancel: cancel, kick: make(chan struct{}, 1),
		deadline: sent.Add(r.opts.TTL - r.opts.TTL/6), nextRenew: sent.Add(r.opts.TTL / 3),
		written: r.served.Load(), seenForced: last.answered, covers: last.answered, answered: last.answered}
	// No node probed twice in one interval: the first round comes an
	// interval after the last leader's last round started.
	first := time.Now()
	if row.RoundStarted > 0 {
		first = first.Add(time.Duration(row.RoundStarted+r.opts.Interval.Microseconds()-row.Now) * time.Microsecond)
	}
	r.mu.Lock()
	r.term = t
	r.seen.Term = l
	r.mu.Unlock()
	t.wg.Add(4)
	go func() { defer t.wg.Done(); _ = r.ref.RunFrom(tctx, first) }()
	go func() { defer t.wg.Done(); r.publisher(t) }()
	go func() { defer t.wg.Done(); r.watchdog(t) }()
	go func() { defer t.wg.Done(); r.requests(t) }()
	r.log.Info("leading", "epoch", l.Epoch, "first_round_in", max(time.Until(first), 0).Round(time.Millisecond),
		"resumed_from", last.version)
	return nil
}

// stopTerm ends the term, if any, and waits for its round and goroutines:
// nothing more is probed or written under it. It returns its lease.
func (r *Replica) stopTerm(reason string) (store.Term, bool) {
	r.mu.Lock()
	t := r.term
	r.term = nil
	if t != nil {
		r.lastHeld = t.lease
		r.pubErr = "" // a follower's publications are the leader's concern
	}
	r.mu.Unlock()
	if t == nil {
		return store.Term{}, false
	}
	t.cancel()
	t.wg.Wait()
	r.log.Warn("following", "epoch", t.lease.Epoch, "reason", reason)
	return t.lease, true
}

// watchdog cancels the term's rounds at its deadline, however busy the
// lease loop is: a leader that could not renew stops probing before its
// lease can expire.
func (r *Replica) watchdog(t *term) {
	timer := time.NewTimer(time.Until(t.deadlineAt()))
	defer timer.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-timer.C:
		}
		if wait := time.Until(t.deadlineAt()); wait > 0 {
			timer.Reset(wait)
			continue
		}
		t.cancel()
		r.askDemote(t, "the lease could not be renewed in time")
		return
	}
}

// Hooks are the refresher's hooks: each round is marked in the lease row
// (and refused once the lease is lost), each publication handed to the
// publisher.
func (r *Replica) Hooks() refresh.Hooks {
	return refresh.Hooks{BeforeRound: r.beforeRound, Published: r.published, Allow: r.allow}
}

func (r *Replica) allow() bool {
	t := r.currentTerm()
	return t != nil && t.live()
}

func (r *Replica) beforeRound(ctx context.Context, _ time.Time) error {
	t := r.currentTerm()
	if t == nil || !t.live() {
		return errors.New("this replica does not lead")
	}
	cctx, cancel := context.WithTimeout(ctx, r.opTimeout())
	defer cancel()
	if err := r.rs.MarkRound(cctx, t.lease); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			r.askDemote(t, "the lease was lost")
		}
		return err
	}
	t.mu.Lock()
	t.covers = t.seenForced
	t.mu.Unlock()
	return nil
}

func (r *Replica) published(s *snapshot.Snapshot, final bool) {
	t := r.currentTerm()
	if t == nil || !t.live() {
		return
	}
	t.mu.Lock()
	t.latest, t.final = s, final
	if final {
		t.answered = max(t.answered, t.covers)
	}
	t.mu.Unlock()
	t.poke()
}

// Record is the refresher's Sink: the history of a round of the current
// term is written fenced by its lease; a round its term outlived (cut
// short when the lease was lost) is dropped.
func (r *Replica) Record(round *refresh.Round) {
	t := r.currentTerm()
	if t == nil || !t.live() || r.opts.History == nil {
		return
	}
	fence := t.lease
	r.opts.History.RecordFenced(round, &fence)
}

// publisher writes the refresher's publications to the database, at most
// one every PublishEvery while a round runs and the round's last at once,
// and serves each once written: every replica serves the same sequence.
// One that cannot be written is served by the leader alone meanwhile.
func (r *Replica) publisher(t *term) {
	var lastWrite time.Time
	var backoff time.Duration
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		t.mu.Lock()
		snap, final, answered := t.latest, t.final, t.answered
		pending := snap != nil && snap != t.written
		if pending && !final && sameBytes(snap, t.written) {
			// Published again unchanged: nothing new to share.
			t.written, pending = snap, false
		}
		t.mu.Unlock()
		if pending {
			wait := time.Until(lastWrite.Add(r.opts.PublishEvery))
			if !t.live() {
				return // past its deadline: the term writes nothing more
			}
			if final || wait <= 0 {
				lastWrite = time.Now()
				err := r.write(t, snap, final, answered)
				switch {
				case err == nil:
					backoff = 0
					continue // a newer one may be waiting
				case errors.Is(err, store.ErrFenced):
					r.askDemote(t, "a publication was refused: "+err.Error())
					return
				}
				// Not written: the leader serves it all the same, so that
				// what it serves follows its rounds, not the database.
				r.serveUnwritten(t, snap, err)
				if errors.Is(err, errTooLarge) {
					r.log.Error("publication refused, not retried: the leader serves it, followers keep the last one written", "err", err)
					t.mu.Lock()
					t.written = snap
					t.mu.Unlock()
					continue
				}
				backoff = min(max(2*backoff, r.opts.Poll), maxBackoff)
				r.log.Warn("publication not written; the leader serves it and retries", "err", err, "in", backoff)
				wait = backoff
			}
			timer.Reset(wait)
		}
		select {
		case <-t.ctx.Done():
			return
		case <-t.kick:
		case <-timer.C:
		}
	}
}

// sameBytes reports whether a and b serve the same bytes: each encoding
// is a function of the identity bytes, which the ETags name.
func sameBytes(a, b *snapshot.Snapshot) bool {
	return a != nil && b != nil && a.All.ETag == b.All.ETag && a.Active.ETag == b.Active.ETag
}

// write stores one publication and serves it.
func (r *Replica) write(t *term, snap *snapshot.Snapshot, final bool, answered int64) error {
	st := r.ref.Status()
	if final {
		st.Running = false // the round is over once its last publication is out
	}
	p := &publication{Term: t.lease, Final: final, Answered: answered, Status: st, Snap: snap}
	// A large publication takes its time: its bytes at 2 MiB/s at worst.
	ctx, cancel := context.WithTimeout(t.ctx, max(r.opts.TTL, 5*time.Second)+time.Duration(len(snap.All.Identity))*time.Second/(2<<20))
	defer cancel()
	v, parts, err := writePublication(ctx, r.rs, p, r.opts.MaxPacket)
	r.mu.Lock()
	switch {
	case err == nil && parts > 1:
		r.writes.split++
	case err == nil:
		r.writes.whole++
	case errors.Is(err, errTooLarge):
		r.writes.refused++
	default:
		r.writes.failed++
	}
	r.mu.Unlock()
	if err != nil {
		if !errors.Is(err, store.ErrFenced) && !errors.Is(err, errTooLarge) {
			r.dbFailed(err)
		}
		return err
	}
	r.dbOK()
	t.mu.Lock()
	t.written = snap
	t.mu.Unlock()
	r.served.Store(snap)
	r.mu.Lock()
	r.pubErr = ""
	r.loaded = loaded{version: v, term: t.lease, answered: answered, status: st, at: time.Now()}
	close(r.loadedWake)
	r.loadedWake = make(chan struct{})
	r.mu.Unlock()
	return nil
}

// maxBackoff bounds the wait between two tries of a publication that
// failed: a few seconds, well within the lease, so that a database back
// from a blip gets the leader's data soon.
const maxBackoff = 4 * time.Second

// serveUnwritten serves snap, which could not be written, while t leads:
// the leader's readiness then follows its own rounds, and followers serve
// the last publication written until the next one is.
func (r *Replica) serveUnwritten(t *term, snap *snapshot.Snapshot, err error) {
	if !t.live() {
		return
	}
	r.served.Store(snap)
	r.mu.Lock()
	if r.pubErr == "" {
		r.pubErrSince = time.Now()
	}
	r.pubErr = err.Error()
	r.mu.Unlock()
}

// requests watches what followers ask of the leader: forced rounds (each
// answered by a round started after it was seen) and fresh data in
// on-demand mode.
func (r *Replica) requests(t *term) {
	tick := time.NewTicker(r.opts.Poll)
	defer tick.Stop()
	var forcing sync.WaitGroup
	defer forcing.Wait()
	busy := false
	done := make(chan struct{}, 1)
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-done:
			busy = false
		case <-tick.C:
		}
		cctx, cancel := context.WithTimeout(t.ctx, r.opTimeout())
		q, err := r.rs.Requests(cctx)
		cancel()
		if err != nil {
			continue
		}
		t.mu.Lock()
		newForced := q.Forced > t.seenForced
		newWanted := q.Wanted > t.seenWanted
		t.seenForced, t.seenWanted = max(t.seenForced, q.Forced), max(t.seenWanted, q.Wanted)
		t.mu.Unlock()
		if (newForced || newWanted) && !busy {
			busy = true
			forcing.Add(1)
			go func() {
				defer forcing.Done()
				defer func() { done <- struct{}{} }()
				r.serveRequests(t, newForced)
			}()
		}
	}
}

// serveRequests runs the rounds requests ask for: forced ones until a
// round answers the highest seen (a round that was already running when
// a request came answers only those before it: a second one starts), and
// in on-demand mode a round if the data is stale.
func (r *Replica) serveRequests(t *term, forced bool) {
	if !forced {
		ctx, cancel := context.WithTimeout(t.ctx, r.opts.MaxWait)
		defer cancel()
		r.ref.Fresh(ctx)
		return
	}
	for range 2 {
		t.mu.Lock()
		done := t.answered >= t.seenForced
		t.mu.Unlock()
		if done || t.ctx.Err() != nil {
			return
		}
		_ = r.ref.Refresh(t.ctx)
	}
}
