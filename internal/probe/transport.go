package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options configure the shared transport. Zero values take the defaults
// noted beside each field.
type Options struct {
	Timeout             time.Duration // whole request, body included (10 s)
	MaxBody             int64         // most bytes read of one response, after decompression, whatever the probe's own bound (1 MiB)
	Concurrency         int           // requests in flight at once, all hosts together (64)
	MaxIdleConns        int           // idle connections kept, all hosts together (1024)
	MaxIdleConnsPerHost int           // idle connections kept per node (3: one per probe)
	MaxConnsPerHost     int           // requests on a node's connections at once; the others wait their turn (1)
	IdleConnTimeout     time.Duration // idle connections closed after this: above the refresh interval, below the nodes' own idle timeout (90 s)
	MaxRedirects        int           // redirects followed per request (3)
	Guard               *Guard        // nil allows every destination
	// APIURL is the Aleph API host that API fetches from; it is dialed
	// without the guard (see api.go).
	APIURL    string
	Forbidden []string // host names a node address or redirect may not use
	UserAgent string
	// Logger receives, at debug level, the full text of each failed
	// request, addresses included; the published message has none
	// (slog.Default()).
	Logger *slog.Logger
	// Registerer, when set, receives the transport's metrics (see
	// metrics.go); nil keeps none.
	Registerer prometheus.Registerer
}

func (o *Options) setDefaults() {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = 1024
	}
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = 3
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = 1
	}
	if o.IdleConnTimeout <= 0 {
		o.IdleConnTimeout = 90 * time.Second
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 3
	}
	if o.UserAgent == "" {
		o.UserAgent = "nodelist"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Client makes every upstream request of the service, with a global bound
// on requests in flight, a per-request timeout and a cap on the bytes
// read. Node probes go through the pool (pool.go, fetch.go): HTTP/1.1 on
// fasthttp's request writer and response parser, no goroutine per
// connection. The API's few requests go through a net/http transport of
// their own.
type Client struct {
	opts    Options
	pol     *policyHolder // the guard and forbidden names in force
	trusted map[string]bool
	pool    *pool // node probes
	tr      *http.Transport
	large   *http.Client // upstream aggregates: longer timeout
	sem     chan struct{}
	metrics *metrics // nil without a registerer
}

// NewTransport builds the API's transport: keep-alive, HTTP/2 where the
// host offers it, TLS session resumption, no proxy (a proxy would bypass
// the dial guard), and the guard on every dial but the API host's own.
func NewTransport(o Options) *http.Transport {
	return newTransport(o, newPolicyHolder(o))
}

// newTransport is NewTransport with the guard read from pol on each dial.
func newTransport(o Options, pol *policyHolder) *http.Transport {
	o.setDefaults()
	guarded := guardedDialer(pol)
	plain := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	trusted := apiHosts(o.APIURL)
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			// Only the API's own requests skip the guard: a node that
			// registers the API host's address is dialed like any node.
			if trusted[strings.ToLower(addr)] && isAPIRequest(ctx) {
				return plain.DialContext(ctx, network, addr)
			}
			return guarded.DialContext(ctx, network, addr)
		},
		TLSClientConfig:        &tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(64)},
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  o.Timeout,
		MaxIdleConns:           o.MaxIdleConns,
		MaxIdleConnsPerHost:    o.MaxIdleConnsPerHost,
		MaxConnsPerHost:        o.MaxConnsPerHost,
		IdleConnTimeout:        o.IdleConnTimeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// guardedDialer dials with the guard in force judging the exact address
// connected to, after name resolution: in a net.Dialer's Control, so that
// neither a DNS answer nor a redirect routes around it.
func guardedDialer(pol *policyHolder) *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: pol.control}
}

// NewClient builds a Client with a new pool and API transport.
func NewClient(o Options) *Client {
	o.setDefaults()
	pol := newPolicyHolder(o)
	c := &Client{opts: o, pol: pol, trusted: apiHosts(o.APIURL), tr: newTransport(o, pol), sem: make(chan struct{}, o.Concurrency),
		metrics: newMetrics(o.Registerer)}
	// Node TLS as net/http's transport had it: the system roots, the
	// node's host as server name, crypto/tls's minimum version, sessions
	// resumed.
	nodeTLS := &tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(4096)}
	c.pool = newPool(guardedDialer(pol).DialContext, nodeTLS, o)
	// The timeout is the client's, not a per-request context: the client
	// stops its timer when the body reaches EOF, whereas cancelling a
	// request's context right after reading the body races with the
	// transport putting the connection back, and often closes it.
	c.large = &http.Client{Transport: c.tr, CheckRedirect: c.checkHTTPRedirect, Timeout: 3 * o.Timeout}
	return c
}

// Options returns the options in force, defaults applied.
func (c *Client) Options() Options {
	o, p := c.opts, c.pol.load()
	o.Guard, o.Forbidden = p.guard, p.forbidden
	return o
}

// Files is how many descriptors the client may hold at once: its idle
// pool and its requests in flight.
func (c *Client) Files() int { return c.opts.MaxIdleConns + c.opts.Concurrency }

// CloseIdleConnections closes the idle connections, nodes' and API's, at
// shutdown or when the guard changes. Once it returns, the node pool runs
// no goroutine until its next request.
func (c *Client) CloseIdleConnections() {
	c.tr.CloseIdleConnections()
	c.pool.CloseIdleConnections()
}

// checkRedirect follows a few redirects, each to a valid address of the
// same scheme; the guard checks the destination when it is dialed. via
// are the URLs asked before next, the first one first.
func (c *Client) checkRedirect(ctx context.Context, next *url.URL, via []*url.URL) error {
	if len(via) > c.opts.MaxRedirects {
		return Errorf(ClassRedirect, "stopped after %d redirects", c.opts.MaxRedirects)
	}
	if next.Scheme != via[0].Scheme {
		return Errorf(ClassRedirect, "redirect from %s to %s refused", via[0].Scheme, next.Scheme)
	}
	if !isAPIRequest(ctx) && c.trusted[hostPort(next)] {
		return Errorf(ClassForbidden, "redirect to the API host refused")
	}
	if next.User != nil {
		return Errorf(ClassRedirect, "redirect to an address with credentials refused")
	}
	if err := validateRedirect(next, c.pol.load().forbidden); err != nil {
		return Errorf(ClassRedirect, "redirect refused: %v", err)
	}
	return nil
}

// checkHTTPRedirect is checkRedirect for the API's net/http client.
func (c *Client) checkHTTPRedirect(req *http.Request, via []*http.Request) error {
	urls := make([]*url.URL, len(via))
	for i, r := range via {
		urls[i] = r.URL
	}
	return c.checkRedirect(req.Context(), req.URL, urls)
}

// validateRedirect judges a redirect target as a node address. The URL
// has been decoded once already ("%25" in the Location is "%" in Host), so
// the host is refused if a percent sign is left in any form a later reader
// might decode again: the host as parsed, its name, and the host unescaped
// until nothing changes.
func validateRedirect(u *url.URL, forbidden []string) error {
	for _, h := range []string{u.Host, u.Hostname(), unescapeAll(u.Host)} {
		if strings.Contains(h, "%") {
			return errors.New("host contains a percent sign")
		}
	}
	_, err := ValidateAddress(u.Scheme+"://"+u.Host, forbidden)
	return err
}

// unescapeAll percent-decodes s until it stops changing, a bounded number
// of times; a malformed escape is left in place, percent sign included.
func unescapeAll(s string) string {
	for range 8 {
		d, err := url.PathUnescape(s)
		if err != nil || d == s {
			return s
		}
		s = d
	}
	return s
}

// Response is the outcome of one GET.
type Response struct {
	Body    []byte
	Status  int
	Latency time.Duration
	At      time.Time // when the response (or the failure) arrived
	Err     *Error
	// ErrBody is the body of an answer whose status is not 200, for the
	// probes that give one a meaning (a diagnostic VM reports IPv6 down
	// as a 503 with a JSON result).
	ErrBody []byte
}

// Get fetches url and reads its body, up to the size cap: the asking
// probe's MaxBody, never more than Options.MaxBody. Any status but 200 is
// an error of class http_status. It waits for a slot among the requests
// in flight; the timeout starts once it has one.
func (c *Client) Get(ctx context.Context, url string) Response {
	limit := c.opts.MaxBody
	if n, ok := ctx.Value(bodyBoundKey{}).(int64); ok && n > 0 && n < limit {
		limit = n
	}
	return c.get(ctx, url, limit)
}

type bodyBoundKey struct{}

// withBodyBound makes Get read at most n bytes of a body: the asking
// probe's bound, so that a probe's Ask need not pass it on.
func withBodyBound(ctx context.Context, n int64) context.Context {
	return context.WithValue(ctx, bodyBoundKey{}, n)
}

func (c *Client) get(ctx context.Context, rawURL string, max int64) Response {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Response{At: time.Now(), Err: classify(ctx.Err())}
	}
	defer func() { <-c.sem }()

	start := time.Now()
	fail := func(e *Error) Response {
		now := time.Now()
		return Response{Latency: now.Sub(start), At: now, Err: e}
	}
	api := isAPIRequest(ctx)
	timeout := c.opts.Timeout
	if api {
		timeout = c.large.Timeout
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fail(Errorf(ClassInvalidAddress, "%v", err))
	}
	if !api && c.trusted[hostPort(u)] {
		// A node registered at the API host could otherwise share the
		// API's pooled, unguarded connections.
		return fail(Errorf(ClassForbidden, "node address is the API host"))
	}
	var f fetched
	if api {
		f, err = c.apiGet(ctx, rawURL, max)
	} else {
		fctx, cancel := context.WithTimeout(ctx, timeout)
		f, err = c.fetch(fctx, rawURL, max)
		cancel()
	}
	r := fail(nil)
	r.Status = f.status
	switch {
	case err != nil:
		r.Err = c.failed(ctx, rawURL, err, timeout)
	case int64(len(f.body)) > max:
		r.Err = Errorf(ClassTooLarge, "body larger than %d bytes", max)
	case f.status != http.StatusOK:
		r.Err = Errorf(ClassHTTPStatus, "HTTP %d", f.status)
		r.ErrBody = f.body
	default:
		r.Body = f.body
	}
	return r
}

// apiGet fetches rawURL from the API host through net/http.
func (c *Client) apiGet(ctx context.Context, rawURL string, max int64) (fetched, error) {
	req, err := http.NewRequestWithContext(c.metrics.trace(ctx, true), http.MethodGet, rawURL, nil)
	if err != nil {
		return fetched{}, Errorf(ClassInvalidAddress, "%v", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	resp, err := c.large.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is the caller's to report
		}
		return fetched{}, err
	}
	defer resp.Body.Close()
	body, err := readBody(resp, max)
	return fetched{status: resp.StatusCode, body: body}, err
}

// readBody reads resp's body, up to max+1 bytes, to EOF: that hands the
// connection back to the pool for reuse. A body of known length is read
// into one buffer of its size, rather than a growing one whose slack
// would be garbage at once, or held with the values decoded from it.
func readBody(resp *http.Response, max int64) ([]byte, error) {
	n := resp.ContentLength
	if n < 0 || n > max {
		return io.ReadAll(io.LimitReader(resp.Body, max+1))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(resp.Body, body); err != nil {
		return nil, err
	}
	var one [1]byte
	switch k, err := resp.Body.Read(one[:]); {
	case k > 0:
		return nil, errors.New("body longer than its Content-Length")
	case err != nil && err != io.EOF:
		return nil, err
	}
	return body, nil
}

// failed classifies a transport error for publication, and logs its full
// text, which may name this side's addresses and resolver, at debug level.
func (c *Client) failed(ctx context.Context, rawURL string, err error, timeout time.Duration) *Error {
	e := describe(classify(err), timeout)
	log := c.opts.Logger
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		log = l
	}
	log.Debug("probe request failed", "url", rawURL, "class", e.Class, "err", err)
	return e
}

type loggerKey struct{}

// WithLogger makes the requests made with ctx log through l rather than
// the client's logger: a round hands its own, which names the round.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// describe replaces the wording of a timeout with what happened.
func describe(e *Error, timeout time.Duration) *Error {
	if e.Class == ClassTimeout {
		e.Msg = "no complete answer within " + timeout.String()
	}
	return e
}
