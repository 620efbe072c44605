package simfleet

import (
	"encoding/json"
	"net/http"
	"strings"
)

const (
	registryPath = "/api/v0/aggregates/0xa1B3bb7d2332383D96b7796B908fB7f7F3c2Be10.json"
	settingsPath = "/api/v0/aggregates/0xA07B1214bAe0D5ccAA25449C3149c0aC83658874.json"
)

func (f *Fleet) serveAPI(w http.ResponseWriter, r *http.Request) {
	f.apiReqs.Add(1)
	switch {
	case r.URL.Path == registryPath && r.URL.Query().Get("keys") == "corechannel":
		if f.registryDown.Load() {
			http.Error(w, "registry unavailable", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, f.registry)
	case r.URL.Path == settingsPath && r.URL.Query().Get("keys") == "settings":
		writeJSON(w, f.settings)
	case r.URL.Path == "/stats":
		b, _ := json.Marshal(f.Stats())
		writeJSON(w, b)
	default:
		http.NotFound(w, r)
	}
}

func (f *Fleet) serveNode(w http.ResponseWriter, r *http.Request) {
	f.nodeReqs.Add(1)
	i, ok := r.Context().Value(ctxKey{}).(int)
	if !ok {
		http.NotFound(w, r)
		return
	}
	n := f.nodes[i]
	switch Kind(n.kind.Load()) {
	case KindHung:
		select {
		case <-r.Context().Done():
		case <-f.closing:
		}
		panic(http.ErrAbortHandler) // drop the connection without an answer
	case KindFailing:
		if f.wait(r.Context()) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("<html><body><h1>500 Internal Server Error</h1></body></html>"))
		}
		return
	}
	if !f.wait(r.Context()) {
		return
	}
	var body []byte
	switch {
	case r.URL.Path == "/status/config":
		body = n.config
	case r.URL.Path == "/about/usage/system":
		body = n.usage
	case r.URL.Path == "/status/check/ipv6" && n.legacy == "":
		body = n.ipv6
	case n.legacy != "" && r.URL.Path == n.legacy:
		body = n.ipv6
	case strings.HasPrefix(r.URL.Path, "/vm/"), r.URL.Path == "/status/check/ipv6":
		http.NotFound(w, r)
		return
	default:
		http.NotFound(w, r)
		return
	}
	if Kind(n.kind.Load()) == KindInvalidJSON {
		body = []byte(`{"version": "1.9`)
	}
	writeJSON(w, body)
}

func writeJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
