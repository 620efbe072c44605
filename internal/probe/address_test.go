package probe

import (
	"net/netip"
	"strconv"
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
		{"https://node.example.org:00", "", false},
		{"https://node.example.org:00000", "", false},
		{"https://www.google.com", "", false},
		{"https://GOOGLE.com.", "", false},
		{"https://notgoogle.com", "https://notgoogle.com", true},
		{"https://x.com/", "", false},
		{"http://[::1", "", false},
		{"http://0/ /", "", false},
		{"http://node.example.org/a\tb", "", false},
		{"http://node.example.org/a%20b/", "http://node.example.org/a%20b", true},
		// A percent sign anywhere in the host: escapes and IPv6 zones.
		{"http://[::1%25lo]:8080/", "", false},
		{"http://[::1%251]:8080", "", false},
		{"http://[::1%25eth0]", "", false},
		{"http://[::1%25%2541]", "", false},
		{"http://[::1%25251]", "", false},
		{"http://[::1%2525lo]", "", false},
		{"http://[fe80::1%25eth0]:8080", "", false},
		{"http://[::1%lo]", "", false},
		{"http://%41.example.org/", "", false},
		{"http://g%6Fogle.com/", "", false},
		{"http://node.example.org%3A8080/", "", false},
		{"http://node.example.org:80%2580/", "", false},
		{"https://xn--nud-dna.example.org/", "https://xn--nud-dna.example.org", true},
		{"https://nœud.example.org/", "https://nœud.example.org", true},
		{"https://\u00ad.example.org/", "", false},
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

// TestValidateAddressUnicodeForbidden spells a forbidden name every way
// the transport's IDNA mapping folds back to it: each must be refused,
// and so must its subdomains.
func TestValidateAddressUnicodeForbidden(t *testing.T) {
	forbidden := []string{"google.com"}
	spellings := []string{
		"google.com", "GOOGLE.COM", "GoOgLe.CoM", "google.com.", "google.com..", "GOOGLE.com.",
		"ｇｏｏｇｌｅ.com", "ＧＯＯＧＬＥ.ＣＯＭ", "ｇｏｏｇｌｅ．ｃｏｍ", // fullwidth letters and full stop
		"google。com", "google｡com", "ｇｏｏｇｌｅ。ｃｏｍ", // ideographic and halfwidth full stops
		"ⓖⓞⓞⓖⓛⓔ.com", "ⒼⓄⓄⒼⓁⒺ.ⓒⓞⓜ", // circled letters
		"goo\u00adgle.com", "\u00adgoogle.com", "google.com\u00ad", // soft hyphen
		"goo\u200bgle.com", "goo\u200cgle.com", "goo\u200dgle.com", "goo\u2060gle.com", "goo\ufeffgle.com", // zero-width
		"g\u200bo\u00ado\u2060g\ufeffle.c\u200do\u200cm", "ｇ\u00adｏｏｇｌｅ。ｃｏｍ.",
	}
	for _, sp := range spellings {
		sp = unquote(t, sp)
		for _, host := range []string{sp, "www." + sp, "a.b." + sp, "ｗｗｗ。" + sp} {
			for _, addr := range []string{"https://" + host, "http://" + host + ":4020/", "https://" + host + "/path"} {
				if got, err := ValidateAddress(addr, forbidden); err == nil {
					t.Errorf("ValidateAddress(%+q) accepted it as %+q", addr, got)
				}
			}
		}
	}
	for _, ok := range []string{"https://notgoogle.com", "https://google.com.example.org", "https://ｇｏｏｇｌｅ.example.org"} {
		if _, err := ValidateAddress(ok, forbidden); err != nil {
			t.Errorf("ValidateAddress(%+q): %v, want accepted", ok, err)
		}
	}
}

// unquote turns the \uXXXX escapes of a test table into their runes, so
// that invisible characters stay visible in the source.
func unquote(t *testing.T, s string) string {
	t.Helper()
	u, err := strconv.Unquote(`"` + s + `"`)
	if err != nil {
		t.Fatalf("unquote %q: %v", s, err)
	}
	return u
}
