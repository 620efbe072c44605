package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
	"nodelist/internal/store/memory"
)

// receiver is an HTTP receiver that records what it got, failing while
// fail says so.
type testReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []map[string]string // the 2xx-answered bodies
	seen []string            // every id received, answered or not
	fail func(n int) int     // status for the nth request (from 1); nil: 200
	n    int
}

func newReceiver(t *testing.T, fail func(int) int) *testReceiver {
	r := &testReceiver{fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var body map[string]string
		_ = json.Unmarshal(b, &body)
		r.mu.Lock()
		r.n++
		status := http.StatusOK
		if r.fail != nil {
			status = r.fail(r.n)
		}
		r.seen = append(r.seen, body["id"])
		if req.Header.Get("Content-Type") != "application/json" || req.Header.Get("Idempotency-Key") != body["id"] {
			status = http.StatusBadRequest
		}
		if status < 300 {
			r.got = append(r.got, body)
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *testReceiver) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.got {
		out = append(out, b["event"]+" "+b["name"])
	}
	return out
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fleet makes rounds of n nodes named crn-0…, each failing when down says.
type fleet struct {
	n     int
	round uint64
	at    time.Time
}

func hashOf(i int) string { return fmt.Sprintf("%064x", i+1) }

func (f *fleet) next(down func(i int) bool) *refresh.Round {
	f.round++
	f.at = t0.Add(time.Duration(f.round) * 30 * time.Second)
	r := &refresh.Round{N: f.round, Started: f.at, Finished: f.at}
	var crns []snapshot.CRN
	for i := range f.n {
		h := hashOf(i)
		o := refresh.Outcome{OK: true, At: f.at, Latency: 20 * time.Millisecond}
		if down(i) {
			o = refresh.Outcome{At: f.at, Class: probe.ClassTimeout, Msg: "no answer in 10s"}
		}
		outs := make([]refresh.Outcome, len(probe.All))
		outs[probe.Gate.Index] = o
		r.Nodes = append(r.Nodes, refresh.NodeReport{Hash: h, Outcomes: outs})
		js := fmt.Sprintf(`{"hash":%q,"name":"crn-%d","owner":"0x%040d","address":"https://crn-%d.example.org","version":"1.5.0","inactive_since":null}`, h, i, i%2, i)
		crns = append(crns, snapshot.CRN{Hash: h, JSON: []byte(js)})
	}
	r.Snapshot = snapshot.Build(f.at, crns)
	return r
}

func start(t *testing.T, o Options) (*Notifier, store.Notifier) {
	t.Helper()
	if o.Store == nil {
		st, err := memory.New(probe.Names()...)
		if err != nil {
			t.Fatal(err)
		}
		o.Store = st
	}
	if o.Poll == 0 {
		o.Poll = 20 * time.Millisecond
	}
	o.BackoffMin, o.BackoffMax = max(o.BackoffMin, 5*time.Millisecond), max(o.BackoffMax, 40*time.Millisecond)
	n := New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return n, o.Store
}

// record hands a round to n and waits until it is judged.
func record(t *testing.T, n *Notifier, r *refresh.Round) {
	t.Helper()
	n.Record(r)
	waitFor(t, "the round to be judged", n.idle)
}

func pending(t *testing.T, st store.Notifier) []store.Delivery {
	t.Helper()
	d, err := st.Undelivered(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A node failing N rounds gives one down per URL; its recovery one
// recovered per URL.
func TestDownOnceRecoveredOnce(t *testing.T) {
	a, b := newReceiver(t, nil), newReceiver(t, nil)
	n, st := start(t, Options{Subscriptions: []Subscription{{URL: a.srv.URL}, {URL: b.srv.URL + "/hook"}}, After: 3})
	f := &fleet{n: 6}
	plan := []bool{false, true, true, true, true, true, false, false}
	for _, down := range plan {
		record(t, n, f.next(func(i int) bool { return i == 2 && down }))
	}
	for _, r := range []*testReceiver{a, b} {
		waitFor(t, "two deliveries", func() bool { return len(r.events()) >= 2 && len(pending(t, st)) == 0 })
		if got, want := r.events(), []string{"down crn-2", "recovered crn-2"}; !slices.Equal(got, want) {
			t.Fatalf("receiver got %v, want %v", got, want)
		}
		down := r.got[0]
		if down["hash"] != hashOf(2) || down["owner"] != fmt.Sprintf("0x%040d", 0) || down["address"] != "https://crn-2.example.org" ||
			down["error"] != "timeout: no answer in 10s" || down["since"] != "2026-12-01T12:01:00Z" || down["at"] != "2026-12-01T12:02:00Z" || len(down["id"]) != 32 {
			t.Fatalf("down body %v", down)
		}
	}
	if a.got[0]["id"] != b.got[0]["id"] {
		t.Fatalf("one event, two ids: %s and %s", a.got[0]["id"], b.got[0]["id"])
	}
}

// A receiver that fails for a while gets the events afterwards, in
// order, each once, with the ids its failed attempts carried; rounds go
// on being judged meanwhile.
func TestReceiverDownThenBack(t *testing.T) {
	var mu sync.Mutex
	broken := true
	r := newReceiver(t, func(int) int {
		mu.Lock()
		defer mu.Unlock()
		if broken {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	n, st := start(t, Options{Subscriptions: []Subscription{{URL: r.srv.URL}}, After: 1})
	f := &fleet{n: 6}
	record(t, n, f.next(func(int) bool { return false }))
	for i := range 4 {
		record(t, n, f.next(func(j int) bool { return j == i })) // i goes down, i-1 recovers
	}
	record(t, n, f.next(func(int) bool { return false }))
	waitFor(t, "failed attempts", func() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.n >= 3 })
	if got := len(pending(t, st)); got != 8 {
		t.Fatalf("%d messages waiting, want 8 (4 down, 4 recovered)", got)
	}
	ids := map[string]bool{}
	for _, d := range pending(t, st) {
		ids[d.ID] = true
	}
	mu.Lock()
	broken = false
	mu.Unlock()
	waitFor(t, "the outbox to empty", func() bool { return len(pending(t, st)) == 0 })
	want := []string{"down crn-0", "recovered crn-0", "down crn-1", "recovered crn-1", "down crn-2", "recovered crn-2", "down crn-3", "recovered crn-3"}
	if got := r.events(); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.got {
		if !ids[b["id"]] {
			t.Fatalf("delivered id %s was not in the outbox", b["id"])
		}
		delete(ids, b["id"])
	}
	for _, id := range r.seen {
		if id == "" {
			t.Fatal("an attempt without an id")
		}
	}
	if r.seen[0] != r.got[0]["id"] {
		t.Fatalf("the first attempt carried %s, the delivery %s: want the same id", r.seen[0], r.got[0]["id"])
	}
}

// Rounds are taken without waiting while the receiver hangs: Record
// never blocks, and the judging goes on.
func TestHangingReceiverDoesNotHoldRounds(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-release:
		case <-req.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	n, st := start(t, Options{Subscriptions: []Subscription{{URL: srv.URL}}, After: 1, Timeout: time.Minute})
	f := &fleet{n: 6}
	record(t, n, f.next(func(int) bool { return false }))
	for i := range 20 {
		record(t, n, f.next(func(j int) bool { return (i+j)%6 == 0 }))
	}
	if got := len(pending(t, st)); got != 39 {
		t.Fatalf("%d messages waiting behind a hanging receiver, want 39 (20 down, 19 recovered)", got)
	}
}

// When most nodes fail at once the prober is cut off: no down, one
// probe_outage, then probe_restored; a node still down after it is
// reported.
func TestOutageSuppression(t *testing.T) {
	r := newReceiver(t, nil)
	n, st := start(t, Options{Subscriptions: []Subscription{{URL: r.srv.URL}}, After: 2})
	f := &fleet{n: 10}
	record(t, n, f.next(func(int) bool { return false }))
	for range 4 {
		record(t, n, f.next(func(i int) bool { return i < 8 }))
	}
	record(t, n, f.next(func(i int) bool { return i == 0 }))
	waitFor(t, "deliveries", func() bool { return len(r.events()) >= 3 && len(pending(t, st)) == 0 })
	if got, want := r.events(), []string{"probe_outage ", "probe_restored ", "down crn-0"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// Past the burst, a URL gets one message per token.
func TestRateLimitPerURL(t *testing.T) {
	r := newReceiver(t, nil)
	n, st := start(t, Options{Subscriptions: []Subscription{{URL: r.srv.URL}}, After: 1, Burst: 3, Rate: 1e-6})
	f := &fleet{n: 8}
	record(t, n, f.next(func(int) bool { return false }))
	record(t, n, f.next(func(i int) bool { return i == 0 || i == 1 })) // 2 of 8: no outage
	record(t, n, f.next(func(i int) bool { return i == 2 || i == 3 }))
	waitFor(t, "the burst", func() bool { return len(r.events()) == 3 })
	// Further passes of the loop send nothing more.
	p := n.passes.Load()
	waitFor(t, "two passes", func() bool { return n.passes.Load() >= p+2 })
	if got := len(pending(t, st)); got != 3 || len(r.events()) != 3 {
		t.Fatalf("%d delivered, %d waiting; want 3 and 3", len(r.events()), got)
	}
}

// A message older than the retry window is given up, not sent.
func TestGiveUp(t *testing.T) {
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r := newReceiver(t, func(int) int { return http.StatusBadGateway })
	n, st := start(t, Options{Subscriptions: []Subscription{{URL: r.srv.URL}}, After: 1, RetryFor: 10 * time.Minute, Now: clock})
	f := &fleet{n: 6}
	record(t, n, f.next(func(int) bool { return false }))
	record(t, n, f.next(func(i int) bool { return i == 0 }))
	waitFor(t, "an attempt", func() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.n >= 1 })
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	waitFor(t, "the message to be given up", func() bool { return len(pending(t, st)) == 0 })
	if len(r.events()) != 0 {
		t.Fatalf("delivered %v", r.events())
	}
}

// Without subscriptions nothing is written; the per-node series follow
// the rounds.
func TestNodeMetricsOnly(t *testing.T) {
	n, st := start(t, Options{NodeMetrics: true})
	f := &fleet{n: 3}
	record(t, n, f.next(func(i int) bool { return i == 1 }))
	if s, err := st.NotifyStates(context.Background()); err != nil || len(s) != 0 {
		t.Fatalf("states %v %v: want none without subscriptions", s, err)
	}
	n.nodesMu.Lock()
	defer n.nodesMu.Unlock()
	if len(n.nodes) != 3 || n.nodes[hashOf(1)].OK || !n.nodes[hashOf(0)].OK || n.nodes[hashOf(0)].Name != "crn-0" {
		t.Fatalf("nodes %+v", n.nodes)
	}
}

// A message for a URL no longer configured (written before a restart
// that removed it) is not sent, and expires in its time.
func TestRemovedURLGetsNothing(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	gone, kept := newReceiver(t, nil), newReceiver(t, nil)
	st, err := memory.New(probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	old := []store.Delivery{{ID: "old-1", URL: gone.srv.URL, Body: []byte(`{"id":"old-1"}`), Created: now},
		{ID: "old-2", URL: kept.srv.URL, Body: []byte(`{"id":"old-2","event":"down"}`), Created: now}}
	if err := st.WriteNotify(context.Background(), &store.NotifyStep{Outbox: old}); err != nil {
		t.Fatal(err)
	}
	n, _ := start(t, Options{Store: st, Subscriptions: []Subscription{{URL: kept.srv.URL}}, Now: clock})
	waitFor(t, "the kept URL's message", func() bool { return len(kept.events()) == 1 })
	p := n.passes.Load()
	waitFor(t, "two passes", func() bool { return n.passes.Load() >= p+2 })
	if got := pending(t, st); len(got) != 1 || got[0].ID != "old-1" || len(gone.events()) != 0 {
		t.Fatalf("waiting %+v, the removed URL got %v: want old-1 waiting, unsent", got, gone.events())
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	waitFor(t, "the removed URL's message to expire", func() bool { return len(pending(t, st)) == 0 })
	if len(gone.events()) != 0 {
		t.Fatalf("the removed URL got %v", gone.events())
	}
}
