package simfleet

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// nodeListener counts the connections it accepts and tags each with the
// node it was made to: the listener's own node, or in shared mode the node
// owning the connection's local address.
type nodeListener struct {
	net.Listener
	f    *Fleet
	node *node // nil in shared mode
}

func (l *nodeListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		n := l.node
		if n == nil {
			addr := localAddr(c)
			if !addr.Is4() || addr.As4()[0] != 127 {
				// The shared listener is on 0.0.0.0: refuse anything
				// that did not come through loopback.
				c.Close()
				continue
			}
			n = l.f.byAddr[addr] // nil for a loopback address no node owns
		}
		return l.f.track(c, n), nil
	}
}

func localAddr(c net.Conn) netip.Addr {
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// nodeConn is an accepted node connection; closing it updates the open
// count once.
type nodeConn struct {
	net.Conn
	f      *Fleet
	node   *node
	closed sync.Once
}

func (c *nodeConn) Close() error {
	err := c.Conn.Close()
	c.closed.Do(func() { c.f.forget(c) })
	return err
}

// track counts a new connection to n (nil: no node) and remembers it so
// that Close can end it.
func (f *Fleet) track(c net.Conn, n *node) *nodeConn {
	nc := &nodeConn{Conn: c, f: f, node: n}
	f.stats.nodeConns.Add(1)
	f.stats.openNodeConns.Add(1)
	if n != nil {
		n.conns.Add(1)
	}
	f.connMu.Lock()
	f.conns[nc] = struct{}{}
	f.connMu.Unlock()
	return nc
}

func (f *Fleet) forget(c *nodeConn) {
	f.stats.openNodeConns.Add(-1)
	f.connMu.Lock()
	delete(f.conns, c)
	f.connMu.Unlock()
}

// closeConns ends every node connection still open.
func (f *Fleet) closeConns() {
	f.connMu.Lock()
	open := make([]*nodeConn, 0, len(f.conns))
	for c := range f.conns {
		open = append(open, c)
	}
	f.connMu.Unlock()
	for _, c := range open {
		c.Close()
	}
}

// connContext puts the connection's node in every request context.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if nc, ok := c.(*nodeConn); ok && nc.node != nil {
		return context.WithValue(ctx, nodeKey{}, nc.node)
	}
	return ctx
}

// apiListener counts the API host's connections.
type apiListener struct {
	net.Listener
	f *Fleet
}

func (l *apiListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.f.stats.apiConns.Add(1)
	}
	return c, err
}

// sharedAddr is node i's loopback address in shared mode: 127.20.0.1,
// 127.20.0.2, …, 127.20.0.254, 127.20.1.1, … (never .0 nor .255).
func sharedAddr(i int) (netip.Addr, error) {
	hi := 20*256 + i/254
	if hi > 0xffff {
		return netip.Addr{}, fmt.Errorf("node %d: no loopback address left", i)
	}
	return netip.AddrFrom4([4]byte{127, byte(hi >> 8), byte(hi), byte(i%254 + 1)}), nil
}
