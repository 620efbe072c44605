package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// The defaults of the upstream: the Aleph API host and the two aggregates'
// owners. They live here, with every other default, so that --help shows
// them and no part keeps a second copy.
const (
	DefaultAPIURL          = "https://official.aleph.cloud"
	DefaultRegistryAddress = "0xa1B3bb7d2332383D96b7796B908fB7f7F3c2Be10"
	DefaultSettingsAddress = "0xFba561a84A537fCaa567bb7A2257e7142701ae2A"
	DefaultMode            = "background"
)

// DefaultForbiddenHosts are host names no node address may use: a node
// that names a big public site would make the service hammer it.
var DefaultForbiddenHosts = []string{
	"amazon.com", "apple.com", "facebook.com", "google.com", "google.es",
	"microsoft.com", "openai.com", "twitter.com", "x.com", "youtube.com",
}

// Config is every setting of the service.
type Config struct {
	Listen              string
	APIURL              string
	RegistryAddress     string
	SettingsAddress     string
	RefreshInterval     time.Duration
	Mode                string
	Concurrency         int
	Timeout             time.Duration
	MaxBody             int64
	AllowPrivateTargets bool
	AllowCIDRs          List
	ForbiddenHosts      List
	DebugEndpoints      bool
	MaxConns            int
	MaxConnsPerClient   int
	MinReadRate         int
	TLSCert             string
	TLSKey              string
	ReadyMaxAge         time.Duration
	LogLevel            string
	LogFormat           string
	// File is the YAML file the settings were read from, "" for none.
	File string
	// ReloadEndpoint serves POST /-/reload.
	ReloadEndpoint bool
	// AdminTokenFile holds the token POST /-/reload and forced rounds
	// require; "" for none.
	AdminTokenFile string
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Listen:          "127.0.0.1:8080",
		APIURL:          DefaultAPIURL,
		RegistryAddress: DefaultRegistryAddress,
		SettingsAddress: DefaultSettingsAddress,
		RefreshInterval: 30 * time.Second,
		Mode:            DefaultMode,
		Concurrency:     DefaultConcurrency(),
		Timeout:         10 * time.Second,
		MaxBody:         1 << 20,
		ForbiddenHosts:  List(DefaultForbiddenHosts),
		DebugEndpoints:  true,
		// A browser opens at most 6 connections to a host and HTTP
		// clients' pools a few more: 64 leaves room for a NAT or a busy
		// aggregator while no one address holds more than a sliver of
		// the bound. Behind a reverse proxy, raise it (or set 0).
		MaxConnsPerClient: 64,
		MinReadRate:       32 << 10,
		LogLevel:          "info",
		LogFormat:         "text",
	}
}

// OpenFileLimit returns the soft limit on open files (1024 if unknown).
func OpenFileLimit() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur == 0 {
		return 1024
	}
	return int(min(l.Cur, 1<<20))
}

// RaiseFileLimit lifts the soft open-file limit to the hard one: each
// node's pooled connections need descriptors.
func RaiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// DefaultConcurrency bounds requests in flight by the open-file limit:
// each may need a descriptor beside the idle pool's three quarters, and
// the listener's clients need theirs too (1250 at 20 000 open files).
// Rounds use as much of it as their fleet needs (see refresh).
func DefaultConcurrency() int {
	return max(8, min(4096, OpenFileLimit()/16))
}

// RegisterUpstream adds the flags of the upstream API and the prober.
func (c *Config) RegisterUpstream(fs *flag.FlagSet) {
	fs.StringVar(&c.RegistryAddress, "registry-address", c.RegistryAddress, "owner of the corechannel aggregate (the node registry)")
	c.RegisterSettings(fs)
	c.RegisterProbe(fs)
}

// RegisterSettings adds the flags saying where the GPU settings come
// from: the API host and the settings aggregate's owner.
func (c *Config) RegisterSettings(fs *flag.FlagSet) {
	fs.StringVar(&c.APIURL, "api-url", c.APIURL, "base URL of the Aleph API host")
	fs.StringVar(&c.SettingsAddress, "settings-address", c.SettingsAddress, "owner of the settings aggregate (compatible GPUs)")
}

// RegisterProbe adds the flags of the prober alone.
func (c *Config) RegisterProbe(fs *flag.FlagSet) {
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "upstream requests in flight at once; the default is derived from the open-file limit")
	DurationVar(fs, &c.Timeout, "timeout", c.Timeout, "timeout of one upstream request, body included")
	fs.Int64Var(&c.MaxBody, "max-body", c.MaxBody, "most bytes read of one node answer, whatever the probe: each probe reads at most its own bound (64 KiB for config and usage), which this may only lower; larger is an error on that node")
	fs.BoolVar(&c.AllowPrivateTargets, "allow-private-targets", c.AllowPrivateTargets, "let the prober reach loopback, private and other non-public addresses")
	fs.Var(&c.AllowCIDRs, "allow-cidr", "comma-separated CIDRs the prober may reach even though they are not public")
	fs.Var(&c.ForbiddenHosts, "forbidden-hosts", "comma-separated host names no node address may use (subdomains included)")
}

// RegisterServe adds the flags of the server and the refresh loop.
func (c *Config) RegisterServe(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to serve on")
	DurationVar(fs, &c.RefreshInterval, "refresh-interval", c.RefreshInterval, "time between round starts in background mode")
	fs.StringVar(&c.Mode, "mode", c.Mode, "when rounds run: background or on-demand")
	fs.BoolVar(&c.DebugEndpoints, "debug-endpoints", c.DebugEndpoints, "serve /debug/task, /debug/node and /debug/nodes_aggregate")
	fs.IntVar(&c.MaxConns, "max-conns", c.MaxConns, "most client connections open at once (0: the open-file limit less the prober's and the store's share, at most 16384)")
	fs.IntVar(&c.MaxConnsPerClient, "max-conns-per-client", c.MaxConnsPerClient, "most connections open from one IPv4 address or IPv6 /64 (0: no bound; raise it behind a reverse proxy)")
	fs.IntVar(&c.MinReadRate, "min-read-rate", c.MinReadRate, "slowest a client may read an answer, in bytes/s, after a 5 s grace; slower is cut off (0: only the 60 s write timeout)")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate file: serve HTTPS (with --tls-key); reloaded when the file changes")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key file of --tls-cert")
	fs.DurationVar(&c.ReadyMaxAge, "ready-max-age", c.ReadyMaxAge, "how old the data may grow before /readyz answers 503, in background mode (0: three refresh intervals plus a round's timeout)")
	c.RegisterLog(fs)
}

// RegisterReload adds the flags of reloading: the file reread and the
// endpoint that asks for it.
func (c *Config) RegisterReload(fs *flag.FlagSet) {
	c.RegisterFile(fs)
	fs.BoolVar(&c.ReloadEndpoint, "reload-endpoint", c.ReloadEndpoint, "serve POST /-/reload, which reloads the configuration as SIGHUP does")
	c.RegisterAdmin(fs)
}

// RegisterLog adds the logging flags.
func (c *Config) RegisterLog(fs *flag.FlagSet) {
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json")
}

// Validate checks the values that need no part's knowledge and says
// everything wrong at once. The parts check the rest (probe the API URL
// and the allowed ranges, refresh the mode), each in its own package.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			bad("--listen %q: want host:port", c.Listen)
		}
	}
	if c.RefreshInterval < time.Second {
		bad("--refresh-interval %s: want at least 1s", c.RefreshInterval)
	}
	if c.Concurrency < 1 || c.Concurrency > 10000 {
		bad("--concurrency %d: want 1 to 10000", c.Concurrency)
	}
	if c.Timeout < 10*time.Millisecond || c.Timeout > 5*time.Minute {
		bad("--timeout %s: want 10ms to 5m", c.Timeout)
	}
	if c.MaxBody < 1024 || c.MaxBody > 1<<30 {
		bad("--max-body %d: want 1024 to 1073741824 bytes", c.MaxBody)
	}
	if c.MaxConns < 0 || c.MaxConns > 1<<20 {
		bad("--max-conns %d: want 0 (derived) to 1048576", c.MaxConns)
	}
	if c.MaxConnsPerClient < 0 {
		bad("--max-conns-per-client %d: want 0 (no bound) or more", c.MaxConnsPerClient)
	}
	if c.MinReadRate < 0 || c.MinReadRate > 1<<30 {
		bad("--min-read-rate %d: want 0 (none) to 1073741824 bytes/s", c.MinReadRate)
	}
	if c.ReadyMaxAge < 0 {
		bad("--ready-max-age %s: want 0 (derived) or more", c.ReadyMaxAge)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("--tls-cert and --tls-key: set both or neither")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("--log-format %q: want text or json", c.LogFormat)
	}
	return errors.Join(errs...)
}

// List is a comma-separated flag value.
type List []string

func (l *List) String() string { return strings.Join(*l, ",") }

// Set replaces the list.
func (l *List) Set(s string) error {
	*l = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
