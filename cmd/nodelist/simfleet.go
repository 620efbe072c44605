package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"nodelist/internal/config"
	"nodelist/internal/simfleet"
)

func simfleetCmd(ctx context.Context, args []string, stdout, _ io.Writer) error {
	opts := simfleet.Options{Nodes: 100, Seed: 1, MovingUsage: true}
	fs := flag.NewFlagSet("simfleet", flag.ContinueOnError)
	opts.RegisterFlags(fs)
	caFile := fs.String("tls-ca-file", "", "with --tls, write the fleet's CA certificate (PEM) here (default: a file in the temporary directory, removed at exit)")
	if _, err := parseFlags(fs, args, nil, stdout); err != nil {
		return err
	}
	if *caFile != "" && !opts.TLS {
		return errors.New("--tls-ca-file needs --tls")
	}
	config.RaiseFileLimit()
	fleet, err := simfleet.Start(ctx, opts)
	if err != nil {
		return fmt.Errorf("start fleet: %w", err)
	}
	defer fleet.Close()
	run := "nodelist serve --api-url " + fleet.APIURL() + " --allow-private-targets"
	fmt.Fprintf(stdout, "simulated fleet of %d nodes\n", len(fleet.Nodes()))
	if opts.TLS {
		path := *caFile
		if path == "" {
			path = filepath.Join(os.TempDir(), "nodelist-simfleet-ca-"+strconv.Itoa(os.Getpid())+".pem")
			defer os.Remove(path)
		}
		if err := os.WriteFile(path, fleet.CACertPEM(), 0o644); err != nil {
			return fmt.Errorf("write the fleet's CA: %w", err)
		}
		// The service trusts the system's roots, which Go reads from
		// SSL_CERT_FILE when it is set.
		fmt.Fprintf(stdout, "ca: %s\n", path)
		run = "SSL_CERT_FILE=" + path + " " + run
	}
	fmt.Fprintf(stdout, "api: %s\nstats: %s/stats\nrun: %s\n", fleet.APIURL(), fleet.APIURL(), run)
	<-ctx.Done()
	return nil
}
