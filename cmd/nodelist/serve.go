package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/server"
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
	raiseFileLimit()
	return runService(ctx, cfg, hist, cfg.Logger())
}

// runService wires prober, refresher and server, and runs them until ctx
// ends; then it shuts down gracefully.
func runService(ctx context.Context, cfg config.Config, histCfg config.History, log *slog.Logger) error {
	hist, err := openHistory(ctx, histCfg, log)
	if err != nil {
		return err
	}
	client := probe.NewClient(cfg.ProbeOptions())
	defer client.CloseIdleConnections()
	var onRound func(*refresh.Round)
	if hist != nil {
		onRound = hist.onRound
	}
	ref := refresh.New(refresh.Options{
		OnRound:         onRound,
		Client:          client,
		APIURL:          cfg.APIURL,
		RegistryAddress: cfg.RegistryAddress,
		SettingsAddress: cfg.SettingsAddress,
		Forbidden:       cfg.ForbiddenHosts,
		Mode:            refresh.Mode(cfg.Mode),
		Interval:        cfg.RefreshInterval,
		Logger:          log,
	})
	maxConns := cfg.ConnBudget()
	// crns.json readers may hold half the connections; the other half
	// stays for the cheap routes, /healthz among them.
	limits := server.Limits{Snapshot: max(1, maxConns/2), MinReadRate: cfg.MinReadRate}
	if cfg.MinReadRate == 0 {
		limits.MinReadRate = -1
	}
	sopts := server.Options{Refresher: ref, DebugEndpoints: cfg.DebugEndpoints, Logger: log, Limits: limits}
	if hist != nil {
		hist.seed(ctx, ref)
		hist.start()
		defer hist.stop(5 * time.Second)
		sopts.History, sopts.Writer = hist.st, hist.writer
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	conns := server.LimitConns(ln, server.ConnLimits{Max: maxConns, PerClient: cfg.MaxConnsPerClient}, log)
	sopts.Conns = conns
	handler, err := server.New(sopts)
	if err != nil {
		ln.Close()
		return err
	}
	var certs *server.CertFiles
	scheme := "http"
	if cfg.TLSCert != "" {
		if certs, err = server.LoadCertFiles(cfg.TLSCert, cfg.TLSKey, log); err != nil {
			ln.Close()
			return err
		}
		scheme = "https"
	}
	srv := server.HTTPServer(handler, certs, log)
	srv.ConnState = conns.ConnState
	srv.RegisterOnShutdown(handler.Close) // ends the change streams, which never go idle
	log.Info("serving", "url", scheme+"://"+ln.Addr().String(), "mode", cfg.Mode, "api", cfg.APIURL,
		"max_conns", maxConns, "max_conns_per_client", cfg.MaxConnsPerClient)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = ref.Run(runCtx)
	}()
	serveErr := make(chan error, 1)
	go func() {
		if certs != nil {
			serveErr <- srv.ServeTLS(conns, "", "")
			return
		}
		serveErr <- srv.Serve(conns)
	}()

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	cancel()
	log.Info("shutting down")
	shutCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if e := srv.Shutdown(shutCtx); e != nil && !errors.Is(e, http.ErrServerClosed) {
		log.Warn("shutdown", "err", e)
	}
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
