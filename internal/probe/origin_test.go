package probe

import (
	"testing"

	"nodelist/internal/config"
)

// TestOrigin: the spellings of one origin give one string, and the path is
// kept as written; different schemes, hosts or ports are other origins.
func TestOrigin(t *testing.T) {
	tests := []struct{ addr, origin, path string }{
		{"http://node.example.org", "http://node.example.org:80", ""},
		{"http://NODE.example.org:80", "http://node.example.org:80", ""},
		{"http://node.example.org:0080", "http://node.example.org:80", ""},
		{"http://node.example.org.:80", "http://node.example.org.:80", ""},
		{"http://127.0.0.1.:80", "http://127.0.0.1.:80", ""},
		{"http://node.example.org。/x", "http://node.example.org.:80", "/x"},
		{"HTTP://node.example.org", "http://node.example.org:80", ""},
		{"https://node.example.org", "https://node.example.org:443", ""},
		{"https://node.example.org:443/", "https://node.example.org:443", ""},
		{"http://node.example.org:443", "http://node.example.org:443", ""},
		{"http://node.example.org:4020/p1", "http://node.example.org:4020", "/p1"},
		{"http://node.example.org:4020/p1///", "http://node.example.org:4020", "/p1"},
		{"http://node.example.org:4020/P1", "http://node.example.org:4020", "/P1"},
		{"http://node.example.org/a%20b/c", "http://node.example.org:80", "/a%20b/c"},
		{"http://node.example.org/a%2Fb", "http://node.example.org:80", "/a%2Fb"},
		{"http://ｎｏｄｅ.example.org/x", "http://node.example.org:80", "/x"},
		{"http://nœud.example.org", "http://xn--nud-fya.example.org:80", ""},
		{"http://127.0.0.1:8080/n/1", "http://127.0.0.1:8080", "/n/1"},
		{"http://[::1]:8080", "http://[::1]:8080", ""},
		{"http://[::1]", "http://[::1]:80", ""},
	}
	for _, tt := range tests {
		addr, err := ValidateAddress(tt.addr, config.DefaultForbiddenHosts)
		if err != nil {
			t.Fatalf("%q: %v", tt.addr, err)
		}
		if o, p := Origin(addr); o != tt.origin || p != tt.path {
			t.Errorf("Origin(%q) = %q, %q; want %q, %q", addr, o, p, tt.origin, tt.path)
		}
	}
}

// FuzzOrigin checks that the origin and path of an accepted address make
// an accepted address again, with the same origin and path: every spelling
// of an origin comes to one form, and that form is its own.
func FuzzOrigin(f *testing.F) {
	for _, s := range []string{
		"http://node.example.org", "http://NODE.example.org.:0080/", "http://Node.Example.org:0080/", "https://ｎｏｄｅ.example.org/x//",
		"http://[::1]:8080/a%20b", "http://127.0.0.1:1/p1", "https://nœud.example.org:443/P",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		addr, err := ValidateAddress(raw, nil)
		if err != nil {
			return
		}
		o, p := Origin(addr)
		again, err := ValidateAddress(o+p, nil)
		if err != nil {
			t.Fatalf("%q: origin %q path %q do not validate: %v", addr, o, p, err)
		}
		if o2, p2 := Origin(again); o2 != o || p2 != p {
			t.Fatalf("%q: origin %q path %q, then %q %q", addr, o, p, o2, p2)
		}
	})
}
