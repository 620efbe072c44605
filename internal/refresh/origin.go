package refresh

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"nodelist/internal/probe"
)

// The transport keeps one connection per origin (scheme, host and port),
// and anyone can register thousands of entries on the origin of an honest
// node, each with its own path. Probed as separate nodes, 3000 such
// entries waited in turn on that one connection, held every request slot
// of the round until its deadline (387 of 3006 nodes probed), and the
// honest node there timed out in every round. So each round:
//
//   - asks once the entries whose addresses are equal once normalised
//     (probe.Origin): they are one node listed several times, each entry
//     with its own registry fields and the same probe data;
//   - probes one address of each origin like any node (schedule.go): the
//     bare origin when it is registered, else the address whose config
//     answered in the longest run of rounds, else the next in turn;
//   - once that address has its final result, asks on the same worker at
//     most maxPathsPerOrigin-1 of the origin's other addresses, in turn
//     from where the last round stopped, one at a time, each with the
//     short timeout and no retry, while the origin's budget (one probe
//     timeout) and the round have room for a whole attempt: their cost
//     falls on their origin's worker, at most one timeout after the first
//     address, never on other nodes;
//   - lists the others with their last data or, never asked yet, with
//     class deferred.

// maxPathsPerOrigin is how many distinct addresses of one origin a round
// asks: a node that serves several nodes under paths of one host and port
// is rare, and eight leave room for it.
const maxPathsPerOrigin = 8

// unit is the targets sharing one address: the first is asked, and its
// result applied to all.
type unit []int

// group is what one worker probes: first an address like any node's, then
// in turn other addresses of its origin.
type group struct {
	lead   unit
	origin string // the origin of extras; "" without extras
	extras []unit
}

// groupTargets makes a round's groups from its targets, in registry order
// of their first target, and marks the origins' addresses never asked yet
// as deferred. deferred is how many targets no group asks this round. The
// caller holds the state lock.
func (r *Refresher) groupTargets(targets []*nodeState, now time.Time) (groups []group, deferred int) {
	byAddr := map[[2]string]int{}  // origin and path → index in units
	byOrigin := map[string][]int{} // origin → indices in units, first seen first
	var units []unit
	var origins []string
	for i, st := range targets {
		if st.addrErr != nil {
			groups = append(groups, group{lead: unit{i}})
			continue
		}
		key := [2]string{st.origin, st.path}
		u, ok := byAddr[key]
		if !ok {
			u = len(units)
			byAddr[key] = u
			units = append(units, nil)
			if byOrigin[st.origin] == nil {
				origins = append(origins, st.origin)
			}
			byOrigin[st.origin] = append(byOrigin[st.origin], u)
		}
		units[u] = append(units[u], i)
	}
	for _, u := range units {
		// The node that goes best is asked for all.
		slices.SortStableFunc(u, func(a, b int) int {
			return cmp.Compare(targets[a].pace.rank(), targets[b].pace.rank())
		})
	}
	turns := make(map[string]string, len(r.turns))
	for _, o := range origins {
		us := byOrigin[o]
		if len(us) == 1 {
			groups = append(groups, group{lead: units[us[0]]})
			continue
		}
		turns[o] = r.turns[o]
		path := func(u int) string { return targets[units[u][0]].path }
		slices.SortFunc(us, func(a, b int) int { return cmp.Compare(path(a), path(b)) })
		// In turn: from the first path after the last one asked.
		k := sort.Search(len(us), func(k int) bool { return path(us[k]) > r.turns[o] })
		order := append(slices.Clone(us[k:]), us[:k]...)
		lead := leadOf(targets, units, order)
		if lead == order[0] && path(lead) != "" {
			turns[o] = path(lead) // its turn came
		}
		g := group{lead: units[lead], origin: o}
		for _, u := range order {
			if u == lead {
				continue
			}
			if len(g.extras) < maxPathsPerOrigin-1 {
				g.extras = append(g.extras, units[u])
			} else {
				deferred += len(units[u])
			}
			r.postpone(targets, units[u], len(order), now)
		}
		groups = append(groups, g)
	}
	r.turns = turns
	slices.SortFunc(groups, func(a, b group) int { return cmp.Compare(a.lead[0], b.lead[0]) })
	return groups, deferred
}

// leadOf picks, among the units of one origin in turn order, the one
// probed like any node: the bare origin, else the one whose config
// answered in the longest run of rounds, else the first in turn.
func leadOf(targets []*nodeState, units []unit, order []int) int {
	best, rank := order[0], -1
	for _, u := range order {
		st := targets[units[u][0]]
		if st.path == "" {
			return u
		}
		if st.up() && (rank < 0 || st.pace.rank() < rank) {
			best, rank = u, st.pace.rank()
		}
	}
	return best
}

// postpone gives the targets of u, if never asked yet, an error saying why:
// their origin has more addresses than a round asks. Asked once, a node
// keeps its last data and error until it is asked again.
func (r *Refresher) postpone(targets []*nodeState, u unit, addresses int, now time.Time) {
	e := probe.Errorf(probe.ClassDeferred, "not asked yet: %d addresses share this node's scheme, host and port; "+
		"a round asks %d of them, in turn", addresses, maxPathsPerOrigin)
	for _, i := range u {
		st := targets[i]
		cfg := &st.probes[probe.Gate.Index]
		if !cfg.at.IsZero() || cfg.err != nil && cfg.err.Class != probe.ClassDeferred {
			continue
		}
		if cfg.err != nil && cfg.err.Msg == e.Msg {
			continue // rendered already
		}
		for k := range st.probes {
			st.probes[k].err, st.probes[k].errAt = e, now
		}
		st.rendered = nil
		r.dirty = true
	}
}
