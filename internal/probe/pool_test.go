package probe

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// closingServer answers each request with a keep-alive response and then
// closes the connection without saying so, as a node does whose idle
// timeout is shorter than ours. It counts the connections it accepted.
func closingServer(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			br := bufio.NewReader(c)
			if req, err := http.ReadRequest(br); err == nil {
				_ = req.Body.Close()
				_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
			}
			_ = c.Close()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return "http://" + ln.Addr().String(), &conns
}

// A pooled connection the node closed is asked again once, on a new
// connection: the probe does not fail for it.
func TestRetriesConnectionClosedByNode(t *testing.T) {
	url, conns := closingServer(t)
	c := NewClient(Options{Timeout: 2 * time.Second})
	defer c.CloseIdleConnections()
	for i := range 3 {
		if r := c.Get(context.Background(), url+"/"); r.Err != nil || string(r.Body) != "{}" {
			t.Fatalf("request %d: %q %v", i+1, r.Body, r.Err)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections for 3 requests, want 3: one each, the closed one retried", n)
	}
}

// The sweeper runs while a connection is idle, closes those idle past
// the timeout, and ends by itself once none is left.
func TestIdleConnectionsExpire(t *testing.T) {
	closed := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := NewClient(Options{IdleConnTimeout: 50 * time.Millisecond})
	defer c.CloseIdleConnections()
	if r := c.Get(context.Background(), srv.URL+"/"); r.Err != nil {
		t.Fatal(r.Err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the idle connection was not closed")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.pool.mu.Lock()
		idle, running, hosts := c.pool.idle, c.pool.sweep != nil, len(c.pool.hosts)
		c.pool.mu.Unlock()
		if idle == 0 && !running && hosts == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after expiry: %d idle, sweeper running %v, %d hosts", idle, running, hosts)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// CloseIdleConnections closes every idle connection and waits for the
// sweeper: no goroutine of the pool's is left.
func TestCloseIdleConnectionsStopsSweeper(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) })
	c := NewClient(Options{})
	if r := c.Get(context.Background(), srv.URL+"/"); r.Err != nil {
		t.Fatal(r.Err)
	}
	s := c.pool.sweep
	if s == nil || c.pool.idle != 1 {
		t.Fatalf("after a request: sweeper %v, %d idle; want one idle connection swept", s, c.pool.idle)
	}
	c.CloseIdleConnections()
	select {
	case <-s.done:
	default:
		t.Fatal("CloseIdleConnections returned before the sweeper ended")
	}
	if c.pool.sweep != nil || c.pool.idle != 0 || len(c.pool.hosts) != 0 {
		t.Errorf("after close: sweeper %v, %d idle, %d hosts", c.pool.sweep, c.pool.idle, len(c.pool.hosts))
	}
	// The pool works again afterwards, on a new connection.
	if r := c.Get(context.Background(), srv.URL+"/"); r.Err != nil {
		t.Fatal(r.Err)
	}
	c.CloseIdleConnections()
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// A request waiting for a node's connection gives up at its timeout,
// as a timeout.
func TestWaitForNodeConnectionTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := NewClient(Options{Timeout: 200 * time.Millisecond})
	defer c.CloseIdleConnections()
	errs := make(chan *Error, 2)
	for range 2 {
		go func() { errs <- c.Get(context.Background(), srv.URL+"/").Err }()
	}
	for range 2 {
		if e := <-errs; e == nil || e.Class != ClassTimeout {
			t.Errorf("%v, want timeout", e)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1: the second request waits for the first's", n)
	}
}

// A cancelled round ends a request in flight at once, as canceled.
func TestCancelEndsRequest(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := NewClient(Options{Timeout: time.Minute})
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	if r := c.Get(ctx, srv.URL+"/"); r.Err == nil || r.Err.Class != ClassCanceled {
		t.Errorf("%v, want canceled", r.Err)
	}
}

// A body over the bound is too_large, and the status its headers gave is
// kept, for the history.
func TestTooLargeKeepsStatus(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 5000))
	})
	c := NewClient(Options{MaxBody: 4096})
	defer c.CloseIdleConnections()
	r := c.Get(context.Background(), srv.URL+"/")
	if r.Err == nil || r.Err.Class != ClassTooLarge || r.Status != http.StatusOK {
		t.Errorf("status %d, %v; want 200 and too_large", r.Status, r.Err)
	}
}

// Headers larger than the small read buffer a request starts with are
// read whole through a larger one, up to the bound; the connection is
// kept. Over the bound, the answer is too_large.
func TestHeadersOutgrowTheReadBuffer(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		for i := 0; n > 0; i++ {
			v := strings.Repeat("v", min(n, 1000))
			w.Header().Set(fmt.Sprintf("X-Pad-%d", i), v)
			n -= len(v)
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	c := NewClient(Options{Timeout: 2 * time.Second})
	defer c.CloseIdleConnections()
	for _, n := range []int{0, readBufferBytes - 200, readBufferBytes, 3 * readBufferBytes, maxHeaderBytes - 2000, 0} {
		r := c.Get(context.Background(), fmt.Sprintf("%s/?n=%d", srv.URL, n))
		if r.Err != nil || string(r.Body) != `{"ok":true}` {
			t.Fatalf("%d bytes of headers: %q %v", n, r.Body, r.Err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1: large headers do not cost the connection", n)
	}
	for _, n := range []int{maxHeaderBytes, 4 * maxHeaderBytes} {
		r := c.Get(context.Background(), fmt.Sprintf("%s/?n=%d", srv.URL, n))
		if r.Err == nil || r.Err.Class != ClassTooLarge {
			t.Errorf("%d bytes of headers: %v, want too_large", n, r.Err)
		}
	}
}
