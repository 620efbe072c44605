package probe

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"nodelist/internal/config"
)

func TestFromConfigGuard(t *testing.T) {
	c := config.Default()
	c.APIURL = "http://127.0.0.1:9000"
	o, err := FromConfig(&c)
	if err != nil {
		t.Fatal(err)
	}
	if o.Guard == nil || o.Guard.AllowPrivate {
		t.Error("the guard is off by default")
	}
	if h := apiHosts(o.APIURL); len(h) != 1 || !h["127.0.0.1:9000"] {
		t.Errorf("trusted %v", h)
	}
	if o.IdleConnTimeout <= 2*c.RefreshInterval {
		t.Errorf("idle timeout %s is not above two refresh intervals", o.IdleConnTimeout)
	}
	c.AllowPrivateTargets = true
	if o, _ := FromConfig(&c); o.Guard != nil && !o.Guard.AllowPrivate {
		t.Error("--allow-private-targets left the guard on")
	}
}

func TestFromConfigSaysWhatIsWrong(t *testing.T) {
	c := config.Default()
	c.APIURL, c.AllowCIDRs = "ftp://x", config.List{"10.0.0.0/99"}
	_, err := FromConfig(&c)
	for _, want := range []string{"--api-url", "--allow-cidr"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

// The default port of a scheme is the one table both the trusted dial and
// the node-at-API-host check read: an API URL without a port trusts the
// scheme's port.
func TestAPIHostDefaultPort(t *testing.T) {
	for api, want := range map[string]string{
		"https://Official.Aleph.Cloud":     "official.aleph.cloud:443",
		"http://127.0.0.1":                 "127.0.0.1:80",
		"http://[::1]:8000/":               "[::1]:8000",
		"https://api.example/some/prefix/": "api.example:443",
	} {
		if h := apiHosts(api); len(h) != 1 || !h[want] {
			t.Errorf("%s: trusted %v, want %s", api, h, want)
		}
	}
}

func TestAPIJoinsPathToBase(t *testing.T) {
	var got string
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.RequestURI()
		_, _ = w.Write([]byte(`{}`))
	})
	c := NewClient(Options{Guard: &Guard{}, APIURL: srv.URL + "/"})
	defer c.CloseIdleConnections()
	if r := c.API(context.Background(), "/api/v0/aggregates/x.json?keys=settings", 1<<20); r.Err != nil {
		t.Fatal(r.Err)
	}
	if got != "/api/v0/aggregates/x.json?keys=settings" {
		t.Errorf("API asked for %q", got)
	}
}
