// Package listentest serves a handler the way the service does, on
// loopback, for tests: the bounded http.Server, a connection limiter when
// asked, and a count of the server's open sockets. It dials clients that
// read slowly or not at all.
package listentest

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"nodelist/internal/server/listen"
)

// Serve serves h with the service's http.Server on 127.0.0.1, behind a
// connection limiter when lim is set, until the test ends. It returns the
// address, the limiter and the count of the server's open sockets.
func Serve(t testing.TB, h http.Handler, lim *listen.ConnLimits) (string, *listen.ConnLimiter, *Sockets) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sockets := &Sockets{}
	ln := &countingListener{Listener: raw, n: sockets}
	log := slog.New(slog.DiscardHandler)
	srv := listen.HTTPServer(h, nil, log)
	var serveOn net.Listener = ln
	var cl *listen.ConnLimiter
	if lim != nil {
		cl = listen.LimitConns(ln, *lim, log)
		srv.ConnState = cl.ConnState
		serveOn = cl
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(serveOn)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String(), cl, sockets
}

// Sockets counts the server's open sockets, under any limiter, and the
// most ever open at once.
type Sockets struct {
	mu         sync.Mutex
	open, peak int
}

func (s *Sockets) add(d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open += d
	s.peak = max(s.peak, s.open)
}

// Get returns the sockets open now and the most ever open at once.
func (s *Sockets) Get() (open, peak int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open, s.peak
}

type countingListener struct {
	net.Listener
	n *Sockets
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.n.add(1)
	return &countedConn{Conn: c, n: l.n}, nil
}

type countedConn struct {
	net.Conn
	n    *Sockets
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.n.add(-1) })
	return c.Conn.Close()
}

// DialTiny opens a connection, from local if set, whose receive buffer is
// as small as the kernel allows: a client that does not read stalls the
// server's write once the server's send buffer is full. It is closed when
// the test ends.
func DialTiny(t testing.TB, addr, local string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024)
		}); err != nil {
			return err
		}
		return serr
	}}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
