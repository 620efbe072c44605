package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// pool keeps the node probes' connections: per node, a few slots that
// requests take turns on (HTTP/1.1, one request per connection at a time)
// and a stack of idle connections. An idle connection is a socket and,
// for HTTPS, its TLS state: no goroutine and no buffer, which is what
// makes it a fraction of net/http's (two goroutines and their buffers per
// pooled connection). The buffers of a request in flight come from
// sync.Pools, and fasthttp writes requests and parses responses on them.
//
// One goroutine, the sweeper, closes connections idle past idleTimeout; it
// runs only while some connection is idle, and CloseIdleConnections stops
// it and waits for it. fasthttp's own Client and HostClient are not used
// for the pool: each HostClient with a pooled connection runs a cleaner
// goroutine that sleeps up to the idle timeout and cannot be stopped,
// and the Client another one, so they would outlive Close.
type pool struct {
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	tls         *tls.Config
	idleTimeout time.Duration
	maxIdle     int // all hosts together
	maxIdleHost int
	perHost     int // connections busy at once per host
	headerMax   int // the largest read buffer, which bounds the response headers

	readers, writers sync.Pool

	mu    sync.Mutex
	hosts map[hostKey]*hostPool
	idle  int // idle connections, all hosts together
	sweep *sweeper
}

type hostKey struct {
	tls  bool
	addr string // host:port, lower case
}

type hostPool struct {
	slots chan struct{}
	idle  []idleConn // oldest first
	users int        // requests holding or waiting for a slot
}

type idleConn struct {
	c  net.Conn
	at time.Time
}

type sweeper struct {
	stop, done chan struct{}
}

func newPool(dial func(ctx context.Context, network, addr string) (net.Conn, error), tlsConf *tls.Config, o Options) *pool {
	return &pool{
		dial: dial, tls: tlsConf, idleTimeout: o.IdleConnTimeout,
		maxIdle: o.MaxIdleConns, maxIdleHost: o.MaxIdleConnsPerHost, perHost: o.MaxConnsPerHost,
		headerMax: maxHeaderBytes, hosts: map[hostKey]*hostPool{},
	}
}

// host returns k's pool, counting the caller as one of its users until it
// calls leave; a host with no user and no idle connection is dropped.
func (p *pool) host(k hostKey) *hostPool {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hosts[k]
	if h == nil {
		h = &hostPool{slots: make(chan struct{}, p.perHost)}
		p.hosts[k] = h
	}
	h.users++
	return h
}

func (p *pool) leave(k hostKey, h *hostPool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	h.users--
	if h.users == 0 && len(h.idle) == 0 {
		delete(p.hosts, k)
	}
}

// acquire waits for one of h's slots: probes of one node take turns on
// its connections. The wait ends with ctx, whose deadline is the
// request's.
func (h *hostPool) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hostPool) release() { <-h.slots }

// take returns h's most recently used idle connection that has not
// outlived the idle timeout, or nil; older ones are closed.
func (p *pool) take(h *hostPool) net.Conn {
	p.mu.Lock()
	var stale []net.Conn
	var c net.Conn
	for len(h.idle) > 0 && c == nil {
		ic := h.idle[len(h.idle)-1]
		h.idle[len(h.idle)-1] = idleConn{}
		h.idle = h.idle[:len(h.idle)-1]
		p.idle--
		if time.Since(ic.at) < p.idleTimeout {
			c = ic.c
		} else {
			stale = append(stale, ic.c)
		}
	}
	p.mu.Unlock()
	for _, s := range stale {
		_ = s.Close()
	}
	return c
}

// put keeps c as idle, unless the pool is full; it starts the sweeper if
// it is not running.
func (p *pool) put(h *hostPool, c net.Conn) {
	p.mu.Lock()
	if len(h.idle) >= p.maxIdleHost || p.idle >= p.maxIdle {
		p.mu.Unlock()
		_ = c.Close()
		return
	}
	h.idle = append(h.idle, idleConn{c: c, at: time.Now()})
	p.idle++
	if p.sweep == nil {
		s := &sweeper{stop: make(chan struct{}), done: make(chan struct{})}
		p.sweep = s
		go p.sweepIdle(s)
	}
	p.mu.Unlock()
}

// sweepIdle closes connections idle past the timeout, every half of it,
// until the pool has none idle or it is stopped.
func (p *pool) sweepIdle(s *sweeper) {
	defer close(s.done)
	t := time.NewTicker(max(p.idleTimeout/2, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		if !p.closeIdle(time.Now().Add(-p.idleTimeout), s) {
			return
		}
	}
}

// closeIdle closes the idle connections last used before cutoff (all of
// them for a zero cutoff) and reports whether any is left idle; when none
// is, and s is the running sweeper, it ends (the next put starts another).
func (p *pool) closeIdle(cutoff time.Time, s *sweeper) bool {
	var old []net.Conn
	p.mu.Lock()
	for k, h := range p.hosts {
		n := 0
		for n < len(h.idle) && (cutoff.IsZero() || h.idle[n].at.Before(cutoff)) {
			old = append(old, h.idle[n].c)
			n++
		}
		h.idle = append(h.idle[:0], h.idle[n:]...)
		clear(h.idle[len(h.idle):cap(h.idle)])
		p.idle -= n
		if h.users == 0 && len(h.idle) == 0 {
			delete(p.hosts, k)
		}
	}
	left := p.idle > 0
	if !left && p.sweep == s && s != nil {
		p.sweep = nil
	}
	p.mu.Unlock()
	for _, c := range old {
		_ = c.Close()
	}
	return left
}

// CloseIdleConnections closes every idle connection and stops the
// sweeper, waiting for it: once it returns, the pool runs no goroutine.
func (p *pool) CloseIdleConnections() {
	p.mu.Lock()
	s := p.sweep
	p.sweep = nil
	p.mu.Unlock()
	if s != nil {
		close(s.stop)
		<-s.done
	}
	p.closeIdle(time.Time{}, nil)
}

// connect dials k, with the TLS handshake for an HTTPS node: the roots,
// minimum version and session cache are the pool's, the server name the
// node's host.
func (p *pool) connect(ctx context.Context, k hostKey, serverName string) (net.Conn, error) {
	c, err := p.dial(ctx, "tcp", k.addr)
	if err != nil {
		return nil, err
	}
	if !k.tls {
		return c, nil
	}
	cfg := p.tls.Clone()
	cfg.ServerName = serverName
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	return tc, nil
}

// Read buffers. A node's headers fit in a few hundred bytes, and every
// request in flight holds a buffer (thousands at once at 10 000 nodes), so
// a request starts with a small one; headers that do not fit in it are
// read again through a buffer of maxHeaderBytes, the bound (see
// roundTrip). The body is read past the buffer, into the response's own.
const (
	readBufferBytes = 4 << 10
	maxHeaderBytes  = 64 << 10
)

func (p *pool) reader(c net.Conn) *bufio.Reader {
	if br, ok := p.readers.Get().(*bufio.Reader); ok {
		br.Reset(c)
		return br
	}
	return bufio.NewReaderSize(c, min(readBufferBytes, p.headerMax))
}

func (p *pool) writer(c net.Conn) *bufio.Writer {
	if bw, ok := p.writers.Get().(*bufio.Writer); ok {
		bw.Reset(c)
		return bw
	}
	// Requests are a line and a few headers.
	return bufio.NewWriterSize(c, 512)
}

func (p *pool) putReader(br *bufio.Reader) { br.Reset(nil); p.readers.Put(br) }
func (p *pool) putWriter(bw *bufio.Writer) { bw.Reset(nil); p.writers.Put(bw) }
