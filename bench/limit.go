package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
)

// limitServer is the physical-limit server: it writes fixed bytes from
// memory and does nothing else. Run as its own process (bench
// limit-server), it prints its address on stdout and serves until killed.
//
//	/plain  the identity body
//	/gzip   the gzip body, with Content-Encoding: gzip
func limitServer(args []string) error {
	fs := flag.NewFlagSet("limit-server", flag.ContinueOnError)
	plainFile := fs.String("plain", "", "file with the identity body")
	gzipFile := fs.String("gzip", "", "file with the gzip body")
	if err := fs.Parse(args); err != nil {
		return err
	}
	plain, err := os.ReadFile(*plainFile)
	if err != nil {
		return err
	}
	gz, err := os.ReadFile(*gzipFile)
	if err != nil {
		return err
	}
	serve := func(body []byte, enc string) http.HandlerFunc {
		length := strconv.Itoa(len(body))
		return func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Content-Length", length)
			if enc != "" {
				h.Set("Content-Encoding", enc)
			}
			_, _ = w.Write(body)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/plain", serve(plain, ""))
	mux.Handle("/gzip", serve(gz, "gzip"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("http://" + ln.Addr().String())
	return http.Serve(ln, mux)
}
