package probe

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// ValidateAddress checks a node's registered base URL: scheme http or
// https, a host without any percent sign, no credentials, and a host that
// is not (a subdomain of) a forbidden name once mapped the way the
// transport maps it. It returns the address without trailing slashes.
func ValidateAddress(raw string, forbidden []string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("empty address")
	}
	if len(s) > 2048 {
		return "", errors.New("address longer than 2048 bytes")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		// Not valid in a URL unescaped, and they make the trimmed form
		// ambiguous ("http://h/ /" would become "http://h/ ").
		return "", errors.New("address contains spaces or control characters")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("unparsable address: %w", unwrapURL(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return "", errors.New("address has no host")
	}
	if u.User != nil {
		return "", errors.New("address carries credentials")
	}
	if strings.Contains(rawAuthority(s), "%") || strings.Contains(u.Host, "%") {
		// A percent in the host is an escape (decoded once by the parser,
		// then perhaps again by whoever reads it) or an IPv6 zone: a zone
		// hides an address from range checks, and no public node needs
		// either.
		return "", errors.New("host contains a percent sign")
	}
	host, err := lookupHost(u.Hostname())
	if err != nil {
		return "", err
	}
	if host == "" {
		return "", errors.New("address has no host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("address has a query or fragment")
	}
	if p := u.Port(); p != "" && (len(p) > 5 || portNumber(p) == 0 || portNumber(p) > 65535) {
		return "", fmt.Errorf("port %q out of range", p)
	}
	if isForbidden(host, forbidden) {
		return "", fmt.Errorf("host %s is forbidden", host)
	}
	return strings.TrimRight(s, "/"), nil
}

// lookupHost is the name the transport resolves for host: a non-ASCII
// host goes through the IDNA lookup mapping (as net/http does), which folds
// fullwidth and circled letters, turns ideographic full stops into dots
// and drops soft hyphens and zero-width characters; then lower case, no
// trailing dot. Comparing anything but this form with a list of names
// lets a Unicode spelling of a listed name through.
func lookupHost(host string) (string, error) {
	if !isASCII(host) {
		mapped, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return "", errors.New("host is not a valid domain name")
		}
		host = mapped
	}
	if strings.HasPrefix(host, ".") || strings.Contains(host, "..") {
		// An empty label (perhaps left by a dropped invisible character)
		// names nothing; refusing it keeps "x.com.." from being judged
		// as something else than what a resolver would make of it.
		return "", errors.New("host has an empty label")
	}
	return strings.TrimSuffix(strings.ToLower(host), "."), nil
}

// isForbidden reports whether host, in lookupHost form, is one of the
// forbidden names or a subdomain of one. The names are mapped the same
// way, so that a configured Unicode name matches its ASCII form.
func isForbidden(host string, forbidden []string) bool {
	for _, f := range forbidden {
		f, err := lookupHost(strings.TrimSpace(f))
		if err == nil && f != "" && (host == f || strings.HasSuffix(host, "."+f)) {
			return true
		}
	}
	return false
}

// rawAuthority is the authority of s as written, before any decoding:
// what follows "scheme://" up to the path, query or fragment.
func rawAuthority(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func portNumber(p string) int {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return 1 << 30
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Origin splits a validated node address into its origin, the scheme,
// host and port the transport connects to, and its path, under which the
// probes ask. The host is in the form it is resolved (lookupHost) and the
// port is written out, the default one included, so that the spellings of
// one origin ("http://H:0080", "http://h") give one string; the path is
// as written (escaped), without trailing slashes. Entries sharing an
// origin share the transport's connection to it; entries whose origin and
// path are equal are the same node.
func Origin(addr string) (origin, path string) {
	u, err := url.Parse(addr)
	if err != nil {
		return addr, ""
	}
	host, err := lookupHost(u.Hostname())
	if err != nil {
		host = strings.ToLower(u.Hostname())
	}
	if mapped, err := idna.Lookup.ToASCII(u.Hostname()); err == nil && strings.HasSuffix(mapped, ".") ||
		strings.HasSuffix(u.Hostname(), ".") {
		// Not the same name to a resolver with search domains, nor to
		// the transport's pool; and an IP address with a dot resolves
		// to nothing.
		host += "."
	}
	port := u.Port()
	switch {
	case port != "":
		port = strconv.Itoa(portNumber(port))
	case u.Scheme == "https":
		port = "443"
	default:
		port = "80"
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(host, port), strings.TrimRight(u.EscapedPath(), "/")
}
