package replica

import (
	"context"
	"errors"
	"time"

	"nodelist/internal/store"
)

// opTimeout bounds one lease operation: a fraction of the TTL, so that a
// hung database leaves the leader time to give up before its lease ends.
func (r *Replica) opTimeout() time.Duration { return r.opts.TTL / 4 }

// Run follows or leads until ctx ends; a leader then ends its term and
// releases the lease, so that another replica takes over without waiting
// for it to expire.
func (r *Replica) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() { defer close(done); r.followLoop(ctx) }()
	r.leaseLoop(ctx)
	<-done
	if l, ok := r.stopTerm("shutting down"); ok {
		rctx, cancel := context.WithTimeout(context.Background(), r.opTimeout())
		defer cancel()
		if err := r.rs.ReleaseLease(rctx, l); err != nil {
			r.log.Warn("lease not released; it expires by itself", "err", err)
		} else {
			r.log.Info("lease released", "epoch", l.Epoch)
		}
	}
	return nil
}

// leaseLoop takes the lease when it is free and keeps it while leading.
func (r *Replica) leaseLoop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-r.demote:
			if r.currentTerm() == d.t {
				r.stopTerm(d.reason)
			}
		case <-timer.C:
		}
		var next time.Duration
		if t := r.currentTerm(); t != nil {
			next = r.keep(ctx, t)
		} else {
			r.campaign(ctx)
			next = r.opts.TTL / 6
		}
		timer.Reset(next)
	}
}

// campaign reads the lease, and takes it when it is free or expired;
// a replica that must not write only reads it.
func (r *Replica) campaign(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, r.opTimeout())
	defer cancel()
	if r.opts.ReadOnly != "" {
		row, err := r.rs.ReadLease(cctx)
		r.noteLease(row, err)
		return
	}
	sent := time.Now()
	l, row, ok, err := r.rs.AcquireLease(cctx, r.opts.ID, r.opts.TTL)
	r.noteLease(row, err)
	if err != nil || !ok {
		return
	}
	r.mu.Lock()
	mine := row.Term == r.lastHeld
	r.mu.Unlock()
	if row.Valid() && row.Holder == r.opts.ID && !mine {
		// Taken back from a term this process did not end: it restarted,
		// or another replica uses the same --replica-id (they would take
		// the lease from each other in turn).
		r.log.Warn("took over a live lease held under this replica's id: each replica needs its own --replica-id", "epoch", l.Epoch)
	}
	if err := r.startTerm(ctx, l, sent, row); err != nil {
		r.log.Warn("took the lease but could not start leading; releasing it", "epoch", l.Epoch, "err", err)
		rctx, cancel := context.WithTimeout(ctx, r.opTimeout())
		defer cancel()
		_ = r.rs.ReleaseLease(rctx, l)
	}
}

func (r *Replica) noteLease(row store.LeaseState, err error) {
	if err != nil {
		r.dbFailed(err)
		return
	}
	r.dbOK()
	r.mu.Lock()
	r.seen = row
	r.mu.Unlock()
}

// keep renews the lease when due and ends the term when it could not in
// time; it returns when to look again.
func (r *Replica) keep(ctx context.Context, t *term) time.Duration {
	now := time.Now()
	if !now.Before(t.deadlineAt()) {
		r.stopTerm("the lease could not be renewed in time")
		return 0
	}
	if now.Before(t.nextRenew) {
		return earlier(t.nextRenew, t.deadlineAt()).Sub(now)
	}
	cctx, cancel := context.WithTimeout(ctx, min(r.opTimeout(), t.deadlineAt().Sub(now)))
	defer cancel()
	sent := time.Now()
	switch err := r.rs.RenewLease(cctx, t.lease, r.opts.TTL); {
	case err == nil:
		r.dbOK()
		t.setDeadline(sent.Add(r.opts.TTL - r.opts.TTL/6))
		t.nextRenew = sent.Add(r.opts.TTL / 3)
	case errors.Is(err, store.ErrLeaseLost):
		r.stopTerm("the lease was lost")
		return 0
	default:
		r.dbFailed(err)
		t.nextRenew = time.Now().Add(r.opts.TTL / 12)
	}
	return max(time.Until(earlier(t.nextRenew, t.deadlineAt())), 0)
}

// followLoop serves each new publication while following.
func (r *Replica) followLoop(ctx context.Context) {
	t := time.NewTicker(r.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.loadMu.Lock()
		if r.currentTerm() == nil {
			r.loadNewer(ctx)
		}
		r.loadMu.Unlock()
	}
}

// loadNewer serves the newest publication if it is newer than the one
// served. The caller holds loadMu.
func (r *Replica) loadNewer(ctx context.Context) error {
	r.mu.Lock()
	from := r.loaded.version
	r.mu.Unlock()
	start := time.Now()
	p, now, err := newerPublication(ctx, r.rs, from, max(r.opTimeout(), 5*time.Second))
	if err != nil && !errors.Is(err, errDigest) {
		r.dbFailed(err)
		return err
	}
	r.dbOK()
	if p == nil {
		return nil
	}
	// A body equal to the one served keeps its encodings built so far.
	r.served.Store(p.Snap.Reuse(r.served.Load()))
	lag := time.Duration(now-p.Published)*time.Microsecond + time.Since(start)
	r.mu.Lock()
	if from > 0 {
		// The first publication a replica loads may be of any age: only
		// those it follows count as lag.
		r.lags.add(lag)
	}
	r.loaded = loaded{version: p.Version, term: p.Term, published: p.Published, answered: p.Answered, status: p.Status, at: time.Now()}
	if err != nil {
		r.digestErr = err.Error()
		r.log.Warn("publication served with other compressed bytes than the leader's", "err", err)
	}
	close(r.loadedWake)
	r.loadedWake = make(chan struct{})
	r.mu.Unlock()
	return nil
}

// loadedWait returns the publication served and a channel closed when
// another is.
func (r *Replica) loadedWait() (loaded, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loaded, r.loadedWake
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
