package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every answer carries the security headers: pages a self-only policy,
// everything else one that runs nothing; HSTS only over TLS.
func TestSecurityHeaders(t *testing.T) {
	f := &fakeRefresher{}
	f.holder.Store(fleetSnap(t, map[string]string{"a": "up"}, "v0"))
	s, err := New(Options{Refresher: f, DebugEndpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cases := []struct {
		method, path string
		status       int
		page         bool
	}{
		{"GET", "/", 200, true},
		{"GET", "/index.html", 200, true},
		{"GET", "/debug.html", 200, true},
		{"GET", "/docs", 200, true},
		{"HEAD", "/docs", 200, true},
		{"GET", "/dash.js", 200, false},
		{"GET", "/vendor/swagger-ui/swagger-ui-bundle.js", 200, false},
		{"GET", "/dash.css", 200, false},
		{"GET", "/crns.json", 200, false},
		{"GET", "/crns/a.json", 200, false},
		{"GET", "/crns/a/badge.svg", 200, false},
		{"GET", "/openapi.json", 200, false},
		{"GET", "/healthz", 200, false},
		{"GET", "/readyz", 200, false},
		{"GET", "/debug/task", 200, false},
		{"HEAD", "/crns/changes", 200, false},
		{"GET", "/no/such/page.html", 404, false},
		{"POST", "/crns.json", 405, false},
		{"OPTIONS", "/crns.json", 204, false},
		{"GET", "/crns.json?filter_inactive=maybe", 422, false},
	}
	for _, tlsOn := range []bool{false, true} {
		var srv *httptest.Server
		if tlsOn {
			srv = httptest.NewTLSServer(s)
		} else {
			srv = httptest.NewServer(s)
		}
		client := srv.Client()
		for _, c := range cases {
			req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			h := resp.Header
			name := c.method + " " + c.path
			if tlsOn {
				name += " (TLS)"
			}
			if resp.StatusCode != c.status {
				t.Errorf("%s: status %d, want %d", name, resp.StatusCode, c.status)
			}
			want := map[string]string{
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "DENY",
				"Content-Security-Policy": otherCSP,
			}
			if c.page {
				want["Content-Security-Policy"] = pageCSP
			}
			if tlsOn {
				want["Strict-Transport-Security"] = "max-age=31536000"
			}
			for k, v := range want {
				if got := h.Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("%s: %s %q, want %q", name, k, got, v)
				}
			}
			if !tlsOn && h.Get("Strict-Transport-Security") != "" {
				t.Errorf("%s: Strict-Transport-Security over plain HTTP", name)
			}
		}
		srv.Close()
	}
}

// The pages' policy loads from the service's origin alone: no inline
// script or style, no eval, no other host, no framing.
func TestPagePolicyIsSelfOnly(t *testing.T) {
	directives := map[string][]string{}
	for d := range strings.SplitSeq(pageCSP, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			t.Fatalf("empty directive in %q", pageCSP)
		}
		directives[f[0]] = f[1:]
	}
	for name, sources := range directives {
		for _, src := range sources {
			switch src {
			case "'self'", "'none'":
			case "data:":
				if name != "img-src" {
					t.Errorf("%s allows data:", name)
				}
			default:
				t.Errorf("%s allows %s", name, src)
			}
		}
	}
	for name, want := range map[string]string{"default-src": "'self'", "frame-ancestors": "'none'", "object-src": "'none'", "base-uri": "'none'"} {
		if got := strings.Join(directives[name], " "); got != want {
			t.Errorf("%s %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"script-src", "style-src", "connect-src"} {
		if _, set := directives[name]; set {
			t.Errorf("%s set: it should fall back to default-src 'self'", name)
		}
	}
}
