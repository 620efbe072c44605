package probe

import (
	"fmt"
	"strings"
	"testing"
)

// TestBadTextIsRefusedByEveryProbe: invalid UTF-8 or an unpaired
// surrogate escape anywhere in an answer is invalid_data naming the
// field; NaN and the like are invalid_json naming the token.
func TestBadTextIsRefusedByEveryProbe(t *testing.T) {
	bad := map[string]string{
		"invalid byte":        "\xff",
		"overlong":            "\xc0\xaf",
		"surrogate in UTF-8":  "\xed\xa0\x80",
		"lone continuation":   "\x80",
		"unpaired escape":     `\ud800`,
		"unpaired low escape": `\udfff`,
		"truncated sequence":  "\xe2\x82",
	}
	for name, s := range bad {
		t.Run(name, func(t *testing.T) {
			config := strings.Replace(goodConfig, `"1.9.2"`, `"1.9.2`+s+`"`, 1)
			usage := strings.Replace(goodUsage, `"AuthenticAMD"`, `"Authentic`+s+`AMD"`, 1)
			ipv6 := `{"host":true,"vm":true,"note":"` + s + `"}`
			r := probeOnce(t, 1<<20, config, usage, ipv6)
			for _, c := range []struct {
				p    *Probe
				want string
			}{
				{Config, "invalid_data: config field version: "},
				{Usage, "invalid_data: usage field properties.cpu.vendor: "},
				{IPv6, "invalid_data: IPv6 answer field note: "},
			} {
				a := r.Of(c.p)
				if got := errOf(a.Err); !strings.HasPrefix(got, c.want) || a.Values != nil {
					t.Errorf("%s: %q, want %q…", c.p.Name, got, c.want)
				}
			}
		})
	}
	for _, tok := range []string{"NaN", "-NaN", "Infinity", "-Infinity", "nan", "inf", "-inf"} {
		t.Run(tok, func(t *testing.T) {
			config := `{"version":"1.9.2","x":` + tok + `}`
			usage := strings.Replace(goodUsage, `"load1":0.25`, `"load1":`+tok, 1)
			ipv6 := `{"host":true,"vm":` + tok + `}`
			r := probeOnce(t, 1<<20, config, usage, ipv6)
			for _, c := range []struct {
				p    *Probe
				want string
			}{
				{Config, "invalid_json: config is not JSON: "},
				{Usage, "invalid_json: usage is not JSON: "},
				{IPv6, "invalid_json: IPv6 answer is not JSON: "},
			} {
				got := errOf(r.Of(c.p).Err)
				if !strings.HasPrefix(got, c.want) || !strings.Contains(got, fmt.Sprintf("%q at offset", tok)) {
					t.Errorf("%s: %q, want %q naming %s", c.p.Name, got, c.want, tok)
				}
			}
		})
	}
}
