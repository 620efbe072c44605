package hostile

import (
	"fmt"
	"net/http"
	"net/netip"
)

// disguised are nodes whose address, or redirect, spells a refused
// destination in a form that once slipped past the checks: IPv6 zones in
// every encoding, IPv6 forms embedding a loopback IPv4 (IPv4-compatible,
// SIIT, NAT64) and Unicode spellings of a forbidden host.
//
// Every zoned address names ::1 (the IPv6 canary's port, or the IPv4
// one's where there is no ::1), so it stays on this machine whatever the
// kernel makes of the zone. The embedded forms and the Unicode names would
// leave it: the test checks, before any round, that each is refused by
// validation or by the guard (see Destinations).
func (f *Fleet) disguised() []Node {
	port := addrPort(f.canary).Port()
	if f.canary6 != nil {
		port = addrPort(f.canary6).Port()
	}
	v4 := addrPort(f.canary).Port()
	at := func(host string, p uint16) string { return fmt.Sprintf("http://%s:%d", host, p) }
	f.redirects = map[string]string{
		"redirect-zone":          at("[::1%25251]", port),
		"redirect-zone-encoded":  at("[::1%2525%252541]", port),
		"redirect-siit":          at("[::ffff:0:7f00:1]", v4),
		"redirect-ipv4-compat":   at("[::127.0.0.1]", v4),
		"redirect-unicode-host":  "http://ｇｏｏｇｌｅ.com",
		"redirect-unicode-upper": "http://ＧＯＯＧＬＥ。ＣＯＭ",
	}
	bad := func(name, addr, want string) Node { return Node{Name: name, Address: addr, Want: want} }
	return []Node{
		bad("zone-lo", at("[::1%25lo]", port), "invalid_address"),
		bad("zone-numeric", at("[::1%251]", port), "invalid_address"),
		bad("zone-eth0", at("[::1%25eth0]", port), "invalid_address"),
		bad("zone-encoded", at("[::1%25%2541]", port), "invalid_address"),
		bad("zone-double-encoded", at("[::1%25251]", port), "invalid_address"),
		bad("zone-long-form", at("[0:0:0:0:0:0:0:1%25lo]", port), "invalid_address"),
		bad("siit", at("[::ffff:0:7f00:1]", v4), "forbidden"),
		bad("siit-dotted", at("[::ffff:0:127.0.0.1]", v4), "forbidden"),
		bad("ipv4-compatible", at("[::127.0.0.1]", v4), "forbidden"),
		bad("ipv4-compatible-hex", at("[::7F00:1]", v4), "forbidden"),
		bad("ipv4-mapped-long", at("[0:0:0:0:0:ffff:7f00:1]", v4), "forbidden"),
		bad("nat64", at("[64:ff9b::7f00:1]", v4), "forbidden"),
		bad("unicode-fullwidth", "http://ｇｏｏｇｌｅ.com", "invalid_address"),
		bad("unicode-ideographic-stop", "http://google。com", "invalid_address"),
		bad("unicode-circled", "http://ⓖⓞⓞⓖⓛⓔ.com", "invalid_address"),
		bad("unicode-soft-hyphen", "http://goo\u00adgle.com", "invalid_address"),
		bad("unicode-zero-width", "http://goo\u200bgle.com", "invalid_address"),
		bad("unicode-word-joiner", "http://www.goo\u2060gle\ufeff.com", "invalid_address"),
		bad("unicode-trailing-dot", "https://GOOGLE.com.", "invalid_address"),
		bad("redirect-zone", f.listen("redirect-zone"), "redirect"),
		bad("redirect-zone-encoded", f.listen("redirect-zone-encoded"), "redirect"),
		bad("redirect-siit", f.listen("redirect-siit"), "forbidden"),
		bad("redirect-ipv4-compat", f.listen("redirect-ipv4-compat"), "forbidden"),
		bad("redirect-unicode-host", f.listen("redirect-unicode-host"), "redirect"),
		bad("redirect-unicode-upper", f.listen("redirect-unicode-upper"), "redirect"),
	}
}

// redirect answers a disguised redirect behaviour, if name is one.
func (f *Fleet) redirect(w http.ResponseWriter, r *http.Request, name, sub string) bool {
	target, ok := f.redirects[name]
	if ok {
		http.Redirect(w, r, target+sub, http.StatusFound)
	}
	return ok
}

// Destinations are every URL the fleet sends the prober to: node
// addresses and redirect targets. The canary redirects of behave.go are
// not listed: they name 127.0.0.1 and localhost only.
func (f *Fleet) Destinations() []string {
	var out []string
	for _, n := range f.Nodes {
		out = append(out, n.Address)
	}
	for _, t := range f.redirects {
		out = append(out, t+"/status/config")
	}
	return out
}

// Loopback reports whether host names this machine whatever its zone:
// "localhost" or a loopback literal.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.WithZone("").Unmap().IsLoopback()
}
