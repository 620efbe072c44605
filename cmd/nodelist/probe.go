package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"nodelist/internal/config"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
)

// probeCmd probes one node as the service does and prints the CRN
// crns.json would list for it. Exit status 0 when the node answered its
// config probe, 1 when not (the CRN, with the error, is printed anyway).
func probeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	cfg.RegisterSettings(fs)
	cfg.RegisterProbe(fs)
	cfg.RegisterLog(fs)
	_, rest, err := parseCommand(fs, args, &cfg, stdout, 1)
	if err != nil {
		return err
	}
	log, _ := cfg.NewLogger(stderr)
	ref, client, err := newRefresher(&cfg, nil, nil, refresh.Hooks{}, log)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	crn, why := ref.ProbeAddress(ctx, rest[0])
	var out bytes.Buffer
	if err := json.Indent(&out, crn, "", "  "); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	out.WriteByte('\n')
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return err
	}
	if why == nil {
		return nil
	}
	if why.Class == probe.ClassForbidden && !cfg.AllowPrivateTargets {
		return errors.New("the SSRF guard refused the node's address: for a node on a private network use --allow-private-targets or --allow-cidr")
	}
	return fmt.Errorf("the node did not answer its config probe: %s", why)
}
