package refresh

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nodelist/internal/config"
	"nodelist/internal/probe"
	"nodelist/internal/snapshot"
)

// Mode says when rounds run.
type Mode string

const (
	// Background runs a round every interval, one at a time.
	Background Mode = "background"
	// OnDemand runs a round when a request finds the data stale, as the
	// Python service did.
	OnDemand Mode = "on-demand"
)

// Options configure a Refresher. Zero values take the defaults noted.
type Options struct {
	Client          *probe.Client // also knows the API host
	RegistryAddress string        // config.DefaultRegistryAddress
	SettingsAddress string        // config.DefaultSettingsAddress
	Forbidden       []string
	Mode            Mode          // Background
	Interval        time.Duration // between round starts in background mode (30 s)
	PublishEvery    time.Duration // snapshot publication while a round runs (250 ms)
	SettingsTTL     time.Duration // settings refetched at most this often (5 min)
	RoundTimeout    time.Duration // a round is cut off after this (max(interval, 3×probe timeout + 5 s))
	// ShortTimeout is the first attempt's timeout for a node that timed
	// out last round or was never probed to the end (a fifth of the probe
	// timeout: 2 s at the default 10 s). See schedule.go.
	ShortTimeout time.Duration
	// MaxUpstream caps an aggregate's size (64 MiB): some 60 000 registry
	// entries of real size, while bounding what one fetch holds, since the
	// body is kept whole for /debug/nodes_aggregate.
	MaxUpstream int64
	// On-demand mode: data older than StaleAfter starts a round in the
	// background; older than WaitAfter, the request waits up to MaxWait.
	StaleAfter, WaitAfter, MaxWait time.Duration // 31 s, 120 s, 10 s
	Holder                         *snapshot.Holder
	Logger                         *slog.Logger
	// Sink, when set, receives each finished round's report (history's
	// recorder, with any other reader of rounds: see Sinks).
	Sink Sink
	// Registerer, when set, receives the rounds' metrics (see
	// metrics.go); nil keeps none.
	Registerer prometheus.Registerer
	// Hooks of a replica that leads others (see internal/replica); nil
	// for a single instance.
	Hooks Hooks
	// ReturnMemory returns the heap a round freed to the OS as the round
	// ends (a collection and a scavenge), instead of leaving it to the
	// runtime's gradual scavenger: between rounds the service then holds
	// what it uses, not what the round's peak left mapped.
	ReturnMemory bool
}

// Hooks let a replica's leader share its work: it learns of each
// publication, and may refuse a round before it probes anything.
type Hooks struct {
	// BeforeRound runs as a round starts, before any request; an error
	// skips the round (this replica no longer leads).
	BeforeRound func(ctx context.Context, started time.Time) error
	// Published runs after each publication, final at the end of a
	// round. It runs on the refresher's goroutines: it must not block.
	Published func(s *snapshot.Snapshot, final bool)
	// Allow runs before each node is probed; false ends the round at
	// once, sending nothing more. It reads a clock, not a timer: a
	// process resumed after a pause must not send one more request
	// before a timer has had the time to fire.
	Allow func() bool
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.RegistryAddress == "" {
		o.RegistryAddress = config.DefaultRegistryAddress
	}
	if o.SettingsAddress == "" {
		o.SettingsAddress = config.DefaultSettingsAddress
	}
	if o.Mode == "" {
		o.Mode = Background
	}
	def(&o.Interval, 30*time.Second)
	def(&o.PublishEvery, 250*time.Millisecond)
	def(&o.SettingsTTL, 5*time.Minute)
	def(&o.RoundTimeout, max(o.Interval, 3*o.Client.Options().Timeout+5*time.Second))
	def(&o.ShortTimeout, o.Client.Options().Timeout/5)
	def(&o.StaleAfter, 31*time.Second)
	def(&o.WaitAfter, 120*time.Second)
	def(&o.MaxWait, 10*time.Second)
	if o.MaxUpstream <= 0 {
		o.MaxUpstream = 64 << 20
	}
	if o.Holder == nil {
		o.Holder = &snapshot.Holder{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Sink takes finished rounds. Record runs on the round's goroutine: it
// hands the report off and does not block.
type Sink interface {
	Record(*Round)
}

// SinkFunc lets a function be a Sink.
type SinkFunc func(*Round)

// Record calls f.
func (f SinkFunc) Record(r *Round) { f(r) }

// Sinks hands each round to several sinks, in order: the history, and
// beside it any part that reads the rounds (notifications, say). Each
// must not block, as for one Sink; a nil entry is skipped.
type Sinks []Sink

// Record hands r to each sink in turn.
func (s Sinks) Record(r *Round) {
	for _, k := range s {
		if k != nil {
			k.Record(r)
		}
	}
}

// FromConfig is the one place the commands' refresh options come from:
// the registry and settings owners, the forbidden hosts, the mode and the
// interval of the service's configuration, with the client, the sink of
// finished rounds (nil for none) and the logger the command wired.
func FromConfig(c *config.Config, client *probe.Client, sink Sink, log *slog.Logger) (Options, error) {
	mode, err := ParseMode(c.Mode)
	return Options{
		Client:          client,
		RegistryAddress: c.RegistryAddress,
		SettingsAddress: c.SettingsAddress,
		Forbidden:       c.ForbiddenHosts,
		Mode:            mode,
		Interval:        c.RefreshInterval,
		Logger:          log,
		Sink:            sink,
	}, err
}

// ParseMode checks a --mode value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Background, OnDemand:
		return m, nil
	}
	return "", fmt.Errorf("--mode %q: want background or on-demand", s)
}
