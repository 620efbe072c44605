package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"nodelist/internal/config"
	"nodelist/internal/contract"
	"nodelist/internal/history"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/simfleet"
	"nodelist/internal/store/sqlite"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// liveService runs one refresh round over a simulated fleet (a node of
// every aleph-vm era among them), recorded into a SQLite store, and
// serves it with every route on.
func liveService(t *testing.T) (*httptest.Server, *refresh.Refresher) {
	t.Helper()
	ctx := context.Background()
	fleet, err := simfleet.Start(ctx, simfleet.Options{Nodes: 24, Seed: 14, Eras: true, GPU: 0.3, Failing: 0.1,
		InvalidJSON: 0.05, InvalidAddress: 0.05, OldVersion: 0.3, Inactive: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Close() })
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "h.db"), probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := history.New(st, config.DefaultHistory(), log)
	client := probe.NewClient(probe.Options{APIURL: fleet.APIURL(), Timeout: 2 * time.Second, Concurrency: 32})
	t.Cleanup(client.CloseIdleConnections)
	ref := refresh.New(refresh.Options{Client: client, Forbidden: config.DefaultForbiddenHosts, Logger: log, Sink: rec})
	rec.Start()
	t.Cleanup(func() { rec.Stop(5 * time.Second); st.Close() })
	if err := ref.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for rec.Writer().Status().Written < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the round was not written: %+v", rec.Writer().Status())
		}
		time.Sleep(10 * time.Millisecond) // polling the writer, with a deadline
	}
	reg := prometheus.NewRegistry()
	s, err := New(Options{Refresher: ref, DebugEndpoints: true, History: st, Writer: rec.Writer(), Logger: log,
		DebugRoundEvery: time.Hour, Registerer: reg, Gatherer: reg, Reload: noReload})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return srv, ref
}

// TestOpenAPIDescribesLiveAnswers asks every route of a service over a
// simulated fleet, errors included, and validates each answer against
// what the description says of that path, status and media type.
func TestOpenAPIDescribesLiveAnswers(t *testing.T) {
	a := newAPISchemas(t)
	srv, ref := liveService(t)

	var list struct {
		CRNs []struct {
			Hash          string `json:"hash"`
			ConfigFromCRN bool   `json:"config_from_crn"`
		} `json:"crns"`
	}
	_, body := get(t, "GET", srv.URL+"/crns.json", nil)
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.CRNs) != 24 {
		t.Fatalf("crns.json: %d CRNs, %v", len(list.CRNs), err)
	}
	if err := contract.Validate([]byte(body)); err != nil {
		t.Fatalf("crns.json breaks the contract: %v", err)
	}
	up := ""
	for _, c := range list.CRNs {
		if c.ConfigFromCRN {
			up = c.Hash
			break
		}
	}
	hour := time.Now().UTC().Truncate(time.Hour)
	from, to := hour.Add(-time.Hour).Format(time.RFC3339), hour.Add(time.Hour).Format(time.RFC3339)
	type ask struct {
		method, url, path string
		status            int
	}
	asks := []ask{
		{"GET", "/crns.json", "/crns.json", 200},
		{"GET", "/crns.json?filter_inactive=yes", "/crns.json", 200},
		{"GET", "/crns.json?filter_inactive=maybe", "/crns.json", 422},
		{"GET", "/crns/nope.json", "/crns/{hash}.json", 404},
		{"GET", "/crns/" + up + "/history?from=" + from + "&to=" + to + "&step=5m", "/crns/{hash}/history", 200},
		{"GET", "/crns/" + up + "/history", "/crns/{hash}/history", 200},
		{"GET", "/crns/" + up + "/history?step=1s", "/crns/{hash}/history", 400},
		{"GET", "/crns/nope/history", "/crns/{hash}/history", 404},
		{"GET", "/crns/" + up + "/events?limit=2", "/crns/{hash}/events", 200},
		{"GET", "/crns/" + up + "/events?limit=x", "/crns/{hash}/events", 400},
		{"GET", "/uptime.json", "/uptime.json", 200},
		{"GET", "/crns/" + up + "/badge.svg", "/crns/{hash}/badge.svg", 200},
		{"GET", "/crns/" + up + "/badge.svg?metric=uptime7d", "/crns/{hash}/badge.svg", 200},
		{"GET", "/crns/nope/badge.svg", "/crns/{hash}/badge.svg", 404},
		{"GET", "/crns/" + up + "/badge.svg?metric=x", "/crns/{hash}/badge.svg", 400},
		{"GET", "/healthz", "/healthz", 200},
		{"GET", "/readyz", "/readyz", 200},
		{"GET", "/metrics", "/metrics", 200},
		{"POST", "/-/reload", "/-/reload", 200},
		{"GET", "/debug/task", "/debug/task", 200},
		{"GET", "/debug/node", "/debug/node", 200},
		{"GET", "/debug/node", "/debug/node", 429},
		{"GET", "/debug/nodes_aggregate", "/debug/nodes_aggregate", 200},
		{"GET", "/openapi.json", "/openapi.json", 200},
		{"GET", "/", "/", 200},
		{"GET", "/index.html", "/index.html", 200},
		{"GET", "/debug.html", "/debug.html", 200},
		{"GET", "/docs", "/docs", 200},
	}
	for _, c := range list.CRNs {
		asks = append(asks, ask{"GET", "/crns/" + c.Hash + ".json", "/crns/{hash}.json", 200})
	}
	for _, q := range asks {
		resp, body := get(t, q.method, srv.URL+q.url, nil)
		if resp.StatusCode != q.status {
			t.Errorf("%s %s: %d, want %d (%.200s)", q.method, q.url, resp.StatusCode, q.status, body)
			continue
		}
		if err := a.checkAnswer(q.path, q.method, resp, []byte(body)); err != "" {
			t.Errorf("%s %s: %s", q.method, q.url, err)
		}
	}
	// Errors outside any operation: the catch-all's 404 and 405.
	for _, q := range []ask{{"GET", "/nope", "", 404}, {"POST", "/crns.json", "", 405}} {
		resp, body := get(t, q.method, srv.URL+q.url, nil)
		err := a.validate(pointer("components", "schemas", "Error"), []byte(body))
		if resp.StatusCode != q.status || err != nil || !strings.Contains(body, `"detail"`) {
			t.Errorf("%s %s: %d %s: %v", q.method, q.url, resp.StatusCode, body, err)
		}
	}
	checkStream(t, a, srv.URL, ref)
	if !t.Failed() {
		t.Logf("%d answers and 2 stream events valid against the description", len(asks)+2)
	}
}

// checkAnswer finds the description of an answer (path, method, status,
// media type) and validates a JSON body against its schema; it returns
// what is wrong, or "".
func (a *apiSchemas) checkAnswer(path, method string, resp *http.Response, body []byte) string {
	status := strconv.Itoa(resp.StatusCode)
	op := a.at(pointer("paths", path, strings.ToLower(method)))
	if op == nil {
		return "the operation is not described"
	}
	respPtr := pointer("paths", path, strings.ToLower(method), "responses", status)
	r, _ := a.at(respPtr).(map[string]any)
	if r == nil {
		return "status " + status + " is not described"
	}
	if ref, ok := r["$ref"].(string); ok {
		respPtr = ref[1:]
		r = a.resolve(r).(map[string]any)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	content, _ := r["content"].(map[string]any)
	if _, ok := content[mt]; !ok {
		return "media type " + mt + " is not described for " + status
	}
	headers, _ := r["headers"].(map[string]any)
	for name := range headers {
		if name != "Content-Encoding" && resp.Header.Get(name) == "" && status == "200" {
			return "header " + name + " is described but absent"
		}
	}
	if mt != "application/json" {
		return ""
	}
	if err := a.validate(respPtr+pointer("content", mt, "schema"), body); err != nil {
		return err.Error()
	}
	return ""
}

// checkStream reads the change stream's first event and the event of a
// forced round's publication, and validates their data.
func checkStream(t *testing.T, a *apiSchemas, base string, ref *refresh.Refresher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/crns/changes", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if msg := a.checkAnswer("/crns/changes", "GET", resp, nil); msg != "" {
		t.Errorf("/crns/changes: %s", msg)
	}
	done := make(chan struct{})
	defer func() { cancel(); <-done }()
	lines := bufio.NewScanner(resp.Body)
	var ev streamEvent
	seen := map[string]bool{}
	for !seen["publication"] && lines.Scan() {
		line := lines.Text()
		k, v, _ := strings.Cut(line, ": ")
		switch {
		case k == "event":
			ev.name = v
		case k == "data":
			ev.data = v
		case line == "" && ev.name != "":
			if err := a.validate(pointer("components", "schemas", eventSchema[ev.name]), []byte(ev.data)); err != nil {
				t.Errorf("%s event: %v (%.200s)", ev.name, err, ev.data)
			}
			seen[ev.name] = true
			if ev.name == "current" {
				go func() { defer close(done); _ = ref.Refresh(ctx) }() // a round publishes
			}
			ev = streamEvent{}
		}
	}
	if !seen["current"] || !seen["publication"] {
		t.Errorf("events seen: %v (%v)", seen, lines.Err())
	}
	if !seen["current"] {
		close(done) // no round was started
	}
}
