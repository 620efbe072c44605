package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/history"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/simfleet"
	"nodelist/internal/store"
)

// readyz asks base for /readyz and decodes the answer.
func readyz(t *testing.T, base string) (int, readiness) {
	t.Helper()
	resp, body := get(t, "GET", base+"/readyz", nil)
	var r readiness
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	if r.Ready != (resp.StatusCode == 200) || r.Ready != (len(r.Reasons) == 0) {
		t.Fatalf("/readyz: %d with %s", resp.StatusCode, body)
	}
	return resp.StatusCode, r
}

// TestReadyzTransitions follows /readyz through a service's life: 503
// before any data while /healthz answers 200, 200 after the first round,
// and 503 once the data is older than the bound.
func TestReadyzTransitions(t *testing.T) {
	s := newStack(t, simfleet.Options{Nodes: 5, Seed: 2}, Options{})
	code, r := readyz(t, s.srv.URL)
	if code != 503 || len(r.Reasons) != 1 || !strings.HasPrefix(r.Reasons[0], "no data yet") || r.LastRefresh != nil {
		t.Fatalf("before the first round: %d %+v", code, r)
	}
	if resp, body := get(t, "GET", s.srv.URL+"/healthz", nil); resp.StatusCode != 200 || !strings.Contains(body, `"status":"degraded"`) {
		t.Fatalf("/healthz before the first round: %d %s", resp.StatusCode, body)
	}
	if v := scrape(t, s.srv.URL).get(t, "nodelist_ready", nil); v != 0 {
		t.Errorf("nodelist_ready before the first round = %v", v)
	}

	s.round(t)
	code, r = readyz(t, s.srv.URL)
	if code != 200 || r.LastRefresh == nil {
		t.Fatalf("after a round: %d %+v", code, r)
	}
	if v := scrape(t, s.srv.URL).get(t, "nodelist_ready", nil); v != 1 {
		t.Errorf("nodelist_ready after a round = %v", v)
	}

	// The same refresher behind a server with a short bound: it turns
	// stale without another round.
	short, err := New(Options{Refresher: s.ref, ReadyMaxAge: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(short)
	defer hs.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, r = readyz(t, hs.URL)
		if code == 503 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still ready 5 s after a 50 ms bound")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(r.Reasons) != 1 || !strings.HasPrefix(r.Reasons[0], "data is stale") {
		t.Errorf("stale: %+v", r)
	}
}

// TestReadinessBound pins the default bound (three refresh intervals and
// a round's timeout) at both of its sides, and that on-demand mode is
// never stale.
func TestReadinessBound(t *testing.T) {
	s := newStack(t, simfleet.Options{Nodes: 3, Seed: 4}, Options{})
	s.round(t)
	srv := s.srv.Config.Handler.(*Server)
	last := s.ref.Holder().Load().LastRefresh
	// The refresher's defaults: a 30 s interval, a round timeout of
	// max(interval, 3 × 5 s + 5 s) = 30 s.
	bound := 3*30*time.Second + 30*time.Second
	if st := s.ref.Status(); st.MaxAge != bound {
		t.Fatalf("MaxAge %s, want %s", st.MaxAge, bound)
	}
	if r := srv.readiness(last.Add(bound)); !r.Ready {
		t.Errorf("at the bound: %+v", r)
	}
	if r := srv.readiness(last.Add(bound + time.Second)); r.Ready || !strings.Contains(r.Reasons[0], "more than 2m0s") {
		t.Errorf("past the bound: %+v", r)
	}

	f := &fakeRefresher{}
	f.holder.Store(s.ref.Holder().Load())
	onDemand, err := New(Options{Refresher: onDemandRefresher{f}})
	if err != nil {
		t.Fatal(err)
	}
	if r := onDemand.readiness(last.Add(24 * time.Hour)); !r.Ready {
		t.Errorf("on-demand, data a day old: %+v", r)
	}
}

type onDemandRefresher struct{ *fakeRefresher }

func (onDemandRefresher) Status() refresh.Status { return refresh.Status{Mode: "on-demand"} }

// TestReadyAfterWarmRestart: a restored snapshot is data to serve, so the
// service is ready before its first round.
func TestReadyAfterWarmRestart(t *testing.T) {
	s := newStack(t, simfleet.Options{Nodes: 5, Seed: 6}, Options{})
	s.round(t)
	saved := s.ref.Holder().Load()

	client := probe.NewClient(probe.Options{APIURL: s.fleet.APIURL()})
	defer client.CloseIdleConnections()
	restarted := refresh.New(refresh.Options{Client: client, Forbidden: config.DefaultForbiddenHosts,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv, err := New(Options{Refresher: restarted})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	if code, r := readyz(t, hs.URL); code != 503 {
		t.Fatalf("before the restore: %d %+v", code, r)
	}
	if err := restarted.Seed(time.Now(), saved.All.Identity); err != nil {
		t.Fatal(err)
	}
	if code, r := readyz(t, hs.URL); code != 200 {
		t.Fatalf("after the restore: %d %+v", code, r)
	}
}

// failingStore refuses every write, as an unreachable database does.
type failingStore struct{ store.Store }

func (failingStore) WriteRound(context.Context, *store.Round) error {
	return context.DeadlineExceeded
}

// TestNotReadyWhileHistoryQueueIsFull: a store unreachable until the
// writer's queue is full makes the service unready, and says why.
func TestNotReadyWhileHistoryQueueIsFull(t *testing.T) {
	srv, f := newTestServer(t)
	srv.Close()
	w := history.NewWriter(failingStore{}, 3, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	s, err := New(Options{Refresher: f, Writer: w})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	now := f.holder.Load().LastRefresh // the fake's data is never stale: its MaxAge is 0
	for i := range 3 {
		if r := s.readiness(now); !r.Ready {
			t.Fatalf("with %d rounds waiting: %+v", i, r)
		}
		w.Enqueue(&store.Round{ID: int64(i)})
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.Status().LastError == "" {
		if time.Now().After(deadline) {
			t.Fatal("no failed write within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, r := readyz(t, hs.URL)
	if code != 503 || len(r.Reasons) != 1 || !strings.HasPrefix(r.Reasons[0], "history store unreachable: 3 rounds waiting") ||
		!strings.HasSuffix(r.Reasons[0], "dropped: timeout: timed out") {
		t.Fatalf("queue full: %d %+v", code, r)
	}
}
