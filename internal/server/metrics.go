package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's: requests by route and code, their latency,
// what the budgets and the change stream hold, and readiness. A nil
// *metrics records nothing (a server built without a registerer).
type metrics struct {
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	streamRotated prometheus.CounterFunc
	streamRefused prometheus.CounterFunc
}

// newMetrics registers the server's metrics on reg. Routes are labelled
// by the pattern the mux matched, never by the path asked: a client
// asking a million paths adds no series, since every unknown path is the
// catch-all pattern "/".
func newMetrics(reg prometheus.Registerer, s *Server) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nodelist_http_requests_total",
			Help: "HTTP requests answered, by route (the pattern matched; \"/\" for unknown paths) and status code. " +
				"OPTIONS preflights, answered before routing, are not counted.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nodelist_http_request_duration_seconds",
			Help: "Time from a request's routing to the end of its answer, by route; the change stream, " +
				"which lasts as long as its client listens, is not observed.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.streamRotated = prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "nodelist_change_stream_rotated_total",
		Help: "Change streams ended to make room at the total bound; their clients resume with Last-Event-ID.",
	}, func() float64 { return float64(s.feed.subs.stats().Rotated) })
	m.streamRefused = prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "nodelist_change_stream_refused_total",
		Help: "Change streams refused with 429: their client held its bound of streams.",
	}, func() float64 { return float64(s.feed.subs.stats().RefusedPerClient) })
	collectors := []prometheus.Collector{m.requests, m.latency,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nodelist_change_stream_subscribers",
			Help: "Clients following /crns/changes.",
		}, func() float64 { return float64(s.feed.subs.count()) }),
		m.streamRotated, m.streamRefused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nodelist_ready",
			Help: "1 when /readyz answers 200, else 0.",
		}, func() float64 {
			if s.readiness(time.Now()).Ready {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nodelist_http_connections_open",
			Help: "Client connections open.",
		}, func() float64 {
			if s.opts.Conns == nil {
				return 0
			}
			return float64(s.opts.Conns.Stats().Open)
		}),
	}
	for c := range numClasses {
		collectors = append(collectors, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "nodelist_http_requests_in_flight",
			Help:        "Requests being served, by budget (cheap, snapshot, costly).",
			ConstLabels: prometheus.Labels{"budget": c.String()},
		}, func() float64 { return float64(s.budgets.inFlight(c)) }))
	}
	reg.MustRegister(collectors...)
	return m
}

// end records a request routed to pattern, answered through w, and its
// latency when timed (not for a stream, which lasts as long as its
// client listens).
func (m *metrics) end(w *respWriter, pattern string, timed bool) {
	m.requests.WithLabelValues(pattern, codeText(w.status())).Inc()
	if timed {
		m.latency.WithLabelValues(pattern).Observe(time.Since(w.start).Seconds())
	}
}

// codes are the status codes as label values, made once.
var codes = func() (c [600]string) {
	for i := range c {
		c[i] = strconv.Itoa(i)
	}
	return c
}()

func codeText(code int) string {
	if code >= 0 && code < len(codes) {
		return codes[code]
	}
	return strconv.Itoa(code)
}

// metricsHandler serves the exposition of g in the format the scraper
// negotiates (Prometheus text by default), gzipped when it accepts it,
// each variant gathered at most once per Options.MetricsTTL. A collector
// that fails leaves out its own metrics, not the others.
func metricsHandler(g prometheus.Gatherer, s *Server) http.Handler {
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:            slogPrinter{s},
		ErrorHandling:       promhttp.ContinueOnError,
		OfferedCompressions: []promhttp.Compression{promhttp.Identity, promhttp.Gzip},
	})
	if s.opts.MetricsTTL < 0 {
		return h
	}
	s.scrapes = newMetricsCache(h, s.opts.MetricsTTL)
	return s.scrapes
}

// slogPrinter passes promhttp's errors to the server's log.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) { p.s.log.Warn("metrics", "err", v) }
