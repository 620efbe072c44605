package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"nodelist/internal/config"
)

// parseFlags parses args into fs, then the environment, then validates
// cfg; every failure is a usageError.
func parseFlags(fs *flag.FlagSet, args []string, cfg *config.Config, stderr io.Writer) error {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: nodelist %s [flags]\n\nFlags (each also as NODELIST_<FLAG>):\n", fs.Name())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if err := config.ApplyEnv(fs); err != nil {
		return usageError{err}
	}
	if cfg != nil {
		if err := checkConfig(cfg); err != nil {
			return usageError{err}
		}
	}
	return nil
}
