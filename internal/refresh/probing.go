package refresh

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
)

// probeAll probes the groups of targets (see origin.go) with as many
// workers as the client allows requests in flight, first attempts in the
// order given, then the groups whose short first attempt timed out, with
// the full timeout (see schedule.go); a group's other addresses follow its
// first one's final result on the same worker. Each result is applied as
// soon as it is final. Once every group probed with the full timeout from
// the start (those that answered last round) has its first result, kick is
// sent: that is when the responsive nodes are all fresh, worth a
// publication at once rather than at the publisher's next tick. reports
// are the targets asked or judged, in the order of targets; finished
// counts those whose result came before ctx ended.
func (r *Refresher) probeAll(ctx context.Context, targets []*nodeState, groups []group, first []job, settings *aleph.Settings, kick chan<- struct{}) (reports []NodeReport, finished int) {
	byTarget := make([]NodeReport, len(targets))
	var done atomic.Int64
	// Two connections per node (config and usage at once) must fit the
	// idle pool, or steady rounds redial; past that, one per node.
	sequential := 2*len(groups) > r.opts.Client.Options().MaxIdleConns
	// Room for every first attempt and one retry each: sends never block.
	queue := make(chan job, 2*len(groups))
	for _, j := range first {
		queue <- j
	}
	var left atomic.Int64 // groups without a final result
	left.Store(int64(len(groups)))
	var steady atomic.Int64 // groups with the full timeout from the start, not yet probed
	for _, j := range first {
		if !j.short {
			steady.Add(1)
		}
	}
	if len(groups) == 0 {
		close(queue)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// allowed is false once the round must send nothing more.
	allowed := func() bool {
		if allow := r.opts.Hooks.Allow; allow != nil && !allow() {
			cancel() // every probe from now on fails at once, unsent
		}
		return ctx.Err() == nil
	}
	var wg sync.WaitGroup
	workers := inFlight(r.opts.Client.Options().Concurrency, len(groups))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				allowed()
				g := &groups[j.i]
				a := attempt{client: r.opts.Client, sequential: sequential}
				if j.short {
					// One request at a time: a hung node then holds one
					// request slot, not two, and is not asked for usage
					// once config timed out.
					a = attempt{client: r.short, sequential: true, short: true}
				}
				again := r.probeOne(ctx, targets, g.lead, settings, a, byTarget, &done)
				if !j.short && !j.retry && steady.Add(-1) == 0 {
					select {
					case kick <- struct{}{}:
					default:
					}
				}
				if again {
					queue <- job{i: j.i, retry: true} // after every first attempt
					continue
				}
				r.probeExtras(ctx, targets, g, settings, byTarget, &done, allowed)
				if left.Add(-1) == 0 {
					close(queue)
				}
			}
		}()
	}
	wg.Wait()
	reports = make([]NodeReport, 0, len(targets))
	for _, rep := range byTarget {
		if rep.Outcomes != nil {
			reports = append(reports, rep)
		}
	}
	return reports, int(done.Load())
}

// probeExtras asks the other addresses of g's origin, once its first one
// has its final result (see origin.go): one at a time, each with the short
// timeout and no retry, while the origin's budget of one probe timeout and
// the round have room for a whole attempt. The origin's next round goes
// on after the last one asked.
func (r *Refresher) probeExtras(ctx context.Context, targets []*nodeState, g *group, settings *aleph.Settings, reports []NodeReport, done *atomic.Int64, allowed func() bool) {
	if len(g.extras) == 0 {
		return
	}
	a := attempt{client: r.opts.Client, sequential: true}
	if r.short != nil {
		a.client = r.short
	}
	each, budget := a.client.Options().Timeout, r.opts.Client.Options().Timeout
	start := time.Now()
	last := ""
	for k, u := range g.extras {
		// The first always fits: without a shorter timeout, each attempt
		// may take the whole budget.
		if !allowed() || k > 0 && time.Since(start)+each > budget {
			break
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < each {
			break
		}
		r.probeOne(ctx, targets, u, settings, a, reports, done)
		last = targets[u[0]].path
	}
	if last != "" {
		r.mu.Lock()
		r.turns[g.origin] = last
		r.mu.Unlock()
	}
}

// inFlight is how many nodes a round probes at once: a fixed share of
// the fleet, so that a round of 10 000 nodes at 30 to 50 ms an answer
// takes about as long as one of 1000, within the client's bound on
// requests in flight (which the open-file limit sets) and at least
// minInFlight, which small fleets never reach.
func inFlight(bound, nodes int) int {
	return min(bound, nodes, max(minInFlight, nodes/8))
}

const minInFlight = 256

// attempt is how a node is asked: through which client, its probes one
// at a time or not, and whether a timeout is retried with the full one.
type attempt struct {
	client     *probe.Client
	sequential bool
	short      bool
}

// probeOne probes the node of unit u and applies the result to each of
// its targets, unless a short first attempt timed out while the round
// still runs: it then reports again, and the node is probed once more
// with the full timeout. done counts the targets whose result came while
// ctx ran.
func (r *Refresher) probeOne(ctx context.Context, targets []*nodeState, u unit, settings *aleph.Settings, a attempt, reports []NodeReport, done *atomic.Int64) (again bool) {
	// st.node, st.addr and st.addrErr change only between rounds.
	st := targets[u[0]]
	outcomes := make([]Outcome, len(probe.All))
	if st.addrErr != nil { // alone in its unit: it has no address to share
		o := Outcome{At: time.Now(), Class: st.addrErr.Class, Msg: st.addrErr.Msg}
		for i := range outcomes {
			outcomes[i] = o
		}
		reports[u[0]] = NodeReport{Hash: st.node.Hash, Outcomes: outcomes}
		r.met.node(&reports[u[0]])
		r.mu.Lock()
		r.status.Probed++
		r.mu.Unlock()
		if ctx.Err() == nil {
			done.Add(1)
		}
		return false
	}
	probeNode := a.client.Node
	if a.sequential {
		probeNode = a.client.NodeSequential
	}
	var restore func()
	if a.short {
		restore = st.memo.Checkpoint()
	}
	res := probeNode(ctx, st.addr, settings, &st.memo)
	slow := timedOut(&res)
	// Once the round is over, what its deadline cut says nothing of
	// the node: the result stands, the node's pace is kept.
	live := ctx.Err() == nil
	if a.short && slow && live {
		// Thrown away: the probes with a cadence it asked are asked
		// again with the rest.
		restore()
		return true
	}
	for i := range res.Answers {
		outcomes[i] = outcome(res.Answers[i].Response)
		if res.Answers[i].Skipped {
			outcomes[i] = Outcome{Skipped: true}
		}
	}
	r.met.node(&NodeReport{Outcomes: outcomes}) // one node asked, however many entries
	r.mu.Lock()
	for _, i := range u {
		t := targets[i]
		t.apply(&res)
		if live {
			t.pace.record(slow)
		}
		reports[i] = NodeReport{Hash: t.node.Hash, Outcomes: outcomes}
	}
	r.dirty = true
	r.status.Probed += len(u)
	r.mu.Unlock()
	if live {
		done.Add(int64(len(u)))
	}
	return false
}
