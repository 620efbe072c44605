package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"nodelist/internal/aleph"
	"nodelist/internal/snapshot"
)

// benchServer serves a compressed snapshot of n CRNs of about 1.6 KB,
// with its metrics on reg (nil: none).
func benchServer(b *testing.B, n int, reg prometheus.Registerer, g prometheus.Gatherer) *Server {
	b.Helper()
	var raws []byte
	for i := range n {
		if i > 0 {
			raws = append(raws, ',')
		}
		raws = fmt.Appendf(raws, `{"hash":"%064x","name":"node %d","address":"https://crn-%d.example.org","score":%f,"inactive_since":null,"owner":"0x%040x","description":"%0800d"}`,
			i, i, i, float64(i%97)/97, i*7919, i)
	}
	nodes, _, err := aleph.ParseRegistry([]byte(`{"data":{"corechannel":{"resource_nodes":[` + string(raws) + `]}}}`))
	if err != nil {
		b.Fatal(err)
	}
	crns := make([]snapshot.CRN, len(nodes))
	for i := range nodes {
		crns[i] = snapshot.CRN{Hash: nodes[i].Hash, Score: nodes[i].Score, JSON: snapshot.Render(nil, &snapshot.Entry{Node: &nodes[i]})}
	}
	f := &fakeRefresher{}
	f.holder.Store(snapshot.Build(time.Now(), crns))
	s, err := New(Options{Refresher: f, Registerer: reg, Gatherer: g})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// discard is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler rather than a recorder's buffer.
type discard struct {
	h http.Header
	n int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// BenchmarkCRNsHandler is one crns.json request through the whole
// handler (CORS, routing, negotiation, validators, write), in-process,
// without metrics and with them (as the service runs).
func BenchmarkCRNsHandler(b *testing.B) {
	for _, m := range []string{"", "metrics-"} {
		var reg prometheus.Registerer
		if m != "" {
			reg = prometheus.NewRegistry()
		}
		benchCRNs(b, m, benchServer(b, 1000, reg, nil))
	}
}

func benchCRNs(b *testing.B, prefix string, s *Server) {
	for _, c := range []struct{ name, accept, inm string }{
		{"identity", "", ""},
		{"gzip", "gzip", ""},
		{"browser", "gzip, deflate, br, zstd", ""},
		{"304", "gzip", gzipTag(s.opts.Refresher.Holder().Load())},
	} {
		b.Run(prefix+c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/crns.json", nil)
			if c.accept != "" {
				req.Header.Set("Accept-Encoding", c.accept)
			}
			if c.inm != "" {
				req.Header.Set("If-None-Match", c.inm)
			}
			b.ReportAllocs()
			w := &discard{h: http.Header{}}
			for b.Loop() {
				clear(w.h)
				w.n = 0
				s.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(w.n), "body-bytes")
		})
	}
}

// BenchmarkMetricsHandler is one scrape of /metrics through the whole
// handler, with the Go runtime's and the process's collectors beside the
// server's, as the service registers them: plain text, and gzip as
// Prometheus asks.
func BenchmarkMetricsHandler(b *testing.B) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := benchServer(b, 10, reg, reg)
	for _, c := range []struct{ name, accept, encoding string }{
		{"text", "", ""},
		{"prometheus", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "gzip"},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.Header.Set("Accept", c.accept)
			req.Header.Set("Accept-Encoding", c.encoding)
			b.ReportAllocs()
			w := &discard{h: http.Header{}}
			for b.Loop() {
				clear(w.h)
				w.n = 0
				s.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(w.n), "body-bytes")
		})
	}
}
