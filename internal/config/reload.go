package config

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"sync"
)

// reloadable are the flags a reload applies, and who picks each up. Any
// other flag needs a restart: the listener, TLS (whose files are reread
// when they change anyway), the store, the transport's sizes and
// timeouts, the routes, the log format.
var reloadable = map[string]string{
	"refresh-interval":      "the refresher, from its current wait",
	"mode":                  "the refresher, from its current wait",
	"registry-address":      "the next round",
	"settings-address":      "the next round (the settings are fetched again)",
	"forbidden-hosts":       "the next round (every address is judged again) and redirects",
	"allow-private-targets": "the probe guard, from the next connection",
	"allow-cidr":            "the probe guard, from the next connection",
	"log-level":             "the logger, at once",
}

// Reloadable reports whether a reload applies the flag name.
func Reloadable(name string) bool { return reloadable[name] != "" }

// Change is one flag whose value a reload found changed.
type Change struct {
	Flag string `json:"flag"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// Report is what a reload did.
type Report struct {
	Applied []Change `json:"applied"`
	// NeedsRestart are the changes left aside: the value in force stays
	// until the service restarts.
	NeedsRestart []Change `json:"needs_restart"`
}

// Reloader reloads a running service's configuration: Load reads the
// command line, the environment and the file again and validates the
// result; only then are the changes sorted, those needing a restart put
// back to the value in force, and Apply handed the result, which it swaps
// in part by part. Reloads run one at a time.
type Reloader[T any] struct {
	// Load reads and validates the configuration, returning it with the
	// flag set it was parsed into. T is what those flags write into (a
	// pointer), so that a change needing a restart can be put back.
	Load func() (T, *flag.FlagSet, error)
	// Apply puts a validated configuration in force; each part rebuilds
	// what it derives only when its own settings changed.
	Apply func(T)
	Log   *slog.Logger

	mu    sync.Mutex
	inUse map[string]string // flag values in force
}

// NewReloader starts from the configuration in force, parsed into fs.
func NewReloader[T any](fs *flag.FlagSet, load func() (T, *flag.FlagSet, error), apply func(T), log *slog.Logger) *Reloader[T] {
	return &Reloader[T]{Load: load, Apply: apply, Log: log, inUse: values(fs)}
}

// Reload reads the configuration again and applies what changed. A
// configuration that does not load or validate is refused with the
// reasons, and the one in force stays whole.
func (r *Reloader[T]) Reload() (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next, fs, err := r.Load()
	if err != nil {
		r.Log.Warn("configuration refused; the one in force stays", "err", err)
		return Report{}, err
	}
	rep := Report{Applied: []Change{}, NeedsRestart: []Change{}}
	fs.VisitAll(func(f *flag.Flag) {
		old, ok := r.inUse[f.Name]
		now := f.Value.String()
		if !ok || old == now {
			return
		}
		c := Change{Flag: f.Name, Old: shown(f.Name, old), New: shown(f.Name, now)}
		if Reloadable(f.Name) {
			rep.Applied = append(rep.Applied, c)
			return
		}
		rep.NeedsRestart = append(rep.NeedsRestart, c)
		if v, ok := f.Value.(interface{ Reset() }); ok {
			v.Reset() // a value each Set adds to (AppendList)
		}
		_ = fs.Set(f.Name, old) // it was valid when set
	})
	if len(rep.Applied) > 0 {
		r.Apply(next)
		r.inUse = values(fs)
	}
	r.Log.Info("configuration reloaded", "applied", flagNames(rep.Applied), "needs_restart", flagNames(rep.NeedsRestart))
	for _, c := range rep.Applied {
		r.Log.Info("setting changed", "flag", c.Flag, "old", c.Old, "new", c.New)
	}
	for _, c := range rep.NeedsRestart {
		r.Log.Warn("setting changed but needs a restart; the value in force stays", "flag", c.Flag, "in_force", c.Old, "new", c.New)
	}
	return rep, nil
}

func values(fs *flag.FlagSet) map[string]string {
	m := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { m[f.Name] = f.Value.String() })
	return m
}

func flagNames(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Flag
	}
	return out
}

// shown is a flag's value as reports and logs may show it: a database
// address without its password, no webhook URL (its path is its secret).
func shown(name, v string) string {
	if (name == "notify-url" || name == "notify") && v != "" {
		return "(hidden: webhook URLs hold secrets)"
	}
	if name != "db" {
		return v
	}
	db, err := ParseDB(v)
	if err != nil {
		return "(not a valid --db)" // it might hold a password
	}
	return db.String()
}

// Watch reloads on every signal received until ctx ends: the service's
// SIGHUP.
func (r *Reloader[T]) Watch(ctx context.Context, signals <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			_, _ = r.Reload() // the outcome is logged
		}
	}
}
