package simfleet

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// HungPrefix is a path under which every node hangs, whatever its kind: a
// registry entry at a node's address followed by HungPrefix is a hung node
// sharing that node's origin (scheme, host and port). Other paths a node
// does not serve answer 404 after the fleet's latency.
const HungPrefix = "/hung/"

// Node is what a test needs to know about one simulated CRN to predict
// what a client should make of it.
type Node struct {
	Index   int
	Hash    string
	Name    string
	Address string // as in the registry: may end in "/", or be invalid for KindInvalidAddress
	Kind    Kind
	Version string
	GPU     bool // has GPUs, at least one of them compatible
	// Inactive is true when the registry has a number in inactive_since.
	Inactive bool
	Score    float64
	// IPv6Host and IPv6VM are the expected ipv6_check of a KindOK node.
	// Old nodes have one answer, so for them IPv6VM == IPv6Host.
	IPv6Host, IPv6VM bool

	// VMID is the id the legacy IPv6 route answers to: the config's
	// references.CHECK_FASTAPI_VM_ID, or DefaultVMID when absent.
	VMID string
	// Computing is false when the config has no "computing" block (then
	// clients report its fields as null).
	Computing bool
	// Confidential is the config's ENABLE_CONFIDENTIAL_COMPUTING.
	Confidential bool
	// Era names the aleph-vm release the node answers as (see EraNames);
	// "" for the fleet's ordinary nodes.
	Era string
	// Locked is the registry's "locked" as JSON text, "" when the entry
	// has no such key (see LockedSpellings); "false" outside eras fleets.
	Locked string
}

// node is a simulated CRN: its fixed answers and its live state.
type node struct {
	info        Node // fixed after Start, but for Kind (read kind)
	entry       crn  // registry entry, without address
	quirks      quirks
	old         bool
	era         *era // nil for ordinary nodes
	payloadSeed uint64

	kind    atomic.Int32
	conns   atomic.Int64
	answers atomic.Uint64 // usage answers given, for moving usage

	config, usage, ipv6 []byte // rendered at Start
	capability          []byte // rendered at Start; nil: 404
	moving              bool   // usage answers move (Options.MovingUsage)
	pad                 int    // Options.UsagePad
	// upgraded holds the answers of the version SetVersion gave; nil
	// while the node runs the one it started with.
	upgraded atomic.Pointer[versioned]
}

// versioned are the answers that follow a node's version.
type versioned struct{ config, capability []byte }

func (n *node) Kind() Kind   { return Kind(n.kind.Load()) }
func (n *node) legacy() bool { return n.old }

// nodeKey carries a connection's *node in request contexts.
type nodeKey struct{}

// serveNode answers a probe as the node the connection was made to.
func (f *Fleet) serveNode(w http.ResponseWriter, r *http.Request) {
	if !f.enter() {
		http.Error(w, "fleet closed", http.StatusServiceUnavailable)
		return
	}
	defer f.inflight.Done()
	f.stats.nodeRequests.Add(1)
	n, _ := r.Context().Value(nodeKey{}).(*node)
	if n == nil { // a loopback address that is no node's
		http.NotFound(w, r)
		return
	}
	f.heard(n.info.Index, r.URL.Path)
	if strings.HasPrefix(r.URL.Path, HungPrefix) {
		f.hang(r)
	}
	if !f.wait(r.Context(), f.delay()) {
		panic(http.ErrAbortHandler) // never answer after Close
	}
	switch n.Kind() {
	case KindFailing:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("<html><head><title>500 Internal Server Error</title></head>" +
			"<body><h1>500 Internal Server Error</h1></body></html>\n"))
		return
	case KindHung:
		f.hang(r)
	case KindInvalidJSON:
		writeJSON(w, http.StatusOK, []byte(`{"version": "1.9`))
		return
	}
	f.nodeMux.ServeHTTP(w, r)
}

// hang waits for the request's end or the fleet's, then drops the
// connection: a hung node never answers, even when the fleet closes.
func (f *Fleet) hang(r *http.Request) {
	if h := f.hungHook.Load(); h != nil {
		(*h)()
	}
	select {
	case <-r.Context().Done():
	case <-f.done:
	}
	panic(http.ErrAbortHandler)
}

// nodeRoutes are the routes of a healthy node; the handlers find the node
// in the request context.
func nodeRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	answer := func(body func(*node) []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			n := r.Context().Value(nodeKey{}).(*node)
			if b := body(n); b != nil {
				writeJSON(w, http.StatusOK, b)
				return
			}
			notFound(w)
		}
	}
	mux.Handle("GET /status/config", answer(func(n *node) []byte {
		if v := n.upgraded.Load(); v != nil {
			return v.config
		}
		return n.config
	}))
	mux.HandleFunc("GET /about/capability", func(w http.ResponseWriter, r *http.Request) {
		n := r.Context().Value(nodeKey{}).(*node)
		body := n.capability
		if v := n.upgraded.Load(); v != nil {
			body = v.capability
		}
		switch {
		case body == nil:
			notFound(w)
		case n.era != nil && n.era.capabilityFails:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write(body)
		default:
			writeJSON(w, http.StatusOK, body)
		}
	})
	mux.Handle("GET /about/usage/system", answer(func(n *node) []byte {
		if n.moving {
			return usageJSON(n, n.answers.Add(1))
		}
		return n.usage
	}))
	mux.Handle("GET /status/check/ipv6", answer(func(n *node) []byte {
		if n.legacy() {
			return nil
		}
		return n.ipv6
	}))
	mux.HandleFunc("GET /vm/{id}/ip/6", func(w http.ResponseWriter, r *http.Request) {
		n := r.Context().Value(nodeKey{}).(*node)
		if !n.legacy() || r.PathValue("id") != n.info.VMID {
			notFound(w)
			return
		}
		if n.era != nil && n.era.diag503 {
			writeJSON(w, http.StatusServiceUnavailable, []byte(diagnostic503))
			return
		}
		writeJSON(w, http.StatusOK, n.ipv6)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { notFound(w) })
	return mux
}

// delay is Latency plus a uniform draw in 0..Jitter; each request draws
// from its own point of a seeded sequence, so no lock is shared.
func (f *Fleet) delay() time.Duration {
	d := f.opts.Latency
	if j := f.opts.Jitter; j > 0 {
		x := splitmix64(uint64(f.opts.Seed) ^ f.jitterSeq.Add(1)*0x9e3779b97f4a7c15)
		d += time.Duration(x % uint64(j+1))
	}
	return d
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// wait waits d, and reports false if the client went away or the fleet
// closed first.
func (f *Fleet) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-f.done:
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, []byte(`{"detail":"Not Found"}`))
}
