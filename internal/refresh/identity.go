package refresh

import (
	"bytes"
	"encoding/json"
	"slices"

	"nodelist/internal/probe"
)

// A node's identity: aleph-vm 1.11 and later write the registry hash they
// were set up with in /status/config (node_hash). A node whose address
// serves a config naming another hash is the wrong node, or a copy of
// another's: it is flagged, but its data is still listed as before, since
// clients dial the registered address whatever it answers.

// MaxIdentityMismatchesListed bounds the hashes /debug/task lists; the
// count is always whole.
const MaxIdentityMismatchesListed = 100

// nodeHashField is the place of "node_hash" among the config probe's fields.
var nodeHashField = slices.IndexFunc(probe.Config.Fields, func(f probe.Field) bool { return f.Key == "node_hash" })

// claimedHash is the node_hash of the node's last good config, and
// whether it named one.
func (s *nodeState) claimedHash() (string, bool) {
	vals := s.probes[probe.Config.Index].values
	if nodeHashField < 0 || nodeHashField >= len(vals) {
		return "", false
	}
	b := vals[nodeHashField] // a JSON string, or null
	if len(b) < 2 || b[0] != '"' {
		return "", false
	}
	if !bytes.ContainsRune(b, '\\') {
		return string(b[1 : len(b)-1]), true // the usual case, without decoding: this runs for every node each round
	}
	var h string
	if json.Unmarshal(b, &h) != nil {
		return "", false
	}
	return h, true
}

// identityMismatch reports whether the node's config names a node_hash
// other than its registry hash.
func (s *nodeState) identityMismatch() bool {
	h, ok := s.claimedHash()
	return ok && h != s.node.Hash
}

// identityMismatches counts the nodes whose config names another hash,
// and lists the first MaxIdentityMismatchesListed of them, sorted.
func identityMismatches(order []*nodeState) (int, []string) {
	var hashes []string
	for _, s := range order {
		if s.identityMismatch() {
			hashes = append(hashes, s.node.Hash)
		}
	}
	slices.Sort(hashes)
	n := len(hashes)
	if n > MaxIdentityMismatchesListed {
		hashes = hashes[:MaxIdentityMismatchesListed]
	}
	return n, hashes
}

// fleetChanged updates what is derived from the whole fleet: the gauges
// and the status's identity mismatches. The caller holds r.mu.
func (r *Refresher) fleetChanged() {
	r.status.IdentityMismatches, r.status.IdentityMismatchHashes = identityMismatches(r.order)
	r.met.fleet(r.order, r.settings, r.lastRefresh, r.status.IdentityMismatches)
}
