package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/server/listen"
	"nodelist/internal/simfleet"
)

// demoTempDB is the demo's default --db: SQLite in a temporary folder.
var demoTempDB = config.DB{Kind: config.DBSQLite, Path: "(a temporary folder)"}

// demoCmd runs a simulated fleet and the service against it, offline.
func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	cfg.AllowPrivateTargets = true
	cfg.RefreshInterval = 10 * time.Second
	cfg.Timeout = 3 * time.Second
	fleet := simfleet.Options{
		Nodes: 200, Seed: 1, Latency: 30 * time.Millisecond, Jitter: 20 * time.Millisecond,
		Failing: 0.05, Hung: 0.01, InvalidJSON: 0.02, InvalidAddress: 0.02,
		OldVersion: 0.2, GPU: 0.1, Inactive: 0.1,
		Eras:        true, // a node of each aleph-vm era among the first healthy ones
		MovingUsage: true, // usage moves between answers, as real nodes' does
	}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	cfg.RegisterServe(fs)
	cfg.RegisterProbe(fs)
	fleet.RegisterFlags(fs)
	hist := config.DefaultHistory()
	// Each demo fleet is new, so its history goes to a folder removed at
	// exit; --db none keeps it in memory, --db sqlite:demo.db keeps it.
	hist.DB = demoTempDB
	hist.RegisterHistory(fs)
	if _, err := parseFlags(fs, args, &cfg, stdout); err != nil {
		return err
	}
	if hist.DB.Text() == demoTempDB.Text() {
		dir, err := os.MkdirTemp("", "nodelist-demo-")
		if err != nil {
			return fmt.Errorf("history folder: %w", err)
		}
		defer os.RemoveAll(dir)
		hist.DB.Path = filepath.Join(dir, "history.db")
	}
	if err := checkHistory(&hist); err != nil {
		return usageError{err}
	}
	config.RaiseFileLimit()
	// The service's listener before the fleet's: the fleet's nodes listen
	// on ports the kernel picks, which must not take the one asked for.
	ln, err := listen.Bind(cfg.Listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	f, err := simfleet.Start(ctx, fleet)
	if err != nil {
		return fmt.Errorf("start fleet: %w", err)
	}
	defer f.Close()
	cfg.APIURL = f.APIURL()
	log, _ := cfg.NewLogger(stderr)
	log.Info("simulated fleet started", "nodes", len(f.Nodes()), "api", f.APIURL())
	return runService(ctx, ln, cfg, hist, config.DefaultReplica(), config.DefaultNotify(), log, nil) // the fleet's address is no setting to reload
}
