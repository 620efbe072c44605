package server

import (
	"encoding/json"
	"net/http"
	"strings"
)

// reload answers POST /-/reload: it reloads the configuration as SIGHUP
// does and says what changed (200), or why the new configuration was
// refused, the one in force staying (400). It is served only when the
// service is started with it (--reload-endpoint).
//
// A reload only rereads what the operator wrote, yet it is no request for
// a web page to make: any page a browser on the operator's machine opens
// could post to a service on loopback without asking (a form's POST needs
// no preflight). Browsers send Origin with such a request; curl and
// deployment tools do not. So a request with an Origin is refused.
//
// Reloads run one at a time; a request arriving during one is answered
// 429 at once rather than queued, so that a client in a loop holds one
// slot of the costly budget, not all of them.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "" {
		writeError(w, http.StatusForbidden, "a reload is not asked from a web page")
		return
	}
	if !s.reloading.TryLock() {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "a reload is under way; retry shortly")
		return
	}
	defer s.reloading.Unlock()
	rep, err := s.opts.Reload()
	if err != nil {
		b, _ := json.Marshal(struct {
			Error   string   `json:"error"`
			Reasons []string `json:"reasons"`
		}{"configuration refused; the one in force stays", strings.Split(err.Error(), "\n")}) // strings always marshal
		w.Header().Set("Cache-Control", "no-store")
		writeRawJSON(w, http.StatusBadRequest, b)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, rep)
}
