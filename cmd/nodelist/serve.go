package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

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
	src, err := parseFlags(fs, args, &sc.cfg, stdout)
	if err != nil {
		return nil, nil, nil, err
	}
	var tokenErr error
	sc.token, tokenErr = sc.cfg.AdminToken()
	_, notifyErr := subscriptions(&sc.nc)
	if err := errors.Join(checkHistory(&sc.hist), sc.rc.Validate(), tokenErr, notifyErr); err != nil {
		return nil, nil, nil, usageError{err}
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
	config.RaiseFileLimit()
	log, level := sc.cfg.NewLogger(stderr)
	reload := func() (*serveConfig, *flag.FlagSet, error) {
		next, fs, _, err := loadServe(args, io.Discard)
		return next, fs, err
	}
	return runService(ctx, sc.cfg, sc.hist, sc.rc, sc.nc, log, &reloading{flags: fs, load: reload, level: level, token: sc.token})
}
