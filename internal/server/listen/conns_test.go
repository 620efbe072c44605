package listen

import (
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// TestConnLimiterRules drives the limiter with explicit clocks: no
// expiry at or below half the bound, expiry oldest first above it, and
// at the bound the longest-idle connection makes room or, with none
// idle, the new one is refused.
func TestConnLimiterRules(t *testing.T) {
	l := LimitConns(nil, ConnLimits{Max: 4, PressureIdle: 5 * time.Second}, slog.New(slog.DiscardHandler))
	defer l.timer.Stop()
	t0 := time.Now()
	pipe := func() net.Conn {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		return a
	}
	admit := func(at time.Time) *limitedConn {
		c, victims := l.admit(pipe(), at)
		closeAll(victims)
		return c
	}
	expire := func(at time.Time) int {
		l.mu.Lock()
		v := l.expire(at)
		l.mu.Unlock()
		closeAll(v)
		return len(v)
	}
	a, b := admit(t0), admit(t0.Add(time.Second))
	if n := expire(t0.Add(time.Hour)); n != 0 {
		t.Errorf("2 open of 4: %d expired, want 0 (no pressure)", n)
	}
	c := admit(t0.Add(2 * time.Second))
	if n := expire(t0.Add(4 * time.Second)); n != 0 {
		t.Errorf("3 open of 4, idle 4 s at most: %d expired, want 0", n)
	}
	if n := expire(t0.Add(5 * time.Second)); n != 1 || !a.released || b.released {
		t.Errorf("3 open of 4, oldest idle 5 s: %d expired (a %v, b %v), want a alone", n, a.released, b.released)
	}
	l.ConnState(b, http.StateActive)
	l.ConnState(c, http.StateActive)
	d, e := admit(t0.Add(6*time.Second)), admit(t0.Add(6*time.Second))
	if d == nil || e == nil || l.Stats().Open != 4 {
		t.Fatalf("admitting up to the bound: %v %v, open %d", d, e, l.Stats().Open)
	}
	// At the bound: d (idle the longest of d and e) makes room for f.
	if f := admit(t0.Add(6 * time.Second)); f == nil || !d.released || e.released {
		t.Errorf("at the bound with idle connections: admitted %v, d released %v, e released %v", f != nil, d.released, e.released)
	}
	for _, c := range []*limitedConn{b, c, e} {
		l.ConnState(c, http.StateActive)
	}
	l.ConnState(l.idle.Front().Value.(*limitedConn), http.StateActive)
	if g := admit(t0.Add(7 * time.Second)); g != nil {
		t.Errorf("at the bound with none idle: admitted, want refused")
	}
	if st := l.Stats(); st.Open != 4 || st.Peak != 4 || st.Refused != 1 || st.Reclaimed != 2 {
		t.Errorf("stats %+v, want 4 open, peak 4, 1 refused, 2 reclaimed", st)
	}
}

// TestLimitedOfUnderTLS: the ConnState hook receives the TLS connection
// that wraps the limiter's; idle tracking must still find it.
func TestLimitedOfUnderTLS(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	lc := &limitedConn{Conn: a}
	if got := limitedOf(tls.Server(lc, &tls.Config{})); got != lc {
		t.Errorf("limitedOf(tls.Server(c)) = %p, want %p", got, lc)
	}
	if got := limitedOf(a); got != nil {
		t.Errorf("limitedOf of a foreign connection = %p, want nil", got)
	}
}

func TestClientOf(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.7:5000", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:5000", "192.0.2.7"},
		{"[2001:db8:1:2:aaaa::1]:5000", "2001:db8:1:2::"},
		{"[2001:db8:1:2:bbbb::9]:6000", "2001:db8:1:2::"},
		{"[fe80::1%eth0]:80", "fe80::"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := ClientOf(a); got != netip.MustParseAddr(tc.want) {
			t.Errorf("ClientOf(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}
