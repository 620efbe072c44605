package probe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/internal/config"
)

// ipv6Canary is a server listening on [::1] only, counting the
// connections it accepts. The test is skipped where ::1 is unavailable.
func ipv6Canary(t *testing.T) (port uint16, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no ::1 to listen on: %v", err)
	}
	conns = new(atomic.Int64)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"canary":true}`))
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return netip.MustParseAddrPort(ln.Addr().String()).Port(), conns
}

// TestZoneIDsNeverReachCanary registers, with the guard on, node
// addresses that spell ::1 with an IPv6 zone in every encoding, and a
// redirect from the one allowed node to a double-encoded zone. Every one
// must be refused, by address validation and, for a caller that skipped
// it, at dial time; the canary on [::1] must count no connection.
func TestZoneIDsNeverReachCanary(t *testing.T) {
	port, canary := ipv6Canary(t)
	zoned := []string{
		"http://[::1%%25lo]:%d/", "http://[::1%%251]:%d/", "http://[::1%%25eth0]:%d/",
		"http://[::1%%25%%2541]:%d/", "http://[::1%%25251]:%d/", "http://[::1%%2525lo]:%d/",
		"http://[0:0:0:0:0:0:0:1%%25lo]:%d/", "http://[::0001%%25lo]:%d/", "http://[::1%%25LO]:%d/",
	}
	redirectTo := fmt.Sprintf("http://[::1%%25251]:%d/x", port)
	node, nodeConns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, redirectTo, http.StatusFound)
	})
	allowed := netip.MustParseAddrPort(node.Listener.Addr().String())
	c := NewClient(Options{Timeout: 2 * time.Second, Guard: &Guard{AllowAddrPorts: []netip.AddrPort{allowed}}})
	defer c.CloseIdleConnections()
	ctx := context.Background()

	for _, f := range zoned {
		addr := fmt.Sprintf(f, port)
		if got, err := ValidateAddress(addr, config.DefaultForbiddenHosts); err == nil {
			t.Errorf("ValidateAddress(%q) accepted it as %q", addr, got)
		}
		// A caller that skipped validation still meets the dial guard.
		if r := c.Get(ctx, addr+"status/config"); r.Err == nil || r.Err.Class != ClassForbidden {
			t.Errorf("GET %s: %v (status %d), want class forbidden", addr, r.Err, r.Status)
		}
	}
	r := c.Get(ctx, node.URL+"/status/config")
	if r.Err == nil || r.Err.Class != ClassRedirect {
		t.Errorf("redirect to %s: %v, want class redirect", redirectTo, r.Err)
	}
	if n := nodeConns.Load(); n != 1 {
		t.Errorf("the allowed node counted %d connections, want 1", n)
	}
	if n := canary.Load(); n != 0 {
		t.Errorf("the [::1] canary accepted %d connections with the guard on", n)
	}

	// The canary counts: the same listener is reached without a zone when
	// its exact address is allowed.
	open := NewClient(Options{Timeout: 2 * time.Second, Guard: &Guard{
		AllowAddrPorts: []netip.AddrPort{netip.AddrPortFrom(netip.IPv6Loopback(), port)}}})
	defer open.CloseIdleConnections()
	if r := open.Get(ctx, fmt.Sprintf("http://[::1]:%d/", port)); r.Err != nil {
		t.Fatalf("canary unreachable at its allowed address: %v", r.Err)
	}
	if n := canary.Load(); n != 1 {
		t.Errorf("the canary counted %d connections after one allowed request, want 1", n)
	}
}

// TestValidateRedirectDecodedForms judges redirect targets as the client
// has parsed them (Host decoded once): a percent sign left in any decoding
// of the host is refused, and so is a Unicode spelling of a forbidden name.
func TestValidateRedirectDecodedForms(t *testing.T) {
	base, _ := url.Parse("http://node.example.org/status/config")
	for loc, ok := range map[string]bool{
		"http://[::1%25251]:8080/x":       false,
		"http://[::1%2525lo]/x":           false,
		"http://[::1%25lo]/x":             false,
		"http://[::1%2525%252541]/x":      false,
		"http://[fe80::1%25eth0]:8080/x":  false,
		"http://g%6Fogle.com/":            false,
		"http://ｇｏｏｇｌｅ.com/":              false,
		"http://google。com/status":        false,
		"http://www.google.com./":         false,
		"http://other.example.org:8080/x": true,
		"/relative/path":                  true,
		"http://[2606:4700::1111]:80/":    true,
	} {
		u, err := base.Parse(loc)
		if err != nil {
			if ok {
				t.Errorf("Location %q does not parse: %v", loc, err)
			}
			continue
		}
		if err := validateRedirect(u, config.DefaultForbiddenHosts); (err == nil) != ok {
			t.Errorf("redirect to %q (host %q): %v, want allowed=%v", loc, u.Host, err, ok)
		}
	}
}
