package config

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// History is the configuration of the history store.
type History struct {
	DB            string
	RetentionRaw  time.Duration
	RetentionLong time.Duration
	Queue         int
}

// DefaultHistory is the store configuration used when nothing is set.
func DefaultHistory() History {
	return History{DB: "sqlite:nodelist.db", RetentionRaw: 48 * time.Hour, RetentionLong: 400 * 24 * time.Hour, Queue: 1000}
}

// RegisterHistory adds the store's flags.
func (h *History) RegisterHistory(fs *flag.FlagSet) {
	fs.StringVar(&h.DB, "db", h.DB, "history store: none, sqlite:PATH or mysql://user:pass@host:port/db?params")
	fs.DurationVar(&h.RetentionRaw, "retention-raw", h.RetentionRaw, "how long per-minute history is kept")
	fs.DurationVar(&h.RetentionLong, "retention-long", h.RetentionLong, "how long hourly history and events are kept")
	fs.IntVar(&h.Queue, "history-queue", h.Queue, "rounds kept in memory while the database is unavailable; past it the oldest is dropped")
}

// Validate checks the store configuration.
func (h *History) Validate() error {
	switch {
	case h.DB != "none" && !strings.HasPrefix(h.DB, "sqlite:") && !strings.HasPrefix(h.DB, "mysql://"):
		return fmt.Errorf("--db: want none, sqlite:PATH or mysql://user:pass@host:port/db")
	case h.RetentionRaw < time.Hour:
		return fmt.Errorf("--retention-raw %s: want at least 1h", h.RetentionRaw)
	case h.RetentionLong < h.RetentionRaw:
		return fmt.Errorf("--retention-long %s: want at least --retention-raw", h.RetentionLong)
	case h.Queue < 1:
		return fmt.Errorf("--history-queue %d: want at least 1", h.Queue)
	}
	return nil
}
