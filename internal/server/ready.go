package server

import (
	"net/http"
	"strconv"
	"time"
)

// readiness is /readyz's answer: whether a load balancer should send this
// instance traffic, and why not.
type readiness struct {
	Ready       bool     `json:"ready"`
	Reasons     []string `json:"reasons"`
	LastRefresh *string  `json:"last_refresh"`
}

// readiness judges the service at now. It is not ready:
//   - until it serves data from a finished round or a restored snapshot
//     (before, crns.json lists nothing);
//   - in background mode, once that data is older than its bound
//     (ReadyMaxAge, else the refresher's MaxAge): rounds stopped finishing;
//   - while a configured history store has been unreachable so long that
//     the writer's queue is full and rounds are being dropped.
func (s *Server) readiness(now time.Time) readiness {
	st := s.opts.Refresher.Status()
	snap := s.opts.Refresher.Holder().Load()
	out := readiness{Reasons: []string{}}
	if snap == nil || snap.LastRefresh.IsZero() {
		out.Reasons = append(out.Reasons, "no data yet: no round has finished and no snapshot was restored")
	} else {
		out.LastRefresh = timePtr(snap.LastRefresh)
		bound := st.MaxAge
		if s.opts.ReadyMaxAge != 0 {
			bound = s.opts.ReadyMaxAge
		}
		if age := now.Sub(snap.LastRefresh); st.Mode != "on-demand" && bound > 0 && age > bound {
			out.Reasons = append(out.Reasons, "data is stale: last refreshed "+age.Round(time.Second).String()+
				" ago, more than "+bound.String())
		}
	}
	if s.opts.Writer != nil {
		if ws := s.opts.Writer.Status(); ws.Backlog >= ws.Max {
			r := "history store unreachable: " + strconv.Itoa(ws.Backlog) + " rounds waiting, at the queue's bound of " +
				strconv.Itoa(ws.Max) + ", past which the oldest are dropped"
			if ws.LastError != "" {
				r += ": " + ws.LastError
			}
			out.Reasons = append(out.Reasons, r)
		}
	}
	out.Ready = len(out.Reasons) == 0
	return out
}

// readyz answers 200 when the service is ready for traffic, else 503,
// with the reasons.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	out := s.readiness(time.Now())
	status := http.StatusOK
	if !out.Ready {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, out)
}
