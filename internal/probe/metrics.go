package probe

import (
	"context"
	"net/http/httptrace"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the transport's: how often a request found a pooled
// connection. A steady fleet should reuse nearly every one; a rise of
// opened connections means the pool is too small or nodes close theirs.
type metrics struct {
	traces         [2]*httptrace.ClientTrace // by target: node, api
	opened, reused prometheus.Counter        // the node pool's
}

const (
	targetNode = iota
	targetAPI
)

// newMetrics registers the transport's metrics on reg; nil registers
// nothing and returns nil, whose trace adds nothing to a request.
func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		return nil
	}
	conns := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "nodelist_upstream_connections_total",
		Help: "Upstream requests by the connection they were sent on: state=opened for a connection dialed for it, " +
			"reused for one taken from the idle pool (or shared over HTTP/2); target=node or api.",
	}, []string{"target", "state"})
	reg.MustRegister(conns)
	m := &metrics{opened: conns.WithLabelValues("node", "opened"), reused: conns.WithLabelValues("node", "reused")}
	for i, target := range [...]string{targetNode: "node", targetAPI: "api"} {
		opened, reused := conns.WithLabelValues(target, "opened"), conns.WithLabelValues(target, "reused")
		// One trace per target, built once: a request only carries a
		// pointer to it, and its hook only bumps a counter.
		m.traces[i] = &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
			if info.Reused {
				reused.Inc()
			} else {
				opened.Inc()
			}
		}}
	}
	return m
}

// trace attaches the connection counters to a request's context.
func (m *metrics) trace(ctx context.Context, api bool) context.Context {
	if m == nil {
		return ctx
	}
	t := targetNode
	if api {
		t = targetAPI
	}
	return httptrace.WithClientTrace(ctx, m.traces[t])
}

// conn counts a node request's connection: reused from the pool or
// opened for it.
func (m *metrics) conn(reused bool) {
	switch {
	case m == nil:
	case reused:
		m.reused.Inc()
	default:
		m.opened.Inc()
	}
}
