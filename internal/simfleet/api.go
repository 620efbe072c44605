package simfleet

import (
	"encoding/json"
	"net/http"
	"strings"
)

// apiRoutes serve the aggregates and the fleet's counters.
func (f *Fleet) apiRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v0/aggregates/{file}", f.serveAggregate)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(f.Stats()) // plain integers always marshal
		writeJSON(w, http.StatusOK, b)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, []byte(`{"error":"not found"}`))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.enter() {
			http.Error(w, "fleet closed", http.StatusServiceUnavailable)
			return
		}
		defer f.inflight.Done()
		f.stats.apiRequests.Add(1)
		f.heard(-1, r.URL.Path)
		mux.ServeHTTP(w, r)
	})
}

// serveAggregate answers /api/v0/aggregates/{address}.json. The keys query
// is not needed: each address holds one key here.
func (f *Fleet) serveAggregate(w http.ResponseWriter, r *http.Request) {
	addr, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	switch {
	case ok && strings.EqualFold(addr, RegistryAddress):
		if f.registryDown.Load() {
			writeJSON(w, http.StatusServiceUnavailable, []byte(`{"error":"registry unavailable"}`))
			return
		}
		writeJSON(w, http.StatusOK, f.registry)
	case ok && strings.EqualFold(addr, SettingsAddress):
		writeJSON(w, http.StatusOK, todaySettings)
	case ok && strings.EqualFold(addr, LegacySettingsAddress):
		writeJSON(w, http.StatusOK, legacySettings)
	default:
		writeJSON(w, http.StatusNotFound, []byte(`{"error":"Aggregate not found"}`))
	}
}
