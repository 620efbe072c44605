package simfleet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is a node's behaviour.
type Kind int32

const (
	KindOK             Kind = iota // answers every probe correctly
	KindFailing                    // HTTP 500 with an HTML body on every probe
	KindHung                       // never answers, until the client leaves or the fleet closes
	KindInvalidJSON                // HTTP 200 with a body that is not JSON
	KindInvalidAddress             // registered with an address that cannot be probed
)

func (k Kind) String() string {
	switch k {
	case KindOK:
		return "ok"
	case KindFailing:
		return "failing"
	case KindHung:
		return "hung"
	case KindInvalidJSON:
		return "invalid-json"
	case KindInvalidAddress:
		return "invalid-address"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Options shape a fleet. Shares are fractions of Nodes; the fault kinds
// are exclusive, the traits independent.
type Options struct {
	Nodes                                      int
	Seed                                       int64
	Latency, Jitter                            time.Duration
	Failing, Hung, InvalidJSON, InvalidAddress float64
	OldVersion, GPU, Inactive                  float64
	Host                                       string // listen host, default 127.0.0.1
	// SharedListener serves every node from one listener on 0.0.0.0,
	// each node on its own 127.x.y.z address, for fleets larger than
	// the open-file limit allows one listener per node.
	SharedListener bool
}

// Node describes one simulated node and what a correct client reports.
type Node struct {
	Index            int
	Hash, Name       string
	Address          string
	Kind             Kind
	Version          string
	GPU, Inactive    bool
	Score            float64
	IPv6Host, IPv6VM bool
}

// Stats are the fleet's counters.
type Stats struct {
	NodeConnections     int64 `json:"node_connections"`
	NodeRequests        int64 `json:"node_requests"`
	APIConnections      int64 `json:"api_connections"`
	APIRequests         int64 `json:"api_requests"`
	OpenNodeConnections int64 `json:"open_node_connections"`
}

// Fleet is a running simulated fleet.
type Fleet struct {
	opts  Options
	nodes []*node
	byIP  map[[4]byte]int // shared-listener mode: local address → node

	apiURL       string
	registry     []byte
	settings     []byte
	registryDown atomic.Bool

	apiSrv, nodeSrv *http.Server
	closing         chan struct{}
	closeOnce       sync.Once
	wg              sync.WaitGroup

	nodeConns, nodeReqs, openConns, apiConns, apiReqs atomic.Int64
}

// node is one node's live state and prebuilt answers.
type node struct {
	Node
	kind   atomic.Int32
	conns  atomic.Int64
	config []byte
	usage  []byte
	ipv6   []byte
	legacy string // the legacy IPv6 path this node answers, "" for new nodes
	old    bool   // version <= 1.8.1
}

// Start listens and serves a new fleet until Close.
func Start(ctx context.Context, o Options) (*Fleet, error) {
	if o.Nodes <= 0 {
		o.Nodes = 100
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	for _, s := range []float64{o.Failing, o.Hung, o.InvalidJSON, o.InvalidAddress, o.OldVersion, o.GPU, o.Inactive} {
		if s < 0 || s > 1 {
			return nil, fmt.Errorf("simfleet: share %v out of [0,1]", s)
		}
	}
	if o.Failing+o.Hung+o.InvalidJSON+o.InvalidAddress > 1 {
		return nil, errors.New("simfleet: fault shares add up to more than 1")
	}
	if o.SharedListener && o.Nodes > 254*256*10 {
		return nil, errors.New("simfleet: too many nodes for the loopback range")
	}
	f := &Fleet{opts: o, closing: make(chan struct{})}
	f.assign()

	nodeLns, err := f.listenNodes()
	if err != nil {
		return nil, err
	}
	apiLn, err := net.Listen("tcp", net.JoinHostPort(o.Host, "0"))
	if err != nil {
		closeAll(nodeLns)
		return nil, fmt.Errorf("simfleet: listen api: %w", err)
	}
	f.apiURL = "http://" + apiLn.Addr().String()
	f.buildPayloads()

	f.nodeSrv = &http.Server{
		Handler:           http.HandlerFunc(f.serveNode),
		ConnContext:       connContext,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       10 * time.Minute,
		ConnState:         f.trackOpen,
	}
	f.apiSrv = &http.Server{Handler: http.HandlerFunc(f.serveAPI), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 10 * time.Minute}
	for _, ln := range nodeLns {
		f.serve(f.nodeSrv, ln)
	}
	f.serve(f.apiSrv, &countingListener{Listener: apiLn, accepted: func(net.Conn) (net.Conn, bool) {
		f.apiConns.Add(1)
		return nil, true
	}})
	return f, nil
}

func (f *Fleet) serve(srv *http.Server, ln net.Listener) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		_ = srv.Serve(ln)
	}()
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// APIURL is the base URL of the API host, without a trailing slash.
func (f *Fleet) APIURL() string { return f.apiURL }

// Nodes returns the fleet's nodes in registry order, with their kinds now.
func (f *Fleet) Nodes() []Node {
	out := make([]Node, len(f.nodes))
	for i, n := range f.nodes {
		out[i] = n.Node
		out[i].Kind = Kind(n.kind.Load())
	}
	return out
}

// Stats returns the counters.
func (f *Fleet) Stats() Stats {
	return Stats{
		NodeConnections: f.nodeConns.Load(), NodeRequests: f.nodeReqs.Load(),
		APIConnections: f.apiConns.Load(), APIRequests: f.apiReqs.Load(),
		OpenNodeConnections: f.openConns.Load(),
	}
}

// NodeConnections returns the connections node index accepted.
func (f *Fleet) NodeConnections(index int) int64 { return f.nodes[index].conns.Load() }

// SetKind changes a node's behaviour. An invalid address is fixed in the
// registry, so KindInvalidAddress cannot be set nor left at run time.
func (f *Fleet) SetKind(index int, k Kind) {
	n := f.nodes[index]
	if k == KindInvalidAddress || Kind(n.kind.Load()) == KindInvalidAddress {
		return
	}
	n.kind.Store(int32(k))
}

// SetRegistryDown makes the API host answer 503 for the registry.
func (f *Fleet) SetRegistryDown(down bool) { f.registryDown.Store(down) }

// Close stops the fleet: hung handlers return, listeners and connections
// close, and every goroutine has ended when it returns. It is idempotent.
func (f *Fleet) Close() error {
	f.closeOnce.Do(func() {
		close(f.closing)
		f.apiSrv.Close()
		f.nodeSrv.Close()
		f.wg.Wait()
	})
	return nil
}

// wait sleeps for the configured latency, unless the request or the fleet ends.
func (f *Fleet) wait(ctx context.Context) bool {
	d := f.opts.Latency
	if f.opts.Jitter > 0 {
		d += rand.N(f.opts.Jitter)
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-f.closing:
	}
	return false
}
