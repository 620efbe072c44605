package server

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limitInFlight answers 503 at once when max requests are already being
// served, so a flood queues nowhere in the process: every request costs
// a bounded amount however many clients arrive.
func limitInFlight(max int, next http.Handler) http.Handler {
	sem := make(chan struct{}, max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
		default:
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "too many requests in flight; retry shortly")
			return
		}
		defer func() { <-sem }()
		next.ServeHTTP(w, r)
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
