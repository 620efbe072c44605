package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"nodelist/internal/buildinfo"
	"nodelist/internal/config"
	"nodelist/internal/history"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/replica"
	"nodelist/internal/server"
	"nodelist/internal/server/listen"
	"nodelist/internal/store"
	"nodelist/internal/store/memory"
	"nodelist/internal/store/mysql"
	"nodelist/internal/store/sqlite"
)

// checkConfig asks each part to check its share of cfg, all at once.
func checkConfig(cfg *config.Config) error {
	_, probeErr := probe.FromConfig(cfg)
	_, modeErr := refresh.ParseMode(cfg.Mode)
	return errors.Join(cfg.Validate(), probeErr, modeErr)
}

// checkHistory checks the history settings: a malformed --db was
// refused when it was set, the rest here, before any connection is
// tried (a usage error, exit status 2).
func checkHistory(h *config.History) error { return h.Validate() }

// checkTLS loads the certificate pair, as the server will at start.
func checkTLS(cfg *config.Config) error {
	if cfg.TLSCert == "" {
		return nil
	}
	_, err := listen.LoadCertFiles(cfg.TLSCert, cfg.TLSKey, slog.New(slog.DiscardHandler))
	return err
}

// newRefresher builds the prober and the refresher of cfg; sink takes
// finished rounds (nil for none), reg their metrics (nil for none), hooks
// are a replica's (zero for a single instance). The caller closes the
// client's idle connections when done.
func newRefresher(cfg *config.Config, sink refresh.Sink, reg prometheus.Registerer, hooks refresh.Hooks, log *slog.Logger) (*refresh.Refresher, *probe.Client, error) {
	popts, err := probe.FromConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	popts.Registerer = reg
	popts.Logger = log
	client := probe.NewClient(popts)
	ropts, err := refresh.FromConfig(cfg, client, sink, log)
	if err != nil {
		client.CloseIdleConnections()
		return nil, nil, err
	}
	ropts.Registerer = reg
	ropts.Hooks = hooks
	ropts.ReturnMemory = true // measured in BENCHMARKS.md, "Memory (issue 23)"
	return refresh.New(ropts), client, nil
}

// newRegistry is where every part registers its metrics; the server
// serves it at /metrics. Beside the parts' own: the Go runtime's, the
// process's, and which build this is.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	buildinfo.Register(reg, buildinfo.Read(version, revision))
	return reg
}

// openRecorder opens the configured history store: in memory for --db
// none, SQLite or MySQL.
func openRecorder(ctx context.Context, cfg config.History, log *slog.Logger) (*history.Recorder, error) {
	var st store.Store
	var err error
	switch cfg.DB.Kind {
	case config.DBNone:
		st, err = memory.New(probe.Names()...)
	case config.DBSQLite:
		st, err = sqlite.Open(ctx, cfg.DB.Path, probe.Names()...)
	case config.DBMySQL:
		st, err = mysql.OpenConfig(ctx, mysql.Config(cfg.DB), probe.Names()...)
	default:
		err = fmt.Errorf("--db: no store of kind %d", cfg.DB.Kind)
	}
	if err != nil {
		return nil, err
	}
	return history.New(st, cfg, log), nil
}

// reloading is how serve reloads its configuration: the flags read at
// start, the function reading them again, and the logger's level.
type reloading struct {
	flags *flag.FlagSet
	load  func() (*serveConfig, *flag.FlagSet, error)
	level *slog.LevelVar
	// token is the admin token read at start (nil: none); a changed
	// token needs a restart, as its file's path does.
	token []byte
	// hup receives SIGHUP, caught since before the start began.
	hup <-chan os.Signal
}

// reconfigure puts a reloaded configuration in force: each part takes
// what it may change, and rebuilds only what changed.
func reconfigure(cfg *config.Config, client *probe.Client, ref *refresh.Refresher, level *slog.LevelVar) {
	popts, _ := probe.FromConfig(cfg) // checked by the load
	client.Reconfigure(popts)
	ropts, _ := refresh.FromConfig(cfg, client, nil, nil)
	ref.Reconfigure(ropts)
	level.Set(cfg.Level())
}

// newReplica makes the service one replica among several on the MySQL
// database of histCfg, on a pool of its own; the caller closes the
// replicas' store after the replica's Run.
func newReplica(ctx context.Context, cfg *config.Config, histCfg config.History, rc config.Replica, rec *history.Recorder, log *slog.Logger) (*replica.Replica, store.Replicas, error) {
	opts, err := replica.FromConfig(cfg, rc)
	if err != nil {
		return nil, nil, err
	}
	if opts.Store, err = mysql.ConnectReplicasConfig(ctx, mysql.Config(histCfg.DB)); err != nil {
		return nil, nil, err
	}
	opts.Logger = log
	opts.History, opts.ReadOnly = rec, store.ReadOnly(rec.Store())
	return replica.New(opts), opts.Store, nil
}

// runService wires history, prober, refresher and server, and runs them
// until ctx ends; then it shuts down gracefully. With a MySQL history the
// service is a replica: the refresher runs only while it leads. With rl
// set, SIGHUP (and POST /-/reload when enabled) reloads the configuration.
// ln is the service's listener when the caller bound it already (nil: bound
// here from cfg.Listen).
func runService(ctx context.Context, ln net.Listener, cfg config.Config, histCfg config.History, rc config.Replica, nc config.Notify, log *slog.Logger, rl *reloading) error {
	// The listener first: an address in use is then the one error said,
	// before the store is opened or migrated and before a round probes
	// the fleet for a service that cannot serve.
	if ln == nil {
		var err error
		if ln, err = listen.Bind(cfg.Listen); err != nil {
			return err
		}
	}
	defer ln.Close() // listen.Run closes it; this covers a start that fails before
	rec, err := openRecorder(ctx, histCfg, log)
	if err != nil {
		return err
	}
	// sink is the history's: the recorder, or the replica that fences
	// the leader's rounds before handing them to it. Other parts that
	// read the rounds are appended to sinks after it.
	var sink refresh.Sink
	var hooks refresh.Hooks
	reg := newRegistry()
	sopts := server.Options{DebugEndpoints: cfg.DebugEndpoints, Logger: log, ReadyMaxAge: cfg.ReadyMaxAge,
		Registerer: reg, Gatherer: reg}
	if cfg.MaxConnsPerClient == 0 {
		// Behind a reverse proxy every client has the proxy's address:
		// the proxy bounds each client's streams (limit_conn), not us.
		sopts.MaxStreamsPerClient = -1
	}
	sink, sopts.History, sopts.Writer = rec, rec.Store(), rec.Writer()
	rec.RegisterMetrics(reg)
	defer rec.Stop(5 * time.Second)
	var rep *replica.Replica
	if rc.Replicated(histCfg) {
		var pool store.Replicas
		if rep, pool, err = newReplica(ctx, &cfg, histCfg, rc, rec, log); err != nil {
			return err
		}
		defer pool.Close()
		rep.RegisterMetrics(reg)
		sink, hooks = rep, rep.Hooks()
	}
	sinks := refresh.Sinks{sink}
	var ref *refresh.Refresher
	var term func() (store.Term, bool)
	if rep != nil {
		term = rep.Lease
	}
	// Read once rounds run, after ref is set.
	lastVersion := func() string { return ref.Status().LastCRNVersion }
	notifier, err := newNotifier(&nc, rec.Store(), term, lastVersion, reg, log)
	if err != nil {
		return err
	}
	if notifier != nil {
		sinks = append(sinks, notifier)
	}
	ref, client, err := newRefresher(&cfg, sinks, reg, hooks, log)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	rec.Seed(ctx, ref)
	if rep != nil {
		rec.PruneWhen(rep.Leading)
	}
	rec.Start()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if rl != nil {
		r := config.NewReloader(rl.flags, rl.load, func(next *serveConfig) {
			reconfigure(&next.cfg, client, ref, rl.level)
		}, log)
		if cfg.ReloadEndpoint {
			sopts.Reload = r.Reload
		}
		sopts.AdminToken = rl.token
		watching := make(chan struct{})
		go func() { defer close(watching); r.Watch(runCtx, rl.hup) }()
		defer func() { cancel(); <-watching }()
	}
	sopts.Refresher = ref
	run := ref.Run
	if rep != nil {
		rep.Attach(ctx, ref)
		sopts.Refresher, run = rep, rep.Run
	}
	lopts := listen.Options{Addr: cfg.Listen, Listener: ln, TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey}
	sopts.Limits, lopts.Conns = server.LimitsFromConfig(&cfg, client.Files())
	handler, err := server.New(sopts)
	if err != nil {
		return err
	}
	log.Info("starting", "mode", cfg.Mode, "api", cfg.APIURL)
	refDone := make(chan struct{})
	go func() {
		defer close(refDone)
		_ = run(runCtx)
	}()
	notifyDone := make(chan struct{})
	go func() {
		defer close(notifyDone)
		if notifier != nil {
			notifier.Run(runCtx)
		}
	}()
	err = listen.Run(runCtx, lopts, handler, log)
	cancel()
	<-refDone
	<-notifyDone
	return err
}
