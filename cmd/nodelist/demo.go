package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/simfleet"
)

// demoCmd runs a simulated fleet and the service against it, offline.
func demoCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	cfg := config.Default()
	cfg.AllowPrivateTargets = true
	cfg.RefreshInterval = 10 * time.Second
	cfg.Timeout = 3 * time.Second
	fleet := simfleet.Options{
		Nodes: 200, Seed: 1, Latency: 30 * time.Millisecond, Jitter: 20 * time.Millisecond,
		Failing: 0.05, Hung: 0.01, InvalidJSON: 0.02, InvalidAddress: 0.02,
		OldVersion: 0.2, GPU: 0.1, Inactive: 0.1,
		Eras: true, // a node of each aleph-vm era among the first healthy ones
	}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	cfg.RegisterServe(fs)
	cfg.RegisterProbe(fs)
	fleet.RegisterFlags(fs)
	hist := config.DefaultHistory()
	hist.DB = "none" // each demo fleet is new; pass --db sqlite:demo.db to keep history
	hist.RegisterHistory(fs)
	if err := parseFlags(fs, args, &cfg, stderr); err != nil {
		return err
	}
	if err := hist.Validate(); err != nil {
		return usageError{err}
	}
	config.RaiseFileLimit()
	f, err := simfleet.Start(ctx, fleet)
	if err != nil {
		return fmt.Errorf("start fleet: %w", err)
	}
	defer f.Close()
	cfg.APIURL = f.APIURL()
	log := cfg.Logger()
	log.Info("simulated fleet started", "nodes", len(f.Nodes()), "api", f.APIURL())
	return runService(ctx, cfg, hist, log)
}
