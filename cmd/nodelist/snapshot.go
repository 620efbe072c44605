package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"nodelist/internal/config"
	"nodelist/internal/contract"
	"nodelist/internal/refresh"
)

func snapshotCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	fs := flag.NewFlagSet("snapshot", flag.ContinueOnError)
	cfg.RegisterUpstream(fs)
	cfg.RegisterLog(fs)
	out := fs.String("o", "", "write crns.json to this file instead of stdout")
	filter := fs.Bool("filter-inactive", false, "leave out CRNs whose inactive_since is set")
	validate := fs.Bool("validate", false, "check the output against the crns.json contract; exit 1 if it breaks it")
	if _, err := parseFlags(fs, args, &cfg, stdout); err != nil {
		return err
	}
	config.RaiseFileLimit()
	// On a terminal, the round's progress shows on one line below the
	// logs, and ends before anything else is written.
	var sl *statusLine
	logTo := stderr
	if isTerminal(stderr) {
		sl = &statusLine{w: stderr}
		logTo = sl
	}
	log, _ := cfg.NewLogger(logTo)
	ref, client, err := newRefresher(&cfg, nil, nil, refresh.Hooks{}, log)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	stop := func() {}
	if sl != nil {
		stop = progress(ref, sl)
		defer stop()
	}
	err = ref.Refresh(ctx)
	stop() // its last line is out before the error or crns.json
	if err != nil {
		return err
	}
	snap := ref.Holder().Load()
	body := snap.All.Identity
	if *filter {
		body = snap.Active.Identity
	}
	if *validate {
		if err := contract.Validate(body); err != nil {
			return err
		}
	}
	if *out == "" {
		_, err := stdout.Write(append(body, '\n'))
		return err
	}
	if err := os.WriteFile(*out, body, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	return nil
}
