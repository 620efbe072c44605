package config

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// History is the configuration of the history store.
type History struct {
	DB            DB
	dbErr         error // why the text given to --db did not parse
	RetentionRaw  time.Duration
	RetentionLong time.Duration
	Queue         int
}

// DefaultHistory is the store configuration used when nothing is set.
func DefaultHistory() History {
	return History{DB: DefaultDB(), RetentionRaw: 48 * time.Hour, RetentionLong: 400 * 24 * time.Hour, Queue: 1000}
}

// RegisterHistory adds the store's flags.
func (h *History) RegisterHistory(fs *flag.FlagSet) {
	fs.Var(dbFlag{h}, "db", "history store: none (in memory, for the process's life), sqlite:PATH or mysql://user:pass@host:port/db?params")
	DurationVar(fs, &h.RetentionRaw, "retention-raw", h.RetentionRaw, "how long per-minute history is kept")
	DurationVar(fs, &h.RetentionLong, "retention-long", h.RetentionLong, "how long hourly history and events are kept")
	fs.IntVar(&h.Queue, "history-queue", h.Queue, "rounds kept in memory while the database is unavailable; past it the oldest is dropped")
}

// Validate checks the store configuration and says everything wrong at
// once: --db was parsed when it was set (ParseDB), and its error is
// said here.
func (h *History) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if h.dbErr != nil {
		bad("--db: %w", h.dbErr)
	}
	if h.RetentionRaw < time.Hour {
		bad("--retention-raw %s: want at least 1h", h.RetentionRaw)
	}
	if h.RetentionLong < h.RetentionRaw {
		bad("--retention-long %s: want at least --retention-raw", h.RetentionLong)
	}
	if h.Queue < 1 {
		bad("--history-queue %d: want at least 1", h.Queue)
	}
	return errors.Join(errs...)
}
