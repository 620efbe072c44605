package probe

import (
	"context"
	"net/http"
	"net/netip"
	"testing"

	"nodelist/internal/config"
)

// A reload that loosens or tightens the guard holds from the next
// request: allowed, the loopback node answers; forbidden again, even the
// connection pooled while it was allowed is not reused.
func TestReconfigureSwapsTheGuard(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{}`))
	})
	closed := NewClient(Options{Guard: &Guard{}})
	defer closed.CloseIdleConnections()
	short := closed.WithTimeout(closed.Options().Timeout / 5)
	get := func(c *Client) *Error { return c.Get(context.Background(), srv.URL+"/").Err }
	if e := get(closed); e == nil || e.Class != ClassForbidden {
		t.Fatalf("loopback with the guard on: %v", e)
	}
	if !closed.Reconfigure(Options{Guard: &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}}) {
		t.Fatal("a new guard was not taken")
	}
	if e := get(closed); e != nil {
		t.Fatalf("loopback allowed: %v", e)
	}
	if e := get(short); e != nil {
		t.Fatalf("the short-timeout client keeps the old guard: %v", e)
	}
	if closed.Reconfigure(Options{Guard: &Guard{}}); conns.Load() != 1 {
		t.Fatalf("%d connections", conns.Load())
	}
	if e := get(closed); e == nil || e.Class != ClassForbidden {
		t.Fatalf("a connection pooled under the old guard was reused: %v", e)
	}
}

// The guard is rebuilt only when what it is built from changed.
func TestReconfigureKeepsAnUnchangedPolicy(t *testing.T) {
	c := config.Default()
	c.AllowCIDRs = config.List{"10.1.0.0/16"}
	o, err := FromConfig(&c)
	if err != nil {
		t.Fatal(err)
	}
	client := NewClient(o)
	defer client.CloseIdleConnections()
	before := client.Guard()
	again, _ := FromConfig(&c) // a reload of the same file: a new, equal guard
	if client.Reconfigure(again) || client.Guard() != before {
		t.Error("an equal guard replaced the one in force")
	}
	c.ForbiddenHosts = append(c.ForbiddenHosts, "example.org")
	changed, _ := FromConfig(&c)
	if !client.Reconfigure(changed) || client.Guard() == before {
		t.Error("a new forbidden host was not taken")
	}
	if f := client.Options().Forbidden; f[len(f)-1] != "example.org" {
		t.Errorf("forbidden %v", f)
	}
}

// A host name forbidden by a reload is refused as a redirect target.
func TestReconfigureForbidsRedirects(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/jump" {
			http.Redirect(w, r, "http://localhost:"+r.Host[len("127.0.0.1:"):]+"/", http.StatusFound)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	c := NewClient(Options{})
	defer c.CloseIdleConnections()
	if e := c.Get(context.Background(), srv.URL+"/jump").Err; e != nil {
		t.Fatalf("before: %v", e)
	}
	c.Reconfigure(Options{Forbidden: []string{"localhost"}})
	if e := c.Get(context.Background(), srv.URL+"/jump").Err; e == nil || e.Class != ClassRedirect {
		t.Fatalf("after: %v", e)
	}
}
