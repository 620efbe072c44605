package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"nodelist/internal/aleph"
	"nodelist/internal/buildinfo"
	"nodelist/internal/config"
	"nodelist/internal/history"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/simfleet"
	"nodelist/internal/snapshot"
	"nodelist/internal/store/sqlite"
)

// families is one scrape of /metrics, parsed.
type families map[string]*dto.MetricFamily

// scrape fetches /metrics and parses it as Prometheus's text format: a
// malformed exposition fails the test.
func scrape(t *testing.T, base string) families {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// get sums the series of name whose labels include want: the value of a
// counter or gauge, the sample count of a histogram. It fails the test
// when the family is missing.
func (f families) get(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	fam := f[name]
	if fam == nil {
		t.Fatalf("no metric family %s", name)
	}
	sum := 0.0
	for _, m := range fam.Metric {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum
}

// labelValues are the values label takes in name's series.
func (f families) labelValues(name, label string) []string {
	set := map[string]bool{}
	if fam := f[name]; fam != nil {
		for _, m := range fam.Metric {
			for _, l := range m.Label {
				if l.GetName() == label {
					set[l.GetValue()] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	have := map[string]string{}
	for _, l := range m.Label {
		have[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

type l = map[string]string

// stack is the service wired as cmd/nodelist wires it, on one registry,
// against a simulated fleet.
type stack struct {
	fleet *simfleet.Fleet
	reg   *prometheus.Registry
	ref   *refresh.Refresher
	rec   *history.Recorder
	srv   *httptest.Server
}

func newStack(t *testing.T, fo simfleet.Options, so Options) *stack {
	t.Helper()
	fleet, err := simfleet.Start(context.Background(), fo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Close() })
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	buildinfo.Register(reg, buildinfo.Read("v9.9.9-test", "0123abc"))
	client := probe.NewClient(probe.Options{APIURL: fleet.APIURL(), Timeout: 5 * time.Second, Concurrency: 16, Registerer: reg})
	t.Cleanup(client.CloseIdleConnections)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	rec := history.New(st, config.History{Queue: 10, RetentionRaw: time.Hour, RetentionLong: time.Hour}, discard)
	rec.RegisterMetrics(reg)
	rec.Start()
	t.Cleanup(func() { rec.Stop(5 * time.Second) })
	ref := refresh.New(refresh.Options{Client: client, Forbidden: config.DefaultForbiddenHosts, Logger: discard,
		Sink: rec, Registerer: reg})
	so.Refresher, so.History, so.Writer, so.Registerer, so.Gatherer, so.Logger = ref, st, rec.Writer(), reg, reg, discard
	so.MetricsTTL = -1 // each scrape reads the values of now
	s, err := New(so)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return &stack{fleet: fleet, reg: reg, ref: ref, rec: rec, srv: srv}
}

// round runs one round and waits until the history has written it.
func (s *stack) round(t *testing.T) {
	t.Helper()
	before := s.rec.Writer().Status().Written
	if err := s.ref.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.rec.Writer().Status().Written == before {
		if time.Now().After(deadline) {
			t.Fatal("round not written to the history within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMetricsAfterRounds scrapes /metrics after rounds over a simulated
// fleet and checks every family against what the fleet is: nodes by
// state, probes by outcome and class, connections opened then reused,
// publications, history writes, requests by route pattern.
func TestMetricsAfterRounds(t *testing.T) {
	s := newStack(t, simfleet.Options{Nodes: 40, Seed: 5, Failing: 0.1, InvalidJSON: 0.05, InvalidAddress: 0.1,
		OldVersion: 0.3, Inactive: 0.2, GPU: 0.2}, Options{})
	nodes := s.fleet.Nodes()
	var ok, failing, badJSON, invalid, up, down, inactive, behind int
	want, _ := aleph.ParseVersion(simfleet.LastCRNVersion)
	for _, n := range nodes {
		switch n.Kind {
		case simfleet.KindOK:
			ok++
			if v, parsed := aleph.ParseVersion(n.Version); parsed && v.Compare(want) < 0 {
				behind++
			}
		case simfleet.KindFailing:
			failing++
		case simfleet.KindInvalidJSON:
			badJSON++
		case simfleet.KindInvalidAddress:
			invalid++
		}
		switch {
		case n.Kind == simfleet.KindInvalidAddress:
		case n.Inactive:
			inactive++
		case n.Kind == simfleet.KindOK:
			up++
		default:
			down++
		}
	}
	if ok == 0 || failing == 0 || badJSON == 0 || invalid == 0 || inactive == 0 || behind == 0 || behind == ok {
		t.Fatalf("fleet lacks a kind: ok %d failing %d invalid-json %d invalid %d inactive %d behind %d",
			ok, failing, badJSON, invalid, inactive, behind)
	}

	s.round(t)
	m1 := scrape(t, s.srv.URL)
	s.round(t)

	// Requests: known routes, a node's own routes, and unknown paths,
	// each of which must be counted under its pattern.
	hash := nodes[0].Hash
	for _, path := range []string{"/crns.json", "/crns.json?filter_inactive=1", "/crns/" + hash + ".json",
		"/crns/" + hash + "/badge.svg", "/no/such/" + hash, "/x-1", "/x-2", "/"} {
		resp, _ := get(t, "GET", s.srv.URL+path, nil)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	if resp, body := get(t, "GET", s.srv.URL+"/readyz", nil); resp.StatusCode != 200 {
		t.Fatalf("/readyz after two rounds: %d %s", resp.StatusCode, body)
	}
	stream := subscribe(t, s.srv.URL, "")
	if ev := stream.nextEvent(t); ev.event != "current" {
		t.Fatalf("first event %q, want current", ev.event)
	}
	m := scrape(t, s.srv.URL)

	// Lint: names, units and help as Prometheus's own linter wants them.
	problems, err := testutil.GatherAndLint(s.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}

	probes := float64(len(probe.All))
	eq := func(what string, got, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	eq("build_info", m.get(t, "nodelist_build_info", l{"version": "v9.9.9-test", "revision": "0123abc"}), 1)
	eq("rounds_total", m.get(t, "nodelist_rounds_total", nil), 2)
	eq("round_duration_seconds count", m.get(t, "nodelist_round_duration_seconds", nil), 2)
	eq("registry_fetch_failures_total", m.get(t, "nodelist_registry_fetch_failures_total", nil), 0)

	eq("probes_total", m.get(t, "nodelist_probes_total", nil), 2*float64(len(nodes))*probes)
	everyRound := 0.0 // probes without a cadence: asked each round
	for _, p := range probe.All {
		eq(p.Name+" probes", m.get(t, "nodelist_probes_total", l{"probe": p.Name}), 2*float64(len(nodes)))
		eq(p.Name+" invalid_address", m.get(t, "nodelist_probes_total", l{"probe": p.Name, "class": "invalid_address"}), 2*float64(invalid))
		if p.Every == 0 {
			everyRound++
			eq(p.Name+" ok", m.get(t, "nodelist_probes_total", l{"probe": p.Name, "outcome": "ok", "class": "none"}), 2*float64(ok))
		}
	}
	// The capability, hourly: asked of every node that answered its config
	// in the first round (a 404 from releases before 1.6), skipped in the
	// second, and skipped in both where the config failed.
	since16, _ := aleph.ParseVersion("1.6.0")
	capable := 0
	for _, n := range nodes {
		if v, _ := aleph.ParseVersion(n.Version); n.Kind == simfleet.KindOK && v.Compare(since16) >= 0 {
			capable++
		}
	}
	eq("capability ok", m.get(t, "nodelist_probes_total", l{"probe": "capability", "outcome": "ok"}), float64(capable))
	eq("capability 404", m.get(t, "nodelist_probes_total", l{"probe": "capability", "class": "http_status"}), float64(ok-capable))
	eq("capability skipped", m.get(t, "nodelist_probes_total", l{"probe": "capability", "outcome": "skipped"}),
		2*float64(len(nodes)-invalid)-float64(ok))
	eq("config http_status", m.get(t, "nodelist_probes_total", l{"probe": "config", "class": "http_status"}), 2*float64(failing))
	eq("config invalid_json", m.get(t, "nodelist_probes_total", l{"probe": "config", "class": "invalid_json"}), 2*float64(badJSON))
	// Every node with a valid address is sent a config request each round.
	eq("config requests timed", m.get(t, "nodelist_probe_duration_seconds", l{"probe": "config"}), 2*float64(len(nodes)-invalid))

	eq("nodes up", m.get(t, "nodelist_nodes", l{"state": "up"}), float64(up))
	eq("nodes down", m.get(t, "nodelist_nodes", l{"state": "down"}), float64(down))
	eq("nodes invalid", m.get(t, "nodelist_nodes", l{"state": "invalid"}), float64(invalid))
	eq("nodes inactive", m.get(t, "nodelist_nodes", l{"state": "inactive"}), float64(inactive))
	eq("nodes", m.get(t, "nodelist_nodes", nil), float64(len(nodes)))
	eq("nodes behind", m.get(t, "nodelist_nodes_behind_last_crn_version", nil), float64(behind))
	eq("identity mismatch", m.get(t, "nodelist_nodes_identity_mismatch", nil), 0) // no node here says its hash

	snap := s.ref.Holder().Load()
	eq("last_refresh", m.get(t, "nodelist_last_refresh_timestamp_seconds", nil), float64(snap.LastRefresh.UnixNano())/1e9)
	if n := m.get(t, "nodelist_publication_build_seconds", nil); n < 2 {
		t.Errorf("%v publications timed, want at least the two rounds' last", n)
	}
	// Sizes: identity always, each encoding once built (on first request),
	// 0 before; the scrape itself builds none.
	bodies := map[string]*snapshot.Body{"all": &snap.All, "active": &snap.Active}
	for v, body := range bodies {
		for _, e := range snapshot.Encodings {
			want := 0.0
			if body.Built(e) {
				b, _ := body.Variant(e)
				want = float64(len(b))
			}
			eq(v+"/"+e.Token()+" bytes before", m.get(t, "nodelist_publication_bytes", l{"variant": v, "encoding": e.Token()}), want)
		}
	}
	if snap.All.Built(snapshot.Brotli) {
		t.Error("a scrape built the brotli encoding")
	}
	for _, body := range bodies {
		for _, e := range snapshot.Encodings {
			body.Variant(e)
		}
	}
	built := scrape(t, s.srv.URL)
	for v, body := range bodies {
		for _, e := range snapshot.Encodings {
			b, _ := body.Variant(e)
			if len(b) == 0 {
				t.Errorf("%s/%s: no bytes after a round", v, e.Token())
			}
			eq(v+"/"+e.Token()+" bytes", built.get(t, "nodelist_publication_bytes", l{"variant": v, "encoding": e.Token()}), float64(len(b)))
		}
	}

	// Connections: the first round opens one per node dialed (MaxConnsPerHost
	// is 1); the second reuses them: every request of a healthy node
	// finds its connection in the pool.
	conns := func(f families, state string) float64 {
		return f.get(t, "nodelist_upstream_connections_total", l{"target": "node", "state": state})
	}
	opened1, reused1 := conns(m1, "opened"), conns(m1, "reused")
	opened2, reused2 := conns(m, "opened")-opened1, conns(m, "reused")-reused1
	eq("node connections opened", conns(m, "opened"), float64(s.fleet.Stats().NodeConnections))
	if opened1 < float64(len(nodes)-invalid) {
		t.Errorf("round 1 opened %v node connections, want at least %d", opened1, len(nodes)-invalid)
	}
	if opened2 != 0 || reused2 < everyRound*float64(ok) {
		t.Errorf("round 2: %v opened, %v reused; want 0 opened and at least %v reused", opened2, reused2, everyRound*float64(ok))
	}
	if m.get(t, "nodelist_upstream_connections_total", l{"target": "api", "state": "reused"}) == 0 {
		t.Error("the API connection was never reused")
	}

	eq("store written", m.get(t, "nodelist_store_rounds_written_total", nil), 2)
	eq("store dropped", m.get(t, "nodelist_store_rounds_dropped_total", nil), 0)
	eq("store queue", m.get(t, "nodelist_store_queue_rounds", nil), 0)
	eq("store capacity", m.get(t, "nodelist_store_queue_capacity_rounds", nil), 10)
	eq("store writes ok", m.get(t, "nodelist_store_write_duration_seconds", l{"result": "ok"}), 2)

	eq("ready", m.get(t, "nodelist_ready", nil), 1)
	eq("stream subscribers", m.get(t, "nodelist_change_stream_subscribers", nil), 1)
	eq("snapshot budget in flight", m.get(t, "nodelist_http_requests_in_flight", l{"budget": "snapshot"}), 0)

	// Routes are the mux's patterns: the three unknown paths are one
	// series, and no label holds a path asked.
	routes := m.labelValues("nodelist_http_requests_total", "route")
	wantRoutes := []string{"/", "GET /crns.json", "GET /crns/{file}", "GET /crns/{hash}/badge.svg", "GET /metrics",
		"GET /readyz", "GET /{$}"}
	if !slices.Equal(routes, wantRoutes) {
		t.Errorf("route labels %q, want %q", routes, wantRoutes)
	}
	eq("unknown paths", m.get(t, "nodelist_http_requests_total", l{"route": "/", "code": "404"}), 3)
	eq("crns.json", m.get(t, "nodelist_http_requests_total", l{"route": "GET /crns.json", "code": "200"}), 2)
	eq("crns.json timed", m.get(t, "nodelist_http_request_duration_seconds", l{"route": "GET /crns.json"}), 2)
	eq("scrapes before this one", m.get(t, "nodelist_http_requests_total", l{"route": "GET /metrics"}), 1)

	// The stream is counted once it ends, and never timed.
	stream.resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for scrape(t, s.srv.URL).get(t, "nodelist_change_stream_subscribers", nil) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("subscriber still counted 5 s after it left")
		}
		time.Sleep(5 * time.Millisecond)
	}
	after := scrape(t, s.srv.URL)
	eq("stream requests", after.get(t, "nodelist_http_requests_total", l{"route": "GET /crns/changes"}), 1)
	if fam := after["nodelist_http_request_duration_seconds"]; fam != nil {
		for _, mm := range fam.Metric {
			if hasLabels(mm, l{"route": "GET /crns/changes"}) {
				t.Error("the change stream was timed")
			}
		}
	}
}

// TestIdentityMismatchMetric: a fleet with every era has one node whose
// config names another node's hash; the gauge and /debug/task count it,
// and it is still listed with its data.
func TestIdentityMismatchMetric(t *testing.T) {
	s := newStack(t, simfleet.Options{Nodes: 20, Seed: 21, Eras: true}, Options{DebugEndpoints: true})
	s.round(t)
	var want []string
	for _, n := range s.fleet.Nodes() {
		if n.Era == "node-hash-mismatch" {
			want = append(want, n.Hash)
		}
	}
	if len(want) != 1 {
		t.Fatalf("%d nodes of era node-hash-mismatch, want 1", len(want))
	}
	if got := scrape(t, s.srv.URL).get(t, "nodelist_nodes_identity_mismatch", nil); got != 1 {
		t.Errorf("nodelist_nodes_identity_mismatch = %v, want 1", got)
	}
	_, body := get(t, "GET", s.srv.URL+"/debug/task", nil)
	var task struct {
		Count int      `json:"identity_mismatch"`
		Nodes []string `json:"identity_mismatch_nodes"`
	}
	if err := json.Unmarshal([]byte(body), &task); err != nil || task.Count != 1 || !slices.Equal(task.Nodes, want) {
		t.Errorf("/debug/task: %s, want %v", body, want)
	}
	_, body = get(t, "GET", s.srv.URL+"/crns/"+want[0]+".json", nil)
	var c struct {
		NodeHash string          `json:"node_hash"`
		Usage    json.RawMessage `json:"system_usage"`
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil || c.NodeHash != simfleet.ForeignNodeHash || string(c.Usage) == "null" {
		t.Errorf("the mismatching node is not listed with its data: %s", body)
	}
}
