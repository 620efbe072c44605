package simfleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Stats are the fleet's counters since Start.
type Stats struct {
	NodeConnections     int64 `json:"node_connections"` // TCP connections accepted by node listeners, total
	NodeRequests        int64 `json:"node_requests"`
	APIConnections      int64 `json:"api_connections"`
	APIRequests         int64 `json:"api_requests"`
	OpenNodeConnections int64 `json:"open_node_connections"`
}

// Fleet is a running simulated fleet. Its methods are safe for concurrent
// use.
type Fleet struct {
	opts     Options
	nodes    []*node
	byAddr   map[netip.Addr]*node // shared mode: node of each loopback address
	registry []byte
	apiURL   string
	nodeMux  http.Handler
	nodeSrv  *http.Server
	apiSrv   *http.Server
	ca       *testCA // nil unless Options.TLS

	registryDown atomic.Bool
	hungHook     atomic.Pointer[func()] // called as a hung handler starts waiting; for tests
	requestHook  atomic.Pointer[RequestHook]
	jitterSeq    atomic.Uint64
	stats        struct {
		nodeConns, nodeRequests, apiConns, apiRequests, openNodeConns atomic.Int64
	}

	connMu sync.Mutex
	conns  map[*nodeConn]struct{}

	// gate orders handler entry against Close: once closed is set no
	// handler enters, so inflight.Wait cannot race an Add.
	gate     sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
	serving  sync.WaitGroup
	done     chan struct{} // closed by Close: releases hung and delayed handlers

	closeOnce sync.Once
	closeErr  error
}

// Start binds the API host and the nodes and serves them until Close. ctx
// bounds the start only; the fleet runs until Close, which the caller must
// call.
func Start(ctx context.Context, opts Options) (*Fleet, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("simfleet: %w", err)
	}
	nodes, ccns := plan(o)
	f := &Fleet{
		opts:    o,
		nodes:   nodes,
		nodeMux: nodeRoutes(),
		conns:   make(map[*nodeConn]struct{}),
		done:    make(chan struct{}),
	}
	scheme := "http://"
	if o.TLS {
		if f.ca, err = newTestCA(); err != nil {
			return nil, fmt.Errorf("simfleet: %w", err)
		}
		scheme = "https://"
	}
	for _, n := range nodes {
		n.pad = o.UsagePad
		n.config, n.usage, n.ipv6 = configJSON(n), usageJSON(n, 0), ipv6JSON(n)
		if n.era != nil {
			n.config, n.usage = eraConfigJSON(n), eraUsageJSON(n)
		}
		if n.era != nil {
			n.capability = eraCapabilityJSON(n)
		} else {
			n.capability = capabilityJSON(n)
		}
		n.moving = o.MovingUsage && n.era == nil
	}
	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	var lc net.ListenConfig
	apiLn, err := lc.Listen(ctx, "tcp", o.APIListen)
	if err != nil {
		return nil, fmt.Errorf("simfleet: listen for the API host: %w", err)
	}
	listeners = append(listeners, apiLn)
	f.apiURL = "http://" + apiLn.Addr().String()
	if o.SharedListener {
		l, err := f.listenShared(ctx, &lc, scheme)
		if err != nil {
			closeAll()
			return nil, err
		}
		listeners = append(listeners, l)
	} else {
		for _, n := range nodes {
			if n.info.Kind == KindInvalidAddress {
				continue
			}
			l, err := lc.Listen(ctx, "tcp", net.JoinHostPort(o.Host, "0"))
			if err != nil {
				closeAll()
				return nil, fmt.Errorf("simfleet: listen for node %d: %w", n.info.Index, err)
			}
			listeners = append(listeners, &nodeListener{Listener: l, f: f, node: n})
			n.info.Address = scheme + l.Addr().String()
		}
	}
	for _, n := range nodes {
		if n.info.Kind != KindInvalidAddress && n.info.Index%8 == 5 {
			n.info.Address += "/" // clients must strip it
		}
	}
	if f.registry, err = registryJSON(ccns, nodes); err != nil {
		closeAll()
		return nil, fmt.Errorf("simfleet: %w", err)
	}

	// Plain nodes speak HTTP/1.1 only: the service speaks HTTP/1.1 to
	// plain-HTTP nodes, so unencrypted HTTP/2 would only add surface.
	// With TLS, ServeTLS offers h2 and http/1.1, as real nodes' proxies do.
	f.nodeSrv = &http.Server{
		Handler:           http.HandlerFunc(f.serveNode),
		ConnContext:       connContext,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Minute, // never close idle conns under a test
		ErrorLog:          quietLog(),
	}
	f.apiSrv = &http.Server{
		Handler:           f.apiRoutes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Minute,
		ErrorLog:          quietLog(),
	}
	f.serving.Go(func() { f.apiSrv.Serve(&apiListener{Listener: apiLn, f: f}) })
	if f.ca != nil {
		f.nodeSrv.TLSConfig = f.ca.serverConfig()
	}
	for _, l := range listeners[1:] {
		if f.ca != nil {
			f.serving.Go(func() { f.nodeSrv.ServeTLS(l, "", "") })
			continue
		}
		f.serving.Go(func() { f.nodeSrv.Serve(l) })
	}
	return f, nil
}

// listenShared binds the one listener of shared mode and gives each node
// its loopback address on it.
func (f *Fleet) listenShared(ctx context.Context, lc *net.ListenConfig, scheme string) (net.Listener, error) {
	l, err := lc.Listen(ctx, "tcp4", "0.0.0.0:0")
	if err != nil {
		return nil, fmt.Errorf("simfleet: listen for nodes: %w", err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	f.byAddr = make(map[netip.Addr]*node, len(f.nodes))
	for _, n := range f.nodes {
		if n.info.Kind == KindInvalidAddress {
			continue
		}
		a, err := sharedAddr(n.info.Index)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("simfleet: %w", err)
		}
		f.byAddr[a] = n
		n.info.Address = scheme + net.JoinHostPort(a.String(), port)
	}
	return &nodeListener{Listener: l, f: f}, nil
}

// APIURL is the API host's base URL, without a trailing slash.
func (f *Fleet) APIURL() string { return f.apiURL }

// Nodes returns the nodes in registry order, with their current kinds.
func (f *Fleet) Nodes() []Node {
	out := make([]Node, len(f.nodes))
	for i, n := range f.nodes {
		out[i] = n.info
		out[i].Kind = n.Kind()
	}
	return out
}

// Stats returns the counters.
func (f *Fleet) Stats() Stats {
	return Stats{
		NodeConnections:     f.stats.nodeConns.Load(),
		NodeRequests:        f.stats.nodeRequests.Load(),
		APIConnections:      f.stats.apiConns.Load(),
		APIRequests:         f.stats.apiRequests.Load(),
		OpenNodeConnections: f.stats.openNodeConns.Load(),
	}
}

// NodeConnections is the number of TCP connections node index accepted;
// 0 for an index out of range.
func (f *Fleet) NodeConnections(index int) int64 {
	if index < 0 || index >= len(f.nodes) {
		return 0
	}
	return f.nodes[index].conns.Load()
}

// SetKind changes how node index behaves from its next request on.
// Addresses are fixed at Start, so a change to or from KindInvalidAddress,
// or an index out of range, is ignored.
func (f *Fleet) SetKind(index int, k Kind) {
	if index < 0 || index >= len(f.nodes) || k < KindOK || k >= KindInvalidAddress {
		return
	}
	n := f.nodes[index]
	if n.info.Kind == KindInvalidAddress {
		return
	}
	n.kind.Store(int32(k))
}

// SetVersion makes node index answer as version from its next request
// on: its config's version, and /about/capability or a 404 as that
// version has it (1.6 on). Its IPv6 route stays the one it started with.
// Era nodes and an index out of range are ignored. Do not call it
// concurrently with Nodes.
func (f *Fleet) SetVersion(index int, version string) {
	if index < 0 || index >= len(f.nodes) || f.nodes[index].era != nil {
		return
	}
	n := f.nodes[index]
	n.info.Version = version
	n.upgraded.Store(&versioned{config: configJSON(n), capability: capabilityJSON(n)})
}

// SetRegistryDown makes the API host answer 503 for the registry aggregate
// while down is true.
func (f *Fleet) SetRegistryDown(down bool) { f.registryDown.Store(down) }

// enter admits a handler, unless the fleet is closing; the caller must
// call f.inflight.Done when admitted.
func (f *Fleet) enter() bool {
	f.gate.RLock()
	defer f.gate.RUnlock()
	if f.closed {
		return false
	}
	f.inflight.Add(1)
	return true
}

// Close releases hung handlers, closes listeners and connections and
// waits for the fleet's goroutines and handlers to finish. It is safe to
// call more than once.
func (f *Fleet) Close() error {
	f.closeOnce.Do(func() {
		f.gate.Lock()
		f.closed = true
		f.gate.Unlock()
		errNodes := f.nodeSrv.Close()
		errAPI := f.apiSrv.Close()
		close(f.done)
		f.serving.Wait()
		f.closeConns() // any the server did not track, e.g. accepted during Close
		f.inflight.Wait()
		f.closeErr = errors.Join(errNodes, errAPI)
	})
	return f.closeErr
}
