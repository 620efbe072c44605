package simfleet

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
)

// countingListener calls accepted for every new connection; accepted may
// wrap the connection, or refuse it (false) to have it closed at once.
type countingListener struct {
	net.Listener
	accepted func(net.Conn) (net.Conn, bool)
}

func (l *countingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		wrapped, ok := l.accepted(c)
		if !ok {
			c.Close()
			continue
		}
		if wrapped != nil {
			c = wrapped
		}
		return c, nil
	}
}

// nodeConn is a connection to one node.
type nodeConn struct {
	net.Conn
	index int
}

type ctxKey struct{}

func connContext(ctx context.Context, c net.Conn) context.Context {
	if nc, ok := c.(*nodeConn); ok {
		return context.WithValue(ctx, ctxKey{}, nc.index)
	}
	return ctx
}

func (f *Fleet) trackOpen(c net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		f.openConns.Add(1)
	case http.StateClosed, http.StateHijacked:
		f.openConns.Add(-1)
	}
}

// loopbackIP is node i's address in shared-listener mode: 127.20.0.1,
// 127.20.0.2, … skipping .0 and .255 in the last octet.
func loopbackIP(i int) [4]byte {
	a, b := i/254, i%254+1
	return [4]byte{127, byte(20 + a/256), byte(a % 256), byte(b)}
}

// listenNodes opens one listener per node, or one for all of them.
func (f *Fleet) listenNodes() ([]net.Listener, error) {
	count := func(i int) func(net.Conn) (net.Conn, bool) {
		return func(c net.Conn) (net.Conn, bool) {
			f.nodeConns.Add(1)
			f.nodes[i].conns.Add(1)
			return &nodeConn{Conn: c, index: i}, true
		}
	}
	if f.opts.SharedListener {
		ln, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			return nil, fmt.Errorf("simfleet: listen: %w", err)
		}
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		f.byIP = make(map[[4]byte]int, len(f.nodes))
		for i, n := range f.nodes {
			ip := loopbackIP(i)
			f.byIP[ip] = i
			n.Address = fmt.Sprintf("http://%d.%d.%d.%d:%s", ip[0], ip[1], ip[2], ip[3], port)
		}
		shared := &countingListener{Listener: ln, accepted: func(c net.Conn) (net.Conn, bool) {
			la, ok := c.LocalAddr().(*net.TCPAddr)
			if !ok {
				return nil, false
			}
			ip4 := la.IP.To4()
			if ip4 == nil || ip4[0] != 127 {
				return nil, false // never serve anything but loopback
			}
			i, ok := f.byIP[[4]byte(ip4)]
			if !ok {
				return nil, false
			}
			return count(i)(c)
		}}
		return []net.Listener{shared}, nil
	}
	lns := make([]net.Listener, 0, len(f.nodes))
	for i, n := range f.nodes {
		ln, err := net.Listen("tcp", net.JoinHostPort(f.opts.Host, "0"))
		if err != nil {
			closeAll(lns)
			return nil, fmt.Errorf("simfleet: listen node %d: %w", i, err)
		}
		n.Address = "http://" + ln.Addr().String()
		lns = append(lns, &countingListener{Listener: ln, accepted: count(i)})
	}
	return lns, nil
}
