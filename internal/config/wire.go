package config

import (
	"log/slog"
	"net"
	"net/url"
	"os"

	"nodelist/internal/probe"
)

// ProbeOptions derives the shared transport's options. The idle pool is
// sized from the open-file limit; idle connections outlive two refresh
// intervals so that steady rounds reuse every one of them.
func (c *Config) ProbeOptions() probe.Options {
	prefixes, _ := c.Prefixes()
	o := probe.Options{
		Timeout:         c.Timeout,
		MaxBody:         c.MaxBody,
		Concurrency:     c.Concurrency,
		MaxIdleConns:    max(64, OpenFileLimit()*3/4),
		IdleConnTimeout: 2*c.RefreshInterval + 15*c.RefreshInterval/30,
		Forbidden:       c.ForbiddenHosts,
		Logger:          c.Logger(),
	}
	if !c.AllowPrivateTargets {
		o.Guard = &probe.Guard{Allow: prefixes}
	}
	if u, err := url.Parse(c.APIURL); err == nil {
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		o.Trusted = []string{net.JoinHostPort(u.Hostname(), port)}
	}
	return o
}

// Logger builds the logger the configuration asks for, writing to stderr.
func (c *Config) Logger() *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// Descriptors kept for everything but the prober and the clients: the
// store (SQLite holds three per connection, five connections), logs, the
// listener, TLS files, and headroom.
const reservedFiles = 256

// ConnBudget is the bound on open client connections: --max-conns, or
// the open-file limit less the prober's share (its idle pool and its
// requests in flight) and reservedFiles, at least 64 and at most 16384
// (some 500 MB at about 30 KB a connection). Call it after raising the
// open-file limit, as ProbeOptions.
func (c *Config) ConnBudget() int {
	if c.MaxConns > 0 {
		return c.MaxConns
	}
	p := c.ProbeOptions()
	return min(16384, max(64, OpenFileLimit()-p.MaxIdleConns-p.Concurrency-reservedFiles))
}
