package refresh

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
)

// probeAll probes targets with as many workers as the client allows
// requests in flight, first attempts in the order given, then the nodes
// whose short first attempt timed out, with the full timeout (see
// schedule.go). Each result is applied as soon as it is final. Once every
// node probed with the full timeout from the start (those that answered
// last round) has its result, kick is sent: that is when the responsive
// nodes are all fresh, worth a publication at once rather than at the
// publisher's next tick. finished counts the results that came before ctx
// ended.
func (r *Refresher) probeAll(ctx context.Context, targets []*nodeState, first []job, settings *aleph.Settings, kick chan<- struct{}) (reports []NodeReport, finished int) {
	reports = make([]NodeReport, len(targets))
	var done atomic.Int64
	// Two connections per node (config and usage at once) must fit the
	// idle pool, or steady rounds redial; past that, one per node.
	sequential := 2*len(targets) > r.opts.Client.Options().MaxIdleConns
	// Room for every first attempt and one retry each: sends never block.
	queue := make(chan job, 2*len(targets))
	for _, j := range first {
		queue <- j
	}
	var left atomic.Int64 // nodes without a final result
	left.Store(int64(len(targets)))
	var steady atomic.Int64 // nodes with the full timeout from the start, not yet probed
	for _, j := range first {
		if !j.short {
			steady.Add(1)
		}
	}
	if len(targets) == 0 {
		close(queue)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	workers := inFlight(r.opts.Client.Options().Concurrency, len(targets))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				if allow := r.opts.Hooks.Allow; allow != nil && !allow() {
					cancel() // every probe from now on fails at once, unsent
				}
				rep, again := r.probeOne(ctx, targets[j.i], settings, sequential, j.short)
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
				reports[j.i] = rep
				if ctx.Err() == nil {
					done.Add(1)
				}
				if left.Add(-1) == 0 {
					close(queue)
				}
			}
		}()
	}
	wg.Wait()
	return reports, int(done.Load())
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

// probeOne probes one node and applies the result, unless a short first
// attempt timed out while the round still runs: it then reports again,
// and the node is probed once more with the full timeout.
func (r *Refresher) probeOne(ctx context.Context, st *nodeState, settings *aleph.Settings, sequential, short bool) (rep NodeReport, again bool) {
	// st.node, st.addr and st.addrErr change only between rounds.
	rep = NodeReport{Hash: st.node.Hash, Outcomes: make([]Outcome, len(probe.All))}
	if st.addrErr != nil {
		o := Outcome{At: time.Now(), Class: st.addrErr.Class, Msg: st.addrErr.Msg}
		for i := range rep.Outcomes {
			rep.Outcomes[i] = o
		}
		r.met.node(&rep)
		r.mu.Lock()
		r.status.Probed++
		r.mu.Unlock()
		return rep, false
	}
	client, probeNode := r.opts.Client, r.opts.Client.Node
	if sequential {
		probeNode = client.NodeSequential
	}
	if short {
		// One request at a time: a hung node then holds one request
		// slot, not two, and is not asked for usage once config timed
		// out.
		client = r.short
		probeNode = client.NodeSequential
	}
	res := probeNode(ctx, st.addr, settings, &st.memo)
	slow := timedOut(&res)
	// Once the round is over, what its deadline cut says nothing of
	// the node: the result stands, the node's pace is kept.
	live := ctx.Err() == nil
	if short && slow && live {
		return rep, true
	}
	for i := range res.Answers {
		rep.Outcomes[i] = outcome(res.Answers[i].Response)
	}
	r.met.node(&rep)
	r.mu.Lock()
	st.apply(&res)
	if live {
		st.pace.record(slow)
	}
	r.dirty = true
	r.status.Probed++
	r.mu.Unlock()
	return rep, false
}
