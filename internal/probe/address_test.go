package probe

import (
	"net/netip"
	"testing"

	"nodelist/internal/config"
)

func TestValidateAddress(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://node.example.org", "https://node.example.org", true},
		{"https://node.example.org/", "https://node.example.org", true},
		{"http://node.example.org:4020///", "http://node.example.org:4020", true},
		{"  https://node.example.org/aleph/  ", "https://node.example.org/aleph", true},
		{"", "", false},
		{"node.example.org", "", false},
		{"ftp://node.example.org", "", false},
		{"javascript:alert(1)", "", false},
		{"http://", "", false},
		{"https://user:pw@node.example.org", "", false},
		{"https://node.example.org/?q=1", "", false},
		{"https://node.example.org:99999", "", false},
		{"https://www.google.com", "", false},
		{"https://GOOGLE.com.", "", false},
		{"https://notgoogle.com", "https://notgoogle.com", true},
		{"https://x.com/", "", false},
		{"http://[::1", "", false},
		{"http://0/ /", "", false},
		{"http://node.example.org/a\tb", "", false},
		{"http://node.example.org/a%20b/", "http://node.example.org/a%20b", true},
	}
	for _, tt := range tests {
		got, err := ValidateAddress(tt.in, config.DefaultForbiddenHosts)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ValidateAddress(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestGuard(t *testing.T) {
	g := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}}
	refused := []string{"127.0.0.1", "127.20.1.1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254",
		"100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12::1",
		"::ffff:127.0.0.1", "::ffff:169.254.169.254", "ff02::1"}
	for _, s := range refused {
		if err := g.Check(netip.MustParseAddr(s)); err == nil {
			t.Errorf("guard allowed %s", s)
		}
	}
	allowed := []string{"1.1.1.1", "8.8.8.8", "2606:4700:4700::1111", "10.9.1.1"}
	for _, s := range allowed {
		if err := g.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("guard refused %s: %v", s, err)
		}
	}
	open := &Guard{AllowPrivate: true}
	if err := open.Check(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Errorf("AllowPrivate guard refused loopback: %v", err)
	}
}
