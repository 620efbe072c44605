package refresh

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/internal/probe"
)

// testFleet is an API host and a few node servers on loopback; hung nodes
// answer only when released (or when the client gives up).
type testFleet struct {
	api      *httptest.Server
	nodes    []*httptest.Server
	newConns atomic.Int64 // connections accepted by the node servers
	release  chan struct{}
}

func startFleet(t *testing.T, n int, hung map[int]bool) *testFleet {
	t.Helper()
	f := &testFleet{release: make(chan struct{})}
	var entries []string
	for i := range n {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Simulated network latency: config and usage, asked at once,
			// overlap, so that each node's two connections are made in
			// the first round.
			select {
			case <-time.After(10 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
			if hung[i] {
				select {
				case <-f.release:
				case <-r.Context().Done():
					return
				}
			}
			switch r.URL.Path {
			case probe.ConfigPath:
				fmt.Fprint(w, `{"version":"1.9.0","payment":{"PAYMENT_RECEIVER_ADDRESS":"0xabc"},`+
					`"computing":{"ENABLE_GPU_SUPPORT":false,"ENABLE_CONFIDENTIAL_COMPUTING":false,"ENABLE_QEMU_SUPPORT":true}}`)
			case probe.UsagePath:
				fmt.Fprint(w, `{"cpu":{"count":4},"gpu":{"devices":[],"available_devices":[]}}`)
			case probe.IPv6Path:
				fmt.Fprint(w, `{"host":true,"vm":true}`)
			default:
				http.NotFound(w, r)
			}
		})
		s := httptest.NewUnstartedServer(h)
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				f.newConns.Add(1)
			}
		}
		s.Start()
		t.Cleanup(s.Close)
		f.nodes = append(f.nodes, s)
		entries = append(entries, fmt.Sprintf(`{"hash":"n%d","name":"n%d","address":%q,"score":%d,"inactive_since":null}`, i, i, s.URL, n-i))
	}
	registry := `{"data":{"corechannel":{"resource_nodes":[` + strings.Join(entries, ",") + `]}}}`
	f.api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("keys") == "settings" {
			fmt.Fprint(w, `{"data":{"settings":{"compatible_gpus":[]}}}`)
			return
		}
		fmt.Fprint(w, registry)
	}))
	t.Cleanup(f.api.Close)
	t.Cleanup(func() {
		select {
		case <-f.release:
		default:
			close(f.release)
		}
	})
	return f
}

func newTestRefresher(f *testFleet, timeout time.Duration) *Refresher {
	return newTestRefresherPool(f, timeout, 0)
}

func newTestRefresherPool(f *testFleet, timeout time.Duration, maxIdle int) *Refresher {
	client := probe.NewClient(probe.Options{Timeout: timeout, Concurrency: 16, MaxIdleConns: maxIdle})
	return New(Options{Client: client, APIURL: f.api.URL, PublishEvery: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
}

// visible returns the hashes of the CRNs with config data in the current
// snapshot.
func visible(t *testing.T, r *Refresher) map[string]bool {
	t.Helper()
	var doc struct {
		CRNs []struct {
			Hash   string `json:"hash"`
			Config bool   `json:"config_from_crn"`
		} `json:"crns"`
	}
	if err := json.Unmarshal(r.Holder().Load().All.Identity, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, c := range doc.CRNs {
		if c.Config {
			out[c.Hash] = true
		}
	}
	return out
}

// TestHungNodeDoesNotDelaySiblings holds one node until the end of the
// test: its siblings must be published while the round still waits for it.
func TestHungNodeDoesNotDelaySiblings(t *testing.T) {
	f := startFleet(t, 4, map[int]bool{2: true})
	r := newTestRefresher(f, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Refresh(ctx) }()

	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		v := visible(t, r)
		if v["n0"] && v["n1"] && v["n3"] {
			if v["n2"] {
				t.Fatal("the hung node is visible before it answered")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("siblings of the hung node not published; visible: %v", v)
		}
		select {
		case <-tick.C:
		case err := <-done:
			t.Fatalf("round ended (%v) although a node is hung", err)
		}
	}
	if !r.Status().Running {
		t.Error("round not running while the hung node is held")
	}
	close(f.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := visible(t, r); !v["n2"] {
		t.Errorf("released node missing at the end of the round: %v", v)
	}
	snap := r.Holder().Load()
	if snap.All.Gzip.Bytes == nil || snap.Active.Zstd.Bytes == nil || snap.All.Brotli.Bytes == nil {
		t.Error("published snapshot lacks an encoding")
	}
}

// TestSteadyRoundOpensNoConnections runs two rounds: the second reuses
// every node connection the first opened.
func TestSteadyRoundOpensNoConnections(t *testing.T) {
	f := startFleet(t, 5, nil)
	r := newTestRefresher(f, 10*time.Second)
	defer r.opts.Client.CloseIdleConnections()
	ctx := context.Background()
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	first := f.newConns.Load()
	// Three at most per node: config and usage at once, and IPv6 may dial
	// before the config connection is back in the pool.
	if first == 0 || first > int64(3*len(f.nodes)) {
		t.Fatalf("first round opened %d connections to %d nodes", first, len(f.nodes))
	}
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.newConns.Load() - first; n != 0 {
		t.Errorf("steady round opened %d new connections", n)
	}
	if st := r.Status(); st.Responsive != len(f.nodes) {
		t.Errorf("responsive %d of %d", st.Responsive, len(f.nodes))
	}
}

// TestSmallPoolProbesSequentially gives the pool room for fewer than two
// connections per node: each node is then probed on one connection, and
// steady rounds still open none.
func TestSmallPoolProbesSequentially(t *testing.T) {
	f := startFleet(t, 6, nil)
	r := newTestRefresherPool(f, 10*time.Second, 2*6-1)
	defer r.opts.Client.CloseIdleConnections()
	ctx := context.Background()
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	first := f.newConns.Load()
	if first != int64(len(f.nodes)) {
		t.Errorf("first round opened %d connections to %d nodes probed sequentially", first, len(f.nodes))
	}
	for range 2 {
		if err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.newConns.Load() - first; n != 0 {
		t.Errorf("steady rounds opened %d new connections", n)
	}
}
