package config

import (
	"io"
	"log/slog"
	"time"
)

// NewLogger builds the logger the configuration asks for, writing to w.
// Its level is the returned LevelVar, which a reload sets. Durations are
// written for people in text (1.23s, 250ms) and as seconds in JSON (1.23),
// the unit log pipelines and Prometheus expect, rather than slog's
// nanoseconds.
func (c *Config) NewLogger(w io.Writer) (*slog.Logger, *slog.LevelVar) {
	level := new(slog.LevelVar)
	level.Set(c.Level())
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindDuration {
				a.Value = slog.Float64Value(a.Value.Duration().Seconds())
			}
			return a
		}
		return slog.New(slog.NewJSONHandler(w, opts)), level
	}
	opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration {
			a.Value = slog.StringValue(HumanDuration(a.Value.Duration()))
		}
		return a
	}
	return slog.New(slog.NewTextHandler(w, opts)), level
}

// Level is --log-level as a slog level (info when it is not one).
func (c *Config) Level() slog.Level {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	return level
}

// HumanDuration writes d with three significant digits at most: 1.23s,
// 12.3s, 250ms; from a minute on, to the second (2m3s).
func HumanDuration(d time.Duration) string {
	if d >= time.Minute || d <= -time.Minute {
		return d.Round(time.Second).String()
	}
	p, a := time.Duration(1), max(d, -d)
	for a/p >= 1000 {
		p *= 10
	}
	return d.Round(p).String()
}
