package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"nodelist/internal/refresh"
	"nodelist/internal/replica"
	"nodelist/internal/snapshot"
)

// taskStatus is /debug/task's answer: the refresher's status in its JSON
// form, and what the server adds.
type taskStatus struct {
	refresh.Status
	taskExtra
}

type taskExtra struct {
	// LastRefresh is when the data served was refreshed.
	LastRefresh *string `json:"last_refresh"`
	// Replica is the replica's role, the lease and the follower lag, when
	// the service is one of several on a database.
	Replica *replica.State `json:"replica,omitempty"`
}

// MarshalJSON writes the status's JSON object with the server's keys
// after its own.
func (t taskStatus) MarshalJSON() ([]byte, error) {
	st, err := json.Marshal(t.Status)
	if err != nil {
		return nil, err
	}
	extra, err := json.Marshal(t.taskExtra)
	if err != nil {
		return nil, err
	}
	// Two objects, the first never empty: {..., ...}.
	return append(append(st[:len(st)-1], ','), extra[1:]...), nil
}

// Replicated is a Refresher that is one replica among several: /debug/task
// shows its state, /healthz its problems.
type Replicated interface {
	State() replica.State
	Problems() []string
}

func (s *Server) task() taskStatus {
	t := taskStatus{Status: s.opts.Refresher.Status()}
	t.LastRefresh = timePtr(s.opts.Refresher.Holder().Load().LastRefresh)
	if rp, ok := s.opts.Refresher.(Replicated); ok {
		rs := rp.State()
		t.Replica = &rs
	}
	return t
}

func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := snapshot.FormatTime(t)
	return &s
}

func (s *Server) debugTask(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.task())
}

// debugNode forces a round (joining one already running), waits for it,
// and returns the node registry. Forced rounds go through the gate: at
// most one per DebugRoundEvery. With an admin token configured, only a
// request carrying it forces a round; one without credentials gets the
// registry as it stands (X-Round-Forced says which), and one with wrong
// credentials a 401. The answer's shape is the Python service's either
// way.
func (s *Server) debugNode(w http.ResponseWriter, r *http.Request) {
	admin, ok := s.admin(w, r)
	if !ok {
		return
	}
	if !s.token.set || admin {
		if !s.forceRound(w, r) {
			return
		}
		w.Header().Set("X-Round-Forced", "true")
	} else {
		w.Header().Set("X-Round-Forced", "false")
	}
	nodes := s.opts.Refresher.Nodes()
	list := make([]json.RawMessage, len(nodes))
	for i := range nodes {
		list[i] = registryObject(nodes[i].Fields)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"round": s.opts.Refresher.Status().Round, "resource_nodes": list})
}

func (s *Server) debugAggregate(w http.ResponseWriter, r *http.Request) {
	raw := s.opts.Refresher.Registry()
	if raw == nil {
		writeError(w, http.StatusServiceUnavailable, "the node registry has not been fetched yet")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeRawJSON(w, http.StatusOK, raw)
}

// healthz says whether the service has data and whether the last round
// went well; it answers 200 while serving, degraded or not.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	t := s.task()
	status, problems := "ok", []string{}
	if t.LastError != "" {
		problems = append(problems, t.LastError)
	}
	if e := t.SettingsError; e != "" {
		problems = append(problems, e+" (the last good GPU list, if any, stays in use)")
	}
	if t.LastRefresh == nil {
		problems = append(problems, "no round has completed yet")
	} else if t.Nodes > 0 && t.Responsive == 0 {
		problems = append(problems, "no node answered the last round")
	}
	if rp, ok := s.opts.Refresher.(Replicated); ok {
		problems = append(problems, rp.Problems()...)
	}
	body := map[string]any{"task": t}
	if s.opts.Writer != nil {
		ws := s.opts.Writer.Status()
		body["history"] = ws
		if ws.LastError != "" {
			problems = append(problems, "history writes failing, "+strconv.Itoa(ws.Backlog)+" rounds waiting: "+ws.LastError)
		}
	}
	body["in_flight"] = s.budgets.counts()
	body["streams"] = s.feed.subs.stats()
	if s.opts.Conns != nil {
		body["connections"] = s.opts.Conns.Stats()
	}
	if len(problems) > 0 {
		status = "degraded"
	}
	body["status"], body["problems"] = status, problems
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, body)
}
