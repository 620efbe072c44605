package refresh

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/contract"
	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
)

// capabilityRequests counts the fleet's /about/capability requests by node.
type capabilityRequests struct {
	mu sync.Mutex
	n  map[int]int
}

func countCapability(f *simfleet.Fleet) *capabilityRequests {
	c := &capabilityRequests{n: map[int]int{}}
	f.SetRequestHook(func(node int, path string) {
		if path == probe.CapabilityPath {
			c.mu.Lock()
			c.n[node]++
			c.mu.Unlock()
		}
	})
	return c
}

// take returns the counts since the last take.
func (c *capabilityRequests) take() map[int]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[int]int{}
	return n
}

func capabilityOf(t *testing.T, r *Refresher, hash string) json.RawMessage {
	t.Helper()
	var c struct {
		Capability json.RawMessage `json:"capability"`
	}
	if err := json.Unmarshal(r.Holder().Load().CRN(hash), &c); err != nil {
		t.Fatal(err)
	}
	return c.Capability
}

func hasRoute(version string) bool {
	v, ok := aleph.ParseVersion(version)
	return !ok || v.Compare(aleph.Version{1, 6, 0}) >= 0
}

// TestCapabilityCadence runs rounds over a fleet and counts the
// capability requests: one per node that answers its config in the
// first round, none in the steady rounds after (the answer stands, the
// outcome is Skipped), one at once for a node whose version changed, none
// for a node without the route until its version changes, and none while
// a node's config fails.
func TestCapabilityCadence(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 30, Seed: 8, Failing: 0.1, InvalidAddress: 0.1, OldVersion: 0.5})
	asked := countCapability(f)
	var last *Round
	r := newRefresher(t, f, 2*time.Second, func(rd *Round) { last = rd })
	round := func() map[string]Outcome {
		t.Helper()
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := contract.Validate(r.Holder().Load().All.Identity); err != nil {
			t.Fatal(err)
		}
		out := map[string]Outcome{}
		for _, n := range last.Nodes {
			out[n.Hash] = n.Of(probe.Capability)
		}
		return out
	}
	nodes := f.Nodes()

	// Round 1: asked of every node that answered its config.
	outcomes := round()
	got := asked.take()
	var withRoute, withoutRoute, upgrade, failing simfleet.Node
	for _, n := range nodes {
		o := outcomes[n.Hash]
		capa := capabilityOf(t, r, n.Hash)
		switch {
		case n.Kind == simfleet.KindInvalidAddress:
			if got[n.Index] != 0 || o.Skipped || o.Class != probe.ClassInvalidAddress {
				t.Errorf("invalid node %d: asked %d, outcome %+v", n.Index, got[n.Index], o)
			}
		case n.Kind != simfleet.KindOK:
			failing = n
			if got[n.Index] != 0 || !o.Skipped || string(capa) != "null" {
				t.Errorf("node %d (%s): asked %d times, outcome %+v, capability %s; want skipped", n.Index, n.Kind, got[n.Index], o, capa)
			}
		case hasRoute(n.Version):
			withRoute = n
			if got[n.Index] != 1 || !o.OK || string(capa) == "null" {
				t.Errorf("node %d (%s): asked %d times, outcome %+v, capability %s", n.Index, n.Version, got[n.Index], o, capa)
			}
		default:
			if upgrade.Hash == "" {
				upgrade = n
			} else {
				withoutRoute = n
			}
			if got[n.Index] != 1 || o.OK || o.Status != 404 || string(capa) != "null" {
				t.Errorf("node %d (%s): asked %d times, outcome %+v, capability %s; want a 404", n.Index, n.Version, got[n.Index], o, capa)
			}
		}
	}
	if withRoute.Hash == "" || withoutRoute.Hash == "" || upgrade.Hash == "" || failing.Hash == "" {
		t.Fatal("the fleet lacks a kind of node")
	}
	kept := capabilityOf(t, r, withRoute.Hash)

	// Rounds 2 and 3: nobody is asked; every answer stands.
	for i := range 2 {
		outcomes = round()
		if got := asked.take(); len(got) != 0 {
			t.Errorf("steady round %d asked the capability of %v", i+2, got)
		}
		for _, n := range nodes {
			if o := outcomes[n.Hash]; n.Kind != simfleet.KindInvalidAddress && (!o.Skipped || o.OK || !o.At.IsZero()) {
				t.Errorf("steady round %d: node %d's capability outcome %+v, want skipped", i+2, n.Index, outcomes[n.Hash])
			}
		}
		if c := capabilityOf(t, r, withRoute.Hash); string(c) != string(kept) {
			t.Errorf("capability changed in a steady round: %s, was %s", c, kept)
		}
	}

	// A new version is asked at once; a release that gains the route
	// publishes it; the other nodes are not asked.
	f.SetVersion(upgrade.Index, "1.7.2")
	f.SetVersion(withRoute.Index, "2.0.1")
	f.SetKind(failing.Index, simfleet.KindOK)
	round()
	got = asked.take()
	want := map[int]int{upgrade.Index: 1, withRoute.Index: 1}
	if failing.Kind == simfleet.KindFailing {
		want[failing.Index] = 1 // its config answers now: never asked, so due
	}
	if len(got) != len(want) || got[upgrade.Index] != 1 || got[withRoute.Index] != 1 || got[failing.Index] != want[failing.Index] {
		t.Errorf("after the changes, asked %v, want %v", got, want)
	}
	if c := capabilityOf(t, r, upgrade.Hash); string(c) == "null" {
		t.Errorf("node %d upgraded to 1.7.2: capability still null", upgrade.Index)
	}

	// A node whose config fails keeps its capability and is not asked.
	before := capabilityOf(t, r, withRoute.Hash)
	f.SetKind(withRoute.Index, simfleet.KindFailing)
	f.SetVersion(withoutRoute.Index, withoutRoute.Version) // the same version: not asked
	outcomes = round()
	if got := asked.take(); len(got) != 0 {
		t.Errorf("asked %v with no version changed", got)
	}
	if c := capabilityOf(t, r, withRoute.Hash); string(c) != string(before) || string(c) == "null" || !outcomes[withRoute.Hash].Skipped {
		t.Errorf("a failing node's capability: %s (was %s), outcome %+v", c, before, outcomes[withRoute.Hash])
	}
}

// TestCapabilityAskedAgainAfterAShortAttempt makes a node's first, short
// attempt time out after its config answered (its other routes hang, the
// capability's included), then answer the retry: the capability asked
// in the attempt thrown away is asked again, not taken for asked.
func TestCapabilityAskedAgainAfterAShortAttempt(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 4, Seed: 8})
	target := f.Nodes()[1]
	if !hasRoute(target.Version) {
		t.Fatalf("node %d runs %s, without the route", target.Index, target.Version)
	}
	var mu sync.Mutex
	configs, asked := 0, 0
	f.SetRequestHook(func(node int, path string) {
		if node != target.Index {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch path {
		case probe.ConfigPath:
			configs++
			if configs == 2 { // the retry
				f.SetKind(target.Index, simfleet.KindOK)
			}
		case probe.UsagePath:
			if configs == 1 { // the short attempt: hang from here on
				f.SetKind(target.Index, simfleet.KindHung)
			}
		case probe.CapabilityPath:
			asked++
		}
	})
	var last *Round
	r := newRefresher(t, f, 2*time.Second, func(rd *Round) { last = rd })
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var o Outcome
	for _, n := range last.Nodes {
		if n.Hash == target.Hash {
			o = n.Of(probe.Capability)
		}
	}
	if configs != 2 || asked != 2 || !o.OK || string(capabilityOf(t, r, target.Hash)) == "null" {
		t.Errorf("config asked %d times, capability %d times, outcome %+v, capability %s; want 2, 2, a success",
			configs, asked, o, capabilityOf(t, r, target.Hash))
	}
}
