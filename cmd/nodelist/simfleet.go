package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"nodelist/internal/config"
	"nodelist/internal/simfleet"
)

func simfleetCmd(ctx context.Context, args []string, stdout, _ io.Writer) error {
	opts := simfleet.Options{Nodes: 100, Seed: 1, MovingUsage: true}
	fs := flag.NewFlagSet("simfleet", flag.ContinueOnError)
	opts.RegisterFlags(fs)
	if _, err := parseFlags(fs, args, nil, stdout); err != nil {
		return err
	}
	config.RaiseFileLimit()
	fleet, err := simfleet.Start(ctx, opts)
	if err != nil {
		return fmt.Errorf("start fleet: %w", err)
	}
	defer fleet.Close()
	fmt.Fprintf(stdout, "simulated fleet of %d nodes\napi: %s\nstats: %s/stats\nrun: nodelist serve --api-url %s --allow-private-targets\n",
		len(fleet.Nodes()), fleet.APIURL(), fleet.APIURL(), fleet.APIURL())
	<-ctx.Done()
	return nil
}
