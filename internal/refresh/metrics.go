package refresh

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nodelist/internal/aleph"
	"nodelist/internal/probe"
	"nodelist/internal/snapshot"
)

// metrics are the rounds': how long they take, what each probe found, the
// state of the fleet they leave and what publishing it costs. A nil
// *metrics records nothing (a refresher built without a registerer).
type metrics struct {
	roundDuration    prometheus.Histogram
	rounds           prometheus.Counter
	registryFailures prometheus.Counter
	probes           *prometheus.CounterVec
	probeOK          []prometheus.Counter  // by probe index
	probeSkipped     []prometheus.Counter  // by probe index
	probeLatency     []prometheus.Observer // by probe index
	nodes            [numStates]prometheus.Gauge
	behind           prometheus.Gauge
	mismatch         prometheus.Gauge
	lastRefresh      prometheus.Gauge
	publishDuration  prometheus.Histogram
}

// A node's state, as nodelist_nodes counts it: each node is in exactly one.
type nodeStateKind int

const (
	stateUp       nodeStateKind = iota // answered the gate probe (probe.Gate) last time: up()
	stateDown                          // probed, or to be, and has not answered it
	stateInvalid                       // never probed: an invalid address or a refused registry entry
	stateInactive                      // marked inactive by the registry, whatever its probes say
	numStates
)

var stateNames = [numStates]string{"up", "down", "invalid", "inactive"}

func newMetrics(reg prometheus.Registerer, holder *snapshot.Holder) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		roundDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "nodelist_round_duration_seconds",
			Help:    "Duration of each finished refresh round, from its start to its last publication.",
			Buckets: prometheus.ExponentialBuckets(0.25, 2, 12), // 0.25 s to 8.5 min
		}),
		rounds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nodelist_rounds_total",
			Help: "Refresh rounds finished.",
		}),
		registryFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nodelist_registry_fetch_failures_total",
			Help: "Rounds whose registry fetch failed; they probed the last known nodes.",
		}),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nodelist_probes_total",
			Help: "Probe outcomes, one per node and probe each round: outcome ok, error or skipped, class the error " +
				"class (none when ok or skipped). Nodes never dialed (invalid_address, invalid_data) and probes not asked " +
				"after a failed " + probe.Gate.Name + " probe count as errors of their class; a probe with a cadence that is not due " +
				"(capability, hourly) counts as skipped.",
		}, []string{"probe", "outcome", "class"}),
		lastRefresh: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nodelist_last_refresh_timestamp_seconds",
			Help: "Unix time of the served data's last_refresh: the end of the last round, or the restored snapshot's; 0 before either.",
		}),
		behind: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nodelist_nodes_behind_last_crn_version",
			Help: "Listed nodes whose version (leading X.Y.Z, compared numerically) is older than the settings' last_crn_version; " +
				"nodes without a parseable version are not counted; 0 while the settings name no parseable last_crn_version.",
		}),
		mismatch: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nodelist_nodes_identity_mismatch",
			Help: "Listed nodes whose last good /status/config names a node_hash other than their registry hash " +
				"(aleph-vm 1.11 and later): the address serves another node's config.",
		}),
	}
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "nodelist_probe_duration_seconds",
		Help:    "Duration of each probe request sent, by probe, until its body was read or it failed.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"probe"})
	nodes := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "nodelist_nodes",
		Help: "Listed nodes by state after the last round, each in one state: invalid (never probed), else inactive " +
			"(marked so by the registry), else up (answered its " + probe.Gate.Name + " probe) or down.",
	}, []string{"state"})
	m.publishDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "nodelist_publication_build_seconds",
		Help:    "Time to build a snapshot of crns.json (its identity bytes; encodings are compressed later, on first request).",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 15), // 1 ms to 16 s
	})
	for _, p := range probe.All {
		m.probeOK = append(m.probeOK, m.probes.WithLabelValues(p.Name, "ok", "none"))
		m.probeSkipped = append(m.probeSkipped, m.probes.WithLabelValues(p.Name, "skipped", "none"))
		m.probeLatency = append(m.probeLatency, latency.WithLabelValues(p.Name))
	}
	for s := range numStates {
		m.nodes[s] = nodes.WithLabelValues(stateNames[s])
	}
	reg.MustRegister(m.roundDuration, m.rounds, m.registryFailures, m.probes, latency, nodes, m.lastRefresh,
		m.behind, m.mismatch, m.publishDuration)
	// Read at scrape time: an encoding is built on its first request,
	// after the publication, so only the current snapshot knows which are.
	for _, variant := range [...]string{"all", "active"} {
		for _, e := range snapshot.Encodings {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "nodelist_publication_bytes",
				Help: "Size of the served crns.json by variant (all, or active for ?filter_inactive=true) and encoding; " +
					"0 for an encoding not built yet (each is compressed on its first request after the body changed).",
				ConstLabels: prometheus.Labels{"variant": variant, "encoding": e.Token()},
			}, func() float64 { return float64(builtSize(holder.Load(), variant == "all", e)) }))
		}
	}
	return m
}

// builtSize is the size of s's variant (All or Active) in e, 0 when that
// encoding is not built yet: a scrape never compresses.
func builtSize(s *snapshot.Snapshot, all bool, e snapshot.Encoding) int {
	if s == nil {
		return 0
	}
	body := &s.Active
	if all {
		body = &s.All
	}
	if !body.Built(e) {
		return 0
	}
	b, _ := body.Variant(e)
	return len(b)
}

// round records a finished round.
func (m *metrics) round(rep *Round) {
	if m == nil {
		return
	}
	m.rounds.Inc()
	m.roundDuration.Observe(rep.Finished.Sub(rep.Started).Seconds())
	if rep.Err != nil {
		m.registryFailures.Inc()
	}
}

// node records one node's final outcomes in a round, as they come.
func (m *metrics) node(rep *NodeReport) {
	if m == nil {
		return
	}
	for _, p := range probe.All {
		o := rep.Outcomes[p.Index]
		if o.Skipped {
			m.probeSkipped[p.Index].Inc()
			continue
		}
		if o.Latency > 0 { // a request was sent
			m.probeLatency[p.Index].Observe(o.Latency.Seconds())
		}
		if o.OK {
			m.probeOK[p.Index].Inc()
		} else {
			m.probes.WithLabelValues(p.Name, "error", string(o.Class)).Inc()
		}
	}
}

// published records what building a publication cost; its sizes are
// read from the holder at scrape time.
func (m *metrics) published(took time.Duration) {
	if m == nil {
		return
	}
	m.publishDuration.Observe(took.Seconds())
}

// fleet sets the gauges of the fleet's state. The caller holds r.mu.
func (m *metrics) fleet(order []*nodeState, settings *aleph.Settings, lastRefresh time.Time, mismatches int) {
	if m == nil {
		return
	}
	var counts [numStates]int
	for _, s := range order {
		counts[s.stateKind()]++
	}
	for st, n := range counts {
		m.nodes[st].Set(float64(n))
	}
	m.behind.Set(float64(countBehind(order, settings)))
	m.mismatch.Set(float64(mismatches))
	if !lastRefresh.IsZero() {
		m.lastRefresh.Set(float64(lastRefresh.UnixNano()) / 1e9)
	}
}

func (s *nodeState) stateKind() nodeStateKind {
	switch {
	case s.addrErr != nil:
		return stateInvalid
	case s.node.Inactive:
		return stateInactive
	case s.up():
		return stateUp
	}
	return stateDown
}

// countBehind counts the nodes whose last known version is older than
// the settings' last_crn_version, by the version rule of aleph.Version.
func countBehind(order []*nodeState, settings *aleph.Settings) int {
	if settings == nil {
		return 0
	}
	want, ok := aleph.ParseVersion(settings.LastCRNVersion)
	if !ok {
		return 0
	}
	n := 0
	for _, s := range order {
		if v, ok := aleph.ParseVersion(s.version()); ok && v.Compare(want) < 0 {
			n++
		}
	}
	return n
}

// versionField is the place of "version" among the config probe's fields.
var versionField = slices.IndexFunc(probe.Config.Fields, func(f probe.Field) bool { return f.Key == "version" })

// version is the node's version from its last good config, "" when none.
func (s *nodeState) version() string {
	vals := s.probes[probe.Config.Index].values
	if versionField < 0 || versionField >= len(vals) {
		return ""
	}
	b := vals[versionField] // a JSON string, or null
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return ""
	}
	if !bytes.ContainsRune(b, '\\') {
		return string(b[1 : len(b)-1]) // the usual case, without decoding
	}
	var v string
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	return v
}
