package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nodelist/internal/aleph"
	"nodelist/internal/refresh"
	"nodelist/internal/snapshot"
)

// countingRefresher counts forced rounds; each one blocks until release
// is closed, so a test can hold rounds open.
type countingRefresher struct {
	holder  snapshot.Holder
	rounds  atomic.Int64
	release chan struct{}
}

func newCountingRefresher() *countingRefresher {
	c := &countingRefresher{release: make(chan struct{})}
	c.holder.Store(snapshot.Build(time.Time{}, nil))
	return c
}

func (c *countingRefresher) Holder() *snapshot.Holder { return &c.holder }
func (c *countingRefresher) Status() refresh.Status   { return refresh.Status{Mode: "background"} }
func (c *countingRefresher) Fresh(context.Context)    {}
func (c *countingRefresher) Registry() []byte         { return nil }
func (c *countingRefresher) Nodes() []aleph.Node      { return nil }
func (c *countingRefresher) Refresh(ctx context.Context) error {
	c.rounds.Add(1)
	select {
	case <-c.release:
	case <-ctx.Done():
	}
	return nil
}

func TestDebugNodeForcesAtMostOneRoundPerInterval(t *testing.T) {
	ref := newCountingRefresher()
	close(ref.release)
	s, err := New(Options{Refresher: ref, DebugEndpoints: true, DebugRoundEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	codes := make(chan int, 50)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/node", nil))
			codes <- rec.Code
			if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if n := ref.rounds.Load(); n != 1 {
		t.Errorf("50 requests forced %d rounds, want 1", n)
	}
	if count[http.StatusOK] != 1 || count[http.StatusTooManyRequests] != 49 {
		t.Errorf("status counts %v, want one 200 and 49 429", count)
	}
}

func TestDebugEndpointsCanBeDisabled(t *testing.T) {
	s, err := New(Options{Refresher: newCountingRefresher(), DebugEndpoints: false})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/debug/node", "/debug/task", "/debug/nodes_aggregate"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s with debug endpoints off: %d, want 404", p, rec.Code)
		}
	}
}

// TestClassBudgets holds the only costly slot with a forced round: other
// costly requests get 503, while snapshot and cheap requests, which have
// budgets of their own, are served.
func TestClassBudgets(t *testing.T) {
	ref := newCountingRefresher()
	s, err := New(Options{Refresher: ref, DebugEndpoints: true, Limits: Limits{Costly: 1}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/debug/node", nil))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for ref.rounds.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // poll until the first request holds its slot
	}
	code := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Header().Get("Retry-After")
	}
	for _, p := range []string{"/debug/node", "/crns/x/history", "/crns/x/events"} {
		if c, retry := code(p); c != http.StatusServiceUnavailable || retry == "" {
			t.Errorf("%s beyond the costly bound: %d, want 503 with Retry-After", p, c)
		}
	}
	for _, p := range []string{"/crns.json", "/healthz", "/debug/task", "/"} {
		if c, _ := code(p); c != http.StatusOK {
			t.Errorf("%s while the costly class is full: %d, want 200", p, c)
		}
	}
	close(ref.release)
	<-done
	if c, _ := code("/crns/x/history"); c != http.StatusNotFound { // no store: 404, past the budget
		t.Errorf("costly request after the slot freed: %d, want 404 from the handler", c)
	}
}

// TestRouteClasses pins each route's class, so that renaming a route
// cannot silently move it into the cheap budget.
func TestRouteClasses(t *testing.T) {
	s, err := New(Options{Refresher: newCountingRefresher(), DebugEndpoints: true, Gatherer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		want         class
	}{
		{"GET", "/crns.json", classSnapshot},
		{"HEAD", "/crns.json?filter_inactive=true", classSnapshot},
		{"GET", "/uptime.json", classSnapshot},
		{"GET", "/debug/nodes_aggregate", classSnapshot},
		{"GET", "/debug/node", classCostly},
		{"GET", "/crns/abc/history?step=1h", classCostly},
		{"GET", "/crns/abc/events", classCostly},
		{"GET", "/crns/abc.json", classCheap},
		{"GET", "/healthz", classCheap},
		{"GET", "/readyz", classCheap},
		{"GET", "/metrics", classCheap},
		{"GET", "/debug/task", classCheap},
		{"GET", "/", classCheap},
		{"GET", "/debug.html", classCheap},
		{"GET", "/nope", classCheap},
		{"OPTIONS", "/crns.json", classCheap},
	} {
		_, pattern := s.mux.Handler(httptest.NewRequest(tc.method, tc.path, nil))
		if rt, ok := s.mux.routeOf(pattern); !ok || rt.class != tc.want {
			t.Errorf("%s %s (pattern %q, registered %v): class %s, want %s", tc.method, tc.path, pattern, ok, rt.class, tc.want)
		}
	}
}
