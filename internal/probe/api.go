package probe

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// The API host is the one upstream the operator chose: its requests (the
// registry and settings aggregates) may reach it although it is private,
// and only they may. Everything about it lives in this file: parsing
// --api-url, the ports a scheme implies, the trusted dial and the request.

// defaultPorts is the port a URL's scheme implies when it names none.
var defaultPorts = map[string]string{"http": "80", "https": "443"}

// hostPort is u's host:port as a dialer sees it, default port included.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = defaultPorts[u.Scheme]
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// parseAPI checks the API base URL: http or https, with a host.
func parseAPI(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--api-url %q: want an http or https URL", raw)
	}
	return u, nil
}

// apiHosts is the set of host:port pairs dialed without the guard.
func apiHosts(apiURL string) map[string]bool {
	m := map[string]bool{}
	if u, err := parseAPI(apiURL); err == nil {
		m[hostPort(u)] = true
	}
	return m
}

// trustedRequest marks the context of a request to the configured API.
type trustedRequest struct{}

// API fetches path (query included) from the configured API host, with
// its own size cap and three times the timeout: aggregates are far larger
// than any node answer.
func (c *Client) API(ctx context.Context, path string, max int64) Response {
	return c.get(context.WithValue(ctx, trustedRequest{}, true), strings.TrimRight(c.opts.APIURL, "/")+path, max)
}

// isAPIRequest reports whether ctx belongs to a request made by API.
func isAPIRequest(ctx context.Context) bool { return ctx.Value(trustedRequest{}) != nil }
