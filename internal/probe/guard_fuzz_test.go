package probe

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/idna"

	"nodelist/internal/config"
)

// FuzzGuardIPv6Literals feeds node and redirect addresses built around a
// host spelled as an IP literal. Whatever validates must hold no percent
// sign in its host, and if the host the transport would dial (after its
// IDNA mapping) is an address in a range no prober may reach, judged here
// independently of the guard's own list, the guard must refuse it, both
// as an address and at dial time.
func FuzzGuardIPv6Literals(f *testing.F) {
	for _, s := range []string{
		"[::1%25lo]", "[::1%251]", "[::1%25eth0]", "[::1%25%2541]", "[::1%25251]", "[::1%2525lo]", "[fe80::1%25eth0]",
		"[::ffff:127.0.0.1]", "[::127.0.0.1]", "[::ffff:0:7f00:1]", "[::ffff:0:127.0.0.1]", "[0:0:0:0:0:ffff:7f00:1]",
		"[64:ff9b::7f00:1]", "[64:ff9b::169.254.169.254]", "[::FFFF:7F00:1]", "[FE80::1%25ETH0]", "[::FFFF:0:7F00:1]",
		"[0000:0000:0000:0000:0000:0000:0000:0001]", "[::0001]", "[0::1]", "[::ffff:127.000.000.001]", "[::ffff:0127.0.0.1]",
		"[::]", "[::ffff:0:0]", "[::a9fe:a9fe]", "[::ffff:a9fe:a9fe]", "[fd00:ec2::254]", "[fd00:ec2::254%25eth0]",
		"[2606:4700:4700::1111]", "[2606:4700:4700::1111%25eth0]", "[2001:db8::1]", "[2002:7f00:1::1]", "[fec0::1]",
		"127.0.0.1", "127.1", "0x7f.0.0.1", "2130706433", "１２７.０.０.１", "[::1]", "[::1%lo]", "[::1]%25lo", "%5B::1%5D",
	} {
		f.Add(s)
	}
	g := &Guard{}
	f.Fuzz(func(t *testing.T, host string) {
		raw := "http://" + host + ":8080/x"
		var accepted []*url.URL
		if v, err := ValidateAddress(raw, config.DefaultForbiddenHosts); err == nil {
			u, err := url.Parse(v)
			if err != nil {
				t.Fatalf("accepted %q, which does not parse: %v", v, err)
			}
			accepted = append(accepted, u)
		}
		if u, err := url.Parse(raw); err == nil && validateRedirect(u, config.DefaultForbiddenHosts) == nil {
			accepted = append(accepted, u)
		}
		for _, u := range accepted {
			h := u.Hostname()
			if strings.Contains(u.Host, "%") {
				t.Fatalf("%q accepted with host %q", raw, u.Host)
			}
			if dialed, err := idna.Lookup.ToASCII(h); err == nil && !isASCII(h) {
				h = dialed // what net/http resolves
			}
			addr, err := netip.ParseAddr(h)
			if err != nil || !mustRefuse(addr) {
				continue
			}
			if err := g.Check(addr); err == nil {
				t.Fatalf("%q: the guard allows %s", raw, addr)
			}
			if err := g.control("tcp", net.JoinHostPort(addr.String(), "8080"), nil); err == nil {
				t.Fatalf("%q: the dial check allows %s", raw, addr)
			}
		}
	})
}

// mustRefuse is the fuzz oracle, written apart from the guard's list: an
// address with a zone, a non-global IPv6 or IPv4 by the standard
// library's own tests, or an IPv6 form that embeds a non-public IPv4 in
// its last 32 bits (IPv4-compatible, mapped, SIIT, NAT64).
func mustRefuse(a netip.Addr) bool {
	if a.Zone() != "" {
		return true
	}
	if nonGlobal(a.Unmap()) {
		return true
	}
	if !a.Is6() {
		return false
	}
	b := a.As16()
	for _, p := range []string{"::/96", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96"} {
		if netip.MustParsePrefix(p).Contains(a) && nonGlobal(netip.AddrFrom4([4]byte(b[12:]))) {
			return true
		}
	}
	return false
}

func nonGlobal(a netip.Addr) bool {
	return !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified()
}
