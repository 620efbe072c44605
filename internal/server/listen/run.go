package listen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"
)

// Service is what Run serves: a handler that reports the listener's
// connection counts, and that Run closes when shutdown begins (its change
// streams never go idle, so Shutdown would wait on them).
type Service interface {
	http.Handler
	UseConns(*ConnLimiter)
	Close()
}

// Options say where and how the service listens.
type Options struct {
	Addr string // host:port
	// Listener, when set, is the socket already bound (by Bind) to serve
	// on instead of binding Addr; Run closes it.
	Listener         net.Listener
	TLSCert, TLSKey  string // PEM files; HTTPS when set
	Conns            ConnLimits
	ShutdownDeadline time.Duration
}

// Run serves s until ctx ends, then shuts down gracefully: requests in
// flight get up to ShutdownDeadline (10 s) to finish. Connections are
// bounded as o.Conns says, and s is handed the limiter to report
// their counts.
func Run(ctx context.Context, o Options, s Service, log *slog.Logger) error {
	ln := o.Listener
	if ln == nil {
		var err error
		if ln, err = Bind(o.Addr); err != nil {
			return err
		}
	}
	defer ln.Close() // after Shutdown has closed it, or when serving never began
	if o.ShutdownDeadline <= 0 {
		o.ShutdownDeadline = 10 * time.Second
	}
	var certs *CertFiles
	scheme := "http"
	if o.TLSCert != "" {
		var err error
		if certs, err = LoadCertFiles(o.TLSCert, o.TLSKey, log); err != nil {
			return err
		}
		scheme = "https"
	}
	conns := LimitConns(ln, o.Conns, log)
	s.UseConns(conns)
	srv := HTTPServer(s, certs, log)
	srv.ConnState = conns.ConnState
	srv.RegisterOnShutdown(s.Close) // ends the change streams, which never go idle
	log.Info("serving", "url", scheme+"://"+ln.Addr().String(),
		"max_conns", o.Conns.Max, "max_conns_per_client", o.Conns.PerClient)
	serveErr := make(chan error, 1)
	go func() {
		if certs != nil {
			serveErr <- srv.ServeTLS(conns, "", "")
			return
		}
		serveErr <- srv.Serve(conns)
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	log.Info("shutting down")
	shutCtx, done := context.WithTimeout(context.Background(), o.ShutdownDeadline)
	defer done()
	if e := srv.Shutdown(shutCtx); e != nil && !errors.Is(e, http.ErrServerClosed) {
		log.Warn("shutdown", "err", e)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Bind opens the listening socket of addr. A service binds it before
// anything else of its start (opening its store, starting a round), so
// that an address in use is its first and only error.
func Bind(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen on %s: the address is in use by another process (ss -ltnp names it): %w", addr, err)
	}
	return nil, fmt.Errorf("listen on %s: %w", addr, err)
}
