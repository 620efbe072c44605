package main

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/replica"
	"nodelist/internal/server"
	"nodelist/internal/store"
	"nodelist/internal/store/mysql"
	"nodelist/internal/store/sqlite"
)

// checkConfig asks each part to check its share of cfg, all at once.
func checkConfig(cfg *config.Config) error {
	_, probeErr := probe.FromConfig(cfg)
	_, modeErr := refresh.ParseMode(cfg.Mode)
	return errors.Join(cfg.Validate(), probeErr, modeErr)
}

// newRefresher builds the prober and the refresher of cfg; sink takes
// finished rounds (nil for none), hooks are a replica's (zero for a single
// instance). The caller closes the client's idle connections when done.
func newRefresher(cfg *config.Config, sink refresh.Sink, hooks refresh.Hooks, log *slog.Logger) (*refresh.Refresher, *probe.Client, error) {
	popts, err := probe.FromConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	client := probe.NewClient(popts)
	ropts, err := refresh.FromConfig(cfg, client, sink, log)
	if err != nil {
		client.CloseIdleConnections()
		return nil, nil, err
	}
	ropts.Hooks = hooks
	return refresh.New(ropts), client, nil
}

// openRecorder opens the configured history store (nil for --db none).
func openRecorder(ctx context.Context, cfg config.History, log *slog.Logger) (*store.Recorder, error) {
	st, err := store.Open(ctx, cfg.DB,
		func(ctx context.Context, path string) (store.Store, error) {
			return sqlite.Open(ctx, path, probe.Names()...)
		},
		func(ctx context.Context, dsn string) (store.Store, error) {
			return mysql.Open(ctx, dsn, probe.Names()...)
		})
	if err != nil || st == nil {
		return nil, err
	}
	return store.NewRecorder(st, cfg, log), nil
}

// newReplica makes the service one replica among several on the MySQL
// database of histCfg, on a pool of its own; the caller closes the pool
// after the replica's Run.
func newReplica(ctx context.Context, cfg *config.Config, histCfg config.History, rc config.Replica, rec *store.Recorder, log *slog.Logger) (*replica.Replica, *sql.DB, error) {
	opts, err := replica.FromConfig(cfg, rc)
	if err != nil {
		return nil, nil, err
	}
	if opts.DB, err = mysql.Connect(ctx, histCfg.DB, mysql.Pool{MaxOpen: 4, FoundRows: true}); err != nil {
		return nil, nil, err
	}
	opts.Logger = log
	if rec != nil {
		opts.History, opts.ReadOnly = rec, store.ReadOnly(rec.Store())
	}
	return replica.New(opts), opts.DB, nil
}

// runService wires history, prober, refresher and server, and runs them
// until ctx ends; then it shuts down gracefully. With a MySQL history the
// service is a replica: the refresher runs only while it leads.
func runService(ctx context.Context, cfg config.Config, histCfg config.History, rc config.Replica, log *slog.Logger) error {
	rec, err := openRecorder(ctx, histCfg, log)
	if err != nil {
		return err
	}
	var sink refresh.Sink
	var hooks refresh.Hooks
	sopts := server.Options{DebugEndpoints: cfg.DebugEndpoints, Logger: log}
	if rec != nil {
		sink, sopts.History, sopts.Writer = rec, rec.Store(), rec.Writer()
		defer rec.Stop(5 * time.Second)
	}
	var rep *replica.Replica
	if rc.Replicated(histCfg) {
		var pool *sql.DB
		if rep, pool, err = newReplica(ctx, &cfg, histCfg, rc, rec, log); err != nil {
			return err
		}
		defer pool.Close()
		sink, hooks = rep, rep.Hooks()
	}
	ref, client, err := newRefresher(&cfg, sink, hooks, log)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	if rec != nil {
		rec.Seed(ctx, ref)
		if rep != nil {
			rec.PruneWhen(rep.Leading)
		}
		rec.Start()
	}
	sopts.Refresher = ref
	run := ref.Run
	if rep != nil {
		rep.Attach(ctx, ref)
		sopts.Refresher, run = rep, rep.Run
	}
	listen := server.ListenOptions{Addr: cfg.Listen, TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey}
	sopts.Limits, listen.Conns = server.LimitsFromConfig(&cfg, client.Files())
	handler, err := server.New(sopts)
	if err != nil {
		return err
	}
	log.Info("starting", "mode", cfg.Mode, "api", cfg.APIURL)
	runCtx, cancel := context.WithCancel(ctx)
	refDone := make(chan struct{})
	go func() {
		defer close(refDone)
		_ = run(runCtx)
	}()
	err = server.Run(runCtx, listen, handler, log)
	cancel()
	<-refDone
	return err
}
