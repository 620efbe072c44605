package main

import (
	"context"
	"errors"
	"flag"
	"io"

	"nodelist/internal/config"
)

func serveCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	cfg := config.Default()
	hist := config.DefaultHistory()
	rc := config.DefaultReplica()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterServe(fs)
	cfg.RegisterUpstream(fs)
	hist.RegisterHistory(fs)
	rc.RegisterReplica(fs)
	if err := parseFlags(fs, args, &cfg, stderr); err != nil {
		return err
	}
	if err := errors.Join(hist.Validate(), rc.Validate()); err != nil {
		return usageError{err}
	}
	config.RaiseFileLimit()
	return runService(ctx, cfg, hist, rc, cfg.Logger())
}
