package server

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/expfmt"
)

// metricsTTL is how long one exposition of /metrics is served again. A
// scrape gathers every collector (the Go runtime's, /proc, each part's
// gauges), formats and compresses them: some fifteen times a crns.json
// request. Scrapers come every 15 s or so; anyone asking more often than
// once a second gets the same bytes, so a flood of /metrics costs about
// what a flood of crns.json does.
const metricsTTL = time.Second

// maxMetricsVariants bounds the expositions kept: one per format and
// encoding, a handful in practice.
const maxMetricsVariants = 16

// metricsCache serves the answers of next, kept for ttl per variant. A
// variant is the format the Accept header negotiates and whether the
// answer is gzipped: next is asked with the request's headers narrowed to
// these two, so that any two requests of one variant get the same bytes
// and a client cannot grow the cache by varying its headers. Expositions
// are built one at a time; a request that finds one being built waits for
// it rather than gathering again.
type metricsCache struct {
	next http.Handler
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	at      time.Time // when the entries were built; all expire together
	entries map[string]*metricsAnswer
}

type metricsAnswer struct {
	status int
	header http.Header
	body   []byte
}

func newMetricsCache(next http.Handler, ttl time.Duration) *metricsCache {
	return &metricsCache{next: next, ttl: ttl, now: time.Now, entries: map[string]*metricsAnswer{}}
}

func (c *metricsCache) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...)
	encoding := "identity"
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		encoding = "gzip"
	}
	a := c.answer(string(format)+"|"+encoding, func() *metricsAnswer {
		inner := r.Clone(r.Context())
		inner.Header = http.Header{"Accept": {string(format)}, "Accept-Encoding": {encoding}}
		rec := &recorder{header: http.Header{}}
		c.next.ServeHTTP(rec, inner)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		return &metricsAnswer{status: rec.status, header: rec.header, body: rec.body.Bytes()}
	})
	h := w.Header()
	for k, v := range a.header {
		h[k] = slices.Clone(v)
	}
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.body)
	}
}

// answer returns the variant's answer, built by build when none is fresh.
func (c *metricsCache) answer(key string, build func() *metricsAnswer) *metricsAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.at) >= c.ttl || now.Before(c.at) {
		clear(c.entries)
		c.at = now
	}
	if a, ok := c.entries[key]; ok {
		return a
	}
	a := build()
	if a.status == http.StatusOK && len(c.entries) < maxMetricsVariants {
		c.entries[key] = a
	}
	return a
}

// acceptsGzip reports whether an Accept-Encoding header accepts gzip:
// named (or as x-gzip) with a q-value above 0, or not named and "*" is.
func acceptsGzip(header string) bool {
	q, named, star := 0.0, false, 0.0
	for part := range strings.SplitSeq(header, ",") {
		coding, qv, ok := parseCoding(part)
		switch {
		case !ok:
		case coding == "gzip" || coding == "x-gzip":
			q, named = max(q, qv), true
		case coding == "*":
			star = qv
		}
	}
	if named {
		return q > 0
	}
	return star > 0
}

// recorder keeps an answer in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
