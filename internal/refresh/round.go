package refresh

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
	"nodelist/internal/snapshot"
)

// Round is the report of one finished round, for the history store.
type Round struct {
	N        uint64
	Started  time.Time
	Finished time.Time
	Err      error // registry failure; the round then probed the last known nodes
	// Nodes are the nodes the round asked or judged, in registry order;
	// the addresses of a shared origin left for a later round have none
	// (see origin.go).
	Nodes    []NodeReport
	Snapshot *snapshot.Snapshot // published at the end of the round
}

// NodeReport is what one round learnt of one node.
type NodeReport struct {
	Hash     string
	Outcomes []Outcome // in the order of probe.All
}

// Of is p's outcome.
func (n *NodeReport) Of(p *probe.Probe) Outcome { return n.Outcomes[p.Index] }

// Outcome is one probe's result, small enough to keep for every node.
type Outcome struct {
	// Skipped: the probe was not due this round (see probe.Probe.Every),
	// so nothing was asked and nothing is to be recorded of it.
	Skipped bool
	OK      bool
	At      time.Time
	Latency time.Duration
	Status  int
	Class   probe.Class // "" when OK
	Msg     string
}

func outcome(r probe.Response) Outcome {
	o := Outcome{OK: r.Err == nil, At: r.At, Latency: r.Latency, Status: r.Status}
	if r.Err != nil {
		o.Class, o.Msg = r.Err.Class, r.Err.Msg
	}
	return o
}

// round fetches the registry and settings, probes every node and
// publishes snapshots as results arrive. Every log line about the round
// carries its number, the one /debug/task shows.
func (r *Refresher) round(parent context.Context) error {
	rep := &Round{Started: time.Now()}
	if h := r.opts.Hooks.BeforeRound; h != nil {
		if err := h(parent, rep.Started); err != nil {
			return fmt.Errorf("round not started: %w", err)
		}
	}
	r.mu.Lock()
	p := r.beginRound()
	r.status.Round++
	rep.N = r.status.Round
	r.status.Running, r.status.Started = true, rep.Started
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(parent, p.roundTimeout)
	defer cancel()
	log := r.log.With("round", rep.N)
	log.Debug("round started")
	ctx = probe.WithLogger(ctx, log)

	if err := r.fetchRegistry(ctx, log, &p); err != nil {
		rep.Err = err
		log.Warn("registry fetch failed; probing the last known nodes", "err", err)
	}
	r.fetchSettings(ctx, log, &p)

	r.mu.Lock()
	targets := make([]*nodeState, len(r.order))
	copy(targets, r.order)
	groups, deferred := r.groupTargets(targets, time.Now())
	leads := make([]*nodeState, len(groups))
	for i, g := range groups {
		leads[i] = targets[g.lead[0]]
	}
	first := schedule(leads, r.short != nil)
	settings := r.settings
	r.status.Probed, r.status.Targets = 0, len(targets)-deferred
	r.mu.Unlock()
	if deferred > 0 {
		log.Debug("addresses sharing an origin left for later rounds", "deferred", deferred)
	}

	kick := make(chan struct{}, 1)
	stopPublisher := r.publishWhileRunning(kick)
	var finished int
	rep.Nodes, finished = r.probeAll(ctx, targets, groups, first, settings, kick)
	stopPublisher()
	if ctx.Err() != nil && finished < len(targets)-deferred {
		reason := "deadline"
		if parent.Err() != nil {
			reason = "canceled"
		}
		log.Warn("round stopped before every node was probed", "reason", reason,
			"probed", finished, "targets", len(targets)-deferred, "after", time.Since(rep.Started))
	}

	r.mu.Lock()
	rep.Finished = time.Now()
	if len(targets) > 0 || rep.Err == nil {
		r.lastRefresh = rep.Finished
	}
	responsive := 0
	for _, n := range rep.Nodes {
		if n.Of(probe.Gate).OK {
			responsive++
		}
	}
	r.status.Finished = rep.Finished
	r.status.LastDuration = rep.Finished.Sub(rep.Started)
	r.status.Nodes, r.status.Responsive = len(targets), responsive
	r.status.LastError = ""
	if rep.Err != nil {
		r.status.LastError = rep.Err.Error()
	}
	r.fleetChanged()
	r.mu.Unlock()
	rep.Snapshot = r.publish(true)
	r.met.round(rep)
	// The round is over once its last snapshot is out: a client that sees
	// it finished reads that snapshot.
	r.mu.Lock()
	r.status.Running = false
	r.mu.Unlock()
	log.Info("round finished", "nodes", len(targets), "responsive", responsive,
		"duration", rep.Finished.Sub(rep.Started))
	if n := rep.refused(); n > 0 && n == len(targets) {
		log.Warn("every node was refused by the SSRF guard: for a private test fleet use --allow-private-targets", "nodes", n)
	}
	if r.opts.Sink != nil {
		r.opts.Sink.Record(rep)
	}
	if r.opts.ReturnMemory {
		debug.FreeOSMemory()
	}
	return rep.Err
}

// refused counts the nodes whose gate probe the dial guard refused.
func (rep *Round) refused() int {
	n := 0
	for i := range rep.Nodes {
		if rep.Nodes[i].Of(probe.Gate).Class == probe.ClassForbidden {
			n++
		}
	}
	return n
}

// publishWhileRunning publishes a snapshot every PublishEvery while results
// arrive, or less often when publishing is slow: the pause after a
// publication is at least publishCostFactor times what it cost, so that
// building a large fleet's body never takes more than a fifth of the
// round's time. A kick publishes at once (see probeAll). The returned
// function stops it and waits for it.
func (r *Refresher) publishWhileRunning(kick <-chan struct{}) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTimer(r.opts.PublishEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			case <-kick:
				t.Stop()
			}
			r.mu.Lock()
			dirty := r.dirty
			r.mu.Unlock()
			wait := r.opts.PublishEvery
			if dirty {
				start := time.Now()
				r.publish(false)
				wait = max(wait, publishCostFactor*time.Since(start))
			}
			t.Reset(wait)
		}
	}()
	return func() { close(done); wg.Wait() }
}

const publishCostFactor = 4

// publish builds a snapshot of the live state and makes it current;
// final says it is the end of a round. Its encodings are built when first
// asked for; bodies equal to the current snapshot's take its bytes and
// encodings.
func (r *Refresher) publish(final bool) *snapshot.Snapshot {
	r.mu.Lock()
	crns := make([]snapshot.CRN, len(r.order))
	states := slices.Clone(r.order)
	for i, s := range states {
		crns[i] = s.crn(&r.scratch)
	}
	last := r.lastRefresh
	r.dirty = false
	r.mu.Unlock()
	start := time.Now()
	taken := make([]*byte, len(crns))
	for i := range crns {
		taken[i] = data(crns[i].JSON)
	}
	s := snapshot.Build(last, crns)
	built := s.All.Identity
	s = s.Reuse(r.opts.Holder.Load())
	took := time.Since(start)
	r.opts.Holder.Store(s)
	if data(built) == data(s.All.Identity) {
		r.shareRendered(states, taken, crns)
	}
	r.met.published(took)
	if h := r.opts.Hooks.Published; h != nil {
		h(s, final)
	}
	return s
}

// shareRendered points each node's cached CRN at the equal bytes of it in
// the body just published (Build pointed crns there), so that the service
// holds the list once, not once in the body and again node by node. A
// node whose cache changed since it was taken (taken[i] no longer) keeps
// its own.
func (r *Refresher) shareRendered(states []*nodeState, taken []*byte, crns []snapshot.CRN) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, st := range states {
		if st.rendered != nil && data(st.rendered) == taken[i] {
			st.rendered = crns[i].JSON
		}
	}
}

// data identifies b's bytes: two slices of one array from its start have
// the same.
func data(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return &b[0]
}

// fetchRegistry refreshes the node list. On failure the last list stays.
// An unchanged aggregate (same content hash) is not parsed again.
func (r *Refresher) fetchRegistry(ctx context.Context, log *slog.Logger, p *plan) error {
	resp := r.opts.Client.API(ctx, aleph.RegistryPath(p.registry), r.opts.MaxUpstream)
	if resp.Err != nil {
		return fmt.Errorf("fetch registry: %w", resp.Err)
	}
	sum := sha256.Sum256(resp.Body)
	r.mu.Lock()
	same := sum == r.registrySum && r.registryGz != nil
	r.mu.Unlock()
	if same {
		return nil
	}
	nodes, skipped, err := aleph.ParseRegistry(resp.Body)
	if err != nil {
		return fmt.Errorf("fetch registry: %w", err)
	}
	if skipped > 0 {
		log.Warn("registry entries skipped", "skipped", skipped)
	}
	if refused := countRefused(nodes); refused > 0 {
		log.Warn("registry entries refused; listed with their error", "refused", refused,
			"max_bytes", aleph.MaxEntryBytes, "max_depth", aleph.MaxEntryDepth)
	}
	gz := keepRegistry(resp.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.registryGz, r.registrySum = gz, sum
	next := make(map[string]*nodeState, len(nodes))
	order := make([]*nodeState, 0, len(nodes))
	for _, n := range nodes {
		st := r.nodes[n.Hash]
		if st == nil {
			st = newNodeState()
		}
		if !sameNode(&st.node, &n) {
			st.node = n
			st.rendered = nil
			// A new entry: its answers are decoded afresh; a new
			// address is a new node, asked everything anew.
			st.memo.Reset()
			if st.judge(p.forbidden) {
				st.memo.Forget()
			}
		}
		next[n.Hash] = st
		order = append(order, st)
	}
	r.nodes, r.order = next, order
	r.dirty = true
	return nil
}

func countRefused(nodes []aleph.Node) int {
	n := 0
	for i := range nodes {
		if nodes[i].Err != nil {
			n++
		}
	}
	return n
}

func sameNode(a, b *aleph.Node) bool {
	if a.Hash != b.Hash || len(a.Fields) != len(b.Fields) || (a.Err == nil) != (b.Err == nil) ||
		a.Err != nil && a.Err.Error() != b.Err.Error() {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i].Key != b.Fields[i].Key || !bytes.Equal(a.Fields[i].Value, b.Fields[i].Value) {
			return false
		}
	}
	return true
}

// fetchSettings refreshes the compatible GPU list when it is due. On
// failure the last good list stays and the next round tries again.
func (r *Refresher) fetchSettings(ctx context.Context, log *slog.Logger, p *plan) {
	r.mu.Lock()
	due := r.settings == nil || time.Since(r.settingsAt) >= r.opts.SettingsTTL
	r.mu.Unlock()
	if !due {
		return
	}
	resp := r.opts.Client.API(ctx, aleph.SettingsPath(p.settings), r.opts.MaxUpstream)
	if resp.Err != nil {
		log.Warn("settings fetch failed; keeping the last good GPU list", "err", resp.Err)
		r.settingsFailed("fetch settings: " + resp.Err.Error())
		return
	}
	sum := sha256.Sum256(resp.Body)
	var settings *aleph.Settings
	if sum != r.settingsSum {
		var err error
		if settings, err = aleph.ParseSettings(resp.Body); err != nil {
			log.Warn("settings unusable; keeping the last good GPU list", "err", err)
			r.settingsFailed(err.Error())
			return
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.settingsAt = time.Now()
	r.status.SettingsError = ""
	if settings == nil {
		return // unchanged
	}
	r.settings, r.settingsSum = settings, sum
	for _, st := range r.order {
		st.renormalise(settings)
	}
	r.dirty = true
}

func (r *Refresher) settingsFailed(msg string) {
	r.mu.Lock()
	r.status.SettingsError = msg
	r.mu.Unlock()
}
