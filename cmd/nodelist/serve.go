package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"nodelist/internal/config"
)

// serveConfig is everything serve reads: the service, its history store,
// and whether to check them and exit.
type serveConfig struct {
	cfg   config.Config
	hist  config.History
	rc    config.Replica
	nc    config.Notify
	check bool
	// token is the admin token read from --admin-token-file (nil: none).
	token []byte
}

// loadServe reads serve's configuration from args, the environment and
// the file, and has every part check it. A reload calls it again with the
// same args.
func loadServe(args []string, stdout io.Writer) (*serveConfig, *flag.FlagSet, config.Sources, error) {
	sc := &serveConfig{cfg: config.Default(), hist: config.DefaultHistory(), rc: config.DefaultReplica(), nc: config.DefaultNotify()}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	sc.cfg.RegisterServe(fs)
	sc.cfg.RegisterUpstream(fs)
	sc.cfg.RegisterReload(fs)
	sc.hist.RegisterHistory(fs)
	sc.rc.RegisterReplica(fs)
	sc.nc.RegisterNotify(fs)
	fs.BoolVar(&sc.check, config.CheckFlag, false, "check the configuration (flags, environment, file, TLS files) and exit: 0 and the settings when good, 2 and the reasons when not")
	readToken := func() (err error) {
		sc.token, err = sc.cfg.AdminToken()
		return err
	}
	src, err := parseFlags(fs, args, &sc.cfg, stdout, func() error { return checkHistory(&sc.hist) }, sc.rc.Validate, readToken, func() error { _, err := subscriptions(&sc.nc); return err })
	if err != nil {
		return nil, nil, nil, err
	}
	return sc, fs, src, nil
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sc, fs, src, err := loadServe(args, stdout)
	if err != nil {
		return err
	}
	if sc.check {
		if err := checkTLS(&sc.cfg); err != nil {
			return usageError{err}
		}
		fmt.Fprintln(stdout, "# configuration OK; the settings not at their default:")
		return config.Describe(stdout, fs, src)
	}
	// SIGHUP is caught from here on: its default action ends the process,
	// and systemctl reload may come while the store opens. One that comes
	// during the start is kept and reloads once the service runs.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	config.RaiseFileLimit()
	log, level := sc.cfg.NewLogger(stderr)
	reload := func() (*serveConfig, *flag.FlagSet, error) {
		next, fs, _, err := loadServe(args, io.Discard)
		return next, fs, err
	}
	return runService(ctx, nil, sc.cfg, sc.hist, sc.rc, sc.nc, log, &reloading{flags: fs, load: reload, level: level, token: sc.token, hup: hup})
}
