package server

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"nodelist/internal/config"
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
// With an admin token (--admin-token-file), a reload needs it (401
// otherwise), and its answer shows the settings' values and the reasons
// of a refusal. Without one, anyone who reaches the listener may reload:
// the answer then names the flags that changed but not their values (an
// allowed range or a file path maps the operator's network), nor the
// reasons of a refusal, which the log keeps; and such reloads are
// admitted at most once per ReloadEvery (429 with Retry-After), so a
// client in a loop cannot make the service reread its files and log
// without end.
//
// Reloads run one at a time; a request arriving during one is answered
// 429 at once rather than queued, so that a client in a loop holds one
// slot of the costly budget, not all of them.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "" {
		writeError(w, http.StatusForbidden, "a reload is not asked from a web page")
		return
	}
	admin, ok := s.admin(w, r)
	if !ok {
		return
	}
	if s.token.set && !admin {
		unauthorized(w, "a reload needs the admin token: Authorization: Bearer TOKEN")
		return
	}
	if !s.reloading.TryLock() {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "a reload is under way; retry shortly")
		return
	}
	defer s.reloading.Unlock()
	if !admin {
		if ok, wait := s.reloadGate.admit(time.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeError(w, http.StatusTooManyRequests, "a reload was made less than "+s.reloadGate.every.String()+" ago; retry later")
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	rep, err := s.opts.Reload()
	if err != nil {
		refused := struct {
			Error   string   `json:"error"`
			Reasons []string `json:"reasons,omitempty"`
		}{Error: "configuration refused; the one in force stays"}
		if admin {
			refused.Reasons = strings.Split(err.Error(), "\n")
		} else {
			refused.Error += "; the reasons are in the service's log"
		}
		b, _ := json.Marshal(refused) // strings always marshal
		writeRawJSON(w, http.StatusBadRequest, b)
		return
	}
	if admin {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	writeJSON(w, http.StatusOK, flagsOnly(rep))
}

// changedFlag is a change shown without its values.
type changedFlag struct {
	Flag string `json:"flag"`
}

// flagsOnly is a reload's report as a caller without the admin token
// sees it: which flags changed, not to what.
func flagsOnly(rep config.Report) any {
	names := func(cs []config.Change) []changedFlag {
		out := make([]changedFlag, len(cs))
		for i, c := range cs {
			out[i] = changedFlag{c.Flag}
		}
		return out
	}
	return struct {
		Applied      []changedFlag `json:"applied"`
		NeedsRestart []changedFlag `json:"needs_restart"`
	}{names(rep.Applied), names(rep.NeedsRestart)}
}
