package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Every route of the table, asked with a method it does not answer, gets
// 405 with an Allow header naming its own method; a path no route has
// gets 404 without one.
func TestAllowFromRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := newAPIServer(t, Options{DebugEndpoints: true, Registerer: reg, Gatherer: reg, Reload: noReload})
	wantAllow := map[string]string{"GET": "GET, HEAD, OPTIONS", "POST": "POST"}
	checked := 0
	for _, rt := range routeTable {
		path := strings.NewReplacer("{$}", "", "{file}", "x.json", "{hash}", "x").Replace(rt.path)
		for _, method := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"} {
			if method == rt.method || (method == "HEAD" && rt.method == "GET") {
				continue
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
			if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != wantAllow[rt.method] {
				t.Errorf("%s %s (route %s): %d, Allow %q; want 405, Allow %q",
					method, path, rt.pattern(), rec.Code, rec.Header().Get("Allow"), wantAllow[rt.method])
			}
			checked++
		}
	}
	for _, method := range []string{"GET", "POST", "HEAD"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(method, "/nowhere/at/all", nil))
		if rec.Code != http.StatusNotFound || rec.Header().Get("Allow") != "" {
			t.Errorf("%s /nowhere/at/all: %d, Allow %q; want 404 without Allow", method, rec.Code, rec.Header().Get("Allow"))
		}
	}
	t.Logf("%d wrong-method requests over %d routes answered 405 with their Allow", checked, len(routeTable))
}

// A route the options turn off is not registered: its path answers 404,
// not 405 (debug endpoints, reload and metrics off).
func TestRoutesOffAreNotFound(t *testing.T) {
	s := newAPIServer(t, Options{})
	for _, rt := range routeTable {
		if rt.on == nil {
			continue
		}
		for _, method := range []string{rt.method, "PUT"} {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(method, rt.path, nil))
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s %s, route off: %d, want 404", method, rt.path, rec.Code)
			}
		}
	}
}
