package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

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
	if err := parseFlags(fs, args, &cfg, stderr); err != nil {
		return err
	}
	config.RaiseFileLimit()
	ref, client, err := newRefresher(&cfg, nil, refresh.Hooks{}, cfg.Logger())
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	if isTerminal(stderr) {
		stop := progress(ref, stderr)
		defer stop()
	}
	if err := ref.Refresh(ctx); err != nil {
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

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress prints the round's progress on one terminal line until stopped.
func progress(ref *refresh.Refresher, w io.Writer) (stop func()) {
	return ref.Watch(200*time.Millisecond, func(st refresh.Status, final bool) {
		if final {
			fmt.Fprintf(w, "\rprobed %d/%d nodes, %d responsive\n", st.Probed, st.Targets, st.Responsive)
			return
		}
		fmt.Fprintf(w, "\rprobed %d/%d nodes", st.Probed, st.Targets)
	})
}
