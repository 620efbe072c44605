package probe

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ValidateAddress checks a node's registered base URL: scheme http or
// https, a host, no credentials, and a host that is not (a subdomain of) a
// forbidden name. It returns the address without trailing slashes.
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
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return "", errors.New("address has no host")
	}
	if u.User != nil {
		return "", errors.New("address carries credentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("address has a query or fragment")
	}
	if p := u.Port(); p != "" && (len(p) > 5 || p == "0" || portNumber(p) > 65535) {
		return "", fmt.Errorf("port %q out of range", p)
	}
	for _, f := range forbidden {
		f = strings.ToLower(f)
		if host == f || strings.HasSuffix(host, "."+f) {
			return "", fmt.Errorf("host %s is forbidden", host)
		}
	}
	return strings.TrimRight(s, "/"), nil
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
