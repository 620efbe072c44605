package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"nodelist/internal/config"
)

// parseFlags reads args into fs, then the environment, then the file
// named by --config when fs has it, then asks every part to check cfg
// (nil: nothing to check) and runs the checks given; every failure is a
// usageError. A mistake on the command line stops there; the others
// (the environment's, the file's, the parts') are said all at once, in
// one report, the file's at their lines. --help prints the flags on
// stdout and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string, cfg *config.Config, stdout io.Writer, checks ...func() error) (config.Sources, error) {
	src, _, err := parseCommand(fs, args, cfg, stdout, 0, checks...)
	return src, err
}

// parseCommand is parseFlags for a command taking n arguments besides
// its flags (before, between or after them).
func parseCommand(fs *flag.FlagSet, args []string, cfg *config.Config, stdout io.Writer, n int, checks ...func() error) (config.Sources, []string, error) {
	fs.SetOutput(io.Discard) // a mistake is said once, by run, on stderr
	fs.Usage = func() {}
	src, rest, err := config.ParseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "Usage: nodelist %s [flags]%s\n\n%s\n\nFlags, each also settable in the environment variable shown:\n",
			fs.Name(), operands[fs.Name()], about[fs.Name()])
		config.PrintFlags(stdout, fs)
		return nil, nil, err
	}
	if err != nil && src == nil {
		return nil, nil, usageError{err} // the command line's mistake
	}
	if len(rest) > n {
		return nil, nil, usageError{fmt.Errorf("unexpected argument %q", rest[n])}
	}
	if len(rest) < n {
		return nil, nil, usageError{fmt.Errorf("want%s", operands[fs.Name()])}
	}
	errs := []error{err}
	if cfg != nil {
		errs = append(errs, checkConfig(cfg))
	}
	for _, check := range checks {
		errs = append(errs, check())
	}
	if err := config.Collect(src, errs...); err != nil {
		return nil, nil, usageError{err}
	}
	return src, rest, nil
}

// operands are the arguments a command takes besides its flags.
var operands = map[string]string{"probe": " URL"}

// about is each command's line in --help.
var about = map[string]string{
	"serve":    "Serve crns.json, the pages and the debug endpoints; refresh in the background.",
	"snapshot": "Run one refresh round and print crns.json.",
	"probe":    "Probe one node as the service does and print what crns.json would list for it.",
	"simfleet": "Run a simulated Aleph fleet on loopback: an API host and its nodes.",
	"demo":     "Run a simulated fleet and the service together, offline.",
}
