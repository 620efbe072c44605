package notify

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the notifier's own series, and the per-node ones of
// --node-metrics: those have a series per node (three per node), so they
// are off by default.
type metrics struct {
	events        *prometheus.CounterVec
	deliveries    *prometheus.CounterVec
	dropped       prometheus.Counter
	writeFailures prometheus.Counter
}

func newMetrics(n *Notifier, reg prometheus.Registerer, perNode bool) *metrics {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nodelist_notify_events_total",
			Help: "Notification events written to the outbox, by event.",
		}, []string{"event"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nodelist_notify_deliveries_total",
			Help: "Notification POSTs by outcome: ok (2xx), error (retried later), expired (given up after --notify-retry-for).",
		}, []string{"outcome"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nodelist_notify_rounds_dropped_total",
			Help: "Rounds not judged for notifications because the earlier ones were still being judged.",
		}),
		writeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nodelist_notify_store_failures_total",
			Help: "Rounds whose notification states could not be read or written; the next round judges again.",
		}),
	}
	if reg == nil {
		return m
	}
	if len(n.opts.Subscriptions) > 0 {
		reg.MustRegister(m.events, m.deliveries, m.dropped, m.writeFailures)
	}
	if perNode {
		reg.MustRegister(nodeCollector{n})
	}
	return m
}

var (
	nodeLabels  = []string{"hash", "name", "owner"}
	nodeUp      = prometheus.NewDesc("nodelist_node_up", "1 when the node answered its config probe in the last round that asked it, else 0.", nodeLabels, nil)
	nodeLatency = prometheus.NewDesc("nodelist_node_latency_seconds", "Duration of the node's last config probe that succeeded in the last round.", nodeLabels, nil)
	nodeActive  = prometheus.NewDesc("nodelist_node_inactive", "1 when the registry marks the node inactive (inactive_since set), else 0.", nodeLabels, nil)
)

// nodeCollector reads the last round's nodes at scrape time.
type nodeCollector struct{ n *Notifier }

func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- nodeUp
	ch <- nodeLatency
	ch <- nodeActive
}

func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	c.n.nodesMu.Lock()
	defer c.n.nodesMu.Unlock()
	for _, nd := range c.n.nodes {
		labels := []string{nd.Hash, nd.Name, nd.Owner}
		ch <- prometheus.MustNewConstMetric(nodeUp, prometheus.GaugeValue, b2f(nd.OK), labels...)
		ch <- prometheus.MustNewConstMetric(nodeActive, prometheus.GaugeValue, b2f(nd.Inactive), labels...)
		if nd.OK {
			ch <- prometheus.MustNewConstMetric(nodeLatency, prometheus.GaugeValue, nd.Latency.Seconds(), labels...)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// keepNodes keeps the round's nodes for the per-node series: a node the
// round did not ask keeps its last answer; a node no longer listed goes.
func (n *Notifier) keepNodes(nodes []Node) {
	if !n.opts.NodeMetrics {
		return
	}
	n.nodesMu.Lock()
	defer n.nodesMu.Unlock()
	next := make(map[string]Node, len(nodes))
	for _, nd := range nodes {
		if old, ok := n.nodes[nd.Hash]; ok && !nd.Probed {
			old.Name, old.Owner, old.Inactive = nd.Name, nd.Owner, nd.Inactive
			nd = old
		}
		next[nd.Hash] = nd
	}
	n.nodes = next
}
