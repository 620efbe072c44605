package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// countingGatherer counts the gathers of the registry it wraps.
type countingGatherer struct {
	g prometheus.Gatherer
	n atomic.Int64
}

func (c *countingGatherer) Gather() ([]*dto.MetricFamily, error) {
	c.n.Add(1)
	return c.g.Gather()
}

// Scrapes within a second share one gather per variant (format and
// encoding); whatever spelling of Accept-Encoding a client sends, it
// finds one of two variants; after the second, the next scrape gathers
// again.
func TestMetricsCachedForASecond(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := &countingGatherer{g: reg}
	s, err := New(Options{Refresher: &fakeRefresher{}, Registerer: reg, Gatherer: g})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	cache := s.scrapes
	if cache == nil {
		t.Fatal("/metrics is not served through its cache")
	}
	cache.now = func() time.Time { return now }

	get := func(method, encoding string) *http.Response {
		req := httptest.NewRequest(method, "/metrics", nil)
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w.Result()
	}
	body := func(r *http.Response) []byte {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("gzipped body: %v", err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatalf("gzipped body: %v", err)
			}
		}
		return b
	}

	first := body(get("GET", ""))
	if g.n.Load() != 1 || !bytes.Contains(first, []byte("nodelist_ready")) {
		t.Fatalf("first scrape: %d gathers, body %.80q", g.n.Load(), first)
	}
	for range 50 {
		if b := body(get("GET", "")); !bytes.Equal(b, first) {
			t.Fatalf("a scrape within the second differs from the first")
		}
	}
	if r := get("HEAD", ""); r.StatusCode != 200 || r.ContentLength != int64(len(first)) {
		t.Errorf("HEAD: %d, length %d, want 200 and %d", r.StatusCode, r.ContentLength, len(first))
	}
	if n := g.n.Load(); n != 1 {
		t.Errorf("51 plain scrapes and a HEAD within the second gathered %d times, want 1", n)
	}
	var gzipped []byte // the gzip variant's exposition, gathered after the plain one's
	for _, enc := range []string{"gzip", "GZIP", "x-gzip", "gzip;q=0.5, identity", "br, gzip", "*", "deflate, *;q=0.3"} {
		r := get("GET", enc)
		if r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want gzip", enc, r.Header.Get("Content-Encoding"))
		}
		b := body(r)
		if gzipped == nil {
			gzipped = b
		}
		if !bytes.Equal(b, gzipped) {
			t.Errorf("Accept-Encoding %q: another exposition than the first gzipped one", enc)
		}
	}
	for _, enc := range []string{"identity", "gzip;q=0", "br", "*;q=0", "gzip;q=bad"} {
		if r := get("GET", enc); r.Header.Get("Content-Encoding") != "" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want none", enc, r.Header.Get("Content-Encoding"))
		}
	}
	if n := g.n.Load(); n != 2 {
		t.Errorf("plain and gzipped scrapes within the second gathered %d times, want 2", n)
	}
	if len(cache.entries) > maxMetricsVariants {
		t.Errorf("%d variants kept, bound %d", len(cache.entries), maxMetricsVariants)
	}

	now = now.Add(999 * time.Millisecond)
	get("GET", "")
	if n := g.n.Load(); n != 2 {
		t.Errorf("a scrape 999 ms after the first gathered again (%d gathers)", n)
	}
	now = now.Add(time.Millisecond)
	later := body(get("GET", ""))
	if n := g.n.Load(); n != 3 {
		t.Errorf("a scrape a second after the first: %d gathers, want 3", n)
	}
	if bytes.Equal(later, first) {
		t.Error("the exposition a second later still shows the first one's counts")
	}
}
