package main

import (
	"context"
	"flag"
	"io"

	"nodelist/internal/config"
)

func serveCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	cfg := config.Default()
	hist := config.DefaultHistory()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterServe(fs)
	cfg.RegisterUpstream(fs)
	hist.RegisterHistory(fs)
	if err := parseFlags(fs, args, &cfg, stderr); err != nil {
		return err
	}
	if err := hist.Validate(); err != nil {
		return usageError{err}
	}
	config.RaiseFileLimit()
	log, _ := cfg.NewLogger(stderr)
	return runService(ctx, cfg, hist, log)
}
