package server

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"nodelist/internal/server/listen"
)

// class is the budget a route draws on. Each class has its own bound on
// requests in flight, so that requests of one class never wait behind
// another's: a crowd of slow crns.json readers leaves /healthz alone.
type class int

const (
	// classCheap answers small bodies from memory: /healthz, /readyz,
	// /metrics, the pages, one CRN, /debug/task, 404s. Its writes fit in
	// the socket buffers.
	classCheap class = iota
	// classSnapshot writes large prebuilt bytes (crns.json, uptime.json,
	// the raw registry): it costs nothing to compute, but a slow reader
	// holds its slot for as long as the write lasts.
	classSnapshot
	// classCostly computes or waits: forced rounds, history queries and
	// reloads (a file read, every part's checks, one reload at a time).
	classCostly
	numClasses
)

func (c class) String() string {
	return [...]string{"cheap", "snapshot", "costly"}[c]
}

// Limits bound what requests cost at once. Zero fields take the defaults
// in parentheses.
type Limits struct {
	// Requests served at once per class; more are answered 503 with
	// Retry-After at once rather than queued. Cheap (1024), Snapshot
	// (1024; the service ties it to its connection bound) and Costly
	// (32: a forced round or a history query may take seconds).
	Cheap, Snapshot, Costly int
	// MinReadRate is the slowest a client may read, in bytes per second
	// (32 KiB/s): each write must end within WriteGrace plus its size at
	// this rate, and never later than 60 s after the request started.
	// A client reading slower is cut off, so it holds its slot for a
	// time bounded by what it asked for. Negative: only the 60 s bound.
	MinReadRate int
	// WriteGrace is added to every write deadline (5 s): room for the
	// first round trips and a window still opening.
	WriteGrace time.Duration
}

func (l *Limits) setDefaults() {
	for _, p := range []struct {
		v   *int
		def int
	}{{&l.Cheap, 1024}, {&l.Snapshot, 1024}, {&l.Costly, 32}, {&l.MinReadRate, 32 << 10}} {
		if *p.v == 0 {
			*p.v = p.def
		}
	}
	if l.WriteGrace <= 0 {
		l.WriteGrace = 5 * time.Second
	}
}

// budgets holds one semaphore per class.
type budgets [numClasses]chan struct{}

func newBudgets(l Limits) *budgets {
	var b budgets
	for c, n := range [numClasses]int{classCheap: l.Cheap, classSnapshot: l.Snapshot, classCostly: l.Costly} {
		b[c] = make(chan struct{}, n)
	}
	return &b
}

// inFlight returns the requests of class c being served.
func (b *budgets) inFlight(c class) int { return len(b[c]) }

// counts returns the requests being served, by class.
func (b *budgets) counts() map[string]int {
	m := make(map[string]int, numClasses)
	for c := range numClasses {
		m[c.String()] = b.inFlight(c)
	}
	return m
}

// limited wraps the handler of the route pattern: it answers 503 at once
// when the route's budget is at its bound, so a flood queues nowhere in
// the process, paces the answer's writes, counts the request in the
// metrics, and recovers a panic into a 500, all through one respWriter.
// The mux applies it as each route is registered.
func (s *Server) limited(rt route, h http.Handler) http.Handler {
	pattern, c, free := rt.pattern(), rt.class, rt.stream
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &respWriter{ResponseWriter: w}
		if s.metrics != nil {
			rw.start = time.Now()
			defer s.metrics.end(rw, pattern, !free)
		}
		if !free {
			select {
			case s.budgets[c] <- struct{}{}:
			default:
				rw.Header().Set("Retry-After", "1")
				writeError(rw, http.StatusServiceUnavailable, "too many "+c.String()+" requests in flight; retry shortly")
				return
			}
			defer func() { <-s.budgets[c] }()
			rw.pace(s.opts.Limits, time.Now().Add(listen.WriteTimeout))
		}
		serveRecovering(s.log, h, rw, r)
	})
}

// roundGate lets clients force refresh rounds no more often than once per
// interval. Rounds never overlap anyway (the refresher coalesces them);
// the gate keeps a client in a loop from making the service probe the
// whole fleet back to back.
type roundGate struct {
	every time.Duration
	mu    sync.Mutex
	last  time.Time // start of the last forced round
}

// admit reports whether a forced round may start now and, if not, how
// long until one may.
func (g *roundGate) admit(now time.Time) (ok bool, wait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.last.IsZero() && now.Sub(g.last) < g.every {
		return false, g.every - now.Sub(g.last)
	}
	g.last = now
	return true, 0
}

// forceRound runs a round through the gate. It writes a 429 and returns
// false when the gate refuses, or false without writing when the client
// went away.
func (s *Server) forceRound(w http.ResponseWriter, r *http.Request) bool {
	ok, wait := s.gate.admit(time.Now())
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeError(w, http.StatusTooManyRequests,
			"a round was forced less than "+s.gate.every.String()+" ago; retry later")
		return false
	}
	if err := s.opts.Refresher.Refresh(r.Context()); err != nil && r.Context().Err() != nil {
		return false // the client went away; the round goes on
	}
	return true
}
