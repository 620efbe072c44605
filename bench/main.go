package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	nodes    []int
	loadAt   int // fleet size the crns.json load runs at
	conns    []int
	duration time.Duration
	timeout  time.Duration // the service's per-request timeout
	wrk      string
	threads  int
	out      string
	workdir  string
	fleet    fleetParams
	baseline string // git revisions measured beside this tree, comma-separated ("now" when one); "" for none
	loadRuns int    // wrk runs of each load, service and limit alternately
	static   bool   // also measure a round's CPU against answers that never change, at loadAt
	// restRound: memory at rest is read after this round at loadAt (at
	// least after the load).
	restRound uint64
	cpuRounds int // steady rounds in the CPU window
	svcEnv    []string
	schemes   []string // "http", "https": the fleet's, each measured at every size
	ref       bool     // run the reference client beside the service
}

func main() {
	log.SetFlags(0)
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "limit-server":
			if err := limitServer(os.Args[2:]); err != nil {
				log.Fatal(err)
			}
			return
		case "ref-client":
			if err := refClient(os.Args[2:]); err != nil {
				log.Fatal(err)
			}
			return
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o, err := parseOptions(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	if err := run(ctx, o, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func parseOptions(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "smoke run: 200 nodes, 2 s timeout, 3 s loads at 16 connections (under a minute)")
	nodes := fs.String("nodes", "1000,5000,10000", "fleet sizes, comma-separated")
	loadAt := fs.Int("load-at", 1000, "fleet size at which crns.json is loaded with wrk (0: none)")
	conns := fs.String("conns", "16", "wrk connection counts, comma-separated")
	o := options{restRound: 10}
	fs.StringVar(&o.baseline, "baseline", "", "also build this git revision (e.g. main), or these comma-separated ones, and measure each beside the working tree, alternately, in the same run")
	fs.IntVar(&o.loadRuns, "load-runs", 3, "runs of each wrk load")
	fs.Func("service-env", "KEY=VALUE added to the service's environment, for both binaries (repeatable; e.g. GOMEMLIMIT=40MiB)", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("%q: want KEY=VALUE", v)
		}
		o.svcEnv = append(o.svcEnv, v)
		return nil
	})
	fs.IntVar(&o.cpuRounds, "cpu-rounds", 3, "steady rounds over which CPU per round is averaged")
	schemes := fs.String("schemes", "http", "the fleet's schemes, comma-separated: http, https (nodes serve TLS with a test CA the service is told to trust)")
	fs.BoolVar(&o.ref, "ref", true, "run the reference client (minimal net/http, same requests and decodes) on each fleet, for CPU per round")
	rest := fs.Uint64("rest-round", 10, "memory at rest is read after this round, at --load-at")
	fs.BoolVar(&o.static, "static", true, "also measure a steady round's CPU against a fleet whose answers never change (at --load-at)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each wrk run")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "the service's per-request timeout (hung nodes are held this long)")
	fs.StringVar(&o.wrk, "wrk", "wrk", "wrk binary")
	fs.IntVar(&o.threads, "threads", 2, "wrk threads")
	fs.StringVar(&o.out, "o", "", "also write the report to this file")
	fs.StringVar(&o.workdir, "workdir", "", "where binaries, bodies and logs go (default: a temporary directory, kept)")
	o.fleet = defaultFleet()
	o.fleet.register(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *quick {
		*nodes, *loadAt, *conns = "200", 200, "16"
		o.duration, o.timeout, o.loadRuns, o.restRound, o.cpuRounds = 3*time.Second, 2*time.Second, 1, 0, 1
	}
	var err error
	if o.nodes, err = ints(*nodes); err != nil {
		return o, fmt.Errorf("--nodes: %w", err)
	}
	if o.conns, err = ints(*conns); err != nil {
		return o, fmt.Errorf("--conns: %w", err)
	}
	o.loadAt = *loadAt
	if !*quick {
		o.restRound = *rest
	}
	for sc := range strings.SplitSeq(*schemes, ",") {
		sc = strings.TrimSpace(sc)
		if sc != "http" && sc != "https" {
			return o, fmt.Errorf("--schemes: %q is neither http nor https", sc)
		}
		o.schemes = append(o.schemes, sc)
	}
	if o.cpuRounds < 1 {
		return o, fmt.Errorf("--cpu-rounds %d: want at least 1", o.cpuRounds)
	}
	if o.loadRuns < 1 {
		return o, fmt.Errorf("--load-runs %d: want at least 1", o.loadRuns)
	}
	if o.duration < time.Second {
		return o, fmt.Errorf("--duration %s: want at least 1s", o.duration)
	}
	return o, nil
}

func ints(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, o options, stdout io.Writer) error {
	if _, err := exec.LookPath(o.wrk); err != nil && o.loadAt > 0 {
		return fmt.Errorf("wrk not found (apt-get install wrk, or --load-at 0): %w", err)
	}
	if o.workdir == "" {
		d, err := os.MkdirTemp("", "nodelist-bench-")
		if err != nil {
			return err
		}
		o.workdir = d
	}
	log.Printf("building into %s", o.workdir)
	after := binary{Label: "after", Path: filepath.Join(o.workdir, "nodelist")}
	if err := buildNodelist(ctx, ".", after.Path); err != nil {
		return err
	}
	var bins []binary
	if o.baseline != "" {
		// One baseline is "now"; several (one per lever, say) are each
		// labelled by their commit.
		revs := strings.Split(o.baseline, ",")
		for _, r := range revs {
			r = strings.TrimSpace(r)
			src := filepath.Join(o.workdir, "baseline-src-"+strings.NewReplacer("/", "_", "~", "_", "^", "_").Replace(r))
			rev, err := checkout(ctx, r, src)
			if err != nil {
				return err
			}
			b := binary{Label: "now", Rev: rev, Path: filepath.Join(o.workdir, "nodelist-"+rev)}
			if len(revs) > 1 {
				b.Label = rev
			}
			if err := buildNodelist(ctx, src, b.Path); err != nil {
				return err
			}
			bins = append(bins, b)
		}
	}
	bins = append(bins, after)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	rep := &report{Date: time.Now().UTC(), Options: o, Host: hostInfo(), Bins: bins}
	var failed error
	step := 0
measure:
	// Sizes outermost, so that a run stopped early (Ctrl-C reports what
	// was measured) holds the first size on every scheme.
	for i, n := range o.nodes {
		for _, scheme := range o.schemes {
			// Alternate the order from one fleet to the next, so that a
			// drift in the machine's load does not favour one binary.
			order := slices.Clone(bins)
			if step%2 == 1 {
				slices.Reverse(order)
			}
			step++
			for j, b := range order {
				// The reference client runs once per fleet, beside the
				// first binary measured on it.
				ref := o.ref && j == 0
				res, err := measureFleet(ctx, o, n, scheme, b, after.Path, self, false, ref)
				if err != nil {
					failed = fmt.Errorf("%d nodes, %s, %s: %w", n, scheme, b.Label, err)
					break measure // report what was measured
				}
				if o.static && (n == o.loadAt || (o.loadAt == 0 && i == 0)) {
					st, err := measureFleet(ctx, o, n, scheme, b, after.Path, self, true, false)
					if err != nil {
						failed = fmt.Errorf("%d nodes, %s, %s, static: %w", n, scheme, b.Label, err)
						break measure
					}
					res.CPUStatic = st.CPUPerRound
				}
				rep.Fleets = append(rep.Fleets, res)
			}
		}
	}
	if len(rep.Fleets) == 0 {
		return failed
	}
	var sb strings.Builder
	rep.write(&sb)
	fmt.Fprint(stdout, sb.String())
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(sb.String()), 0o644); err != nil {
			return err
		}
	}
	return failed
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func hostInfo() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	model, cpus := "", 0
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			switch strings.TrimSpace(k) {
			case "model name":
				model = strings.TrimSpace(v)
			case "processor":
				cpus++
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%d × %s, Linux %s", cpus, model, strings.TrimSpace(string(kernel)))
}
