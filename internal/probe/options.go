package probe

import (
	"errors"
	"fmt"
	"net/netip"

	"nodelist/internal/config"
)

// FromConfig derives the transport's options from the service's
// configuration and checks the part of it that is the prober's: the API
// URL and the ranges allowed through the guard. The idle pool is sized
// from the open-file limit; idle connections outlive two refresh
// intervals so that steady rounds reuse every one of them (75 s at the
// default 30 s, under the few minutes common front proxies keep one); a
// node that closes one sooner costs a retry on a new connection, not a
// failure. The logger is
// the command's to set: it owns the one whose level a reload changes.
func FromConfig(c *config.Config) (Options, error) {
	var errs []error
	if _, err := parseAPI(c.APIURL); err != nil {
		errs = append(errs, err)
	}
	prefixes, err := parsePrefixes(c.AllowCIDRs)
	if err != nil {
		errs = append(errs, fmt.Errorf("--allow-cidr: %w", err))
	}
	o := Options{
		APIURL:          c.APIURL,
		Timeout:         c.Timeout,
		MaxBody:         c.MaxBody,
		Concurrency:     c.Concurrency,
		MaxIdleConns:    max(64, config.OpenFileLimit()*3/4),
		IdleConnTimeout: 2*c.RefreshInterval + 15*c.RefreshInterval/30,
		Forbidden:       c.ForbiddenHosts,
	}
	if !c.AllowPrivateTargets {
		o.Guard = &Guard{Allow: prefixes}
	}
	return o, errors.Join(errs...)
}

func parsePrefixes(cidrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(cidrs))
	for _, s := range cidrs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
