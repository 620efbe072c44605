package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"nodelist/internal/store"
	"nodelist/internal/store/sqlite"
	"nodelist/internal/store/storetest"
)

func TestHistoryEndpoints(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for n := range 6 {
		r := storetest.MakeRound(n, 2, func(node, probe int) bool { return node == 1 && probe == store.ProbeConfig && n >= 3 })
		for i := range r.Results {
			r.Results[i].Hash = map[string]string{"node-0000": "act", "node-0001": "ina"}[r.Results[i].Hash]
		}
		if err := st.WriteRound(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	srv, f := newTestServer(t)
	s, err := New(Options{Refresher: f, History: st, Writer: store.NewWriter(st, 10, nil)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()

	resp, body := get(t, "GET", hs.URL+"/crns/act.json", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(body, `{"hash":"act"`) {
		t.Errorf("/crns/act.json: %d %.80s", resp.StatusCode, body)
	}
	for path, status := range map[string]int{
		"/crns/nope.json": 404, "/crns/act": 404,
		"/crns/ina/history?from=2026-11-20T09:00:00Z&to=2026-11-20T11:00:00Z&step=1h": 200,
		"/crns/ina/history?from=yesterday":                                            400,
		"/crns/ina/history?from=2026-11-20T11:00:00Z&to=2026-11-20T10:00:00Z":         400,
		"/crns/ina/history?step=1s":                                                   400,
		"/crns/ina/history?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z":         400,
		"/crns/nope/history":        404,
		"/crns/ina/events?limit=2":  200,
		"/crns/ina/events?limit=0":  400,
		"/crns/ina/events?before=x": 400,
		"/uptime.json":              200,
	} {
		resp, body := get(t, "GET", hs.URL+path, nil)
		if resp.StatusCode != status {
			t.Errorf("%s: %d, want %d (%s)", path, resp.StatusCode, status, body)
		}
		if status != 200 && !strings.Contains(body, `"error"`) {
			t.Errorf("%s: error body %s", path, body)
		}
	}
	_, body = get(t, "GET", hs.URL+"/crns/ina/history?from=2026-11-20T09:00:00Z&to=2026-11-20T11:00:00Z&step=1h", nil)
	var h struct {
		Probes map[string][]struct {
			Samples      int     `json:"samples"`
			SuccessRatio float64 `json:"success_ratio"`
		} `json:"probes"`
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil || len(h.Probes["config"]) != 1 || h.Probes["config"][0].Samples != 6 || h.Probes["config"][0].SuccessRatio != 0.5 {
		t.Errorf("history: %s", body)
	}
	_, body = get(t, "GET", hs.URL+"/crns/ina/events?limit=2", nil)
	var ev struct {
		Events []struct{ Probe, Class string } `json:"events"`
		Next   *int64                          `json:"next"`
	}
	if err := json.Unmarshal([]byte(body), &ev); err != nil || len(ev.Events) != 2 || ev.Next == nil || ev.Events[0].Class != "http_status" {
		t.Errorf("events: %s", body)
	}
	_, body = get(t, "GET", hs.URL+"/healthz", nil)
	if !strings.Contains(body, `"history":{"backlog":0`) {
		t.Errorf("healthz lacks the history backlog: %s", body)
	}
	// Without a store the history endpoints say so.
	resp, body = get(t, "GET", srv.URL+"/uptime.json", nil)
	if resp.StatusCode != 404 || !strings.Contains(body, "--db none") {
		t.Errorf("no store: %d %s", resp.StatusCode, body)
	}
}
