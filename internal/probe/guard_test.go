package probe

import (
	"net/netip"
	"strings"
	"testing"
)

// TestGuardZonesAndEmbeddedIPv4 covers the IPv6 forms that once passed
// the guard: any address with a zone (never inside a netip.Prefix), and
// IPv4-compatible and SIIT forms, which netip does not unmap.
func TestGuardZonesAndEmbeddedIPv4(t *testing.T) {
	g := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("2001:db8:1::/48")}}
	refused := []string{
		"::1%lo", "::1%1", "::1%eth0", "::1%%41", "::1%251", "fe80::1%eth0", "fe80::1%1", "fd00:ec2::254%eth0",
		"2606:4700:4700::1111%eth0", "::ffff:127.0.0.1%lo", "2001:db8:1::1%eth0", // a zone even on an allowed or public address
		"::127.0.0.1", "::7f00:1", "::a9fe:a9fe", "::8.8.8.8", "::ffff:0:7f00:1", "::ffff:0:127.0.0.1", "::ffff:0:808:808",
		"0:0:0:0:0:ffff:7f00:1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "fd00:ec2::254", "fec0::1",
		"3fff::1", "4000::1", "5f00::1", "e000::1",
	}
	for _, s := range refused {
		if err := g.Check(netip.MustParseAddr(s)); err == nil {
			t.Errorf("guard allowed %s", s)
		}
	}
	if err := g.Check(netip.MustParseAddr("2001:db8:1::1")); err != nil {
		t.Errorf("guard refused an allowed range: %v", err)
	}

	// Everything allowed: a zone is still refused but on a link-local
	// address, the only kind a zone belongs to.
	open := &Guard{AllowPrivate: true}
	for s, ok := range map[string]bool{"fe80::1%eth0": true, "::1": true, "::1%lo": false, "fd00::1%eth0": false, "ff02::1%eth0": false} {
		if err := open.Check(netip.MustParseAddr(s)); (err == nil) != ok {
			t.Errorf("AllowPrivate guard on %s: %v, want allowed=%v", s, err, ok)
		}
	}
}

// TestGuardControlRefusesZones calls the dial-time check the way the
// dialer does, with exact destinations allowed: a zone never matches one.
func TestGuardControlRefusesZones(t *testing.T) {
	g := &Guard{AllowAddrPorts: []netip.AddrPort{netip.MustParseAddrPort("[::1]:8080"), netip.MustParseAddrPort("127.0.0.1:8080")}}
	for addr, ok := range map[string]bool{
		"[::1]:8080": true, "127.0.0.1:8080": true, "[::ffff:127.0.0.1]:8080": true,
		"[::1%lo]:8080": false, "[::1%1]:8080": false, "[::1]:8081": false, "[fe80::1%eth0]:8080": false,
		"[::ffff:0:7f00:1]:8080": false, "[::7f00:1]:8080": false, "not an address": false,
	} {
		if err := g.control("tcp", addr, nil); (err == nil) != ok {
			t.Errorf("control(%s) = %v, want allowed=%v", addr, err, ok)
		}
	}
}

// TestGuardErrorNamesZone keeps the logged text useful: it says why.
func TestGuardErrorNamesZone(t *testing.T) {
	err := (&Guard{}).Check(netip.MustParseAddr("::1%lo"))
	if err == nil || !strings.Contains(err.Error(), "zone") {
		t.Errorf("zoned loopback: %v, want an error naming the zone", err)
	}
}
