package probe

import (
	"fmt"
	"net/netip"
	"syscall"
)

// guardError is a dial refused because the destination is not public.
type guardError struct{ addr netip.Addr }

func (e *guardError) Error() string {
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
	"::/128",          // unspecified
	"::1/128",         // loopback
	"::ffff:0:0/96",   // IPv4-mapped (checked again unmapped)
	"64:ff9b::/96",    // NAT64
	"64:ff9b:1::/48",  // local NAT64
	"100::/64",        // discard
	"2001::/23",       // IETF protocol assignments
	"2001:db8::/32",   // documentation
	"2002::/16",       // 6to4
	"fc00::/7",        // unique local
	"fe80::/10",       // link-local
	"ff00::/8",        // multicast
)

func mustPrefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// Guard decides which resolved addresses the prober may connect to.
type Guard struct {
	AllowPrivate bool           // every destination is allowed
	Allow        []netip.Prefix // these ranges are allowed even if not public
	// AllowAddrPorts are exact destinations (IP and port) allowed even if
	// not public: narrower than a range, for a test fleet that must be
	// reachable while everything else on the same host stays refused.
	AllowAddrPorts []netip.AddrPort
}

// Check returns a *guardError when addr may not be dialed.
func (g *Guard) Check(addr netip.Addr) error {
	if g == nil || g.AllowPrivate {
		return nil
	}
	addr = addr.Unmap()
	for _, p := range g.Allow {
		if p.Contains(addr) {
			return nil
		}
	}
	if !addr.IsValid() {
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
	if g != nil {
		exact := netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		for _, a := range g.AllowAddrPorts {
			if netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) == exact {
				return nil
			}
		}
	}
	return g.Check(ap.Addr())
}
