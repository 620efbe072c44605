package listen

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"time"
)

// WriteTimeout is the longest any answer may take to write, counted from
// the start of its request.
const WriteTimeout = 60 * time.Second

// HTTPServer wraps h in an http.Server bounded against slow and greedy
// clients: headers must arrive within 5 s and fit in 32 KiB, a request
// body within 15 s, a response be written within 60 s, and an idle
// keep-alive connection is closed after 120 s. With certs set it serves
// TLS 1.2 or newer, its certificate taken from certs on each handshake.
func HTTPServer(h http.Handler, certs *CertFiles, log *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	if certs != nil {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate}
	}
	return srv
}
