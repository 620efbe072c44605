package refresh

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/contract"
	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
	"nodelist/internal/snapshot"
)

// crn is the part of a served CRN the tests look at.
type crn struct {
	Hash                    string                  `json:"hash"`
	Name                    string                  `json:"name"`
	Address                 string                  `json:"address"`
	Score                   float64                 `json:"score"`
	InactiveSince           *float64                `json:"inactive_since"`
	ConfigFromCRN           bool                    `json:"config_from_crn"`
	ConfigAt                *string                 `json:"debug_config_from_crn_at"`
	ConfigErr               string                  `json:"debug_config_from_crn_error"`
	UsageAt                 *string                 `json:"debug_usage_from_crn_at"`
	UsageErr                string                  `json:"usage_from_crn_error"`
	Version                 *string                 `json:"version"`
	PaymentReceiver         *string                 `json:"payment_receiver_address"`
	GPUSupport              *bool                   `json:"gpu_support"`
	SystemUsage             json.RawMessage         `json:"system_usage"`
	CompatibleGPUs          []gpu                   `json:"compatible_gpus"`
	CompatibleAvailableGPUs []gpu                   `json:"compatible_available_gpus"`
	IPv6                    struct{ Host, VM bool } `json:"ipv6_check"`
	Extra                   json.RawMessage         `json:"x_extra"`
}

type gpu struct {
	DeviceID   string `json:"device_id"`
	Model      string `json:"model"`
	Compatible bool   `json:"compatible"`
}

type doc struct {
	LastRefresh *string `json:"last_refresh"`
	CRNs        []crn   `json:"crns"`
}

func decode(t *testing.T, body []byte) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("crns.json: %v", err)
	}
	return d
}

func byHash(d doc) map[string]crn {
	m := make(map[string]crn, len(d.CRNs))
	for _, c := range d.CRNs {
		m[c.Hash] = c
	}
	return m
}

func startFleet(t *testing.T, o simfleet.Options) *simfleet.Fleet {
	t.Helper()
	f, err := simfleet.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func newRefresher(t *testing.T, f *simfleet.Fleet, timeout time.Duration, onRound func(*Round)) *Refresher {
	t.Helper()
	c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: timeout, Concurrency: 32})
	t.Cleanup(c.CloseIdleConnections)
	var sink Sink
	if onRound != nil {
		sink = SinkFunc(onRound)
	}
	return New(Options{
		Client: c, Forbidden: config.DefaultForbiddenHosts,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Sink: sink,
	})
}

// validateVariants checks both crns.json variants of snap against the
// contract.
func validateVariants(t *testing.T, snap *snapshot.Snapshot) {
	t.Helper()
	for name, body := range map[string][]byte{"all": snap.All.Identity, "active": snap.Active.Identity} {
		if err := contract.Validate(body); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// TestLargeSharedListenerRound runs a round over 3000 nodes served from
// one listener, each at its own loopback address as the benchmark's large
// fleets are, and checks both variants against the contract.
func TestLargeSharedListenerRound(t *testing.T) {
	if testing.Short() {
		t.Skip("3000 nodes")
	}
	f := startFleet(t, simfleet.Options{Nodes: 3000, Seed: 9, SharedListener: true, Failing: 0.05, Hung: 0.01,
		InvalidJSON: 0.02, InvalidAddress: 0.01, OldVersion: 0.3, GPU: 0.2, Inactive: 0.1})
	r := newRefresher(t, f, 500*time.Millisecond, nil)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap := r.Holder().Load()
	validateVariants(t, snap)
	var doc struct {
		CRNs []struct {
			ConfigFromCRN bool `json:"config_from_crn"`
		} `json:"crns"`
	}
	if err := json.Unmarshal(snap.All.Identity, &doc); err != nil {
		t.Fatal(err)
	}
	withConfig := 0
	for _, c := range doc.CRNs {
		if c.ConfigFromCRN {
			withConfig++
		}
	}
	// 5% failing, 1% hung, 2% invalid JSON and 1% invalid addresses have no config.
	if len(doc.CRNs) != 3000 || withConfig != 3000-150-30-60-30 {
		t.Errorf("%d CRNs, %d with their config; want 3000 and %d", len(doc.CRNs), withConfig, 3000-150-30-60-30)
	}
}

func TestRoundAgainstFleet(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 80, Seed: 7, Failing: 0.1, Hung: 0.05, InvalidJSON: 0.05,
		InvalidAddress: 0.1, OldVersion: 0.3, GPU: 0.2, Inactive: 0.2})
	var rounds []*Round
	r := newRefresher(t, f, 500*time.Millisecond, func(rd *Round) { rounds = append(rounds, rd) })
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap := r.Holder().Load()
	validateVariants(t, snap)
	d := decode(t, snap.All.Identity)
	if d.LastRefresh == nil {
		t.Error("last_refresh is null after a round")
	}
	nodes := f.Nodes()
	if len(d.CRNs) != len(nodes) {
		t.Fatalf("%d CRNs served, fleet has %d", len(d.CRNs), len(nodes))
	}
	for i := 1; i < len(d.CRNs); i++ {
		if d.CRNs[i].Score > d.CRNs[i-1].Score {
			t.Fatalf("not sorted by score at %d", i)
		}
	}
	served := byHash(d)
	classes := map[string]probe.Class{}
	for _, n := range rounds[0].Nodes {
		classes[n.Hash] = n.Of(probe.Config).Class
	}
	active := 0
	for _, n := range nodes {
		c, ok := served[n.Hash]
		if !ok {
			t.Errorf("node %d (%s) missing", n.Index, n.Kind)
			continue
		}
		if (c.InactiveSince != nil) != n.Inactive {
			t.Errorf("node %d: inactive_since %v, want inactive=%v", n.Index, c.InactiveSince, n.Inactive)
		}
		if !n.Inactive {
			active++
		}
		if string(c.Extra) == "" {
			t.Errorf("node %d: unknown registry field x_extra not passed through", n.Index)
		}
		want := map[simfleet.Kind]probe.Class{simfleet.KindOK: "", simfleet.KindFailing: probe.ClassHTTPStatus,
			simfleet.KindHung: probe.ClassTimeout, simfleet.KindInvalidJSON: probe.ClassInvalidJSON,
			simfleet.KindInvalidAddress: probe.ClassInvalidAddress}[n.Kind]
		if got := classes[n.Hash]; got != want {
			t.Errorf("node %d (%s): config class %q, want %q (%s)", n.Index, n.Kind, got, want, c.ConfigErr)
		}
		switch n.Kind {
		case simfleet.KindOK:
			if !c.ConfigFromCRN || c.ConfigAt == nil || c.Version == nil || *c.Version != n.Version || c.ConfigErr != "None" {
				t.Errorf("node %d: config %v at %v version %v error %q, want version %s and no error",
					n.Index, c.ConfigFromCRN, c.ConfigAt, c.Version, c.ConfigErr, n.Version)
			}
			if c.UsageErr != "None" || c.UsageAt == nil || string(c.SystemUsage) == "null" {
				t.Errorf("node %d: usage error %q", n.Index, c.UsageErr)
			}
			if c.IPv6.Host != n.IPv6Host || c.IPv6.VM != n.IPv6VM {
				t.Errorf("node %d (version %s): ipv6 %+v, want host=%v vm=%v", n.Index, n.Version, c.IPv6, n.IPv6Host, n.IPv6VM)
			}
			if n.GPU != (len(c.CompatibleGPUs) > 0) {
				t.Errorf("node %d: gpu=%v but %d compatible GPUs", n.Index, n.GPU, len(c.CompatibleGPUs))
			}
			for _, g := range c.CompatibleGPUs {
				if !g.Compatible || g.Model == "" || g.DeviceID == "8086:3e92" {
					t.Errorf("node %d: compatible GPU %+v", n.Index, g)
				}
			}
		case simfleet.KindInvalidAddress:
			if c.ConfigFromCRN || c.ConfigAt != nil || string(c.SystemUsage) != "null" || c.ConfigErr == "None" || c.UsageErr == "None" {
				t.Errorf("invalid address node %d: %+v", n.Index, c)
			}
		default:
			if c.ConfigFromCRN || c.ConfigErr == "None" || c.IPv6.Host || c.IPv6.VM {
				t.Errorf("node %d (%s): config_from_crn %v, error %q, ipv6 %+v", n.Index, n.Kind, c.ConfigFromCRN, c.ConfigErr, c.IPv6)
			}
		}
	}
	if snap.ActiveCount != active || snap.Count != len(nodes) {
		t.Errorf("active variant has %d CRNs, want %d", snap.ActiveCount, active)
	}
}

func TestSteadyRoundOpensNoConnection(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 50, Seed: 3, Failing: 0.1, InvalidJSON: 0.1, OldVersion: 0.5, GPU: 0.2})
	r := newRefresher(t, f, 2*time.Second, nil)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	warm := f.Stats()
	if warm.NodeConnections == 0 {
		t.Fatal("the warm-up round opened no connection at all")
	}
	for range 2 {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	after := f.Stats()
	if n := after.APIConnections - warm.APIConnections; n != 0 {
		t.Errorf("two steady rounds opened %d new connections to the API host", n)
	}
	if n := after.NodeConnections - warm.NodeConnections; n != 0 {
		t.Errorf("two steady rounds opened %d new connections to nodes (warm-up opened %d)", n, warm.NodeConnections)
	}
	if after.NodeRequests <= warm.NodeRequests {
		t.Error("steady rounds made no requests")
	}
}

func TestFailedProbeKeepsLastGoodData(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 5, Seed: 1})
	r := newRefresher(t, f, 2*time.Second, nil)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	target := f.Nodes()[0]
	before := byHash(decode(t, r.Holder().Load().All.Identity))[target.Hash]
	f.SetKind(target.Index, simfleet.KindFailing)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := byHash(decode(t, r.Holder().Load().All.Identity))[target.Hash]
	if !after.ConfigFromCRN || after.Version == nil || *after.Version != *before.Version || string(after.SystemUsage) != string(before.SystemUsage) {
		t.Errorf("good data lost after a failed round: %+v", after)
	}
	if *after.ConfigAt != *before.ConfigAt || *after.UsageAt != *before.UsageAt {
		t.Errorf("fetch time moved: %v -> %v", *before.ConfigAt, *after.ConfigAt)
	}
	if after.ConfigErr != "http_status: HTTP 500" || after.UsageErr != "http_status: HTTP 500" {
		t.Errorf("errors %q / %q", after.ConfigErr, after.UsageErr)
	}
	f.SetKind(target.Index, simfleet.KindOK)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	again := byHash(decode(t, r.Holder().Load().All.Identity))[target.Hash]
	if again.ConfigErr != "None" || *again.ConfigAt == *before.ConfigAt {
		t.Errorf("recovered node: error %q, at %v", again.ConfigErr, *again.ConfigAt)
	}
}

func TestRegistryDownKeepsNodes(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 10, Seed: 2})
	r := newRefresher(t, f, 2*time.Second, nil)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.SetRegistryDown(true)
	if err := r.Refresh(context.Background()); err == nil {
		t.Error("a round with the registry down reported no error")
	}
	snap := r.Holder().Load()
	if snap.Count != 10 {
		t.Errorf("%d CRNs served with the registry down, want the last 10", snap.Count)
	}
	if st := r.Status(); st.LastError == "" || st.Responsive != 10 {
		t.Errorf("status %+v", st)
	}
}

// TestHungNodeDoesNotHoldOthers checks progressive publication: every
// answering node is in a published snapshot while the round still waits
// for the hung node.
func TestHungNodeDoesNotHoldOthers(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 20, Seed: 5, Hung: 0.05})
	// The hung node is released only by the probe timeout, far beyond
	// the polling deadline below.
	r := newRefresher(t, f, time.Minute, nil)
	var hung string
	for _, n := range f.Nodes() {
		if n.Kind == simfleet.KindHung {
			hung = n.Hash
		}
	}
	// Run owns the round: cancelling it cancels the hung probe and waits.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = r.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		d := decode(t, r.Holder().Load().All.Identity)
		visible := 0
		for _, c := range d.CRNs {
			if c.ConfigFromCRN {
				visible++
			}
		}
		if visible == 19 {
			if !r.Status().Running {
				t.Fatal("the round finished although a node hangs for a minute")
			}
			if byHash(d)[hung].ConfigFromCRN {
				t.Fatal("hung node has data")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 19 answering nodes visible while the hung node holds the round", visible)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an event
	}
}

func TestConcurrentRefreshesCoalesce(t *testing.T) {
	// The hung node keeps the round running for the probe timeout, so
	// every trigger below arrives while it runs.
	f := startFleet(t, simfleet.Options{Nodes: 10, Seed: 4, Hung: 0.1})
	r := newRefresher(t, f, time.Second, nil)
	before := f.Stats().APIRequests
	var wg sync.WaitGroup
	h := r.start() // a round is running from here on
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = r.Refresh(context.Background()) }()
	}
	wg.Wait()
	<-h.done
	if got := r.Status().Round; got != 1 {
		t.Errorf("%d rounds ran for 9 concurrent triggers, want 1", got)
	}
	// One round fetches the registry and the settings once each.
	if n := f.Stats().APIRequests - before; n != 2 {
		t.Errorf("%d API requests, want 2", n)
	}
}

// TestSeedServesThePersistedSnapshot checks a warm restart: a refresher
// seeded with a published crns.json serves the same bytes before any
// round, and its first round keeps data for nodes it has not reached.
func TestSeedServesThePersistedSnapshot(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 40, Seed: 11, Failing: 0.1, InvalidJSON: 0.05, InvalidAddress: 0.05,
		OldVersion: 0.3, GPU: 0.3, Inactive: 0.2})
	r := newRefresher(t, f, 2*time.Second, nil)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := r.Holder().Load()

	warm := newRefresher(t, f, 2*time.Second, nil)
	if err := warm.Seed(before.LastRefresh, before.All.Identity); err != nil {
		t.Fatal(err)
	}
	seeded := warm.Holder().Load()
	if string(seeded.All.Identity) != string(before.All.Identity) || string(seeded.Active.Identity) != string(before.Active.Identity) {
		t.Fatalf("seeded snapshot differs from the persisted one:\n%.300s\n%.300s", seeded.All.Identity, before.All.Identity)
	}
	if err := warm.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := byHash(decode(t, warm.Holder().Load().All.Identity))
	if len(after) != 40 {
		t.Fatalf("%d CRNs after the first round", len(after))
	}
	if err := contract.Validate(warm.Holder().Load().All.Identity); err != nil {
		t.Fatal(err)
	}
}
