package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"nodelist/internal/simfleet"
)

// hookReceiver records the notifications POSTed to it; while failing,
// it answers 503 and records the attempt's id only.
type hookReceiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	failing  bool
	got      []map[string]string // answered 200
	attempts map[string]int      // by id, answered or not
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{attempts: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]string
		_ = json.Unmarshal(b, &body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.attempts[body["id"]]++
		if h.failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		h.got = append(h.got, body)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) setFailing(f bool) {
	h.mu.Lock()
	h.failing = f
	h.mu.Unlock()
}

// events are the events received of the node of hash, in order.
func (h *hookReceiver) events(hash string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.got {
		if b["hash"] == hash {
			out = append(out, b["event"])
		}
	}
	return out
}

// roundOf is the number of rounds the service has finished.
func roundOf(base string) uint64 {
	var tk struct {
		Round   uint64 `json:"round"`
		Running bool   `json:"running"`
	}
	if getJSON(base+"/debug/task", &tk) != nil {
		return 0
	}
	if tk.Running {
		return tk.Round - 1
	}
	return tk.Round
}

// The service against a simulated fleet: a node failing for some rounds
// gives exactly one down per URL, its recovery one recovered per URL.
func TestNotifyDownAndRecovered(t *testing.T) {
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 6, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	a, b := newHookReceiver(t), newHookReceiver(t)
	addr := freeAddr(t)
	base := "http://" + addr
	_, stop := serveInBackground(t, "--listen", addr, "--api-url", fleet.APIURL(), "--allow-private-targets",
		"--refresh-interval", "1s", "--timeout", "1s", "--db", "sqlite:"+filepath.Join(t.TempDir(), "n.db"),
		"--notify-url", a.srv.URL, "--notify-url", b.srv.URL+"/second", "--notify-after", "2", "--node-metrics")
	defer stop()
	node := fleet.Nodes()[2]
	waitFor(t, "two rounds", 20*time.Second, func() bool { return roundOf(base) >= 2 })
	fleet.SetKind(node.Index, simfleet.KindFailing)
	failedAt := roundOf(base)
	for _, h := range []*hookReceiver{a, b} {
		waitFor(t, "the down", 20*time.Second, func() bool { return len(h.events(node.Hash)) == 1 })
	}
	// More failed rounds tell nothing more.
	waitFor(t, "three more rounds", 20*time.Second, func() bool { return roundOf(base) >= failedAt+5 })
	fleet.SetKind(node.Index, simfleet.KindOK)
	for _, h := range []*hookReceiver{a, b} {
		waitFor(t, "the recovery", 20*time.Second, func() bool { return len(h.events(node.Hash)) == 2 })
	}
	backAt := roundOf(base)
	waitFor(t, "three more rounds", 20*time.Second, func() bool { return roundOf(base) >= backAt+3 })
	for _, h := range []*hookReceiver{a, b} {
		if got := h.events(node.Hash); !slices.Equal(got, []string{"down", "recovered"}) {
			t.Fatalf("%s got %v, want one down and one recovered", h.srv.URL, got)
		}
		h.mu.Lock()
		if len(h.got) != 2 {
			t.Errorf("%d notifications, want 2 (no other node changed): %v", len(h.got), h.got)
		}
		if d := h.got[0]; d["name"] != node.Name || d["address"] == "" || d["error"] == "" || d["at"] == "" || d["since"] == "" {
			t.Errorf("down %v", d)
		}
		h.mu.Unlock()
	}
	if a.got[0]["id"] != b.got[0]["id"] {
		t.Errorf("one down with two ids")
	}
	var metrics string
	waitFor(t, "per-node metrics", 5*time.Second, func() bool {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		metrics = string(body)
		return true
	})
	for _, want := range []string{`nodelist_node_up{hash="` + node.Hash + `",name="` + node.Name + `"`, "nodelist_notify_deliveries_total{outcome=\"ok\"} 4"} {
		if !containsLine(metrics, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}

func containsLine(text, prefix string) bool {
	return slices.ContainsFunc(strings.Split(text, "\n"), func(l string) bool { return strings.HasPrefix(l, prefix) })
}

// When most of the fleet fails at once, or the registry cannot be read,
// the prober is taken as cut off: one probe_outage, no per-node down,
// then probe_restored. The receiver refuses everything meanwhile; rounds
// go on, and it gets the events afterwards under the ids it refused.
func TestNotifyOutageAndReceiverDown(t *testing.T) {
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 6, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	h := newHookReceiver(t)
	addr := freeAddr(t)
	base := "http://" + addr
	_, stop := serveInBackground(t, "--listen", addr, "--api-url", fleet.APIURL(), "--allow-private-targets",
		"--refresh-interval", "1s", "--timeout", "1s", "--db", "none", "--notify-url", h.srv.URL, "--notify-after", "1")
	defer stop()
	waitFor(t, "two rounds", 20*time.Second, func() bool { return roundOf(base) >= 2 })
	h.setFailing(true)
	for i := range 5 {
		fleet.SetKind(i, simfleet.KindFailing)
	}
	from := roundOf(base)
	waitFor(t, "three rounds cut off, the receiver refusing", 20*time.Second, func() bool { return roundOf(base) >= from+3 })
	for i := range 5 {
		fleet.SetKind(i, simfleet.KindOK)
	}
	waitFor(t, "a round with the fleet back", 20*time.Second, func() bool { return roundOf(base) >= from+5 })
	fleet.SetRegistryDown(true)
	from = roundOf(base)
	waitFor(t, "two rounds without the registry", 20*time.Second, func() bool { return roundOf(base) >= from+2 })
	fleet.SetRegistryDown(false)
	from = roundOf(base)
	waitFor(t, "two rounds with it", 20*time.Second, func() bool { return roundOf(base) >= from+2 })
	h.mu.Lock()
	refused := len(h.attempts)
	h.mu.Unlock()
	if refused == 0 {
		t.Fatal("the receiver refused nothing: the test proved nothing")
	}
	h.setFailing(false)
	kinds := func() []string {
		h.mu.Lock()
		defer h.mu.Unlock()
		var out []string
		for _, b := range h.got {
			out = append(out, b["event"])
		}
		return out
	}
	want := []string{"probe_outage", "probe_restored", "probe_outage", "probe_restored"}
	waitFor(t, "the held events", 30*time.Second, func() bool { return len(kinds()) >= len(want) })
	if got := kinds(); !slices.Equal(got, want) {
		t.Fatalf("received %v, want %v (no per-node down)", got, want)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if first := h.got[0]; h.attempts[first["id"]] < 2 || !strings.HasPrefix(first["error"], "probe: 5 of 6 nodes failed") {
		t.Errorf("the first outage %v, attempted %d times: want the refused attempts under its id", first, h.attempts[first["id"]])
	}
	if e := h.got[2]["error"]; !strings.HasPrefix(e, "registry: ") {
		t.Errorf("the registry outage says %q", e)
	}
}
