package hostile

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"nodelist/internal/probe"
)

// Node is one registry entry of the fleet and what a round must make of it.
type Node struct {
	Name    string
	Address string
	// Want is the error class the config probe must end with ("" for a
	// node that answers well); WantUsage and WantIPv6 are the usage and
	// IPv6 probes', checked when set.
	Want, WantUsage, WantIPv6 string
	Good                      bool // its config and usage must be served as sent
	// Noted is the class of a config that is usable but has fields of
	// the wrong type: the probe succeeds and crns.json names the problem.
	Noted string
}

// Hash is the registry hash of the node.
func (n Node) Hash() string { return "hostile-" + n.Name }

// Fleet is the running corpus: the Aleph API (the only trusted host), one
// plain HTTP listener per behaviour (each node under its own path), one
// TLS listener with a certificate nobody trusts, and a canary listener
// that must never be connected to.
//
// With the guard on, only the exact ip:port of the node listeners is
// allowed (AllowAddrPorts). The canary listens on the same loopback IP but
// another port, so every route to it (a redirect, the name localhost, an
// address naming it) proves that the guard judges the resolved
// destination of each connection, not a host name nor the first URL.
type Fleet struct {
	APIURL string // registry and settings aggregates
	Nodes  []Node

	api, main, tls, canary *httptest.Server
	canary6                *httptest.Server   // on [::1], nil where there is no ::1
	redirects              map[string]string  // redirect behaviour → target base URL
	listeners              []*httptest.Server // one per node, main and tls included
	canaryConns            atomic.Int64
	done                   chan struct{}
	closeOnce              sync.Once
	hijacked               sync.WaitGroup
	bomb                   []byte
	oversizedOnce          sync.Once
	oversizedBodies        map[string][]byte // built at first use: see oversized

	// Faults switched on by tests of degradation.
	apiDown, settingsBad, nodesDown atomic.Bool
	registered                      atomic.Pointer[[]Node]
}

// SetAPIDown makes the registry and settings aggregates answer 500.
func (f *Fleet) SetAPIDown(down bool) { f.apiDown.Store(down) }

// SetSettingsMalformed makes the settings aggregate unparsable.
func (f *Fleet) SetSettingsMalformed(bad bool) { f.settingsBad.Store(bad) }

// SetNodesDown makes every node answer 503.
func (f *Fleet) SetNodesDown(down bool) { f.nodesDown.Store(down) }

// Register sets the nodes the registry lists (all of Nodes by default).
func (f *Fleet) Register(nodes []Node) { f.registered.Store(&nodes) }

// GoodNodes are the well-behaved nodes of the fleet.
func (f *Fleet) GoodNodes() []Node {
	var out []Node
	for _, n := range f.Nodes {
		if n.Good {
			out = append(out, n)
		}
	}
	return out
}

// Start starts the fleet's listeners. Close stops them.
func Start() *Fleet {
	f := &Fleet{done: make(chan struct{}), bomb: gzipBomb(16 << 20)}
	f.canary = f.startCanary(nil)
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		f.canary6 = f.startCanary(ln)
	}
	f.api = httptest.NewServer(http.HandlerFunc(f.aggregate))
	f.main = httptest.NewServer(http.HandlerFunc(f.serve))
	f.tls = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.tls.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	f.tls.StartTLS()
	f.listeners = append(f.listeners, f.main, f.tls)
	f.APIURL = f.api.URL
	f.Nodes = f.nodes()
	f.Register(f.Nodes)
	return f
}

// Close stops every listener and every behaviour still running.
func (f *Fleet) Close() {
	f.closeOnce.Do(func() {
		close(f.done)
		f.hijacked.Wait()
		f.api.Close()
		for _, l := range f.listeners {
			l.Close()
		}
		f.canary.Close()
		if f.canary6 != nil {
			f.canary6.Close()
		}
	})
}

// startCanary starts a canary on ln (a loopback IPv4 port when nil)
// counting into CanaryConns.
func (f *Fleet) startCanary(ln net.Listener) *httptest.Server {
	c := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"canary":true}`))
	}))
	if ln != nil {
		c.Listener.Close()
		c.Listener = ln
	}
	c.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.canaryConns.Add(1)
		}
	}
	c.Start()
	return c
}

// CanaryConns is how many connections the canaries (on 127.0.0.1 and,
// where there is one, on ::1) have accepted.
func (f *Fleet) CanaryConns() int64 { return f.canaryConns.Load() }

// CanaryURL is the canary's base URL.
func (f *Fleet) CanaryURL() string { return f.canary.URL }

// AllowAddrPorts are the node listeners, for probe.Guard.AllowAddrPorts.
func (f *Fleet) AllowAddrPorts() []netip.AddrPort {
	out := make([]netip.AddrPort, len(f.listeners))
	for i, l := range f.listeners {
		out[i] = addrPort(l)
	}
	return out
}

// Client is a prober of the fleet with the dial guard on: it reaches the
// fleet's nodes and API host, and nothing else on loopback (the canaries
// stay refused). The caller closes its idle connections.
func (f *Fleet) Client(timeout time.Duration) *probe.Client {
	return probe.NewClient(probe.Options{
		Timeout: timeout,
		Guard:   &probe.Guard{AllowAddrPorts: f.AllowAddrPorts()},
		APIURL:  f.APIURL,
	})
}

// listen starts a listener of its own for one node and returns the
// node's base URL. The prober keeps one connection per host:port, so
// nodes sharing a listener would queue behind each other's hangs.
func (f *Fleet) listen(name string) string {
	l := httptest.NewServer(http.HandlerFunc(f.serve))
	f.listeners = append(f.listeners, l)
	return l.URL + "/n/" + name
}

func addrPort(s *httptest.Server) netip.AddrPort {
	return netip.MustParseAddrPort(s.Listener.Addr().String())
}

func (f *Fleet) nodes() []Node {
	canaryPort := addrPort(f.canary).Port()
	// Only loopback addresses: the metadata and RFC 1918 ranges are covered
	// by the guard's own tests (probe.TestGuard), and a test must never
	// send a packet off this machine should the guard regress.
	n := func(name, want string) Node { return Node{Name: name, Address: f.listen(name), Want: want} }
	good := func(name, addr string) Node { return Node{Name: name, Address: addr, Good: true} }
	return append([]Node{
		good("good-1", f.listen("good-1")),
		good("good-2", f.listen("good-2")+"/"),
		good("odd-path", f.listen("odd-path")+"/with%20space/and;semi"),
		good("http10-no-length", f.listen("http10-no-length")),
		good("capability-bomb", f.listen("capability-bomb")),
		n("hang", "timeout"),
		n("slow-headers", "timeout"),
		n("slow-body", "timeout"),
		n("huge-body", "too_large"),
		n("gzip-bomb", "too_large"),
		n("invalid-json", "invalid_json"),
		n("deep-json", "invalid_json"),
		{Name: "wrong-types", Address: f.listen("wrong-types"), Noted: "invalid_data"},
		{Name: "non-utf8", Address: f.listen("non-utf8"), Want: "invalid_data", WantUsage: "invalid_data"},
		{Name: "surrogate-escape", Address: f.listen("surrogate-escape"), Want: "invalid_data", WantUsage: "invalid_data", WantIPv6: "invalid_data"},
		{Name: "overlong-utf8", Address: f.listen("overlong-utf8"), WantUsage: "invalid_data"},
		{Name: "nan-usage", Address: f.listen("nan-usage"), WantUsage: "invalid_json"},
		n("infinity-config", "invalid_json"),
		{Name: "padded-usage", Address: f.listen("padded-usage"), WantUsage: "too_large"},
		{Name: "nested-usage", Address: f.listen("nested-usage"), WantUsage: "too_large"},
		{Name: "bloating-usage", Address: f.listen("bloating-usage"), WantUsage: "too_large"},
		n("long-version", "too_large"),
		n("empty-200", "invalid_json"),
		n("status-204", "http_status"),
		n("status-404-html", "http_status"),
		n("status-500-html", "http_status"),
		n("status-503-html", "http_status"),
		n("redirect-loop", "redirect"),
		n("redirect-canary", "forbidden"),
		n("redirect-canary-localhost", "forbidden"),
		n("redirect-scheme", "redirect"),
		n("redirect-credentials", "redirect"),
		n("huge-headers", "too_large"),
		n("reset-mid-body", "reset"),
		n("close-no-answer", "reset"),
		{Name: "tls-bad-cert", Address: f.tls.URL + "/n/tls-bad-cert", Want: "tls"},
		{Name: "localhost-canary", Address: fmt.Sprintf("http://localhost:%d", canaryPort), Want: "forbidden"},
		{Name: "loopback-canary", Address: f.canary.URL, Want: "forbidden"},
		{Name: "api-host", Address: f.api.URL, Want: "forbidden"},
		{Name: "credentials", Address: "http://user:secret@" + f.main.Listener.Addr().String() + "/n/good-1", Want: "invalid_address"},
		{Name: "port-zero", Address: "http://127.0.0.1:0/n/good-1", Want: "invalid_address"},
		{Name: "port-too-big", Address: "http://127.0.0.1:99999/n/good-1", Want: "invalid_address"},
		{Name: "other-scheme", Address: "ftp://" + f.main.Listener.Addr().String() + "/n/good-1", Want: "invalid_address"},
	}, f.disguised()...)
}

// serve routes /n/<behaviour>/... to a node.
func (f *Fleet) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	rest, ok := strings.CutPrefix(p, "/n/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if f.nodesDown.Load() {
		http.Error(w, html, http.StatusServiceUnavailable)
		return
	}
	name, sub, _ := strings.Cut(rest, "/")
	if name == "odd-path" {
		_, sub, _ = strings.Cut(strings.TrimPrefix(rest, "odd-path/with%20space/and;semi"), "/")
	}
	f.behave(w, r, name, "/"+sub)
}

func (f *Fleet) aggregate(w http.ResponseWriter, r *http.Request) {
	if f.apiDown.Load() {
		http.Error(w, html, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Query().Get("keys") == "settings" && f.settingsBad.Load() {
		_, _ = w.Write([]byte(`{"data":{"settings":{"compatible_gpus":"not a list"}}}`))
		return
	}
	if r.URL.Query().Get("keys") == "settings" {
		_, _ = w.Write([]byte(`{"data":{"settings":{"compatible_gpus":[{"name":"RTX 4090","model":"RTX 4090","vendor":"NVIDIA","device_id":"10de:2684"}]}}}`))
		return
	}
	type entry struct {
		Hash          string  `json:"hash"`
		Name          string  `json:"name"`
		Address       string  `json:"address"`
		Score         float64 `json:"score"`
		InactiveSince *int    `json:"inactive_since"`
	}
	nodes := *f.registered.Load()
	list := make([]entry, len(nodes))
	for i, n := range nodes {
		list[i] = entry{Hash: n.Hash(), Name: n.Name, Address: n.Address, Score: 0.9}
	}
	b, _ := json.Marshal(map[string]any{"data": map[string]any{"corechannel": map[string]any{"resource_nodes": list}}})
	_, _ = w.Write(b)
}

// gzipBomb is n zero bytes, gzipped: about a thousandth of n on the wire.
// Sixteen times the default body cap is enough to show the cap applies to
// decompressed bytes; more only slows the test.
func gzipBomb(n int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	chunk := make([]byte, 1<<20)
	for written := 0; written < n; written += len(chunk) {
		_, _ = zw.Write(chunk)
	}
	_ = zw.Close()
	return buf.Bytes()
}
