package simfleet

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
)

// DefaultVMID is the CHECK_FASTAPI_VM_ID of aleph-vm's default settings;
// a client uses it when a node's config has no references.
const DefaultVMID = "d2b74aa29898457bde0560e47f7cdd4e77287e9f1f7a1456161d2fd7d5c855d7"

var (
	newVersions = []string{"1.9.2", "1.10.0", "2.0.1", "1.8.2"}
	oldVersions = []string{"1.8.1", "1.7.2", "1.3.0-41-g7303587", "1.2.0"}
)

// Random streams: each concern draws from its own stream so that adding a
// draw to one does not shift the others.
const (
	streamPlan     = 1 // kinds and traits
	streamRegistry = 2 // registry fields, per node
	streamPayload  = 3 // node answers, per node
	streamCCN      = 4 // core channel nodes
)

func newRand(seed int64, stream, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream<<56^index))
}

// quirks are the per-node variations of the answers, beyond Kind and the
// traits of Node, that exercise a client's normalisation.
type quirks struct {
	noReferences bool // config has no "references" (old nodes)
	floatKB      bool // usage writes total_kB and available_kB as 123.0
	gpuIntel     bool // GPU node with a non-compatible Intel device too
	gpuLegacy    bool // GPU entries without "compatible" and "model"
	gpuNullModel bool // the Intel device's model written as null, as some serialisers do
	gpuSubset    bool // available_devices is a strict subset of devices
	gpuNull      bool // non-GPU node sends "available_devices": null
	gpuOmitted   bool // non-GPU node has no "gpu" key at all
	ccn          int  // index of the parent core channel node, -1 for none
}

// plan decides every node's kind, traits, quirks and registry entry for o,
// in registry order, and draws the core channel nodes they link to. Counts
// are exact: a share s yields round(s*o.Nodes) nodes.
func plan(o Options) ([]*node, []ccn) {
	n := o.Nodes
	r := newRand(o.Seed, streamPlan, 0)
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = &node{info: Node{Index: i}}
	}

	kinds := make([]Kind, n)
	perm := r.Perm(n)
	next := 0
	for _, s := range []struct {
		k     Kind
		share float64
	}{{KindFailing, o.Failing}, {KindHung, o.Hung}, {KindInvalidJSON, o.InvalidJSON}, {KindInvalidAddress, o.InvalidAddress}} {
		for c := count(s.share, n); c > 0 && next < n; c-- {
			kinds[perm[next]] = s.k
			next++
		}
	}
	old := trait(r, n, o.OldVersion)
	gpu := trait(r, n, o.GPU)
	inactive := trait(r, n, o.Inactive)
	rank := r.Perm(n) // keys the "a few nodes" quirks

	ccns := newCCNs(o.Seed)
	var nInvalid, nOK, nOld, nNew, nGPU, nPlain int
	for i, nd := range nodes {
		in := &nd.info
		in.Kind, in.GPU, in.Inactive = kinds[i], gpu[i], inactive[i]
		nd.kind.Store(int32(kinds[i]))
		q := &nd.quirks
		q.ccn = i % 3
		if i%9 == 4 {
			q.ccn = -1
		}
		var parent *string
		if q.ccn >= 0 {
			h := ccns[q.ccn].Hash
			parent = &h
		}
		nd.entry = newCRN(o.Seed, i, in.Inactive, parent)
		in.Hash, in.Name, in.Score, in.Locked = nd.entry.Hash, nd.entry.Name, nd.entry.Score, string(nd.entry.Locked)
		if in.Kind == KindInvalidAddress {
			in.Address = invalidAddresses[nInvalid%len(invalidAddresses)]
			nInvalid++
		}
		// "computing" is omitted by a few OK nodes only, so that a fault
		// kind never hides it.
		in.Computing = true
		if in.Kind == KindOK {
			in.Computing = nOK%10 != 4
			nOK++
		}
		in.Confidential = in.Computing && rank[i]%11 == 3
		q.floatKB = rank[i]%5 == 2

		pr := newRand(o.Seed, streamPayload, uint64(i))
		in.VMID = DefaultVMID
		nd.old = old[i]
		if old[i] {
			in.Version = oldVersions[pr.IntN(len(oldVersions))]
			switch nOld % 4 {
			case 1:
				in.VMID = hexString(pr, 32)
			case 3:
				q.noReferences = true
			}
			in.IPv6Host = rank[i]%6 != 1
			in.IPv6VM = in.IPv6Host
			nOld++
		} else {
			in.Version = newVersions[pr.IntN(len(newVersions))]
			in.IPv6Host = rank[i]%13 != 2
			in.IPv6VM = in.IPv6Host && rank[i]%6 != 1
			nNew++
		}
		if in.GPU {
			q.gpuIntel = nGPU%3 == 1
			q.gpuNullModel = q.gpuIntel && nGPU%2 == 1
			q.gpuLegacy = nGPU%4 == 3
			q.gpuSubset = nGPU%2 == 1
			nGPU++
		} else {
			q.gpuNull = nPlain%7 == 3
			q.gpuOmitted = nPlain%7 == 5
			nPlain++
		}
		nd.payloadSeed = pr.Uint64()
	}
	if o.Eras {
		assignEras(nodes)
		spellLocked(nodes)
	}
	linkCCNs(ccns, nodes)
	return nodes, ccns
}

// count is the exact number of nodes a share of n gives.
func count(share float64, n int) int {
	return min(int(math.Round(share*float64(n))), n)
}

// trait marks exactly count(share, n) nodes, chosen by a seeded permutation.
func trait(r *rand.Rand, n int, share float64) []bool {
	marked := make([]bool, n)
	for _, i := range r.Perm(n)[:count(share, n)] {
		marked[i] = true
	}
	return marked
}

func hexString(r *rand.Rand, bytes int) string {
	b := make([]byte, bytes)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b)
}

// nodeName is "node-0042" for most nodes; a few carry quotes, unicode,
// markup or control characters to test escaping.
func nodeName(i int) string {
	switch {
	case i%25 == 11:
		return fmt.Sprintf("ノード\t%04d \\ é", i)
	case i%10 == 3:
		return fmt.Sprintf(`Zoë's "node" %04d`, i)
	case i%10 == 7:
		return fmt.Sprintf(`CRN <%04d> & "friends"`, i)
	}
	return fmt.Sprintf("node-%04d", i)
}
