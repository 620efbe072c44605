package probe

import (
	"fmt"
	"net/netip"
	"syscall"
)

// guardError is a dial refused because the destination is not public. Its
// text names the address, for the logs; what is published says only
// that the destination is not public (see reason).
type guardError struct {
	addr netip.Addr
}

func (e *guardError) Error() string {
	if e.addr.Zone() != "" {
		return fmt.Sprintf("destination %s carries an IPv6 zone", e.addr)
	}
	return fmt.Sprintf("destination %s is not a public address", e.addr)
}

// nonPublic lists the ranges the prober never dials unless allowed: a node
// registered on-chain must not make the service reach into its own network.
var nonPublic = mustPrefixes(
	"0.0.0.0/8",       // this network
	"10.0.0.0/8",      // RFC 1918
	"100.64.0.0/10",   // CGNAT
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata
	"172.16.0.0/12",   // RFC 1918
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // TEST-NET-1
	"192.88.99.0/24",  // 6to4 relay anycast
	"192.168.0.0/16",  // RFC 1918
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // TEST-NET-2
	"203.0.113.0/24",  // TEST-NET-3
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, broadcast
	"::/96",           // IPv4-compatible (::a.b.c.d), :: and ::1 included
	"::ffff:0:0/96",   // IPv4-mapped (checked again unmapped)
	"::ffff:0:0:0/96", // SIIT IPv4-translated (::ffff:0:a.b.c.d): not unmappable, so listed
	"64:ff9b::/96",    // NAT64
	"64:ff9b:1::/48",  // local NAT64
	"100::/64",        // discard
	"2001::/23",       // IETF protocol assignments
	"2001:db8::/32",   // documentation
	"2002::/16",       // 6to4
	"3fff::/20",       // documentation
	"fc00::/7",        // unique local
	"fe80::/10",       // link-local
	"fec0::/10",       // site-local (deprecated)
	"ff00::/8",        // multicast
)

// globalUnicast is the only IPv6 space assigned for public unicast: any
// IPv6 outside it is reserved, local or special, whether listed above or
// not.
var globalUnicast = netip.MustParsePrefix("2000::/3")

func mustPrefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// Guard decides which resolved addresses the prober may connect to.
type Guard struct {
	AllowPrivate bool           // every destination is allowed, but a zone on a non-link-local one
	Allow        []netip.Prefix // these ranges are allowed even if not public
	// AllowAddrPorts are exact destinations (IP and port) allowed even if
	// not public: narrower than a range, for a test fleet that must be
	// reachable while everything else on the same host stays refused.
	AllowAddrPorts []netip.AddrPort
}

// Check returns a *guardError when addr may not be dialed.
//
// A zoned address is never inside a netip.Prefix, so ranges are judged on
// the address without its zone; and a zone is refused outright unless
// everything is allowed: it names a local interface, which only a
// link-local neighbour needs, and for any other destination the kernel
// ignores it, so there it can only be a disguise.
func (g *Guard) Check(addr netip.Addr) error {
	if g == nil {
		return nil
	}
	if addr.Zone() != "" && (!g.AllowPrivate || !addr.WithZone("").IsLinkLocalUnicast()) {
		return &guardError{addr}
	}
	if g.AllowPrivate {
		return nil
	}
	addr = addr.Unmap()
	for _, p := range g.Allow {
		if p.Contains(addr) {
			return nil
		}
	}
	if !addr.IsValid() || addr.Is6() && !globalUnicast.Contains(addr) {
		return &guardError{addr}
	}
	for _, p := range nonPublic {
		if p.Contains(addr) {
			return &guardError{addr}
		}
	}
	return nil
}

// control is a net.Dialer Control function: it runs after name resolution,
// on the exact IP about to be connected, so neither DNS answers nor
// redirects can route around the guard.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &guardError{}
	}
	if g != nil && ap.Addr().Zone() == "" {
		exact := netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		for _, a := range g.AllowAddrPorts {
			if netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) == exact {
				return nil
			}
		}
	}
	return g.Check(ap.Addr())
}
