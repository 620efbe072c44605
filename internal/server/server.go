package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nodelist/internal/aleph"
	"nodelist/internal/config"
	"nodelist/internal/history"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/server/listen"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
	"nodelist/internal/store/memory"
)

// Refresher is what the handlers need of the refresh loop.
type Refresher interface {
	Holder() *snapshot.Holder
	Status() refresh.Status
	Refresh(ctx context.Context) error
	Fresh(ctx context.Context)
	Registry() []byte
	Nodes() []aleph.Node
}

// Options configure the handler.
type Options struct {
	Refresher      Refresher
	DebugEndpoints bool
	Logger         *slog.Logger
	// Limits bound the requests served at once, per class of route, and
	// how slowly a client may read an answer.
	Limits Limits
	// Conns, when set, reports the listener's connection counts on
	// /healthz.
	Conns *listen.ConnLimiter
	// DebugRoundEvery is the least time between two rounds forced by
	// /debug/node (10 s).
	DebugRoundEvery time.Duration
	// History answers the history endpoints (--db none: a store in
	// memory); nil: an empty one in memory.
	History store.Store
	// Writer, when set, reports the history backlog on /healthz.
	Writer *history.Writer
	// MaxSubscribers bounds the streams of /crns/changes (256); at the
	// bound, the one open the longest is closed to make room (its client
	// resumes with Last-Event-ID).
	MaxSubscribers int
	// MaxStreamsPerClient bounds the streams of /crns/changes one client
	// (an IPv4 address or an IPv6 /64) holds at once, over however many
	// connections (8); more are answered 429. Negative: no such bound,
	// for a service behind a reverse proxy, where every client shares
	// the proxy's address.
	MaxStreamsPerClient int
	// Heartbeat is the time between two comment lines on an idle change
	// stream, which keep proxies from closing it (15 s).
	Heartbeat time.Duration
	// ReadyMaxAge is how old the served data may grow before /readyz
	// answers 503, in background mode; 0 takes the refresher's bound
	// (three intervals and a round's timeout), negative never.
	ReadyMaxAge time.Duration
	// Registerer, when set, receives the server's metrics (see
	// metrics.go); nil keeps none.
	Registerer prometheus.Registerer
	// Gatherer, when set, is served at /metrics: the registry every part
	// registered on.
	Gatherer prometheus.Gatherer
	// MetricsTTL is how long one exposition of /metrics is served again
	// (1 s); negative: every scrape gathers.
	MetricsTTL time.Duration
	// Reload, when set, serves POST /-/reload: it reloads the
	// configuration and returns what changed, or why it refused to.
	Reload func() (config.Report, error)
	// ReloadEvery is the least time between two reloads asked without
	// the admin token (5 s).
	ReloadEvery time.Duration
	// AdminToken, when set, is required by POST /-/reload and by the
	// rounds /debug/node forces (Authorization: Bearer TOKEN); see
	// admin.go.
	AdminToken []byte
}

// Server is the service's http.Handler.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *routeMux
	// paths and methods index the routes by path alone, for the Allow
	// header of a 405 (see routes.go).
	paths   *http.ServeMux
	methods map[string][]string
	pages   map[string]page
	handler http.Handler
	gate    *roundGate
	budgets *budgets
	uptimes uptimeCache
	feed    *feed
	badges  badgeCache
	metrics *metrics      // nil without a registerer
	scrapes *metricsCache // nil without a gatherer, or uncached
	apiDoc  []byte        // openapi.json as served: the routes this server has
	// reloading is held while POST /-/reload runs.
	reloading  sync.Mutex
	reloadGate *roundGate
	token      adminToken
}

// New builds the handler and reads the pages once.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Limits.setDefaults()
	if opts.DebugRoundEvery <= 0 {
		opts.DebugRoundEvery = 10 * time.Second
	}
	if opts.ReloadEvery <= 0 {
		opts.ReloadEvery = 5 * time.Second
	}
	if opts.MaxSubscribers <= 0 {
		opts.MaxSubscribers = 256
	}
	if opts.MaxStreamsPerClient == 0 {
		opts.MaxStreamsPerClient = 8
	}
	if opts.MetricsTTL == 0 {
		opts.MetricsTTL = metricsTTL
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	if opts.History == nil {
		st, err := memory.New(probe.Names()...)
		if err != nil {
			return nil, err
		}
		opts.History = st
	}
	s := &Server{opts: opts, log: opts.Logger, mux: newRouteMux(), gate: &roundGate{every: opts.DebugRoundEvery},
		budgets: newBudgets(opts.Limits), feed: newFeed(opts.Refresher.Holder(), opts.Heartbeat,
			newSubscribers(opts.MaxSubscribers, max(0, opts.MaxStreamsPerClient))),
		reloadGate: &roundGate{every: opts.ReloadEvery}, token: newAdminToken(opts.AdminToken)}
	var err error
	if s.pages, err = loadPages(); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(opts.Registerer, s)
	s.mux.wrap = s.limited
	if err := s.register(); err != nil {
		return nil, err
	}
	if s.apiDoc, err = s.describeAPI(); err != nil {
		return nil, err
	}
	// secureHeaders and cors are outermost, so that every answer carries
	// their headers: the 503 of a full budget and the 500 of a panic too (each route's
	// handler is wrapped by limited as it is registered).
	s.handler = secureHeaders(cors(s.mux))
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// UseConns has /healthz report the listener's connection counts; call it
// before serving (listen.Run does).
func (s *Server) UseConns(c *listen.ConnLimiter) { s.opts.Conns = c }

// Close ends the change streams and stops watching publications. Call it
// when the HTTP server shuts down (http.Server.RegisterOnShutdown), or
// the open streams keep Shutdown waiting.
func (s *Server) Close() { s.feed.close() }

// cors lets any origin read every endpoint, and answers preflights.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
				h.Set("Access-Control-Allow-Headers", req)
			}
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode response: "+err.Error())
		return
	}
	writeRawJSON(w, status, b)
}

func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
