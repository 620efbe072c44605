package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ListenOptions say where and how the service listens.
type ListenOptions struct {
	Addr             string // host:port
	TLSCert, TLSKey  string // PEM files; HTTPS when set
	ShutdownDeadline time.Duration
}

// Run serves h until ctx ends, then shuts down gracefully: requests in
// flight get up to ShutdownDeadline (10 s) to finish.
func Run(ctx context.Context, o ListenOptions, h http.Handler, log *slog.Logger) error {
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
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := HTTPServer(h, certs, log)
	log.Info("serving", "url", scheme+"://"+ln.Addr().String())
	serveErr := make(chan error, 1)
	go func() {
		if certs != nil {
			serveErr <- srv.ServeTLS(ln, "", "")
			return
		}
		serveErr <- srv.Serve(ln)
	}()
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
