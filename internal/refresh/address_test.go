package refresh

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
)

// One address probed alone gives the CRN a round gives the same node.
func TestProbeAddressAsARoundDoes(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 8, Seed: 3, GPU: 0.5, Failing: 0.25})
	r := newRefresher(t, f, 5*time.Second, nil)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	listed := byHash(decode(t, r.Holder().Load().All.Identity))
	for _, n := range f.Nodes() {
		body, why := newRefresher(t, f, 5*time.Second, nil).ProbeAddress(context.Background(), n.Address)
		var alone crn
		if err := json.Unmarshal(body, &alone); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		want := listed[n.Hash]
		if alone.Address != n.Address || alone.ConfigFromCRN != want.ConfigFromCRN ||
			alone.ConfigErr != want.ConfigErr || alone.UsageErr != want.UsageErr ||
			string(alone.SystemUsage) != string(want.SystemUsage) || len(alone.CompatibleGPUs) != len(want.CompatibleGPUs) ||
			alone.IPv6 != want.IPv6 {
			t.Errorf("%s alone:\n%s\nin a round: %+v", n.Address, body, want)
		}
		if (why == nil) != want.ConfigFromCRN {
			t.Errorf("%s: why %v, listed %v", n.Address, why, want.ConfigFromCRN)
		}
	}
}

func TestProbeAddressGuardedAndInvalid(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 1, Seed: 3})
	c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Guard: &probe.Guard{}})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c})
	if _, why := r.ProbeAddress(context.Background(), f.Nodes()[0].Address); why == nil || why.Class != probe.ClassForbidden {
		t.Errorf("loopback with the guard on: %v", why)
	}
	body, why := r.ProbeAddress(context.Background(), "ftp://x")
	if why == nil || why.Class != probe.ClassInvalidAddress {
		t.Errorf("an invalid address: %v", why)
	}
	var alone crn
	if err := json.Unmarshal(body, &alone); err != nil || alone.ConfigErr == "None" {
		t.Errorf("%s", body)
	}
}
