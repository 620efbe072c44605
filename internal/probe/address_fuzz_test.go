package probe

import (
	"net/url"
	"strings"
	"testing"

	"nodelist/internal/config"
)

// FuzzValidateAddress checks that an accepted address is an http(s) URL
// with a host, no credentials, query or fragment, no trailing slash, and
// that validating it again changes nothing.
func FuzzValidateAddress(f *testing.F) {
	for _, s := range []string{
		"https://node.example.org", "http://node.example.org:4020///", "  https://n.example.org/aleph/ ",
		"https://user:pw@node.example.org", "http://[::1]:80/", "http://127.0.0.1:99999", "http://localhost:0",
		"ftp://x", "javascript:alert(1)", "http://%41.example.org/", "http://node.example.org/%2e%2e/",
		"https://www.google.com.", "http://\xff\xfe/", "http://[fe80::1%25eth0]:8080/", "//node.example.org",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := ValidateAddress(raw, config.DefaultForbiddenHosts)
		if err != nil {
			if got != "" {
				t.Fatalf("error %v with a result %q", err, got)
			}
			return
		}
		u, perr := url.Parse(got)
		if perr != nil {
			t.Fatalf("accepted %q, which does not parse: %v", got, perr)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("accepted %q: scheme %q host %q user %v query %q fragment %q", got, u.Scheme, u.Hostname(), u.User, u.RawQuery, u.Fragment)
		}
		if strings.HasSuffix(got, "/") {
			t.Fatalf("accepted %q with a trailing slash", got)
		}
		again, err := ValidateAddress(got, config.DefaultForbiddenHosts)
		if err != nil || again != got {
			t.Fatalf("validating %q again gave %q, %v", got, again, err)
		}
	})
}
