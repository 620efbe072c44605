package notify

import (
	"encoding/json"

	"nodelist/internal/probe"
	"nodelist/internal/refresh"
)

// notProbed are the classes of a config probe that was never sent: the
// node keeps its state.
var notProbed = map[probe.Class]bool{
	probe.ClassInvalidAddress: true, probe.ClassForbidden: true, probe.ClassDeferred: true, probe.ClassCanceled: true,
}

// listed is what a CRN of the round's snapshot says of a node.
type listed struct {
	Hash          string          `json:"hash"`
	Name          string          `json:"name"`
	Owner         string          `json:"owner"`
	Address       string          `json:"address"`
	Version       string          `json:"version"`
	InactiveSince json.RawMessage `json:"inactive_since"`
}

// observe reads a round: each node it asked, with what its snapshot
// lists of it, and the counts the outage rule reads.
func observe(r *refresh.Round) ([]Node, Round) {
	byHash := map[string]*listed{}
	if r.Snapshot != nil {
		var doc struct {
			CRNs []listed `json:"crns"`
		}
		// The service's own rendering: a field of another type leaves
		// the node's text fields empty, nothing more.
		_ = json.Unmarshal(r.Snapshot.All.Identity, &doc)
		for i := range doc.CRNs {
			byHash[doc.CRNs[i].Hash] = &doc.CRNs[i]
		}
	}
	var sum Round
	if r.Err != nil {
		sum.RegistryErr = r.Err.Error()
	}
	out := make([]Node, 0, len(r.Nodes))
	for i := range r.Nodes {
		rep := &r.Nodes[i]
		n := Node{Hash: rep.Hash}
		if l := byHash[rep.Hash]; l != nil {
			n.Name, n.Owner, n.Address, n.Version = l.Name, l.Owner, l.Address, l.Version
			n.Inactive = len(l.InactiveSince) > 0 && string(l.InactiveSince) != "null"
		}
		if len(rep.Outcomes) > probe.Gate.Index {
			o := rep.Of(probe.Gate)
			// A failure without a class is no answer recorded at all.
			n.Probed = !o.Skipped && !notProbed[o.Class] && (o.OK || o.Class != "")
			n.OK, n.Latency = o.OK, o.Latency
			if !o.OK {
				n.Err = string(o.Class) + ": " + o.Msg
			}
		}
		if n.Probed {
			sum.Probed++
			if !n.OK {
				sum.Failed++
			}
		}
		out = append(out, n)
	}
	return out, sum
}
