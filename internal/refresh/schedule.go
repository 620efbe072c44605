package refresh

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"nodelist/internal/probe"
)

// A round has a deadline and a fixed number of slots, and anyone can
// register a node that accepts a connection and never answers. Probed in
// registry order with the full timeout each, 600 such nodes in 1000 held
// every slot until the deadline, and the same honest nodes, late in the
// list, were never probed. So each round:
//
//   - probes first the nodes that answered last round (the longest run of
//     answered rounds first), then the nodes not yet probed to the end,
//     and last the nodes that timed out last round; within each group the
//     order is shuffled anew, so that when a round cannot reach everyone
//     it is not always the same nodes that miss out;
//   - gives only the first group the full timeout: the others first get a
//     short one (Options.ShortTimeout), so that a hung node costs its own
//     slot that long, not the round's;
//   - probes again, with the full timeout, the nodes cut short, once every
//     node has had its first attempt and while the round has time: a node
//     that is slow but alive is still heard, after everyone else.

// pace is what rounds remember of a node's probes, to schedule the next.
type pace struct {
	seen     bool // a round probed it to the end
	timedOut bool // its last probe that went to the end timed out
	streak   int  // rounds answered in a row, up to streakCap
}

// streakCap bounds the run of answered rounds that orders the first
// group: a node that hangs every few rounds must answer this many rounds
// in a row to be probed among the steady nodes again.
const streakCap = 8

func (p *pace) record(timedOut bool) {
	p.seen, p.timedOut = true, timedOut
	if timedOut {
		p.streak = 0
	} else {
		p.streak = min(p.streak+1, streakCap)
	}
}

// rank orders the first attempts: lower goes first.
func (p *pace) rank() int {
	switch {
	case !p.seen:
		return streakCap + 1
	case p.timedOut:
		return streakCap + 2
	}
	return streakCap - p.streak
}

// job is one probe of targets[i]; short ones have the short timeout.
type job struct {
	i     int
	short bool
	retry bool // the full-timeout attempt after a short one timed out
}

// schedule returns a round's first attempts, in order. It reads the
// nodes' pace: the caller holds the state lock.
func schedule(targets []*nodeState, shortened bool) []job {
	order := rand.Perm(len(targets))
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(targets[a].pace.rank(), targets[b].pace.rank())
	})
	jobs := make([]job, len(order))
	for k, i := range order {
		p := &targets[i].pace
		jobs[k] = job{i: i, short: shortened && (!p.seen || p.timedOut)}
	}
	return jobs
}

// timedOut reports whether any probe of the node ran out of time.
func timedOut(r *probe.Result) bool {
	for i := range r.Answers {
		if e := r.Answers[i].Err; e != nil && e.Class == probe.ClassTimeout {
			return true
		}
	}
	return false
}
