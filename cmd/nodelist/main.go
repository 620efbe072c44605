package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `nodelist serves crns.json, the list of Aleph Cloud compute resource nodes.

Usage:
  nodelist serve     [flags]   serve crns.json, the pages and the debug endpoints
  nodelist snapshot  [flags]   run one refresh round and print crns.json
  nodelist probe URL [flags]   probe one node and print what crns.json would list for it
  nodelist simfleet  [flags]   run a simulated Aleph fleet on loopback
  nodelist demo      [flags]   run the simulated fleet and the service together, offline
  nodelist version             print the version, source revision and Go release

Run "nodelist COMMAND --help" for a command's flags. Every flag can also be
set in the environment as NODELIST_<FLAG>, e.g. NODELIST_REFRESH_INTERVAL=1m,
and serve's in a YAML file (--config FILE); a flag wins over the environment,
which wins over the file.
`

type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

var commands = map[string]command{
	"serve":    serveCmd,
	"snapshot": snapshotCmd,
	"probe":    probeCmd,
	"simfleet": simfleetCmd,
	"demo":     demoCmd,
	"version":  versionCmd,
}

func main() {
	// Signals are caught before anything else runs, so that SIGTERM and
	// SIGINT stop every step of the start (reading files, opening and
	// migrating the store, loading the last snapshot) as they stop the
	// service. A second signal ends the process at once, should a step
	// not notice the first.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage) // a mistake: on stderr, exit status 2
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args[0] = "version"
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "nodelist: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		// Asked to stop before the service was up: a stop, not a failure
		// (systemd would otherwise mark the unit failed).
		fmt.Fprintf(stderr, "nodelist %s: stopped by a signal during start (%v)\n", args[0], err)
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "nodelist %s: %v\n(nodelist %s --help lists the flags)\n", args[0], err, args[0])
		return 2
	default:
		fmt.Fprintf(stderr, "nodelist %s: %v\n", args[0], err)
		return 1
	}
}

// usageError is a bad flag or argument: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
