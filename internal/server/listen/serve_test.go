package listen_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/internal/server/listen"
	"nodelist/internal/server/listen/listentest"
)

// keepAlive dials addr from local (any loopback address), asks for
// /healthz and leaves the connection open and idle. It returns the
// connection and the status, 0 when the server closed it unanswered.
func keepAlive(t *testing.T, addr, local string) (net.Conn, int) {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ask(c)
}

// ask sends GET /healthz on c and reads the whole answer within 10 s;
// 0 when the connection was closed instead.
func ask(c net.Conn) int {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"); err != nil {
		return 0
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0
	}
	return resp.StatusCode
}

// handler answers /healthz at once and /crns.json with 8 MiB, counting
// the requests that began writing it.
func handler(writing *atomic.Int64) http.Handler {
	big := bytes.Repeat([]byte("x"), 8<<20)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /crns.json", func(w http.ResponseWriter, _ *http.Request) {
		writing.Add(1)
		_, _ = w.Write(big)
	})
	return mux
}

// TestConnBoundReclaimsIdle opens 80 keep-alive connections, each left
// idle after one answer, against a bound of 50: the server never holds
// more than 50, the longest-idle ones are closed to make room, and a
// well-behaved client is still answered.
func TestConnBoundReclaimsIdle(t *testing.T) {
	const bound, clients = 50, 80
	addr, cl, sockets := listentest.Serve(t, handler(new(atomic.Int64)), &listen.ConnLimits{Max: bound, PressureIdle: time.Hour})
	conns := make([]net.Conn, clients)
	answered := 0
	for i := range conns {
		var code int
		conns[i], code = keepAlive(t, addr, "")
		if code == http.StatusOK {
			answered++
		}
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("well-behaved client after %d idle connections: %v", clients, err)
	}
	resp.Body.Close()
	alive := 0
	for _, c := range conns {
		if ask(c) == http.StatusOK {
			alive++
		}
	}
	st := cl.Stats()
	_, socketPeak := sockets.Get()
	t.Logf("bound %d: %d idle clients answered, well-behaved client %d, afterwards %d of %d still open; "+
		"limiter %+v; sockets peak %d", bound, answered, resp.StatusCode, alive, clients, st, socketPeak)
	if answered != clients || resp.StatusCode != http.StatusOK {
		t.Errorf("answered %d of %d idle clients and the well-behaved one with %d; want all 200", answered, clients, resp.StatusCode)
	}
	if st.Peak > bound || st.Open > bound {
		t.Errorf("limiter held %d open (peak %d), bound %d", st.Open, st.Peak, bound)
	}
	// The socket being accepted is counted before it is judged: one more.
	if socketPeak > bound+1 {
		t.Errorf("server sockets peaked at %d, bound %d", socketPeak, bound)
	}
	if st.Refused != 0 || st.Reclaimed < clients+1-bound {
		t.Errorf("refused %d, reclaimed %d; want 0 refused and at least %d reclaimed", st.Refused, st.Reclaimed, clients+1-bound)
	}
	if alive > bound {
		t.Errorf("%d idle connections still answer, bound %d", alive, bound)
	}
}

// TestConnPerClientBound, against a per-client bound of 5: a client
// whose 5 connections are all busy (stalled reading crns.json) has 7
// more closed unanswered, while another address is served; a client
// whose connections are idle gets its 8 answered, its own longest-idle
// ones closed to make room.
func TestConnPerClientBound(t *testing.T) {
	const perClient, more = 5, 7
	var writing atomic.Int64
	addr, cl, _ := listentest.Serve(t, handler(&writing), &listen.ConnLimits{Max: 50, PerClient: perClient, PressureIdle: time.Hour})
	for range perClient {
		c := listentest.DialTiny(t, addr, "127.0.0.3")
		if _, err := io.WriteString(c, "GET /crns.json HTTP/1.1\r\nHost: t\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for writing.Load() < perClient && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // poll until each stalls in its write
	}
	busy := map[int]int{}
	for range more {
		_, code := keepAlive(t, addr, "127.0.0.3")
		busy[code]++
	}
	_, other := keepAlive(t, addr, "127.0.0.2")
	st := cl.Stats()
	t.Logf("127.0.0.3, %d busy, %d more: %v (0: closed unanswered); 127.0.0.2: %d; limiter %+v", perClient, more, busy, other, st)
	if busy[0] != more || st.RefusedPerClient != more {
		t.Errorf("a client with %d busy connections opening %d more: %v, %d refused; want all %d refused",
			perClient, more, busy, st.RefusedPerClient, more)
	}
	if other != http.StatusOK {
		t.Errorf("another client: %d, want 200", other)
	}

	idle := make([]net.Conn, perClient+3)
	answered := 0
	for i := range idle {
		var code int
		if idle[i], code = keepAlive(t, addr, "127.0.0.4"); code == http.StatusOK {
			answered++
		}
	}
	alive := 0
	for _, c := range idle {
		if ask(c) == http.StatusOK {
			alive++
		}
	}
	st2 := cl.Stats()
	t.Logf("127.0.0.4, %d idle connections in turn: %d answered, %d still open; limiter %+v", len(idle), answered, alive, st2)
	if answered != len(idle) || alive != perClient || st2.Reclaimed-st.Reclaimed != 3 || st2.RefusedPerClient != st.RefusedPerClient {
		t.Errorf("a client opening %d idle connections: %d answered, %d still open, %d reclaimed, %d more refused; "+
			"want all answered, %d open, 3 reclaimed, none refused", len(idle), answered, alive,
			st2.Reclaimed-st.Reclaimed, st2.RefusedPerClient-st.RefusedPerClient, perClient)
	}
}

// TestIdleClosedSoonerUnderPressure: 15 idle connections against a bound
// of 20 put the server past half its bound, so idle connections are
// closed after 100 ms (not the 120 s idle timeout), oldest first, until
// no more than half the bound are open.
func TestIdleClosedSoonerUnderPressure(t *testing.T) {
	const bound, idle = 20, 15
	addr, cl, _ := listentest.Serve(t, handler(new(atomic.Int64)), &listen.ConnLimits{Max: bound, PressureIdle: 100 * time.Millisecond})
	conns := make([]net.Conn, idle)
	for i := range conns {
		conns[i], _ = keepAlive(t, addr, "")
	}
	deadline := time.Now().Add(10 * time.Second)
	for cl.Stats().Open > bound/2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := cl.Stats()
	alive := 0
	for _, c := range conns {
		if ask(c) == http.StatusOK {
			alive++
		}
	}
	t.Logf("%d idle connections, bound %d: %+v; %d still answer", idle, bound, st, alive)
	if st.Open != bound/2 || st.Reclaimed != idle-bound/2 {
		t.Errorf("under pressure: %d open, %d reclaimed; want %d and %d", st.Open, st.Reclaimed, bound/2, idle-bound/2)
	}
	if alive != bound/2 {
		t.Errorf("%d connections still answer, want %d", alive, bound/2)
	}
}
