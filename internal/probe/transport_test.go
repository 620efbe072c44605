package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer is an httptest server that counts accepted connections.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func TestGetClassifiesFailures(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			_, _ = w.Write([]byte(`{"a":1}`))
		case "/500":
			http.Error(w, "<html>boom</html>", http.StatusInternalServerError)
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 5000)))
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	})
	c := NewClient(Options{Timeout: 300 * time.Millisecond, MaxBody: 4096})
	defer c.CloseIdleConnections()
	tests := []struct {
		path  string
		class Class
	}{
		{"/ok", ""},
		{"/500", ClassHTTPStatus},
		{"/big", ClassTooLarge},
		{"/hang", ClassTimeout},
		{"/loop", ClassRedirect},
	}
	for _, tt := range tests {
		r := c.Get(context.Background(), srv.URL+tt.path)
		var got Class
		if r.Err != nil {
			got = r.Err.Class
		}
		if got != tt.class {
			t.Errorf("GET %s: class %q (%v), want %q", tt.path, got, r.Err, tt.class)
		}
	}
	// A port nobody listens on.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if r := c.Get(context.Background(), "http://"+addr+"/"); r.Err == nil || r.Err.Class != ClassRefused {
		t.Errorf("closed port: %v, want refused", r.Err)
	}
}

func TestGuardRefusesLoopbackAtDial(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c := NewClient(Options{Guard: &Guard{}})
	defer c.CloseIdleConnections()
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		r := c.Get(context.Background(), u+"/status/config")
		if r.Err == nil || r.Err.Class != ClassForbidden {
			t.Errorf("GET %s: %v, want forbidden", u, r.Err)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("guarded loopback server accepted %d connections", n)
	}
}

func TestTrustedHostBypassesGuard(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) })
	c := NewClient(Options{Guard: &Guard{}, APIURL: srv.URL})
	defer c.CloseIdleConnections()
	if r := c.API(context.Background(), "/", 1<<20); r.Err != nil {
		t.Fatalf("trusted API host refused: %v", r.Err)
	}
}

// A node registered at the API host's address is not trusted: it is
// refused, so it can neither dial unguarded nor share the API's pooled
// connections.
func TestNodeAtTrustedHostIsForbidden(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) })
	c := NewClient(Options{Guard: &Guard{}, APIURL: srv.URL})
	defer c.CloseIdleConnections()
	if r := c.API(context.Background(), "/", 1<<20); r.Err != nil {
		t.Fatalf("trusted API host refused: %v", r.Err)
	}
	if r := c.Get(context.Background(), srv.URL+"/status/config"); r.Err == nil || r.Err.Class != ClassForbidden {
		t.Errorf("node request to the API host: %v, want forbidden", r.Err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("API host accepted %d connections, want only the API's own 1", n)
	}
}

func TestGetReusesConnections(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"ok":true}`)) })
	c := NewClient(Options{})
	defer c.CloseIdleConnections()
	for i := 0; i < 20; i++ {
		if r := c.Get(context.Background(), srv.URL+"/"); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("20 sequential requests opened %d connections, want 1", n)
	}
}

func TestNodeChoosesIPv6Route(t *testing.T) {
	for _, tt := range []struct {
		version, wantPath, want string
	}{
		{"1.8.1", "/vm/" + strings.Repeat("b", 64) + "/ip/6", `{"host":true,"vm":true}`},
		{"1.3.0-41-g7303587", "/vm/" + strings.Repeat("b", 64) + "/ip/6", `{"host":true,"vm":true}`},
		{"1.9.0", IPv6Path, `{"host":true,"vm":false}`},
	} {
		var asked atomic.Value
		srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == ConfigPath:
				_, _ = w.Write([]byte(`{"version":"` + tt.version + `","references":{"CHECK_FASTAPI_VM_ID":"` + strings.Repeat("b", 64) + `"}}`))
			case r.URL.Path == UsagePath:
				_, _ = w.Write([]byte(`{}`))
			case r.URL.Path == IPv6Path:
				asked.Store(r.URL.Path)
				_, _ = w.Write([]byte(`{"host":true,"vm":false,"extra":1}`))
			case strings.HasPrefix(r.URL.Path, "/vm/"):
				asked.Store(r.URL.Path)
				_, _ = w.Write([]byte(`{"result":true}`))
			}
		})
		c := NewClient(Options{})
		res := c.Node(context.Background(), srv.URL, nil, nil)
		c.CloseIdleConnections()
		if asked.Load() != tt.wantPath {
			t.Errorf("version %s asked %v, want %s", tt.version, asked.Load(), tt.wantPath)
		}
		if string(res.Of(IPv6).Body) != tt.want || res.Of(IPv6).Err != nil {
			t.Errorf("version %s: ipv6 %s %v, want %s", tt.version, res.Of(IPv6).Body, res.Of(IPv6).Err, tt.want)
		}
	}
}

func TestNodeSkipsIPv6WhenUnreachable(t *testing.T) {
	var ipv6Asked atomic.Int64
	release := make(chan struct{})
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ConfigPath {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		if r.URL.Path == IPv6Path {
			ipv6Asked.Add(1)
		}
		_, _ = w.Write([]byte(`{}`))
	})
	defer close(release)
	c := NewClient(Options{Timeout: 200 * time.Millisecond})
	defer c.CloseIdleConnections()
	res := c.Node(context.Background(), srv.URL, nil, nil)
	if res.Of(Config).Err == nil || res.Of(Config).Err.Class != ClassTimeout {
		t.Fatalf("config: %v", res.Of(Config).Err)
	}
	if res.Of(IPv6).Err == nil || res.Of(IPv6).Err.Class != ClassTimeout || ipv6Asked.Load() != 0 {
		t.Errorf("ipv6 after a hung config: %v, asked %d times", res.Of(IPv6).Err, ipv6Asked.Load())
	}
}

// tlsServer is a TLS httptest server that records, per request, the
// protocol and whether the TLS session was resumed, and a Client that
// trusts its certificate.
func tlsServer(t *testing.T, http2, keepAlive bool) (*httptest.Server, *Client, *atomic.Int64, chan *http.Request) {
	t.Helper()
	reqs := make(chan *http.Request, 16)
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs <- r
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	srv.EnableHTTP2 = http2
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.SetKeepAlivesEnabled(keepAlive)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := NewClient(Options{})
	t.Cleanup(c.CloseIdleConnections)
	c.pool.tls.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return srv, c, &conns, reqs
}

// A node that offers HTTP/2 is asked over HTTP/1.1, its probes taking
// turns on one connection.
func TestHTTP2NodeProbesTakeTurns(t *testing.T) {
	srv, c, conns, reqs := tlsServer(t, true, true)
	if r := c.Get(context.Background(), srv.URL+"/warm"); r.Err != nil {
		t.Fatal(r.Err)
	}
	errs := make(chan *Error, 3)
	for range 3 {
		go func() { errs <- c.Get(context.Background(), srv.URL+"/status/config").Err }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		if r := <-reqs; r.ProtoMajor != 1 || r.ProtoMinor != 1 {
			t.Errorf("%s came over %s, want HTTP/1.1", r.URL.Path, r.Proto)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("four requests, three at once, opened %d connections, want 1", n)
	}
}

func TestTLSSessionResumedWhenNodeCloses(t *testing.T) {
	srv, c, conns, reqs := tlsServer(t, false, false)
	for i := range 3 {
		if r := c.Get(context.Background(), srv.URL+"/"); r.Err != nil {
			t.Fatal(r.Err)
		}
		r := <-reqs
		if i > 0 && !r.TLS.DidResume {
			t.Errorf("request %d: full TLS handshake, want the session resumed", i+1)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3: the node closes each one", n)
	}
}
