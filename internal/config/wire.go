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
