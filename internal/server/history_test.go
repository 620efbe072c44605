package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/internal/history"
	"nodelist/internal/probe"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
	"nodelist/internal/store/sqlite"
	"nodelist/internal/store/storetest"
)

func TestHistoryEndpoints(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for n := range 6 {
		r := storetest.MakeRound(n, 2, func(node, p int) bool { return node == 1 && p == probe.Gate.Index && n >= 3 })
		for i := range r.Results {
			r.Results[i].Hash = map[string]string{"node-0000": "act", "node-0001": "ina"}[r.Results[i].Hash]
		}
		if err := st.WriteRound(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	srv, f := newTestServer(t)
	s, err := New(Options{Refresher: f, History: st, Writer: history.NewWriter(st, 10, nil)})
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
	// A server given no store answers from an empty one in memory, as
	// --db none starts: no node has history yet.
	resp, body = get(t, "GET", srv.URL+"/uptime.json", nil)
	if resp.StatusCode != 200 || body != "{}" {
		t.Errorf("no store: %d %s, want 200 {}", resp.StatusCode, body)
	}
}

// TestHistoryNamesEveryProbe checks that /history names each probe of
// the store, a fourth too, and lists them in the store's order (the probe
// table's, which the pages draw in).
func TestHistoryNamesEveryProbe(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), "config", "usage", "ipv6", "capability")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := storetest.MakeRoundOf(0, 1, 4, func(_, probe int) bool { return probe == 3 })
	if err := st.WriteRound(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	_, f := newTestServer(t)
	s, err := New(Options{Refresher: f, History: st})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	_, body := get(t, "GET", hs.URL+"/crns/node-0000/history?from=2026-11-20T09:00:00Z&to=2026-11-20T11:00:00Z&step=1h", nil)
	var h struct {
		Names  []string `json:"probe_names"`
		Probes map[string][]struct {
			Samples      int     `json:"samples"`
			SuccessRatio float64 `json:"success_ratio"`
		} `json:"probes"`
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil || len(h.Probes) != 4 {
		t.Fatalf("history: %s", body)
	}
	if want := []string{"config", "usage", "ipv6", "capability"}; !slices.Equal(h.Names, want) {
		t.Errorf("probe_names %q, want %q", h.Names, want)
	}
	if c, p := h.Probes["config"], h.Probes["capability"]; len(c) != 1 || c[0].SuccessRatio != 1 || len(p) != 1 || p[0].Samples != 1 || p[0].SuccessRatio != 0 {
		t.Errorf("history: %s", body)
	}
}

// countingStore counts the store's Uptime queries.
type countingStore struct {
	store.Store
	uptimes atomic.Int64
}

func (c *countingStore) Uptime(ctx context.Context, now time.Time) (map[string]store.Uptime, error) {
	c.uptimes.Add(1)
	return c.Store.Uptime(ctx, now)
}

// TestUptimeBuiltOncePerRoundWritten checks that /uptime.json reads the
// store again only after a round was written, and answers the same body
// meanwhile.
func TestUptimeBuiltOncePerRoundWritten(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs := &countingStore{Store: st}
	wr := history.NewWriter(cs, 10, nil)
	_, f := newTestServer(t)
	s, err := New(Options{Refresher: f, History: cs, Writer: wr})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()

	// Rounds written now, so that they fall in the last 24 hours.
	round := func(n int) *store.Round {
		r := storetest.MakeRound(n, 2, func(node, _ int) bool { return node == 1 && n > 0 })
		shift := time.Now().Add(time.Duration(n-60) * time.Second).Truncate(time.Second).Sub(r.Started)
		r.ID, r.Started, r.Finished = r.Started.Add(shift).UnixMilli(), r.Started.Add(shift), r.Finished.Add(shift)
		for i := range r.Results {
			r.Results[i].At = r.Results[i].At.Add(shift)
		}
		return r
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wr.Enqueue(round(0))
	wr.Flush(ctx)

	// The cache also rebuilds when the hour turns: counts are only checked
	// within one hour.
	hour := time.Now().Unix() / 3600
	sameHour := func() bool { return time.Now().Unix()/3600 == hour }
	_, first := get(t, "GET", hs.URL+"/uptime.json", nil)
	for range 5 {
		if _, body := get(t, "GET", hs.URL+"/uptime.json", nil); body != first {
			t.Fatalf("uptime changed without a round: %s, then %s", first, body)
		}
	}
	if n := cs.uptimes.Load(); n != 1 && sameHour() {
		t.Errorf("6 requests, no round between: %d store queries, want 1", n)
	}
	r0, r1 := round(0), round(1)
	wr.Enqueue(r1)
	wr.Flush(ctx)
	_, second := get(t, "GET", hs.URL+"/uptime.json", nil)
	if n := cs.uptimes.Load(); (n != 2 && sameHour()) || second == first {
		t.Errorf("after a round: %d store queries (want 2), body %s then %s", n, first, second)
	}
	// Each node's state, and when it began: node 1 went down in round 1,
	// node 0 has been up since round 0.
	var up map[string]struct {
		Up    *bool   `json:"up"`
		Since *string `json:"since"`
	}
	if err := json.Unmarshal([]byte(second), &up); err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]struct {
		up bool
		at time.Time
	}{"node-0000": {true, r0.Results[0].At}, "node-0001": {false, r1.Results[0].At}} {
		u := up[hash]
		if u.Up == nil || *u.Up != want.up || u.Since == nil || *u.Since != snapshot.FormatTime(want.at) {
			t.Errorf("%s: up %v since %v, want %v since %s (%s)", hash, u.Up, u.Since, want.up, snapshot.FormatTime(want.at), second)
		}
	}
}
