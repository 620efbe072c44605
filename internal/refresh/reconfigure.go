package refresh

import (
	"slices"
	"time"
)

// plan is what a reload may change in a running refresher: which
// aggregates a round reads, which host names no node may use, and when
// rounds run. The refresher holds it under its lock; each round copies it
// at its start and keeps that copy to its end.
type plan struct {
	registry, settings string
	forbidden          []string
	mode               Mode
	interval           time.Duration
	roundTimeout       time.Duration
}

func planOf(o *Options) plan {
	return plan{registry: o.RegistryAddress, settings: o.SettingsAddress, forbidden: slices.Clone(o.Forbidden),
		mode: o.Mode, interval: o.Interval, roundTimeout: o.RoundTimeout}
}

// Reconfigure takes from o the registry and settings owners, the
// forbidden host names, the mode, the interval and the round timeout
// (derived from the interval when zero, as in New). The scheduler's
// current wait picks up a new mode or interval at once; the rest holds
// from the next round, while a round running keeps what it started with.
// Only what changed is redone: new forbidden names have every address
// judged again at the start of the next round, a new settings owner has
// the settings fetched again then. The rest of o needs a new Refresher.
// It reports whether anything changed.
func (r *Refresher) Reconfigure(o Options) bool {
	o.Client = r.opts.Client
	o.setDefaults()
	next := planOf(&o)
	r.mu.Lock()
	cur := r.plan
	if !slices.Equal(cur.forbidden, next.forbidden) {
		r.rejudge = true
	}
	if cur.settings != next.settings {
		r.settingsAt = time.Time{} // due at the next round
	}
	r.plan = next
	r.status.Mode = string(next.mode)
	r.mu.Unlock()
	if cur.mode != next.mode || cur.interval != next.interval {
		select {
		case r.replan <- struct{}{}:
		default: // Run is already told
		}
	}
	return cur.registry != next.registry || cur.settings != next.settings || !slices.Equal(cur.forbidden, next.forbidden) ||
		cur.mode != next.mode || cur.interval != next.interval || cur.roundTimeout != next.roundTimeout
}

// beginRound returns the plan of the round starting, and judges every
// address again first when the forbidden names changed since the last
// round. The caller holds r.mu; no round is running.
func (r *Refresher) beginRound() plan {
	p := r.plan
	if r.rejudge {
		r.rejudge = false
		for _, st := range r.order {
			if st.judge(p.forbidden) {
				r.dirty = true
			}
		}
	}
	return p
}
