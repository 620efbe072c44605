package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"nodelist/internal/contract"
)

// fleetResult is everything measured of one binary at one fleet size.
type fleetResult struct {
	Label              string // "now" (the baseline) or "after" (this tree)
	Scheme             string // the fleet's: "http" or "https"
	Nodes, Responsive  int
	ColdRound          time.Duration // duration of the first round, as the service reports it
	SteadyRound        time.Duration
	Visible            time.Duration // round start until every responsive node is fresh in crns.json
	CPUPerRound        time.Duration // service CPU from one steady round's start to the next's
	CPUStatic          time.Duration // the same with a fleet whose answers never change; 0: not measured
	ColdConns          int64         // new TCP connections to nodes in the first round
	SteadyConns        int64         // in one steady round
	SteadyRequests     int64         // node requests in that round, for scale
	RSSRounds, RSSLoad int64         // VmHWM after the rounds, and after the load
	RSSNow             int64         // VmRSS after round 10 (after the load, where there is one)
	RoundsAtRSS        uint64        // the round after which RSSNow was read
	Heap               benchHeap     // live heap after a collection, after RSSNow was read
	RSSParts           rssParts      // VmRSS split as /proc reads it, beside Heap
	Ref                *refResult    // the reference client on the same fleet; nil: not run beside this binary
	Bytes              map[string]int
	Loads              []loadRow
}

type loadRow struct {
	Encoding string // "identity" or "gzip"
	Conns    int
	Run      int
	Bytes    int
	Service  load
	Limit    load
}

// binary is one nodelist build under test.
type binary struct {
	Label string // "now" or "after"
	Rev   string // the commit it was built from; "" for the working tree
	Path  string
}

// measureFleet measures bin at n nodes against a fleet run by fleetBin
// (always this tree's, so that both binaries face the same fleet),
// serving scheme. With static set, it runs a fleet whose answers never
// change and measures only a steady round's CPU. With ref set, it runs
// the reference client on the same fleet once the service has stopped.
func measureFleet(ctx context.Context, o options, n int, scheme string, bin binary, fleetBin, self string, static, ref bool) (*fleetResult, error) {
	res := &fleetResult{Label: bin.Label, Scheme: scheme, Nodes: n, Bytes: map[string]int{}}
	name := strconv.Itoa(n) + "-" + scheme + "-" + bin.Label
	if static {
		name += "-static"
	}
	dir := filepath.Join(o.workdir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) {
		log.Printf("%d nodes, %s: "+format, append([]any{n, name}, args...)...)
	}
	logf("starting the fleet")
	fleetArgs := o.fleet.args(n)
	if static {
		fleetArgs = append(fleetArgs, "--moving-usage=false")
	}
	// A TLS fleet writes its CA before it prints its address; the
	// service and the reference client trust it through SSL_CERT_FILE,
	// as they trust the system's roots.
	var trust []string
	if scheme == "https" {
		ca := filepath.Join(dir, "ca.pem")
		fleetArgs = append(fleetArgs, "--tls", "--tls-ca-file", ca)
		trust = []string{"SSL_CERT_FILE=" + ca}
	}
	fleet, api, err := startChild(ctx, "fleet", filepath.Join(dir, "fleet.log"), "api: ", nil, fleetBin, fleetArgs...)
	if err != nil {
		return nil, err
	}
	defer fleet.stop()
	stats := api + "/stats"
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	debugAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	base, debugBase := "http://"+addr, "http://"+debugAddr
	interval := o.timeout + 5*time.Second
	svc, _, err := startChild(ctx, "service", filepath.Join(dir, "service.log"), "",
		append(append([]string{"NODELIST_BENCH_DEBUG=" + debugAddr}, trust...), o.svcEnv...), bin.Path, "serve",
		"--listen", addr, "--api-url", api, "--allow-private-targets",
		"--db", "sqlite:"+filepath.Join(dir, "history.db"), // the default store, kept in the run's directory
		"--refresh-interval", interval.String(), "--timeout", o.timeout.String(), "--log-level", "warn",
		"--max-conns-per-client", "0") // wrk's connections and the bench's own all come from one address
	if err != nil {
		return nil, err
	}
	defer svc.stop()
	limit := 3*o.timeout + time.Minute

	// Round 1 is cold: registry parsed, every connection dialed.
	logf("round 1 (cold)")
	if _, err := waitRound(ctx, base, 1, slowPoll, limit); err != nil {
		return nil, err
	}
	t1, err := waitIdle(ctx, base, 1, slowPoll, limit)
	if err != nil {
		return nil, err
	}
	res.ColdRound = seconds(t1.Duration)
	st1, err := getStats(ctx, stats)
	if err != nil {
		return nil, err
	}
	res.ColdConns = st1.NodeConnections

	// Rounds 2 on: CPU and connections, with nothing else asked of the
	// service than /debug/task polls, rare enough (slowPoll) to cost
	// little; the window runs from round 2's start to the start of the
	// round after the last measured, so it holds whole rounds and the
	// idle time after each.
	logf("round 2 (CPU, connections)")
	// Rounds start on the service's timer: poll slowly until shortly
	// before round 2 is due, then often, so that the window opens at its
	// start and holds all of it.
	if err := sleepUntil(ctx, t1.startedAt().Add(interval-300*time.Millisecond)); err != nil {
		return nil, err
	}
	// The window opens here, in the idle time before round 2, and
	// closes at the same point before round k+2: k whole intervals, each
	// holding one round from its first request (read after the round's
	// start, the fleet's counters and the CPU would miss the requests of
	// its first milliseconds, which the reference client's figures hold).
	cpu0, err := cpuTime(svc.pid())
	if err != nil {
		return nil, err
	}
	st2, err := getStats(ctx, stats)
	if err != nil {
		return nil, err
	}
	if _, err := waitRound(ctx, base, 2, 10*time.Millisecond, limit); err != nil {
		return nil, err
	}
	// A CPU profile of the window (less its last second, so that it ends
	// before the round after it starts); the sampling costs both binaries
	// alike.
	k := o.cpuRounds
	profDone := make(chan error, 1)
	go func() {
		secs := max(1, k*int(interval.Seconds())-1)
		profDone <- saveProfile(ctx, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", debugBase, secs),
			filepath.Join(dir, "cpu.pprof"))
	}()
	// The window holds rounds 2 to k+1: several rounds, since one
	// round's CPU is a few hundred milliseconds, which the machine's
	// other load blurs.
	var cpu1 time.Duration
	var st3 fleetStats
	for r := uint64(2); r < uint64(2+k); r++ {
		t, err := waitIdle(ctx, base, r, slowPoll, limit)
		if err != nil {
			return nil, err
		}
		if r == 2 {
			res.SteadyRound, res.Responsive = seconds(t.Duration), t.Responsive
		}
		// Likewise before the next round, whose start is caught often.
		if err := sleepUntil(ctx, t.startedAt().Add(interval-300*time.Millisecond)); err != nil {
			return nil, err
		}
	}
	if cpu1, err = cpuTime(svc.pid()); err != nil {
		return nil, err
	}
	if st3, err = getStats(ctx, stats); err != nil {
		return nil, err
	}
	t3, err := waitRound(ctx, base, uint64(2+k), 10*time.Millisecond, limit)
	if err != nil {
		return nil, err
	}
	if err := <-profDone; err != nil {
		logf("CPU profile: %v", err)
	}
	res.CPUPerRound = (cpu1 - cpu0) / time.Duration(k)
	res.SteadyConns = (st3.NodeConnections - st2.NodeConnections) / int64(k)
	res.SteadyRequests = (st3.NodeRequests - st2.NodeRequests) / int64(k)
	if static {
		return res, nil
	}

	// Visibility is measured on the next round, whose start is caught by
	// polling often from now on (the CPU window is closed): when rounds
	// run back to back, the one seen above may have started long ago.
	next := t3.Round + 1
	logf("round %d (visibility)", next)
	t4, err := waitRound(ctx, base, next, 10*time.Millisecond, limit)
	if err != nil {
		return nil, err
	}
	if t4.Round != next {
		return nil, fmt.Errorf("missed the start of round %d", next)
	}
	if res.Visible, err = timeToVisible(ctx, base, t4.startedAt(), res.Responsive, limit); err != nil {
		return nil, err
	}
	if _, err := waitIdle(ctx, base, next, slowPoll, limit); err != nil {
		return nil, err
	}
	if res.RSSRounds, err = peakRSS(svc.pid()); err != nil {
		return nil, err
	}

	bodies, err := fetchBodies(ctx, base, limit)
	if err != nil {
		return nil, err
	}
	for enc, b := range bodies {
		res.Bytes[enc] = len(b)
	}
	if err := contract.Validate(bodies["identity"]); err != nil {
		return nil, fmt.Errorf("%d nodes: %w", n, err)
	}
	if n == o.loadAt {
		if err := loadPhase(ctx, o, res, base, dir, self, bodies); err != nil {
			return nil, err
		}
		if res.RSSLoad, err = peakRSS(svc.pid()); err != nil {
			return nil, err
		}
	}
	// Memory at rest after ten rounds (or the last round that finished by
	// then, when rounds run back to back): resident size, then the live
	// heap after a collection, then a heap profile.
	t, err := getTask(ctx, base)
	if err != nil {
		return nil, err
	}
	target := max(o.restRound, t.Round)
	if n != o.loadAt {
		target = t.Round // no load: what the rounds left, without waiting for ten
	}
	logf("waiting for round %d to finish (memory)", target)
	if target, err = readAtRest(ctx, base, svc.pid(), target, interval, limit, res, logf); err != nil {
		return nil, err
	}
	res.RoundsAtRSS = target
	if res.Heap, err = getHeap(ctx, debugBase); err != nil {
		return nil, err
	}
	if err := saveProfile(ctx, debugBase+"/debug/pprof/heap", filepath.Join(dir, "heap.pprof")); err != nil {
		logf("heap profile: %v", err)
	}
	if ref {
		// The service stops first, so that the two never share the
		// fleet or the machine's cores.
		svc.stop()
		logf("reference client")
		r, err := runRef(ctx, self, api, trust, o.cpuRounds, roundConcurrency(n), o.timeout, 2*time.Duration(o.cpuRounds+1)*limit)
		if err != nil {
			return nil, err
		}
		res.Ref = &r
	}
	return res, nil
}

// fetchBodies fetches crns.json in each encoding from one snapshot
// published at the end of a round (publications while a round runs carry
// no brotli): it waits for the round in progress, if any, and tries again
// when a round ended between two fetches. When rounds run back to back
// and no attempt succeeds, it returns the bytes of the last attempt
// without brotli.
func fetchBodies(ctx context.Context, base string, limit time.Duration) (map[string][]byte, error) {
	var last map[string][]byte
	for range 5 {
		t, err := getTask(ctx, base)
		if err != nil {
			return nil, err
		}
		if t.Running {
			if t, err = waitIdle(ctx, base, t.Round, slowPoll, limit); err != nil {
				return nil, err
			}
		}
		bodies, ok := map[string][]byte{}, true
		for _, enc := range []string{"identity", "gzip", "br", "zstd"} {
			accept := enc
			if enc == "identity" {
				accept = ""
			}
			b, got, err := fetch(ctx, base+"/crns.json", accept)
			if err != nil {
				return nil, err
			}
			if (got == "" && enc != "identity") || (got != "" && got != enc) {
				ok = false
				continue
			}
			bodies[enc] = b
		}
		if bodies["gzip"] != nil && bodies["zstd"] != nil {
			last = bodies
		}
		if after, err := getTask(ctx, base); err == nil && ok && after.Round == t.Round && !after.Running {
			return bodies, nil
		}
		select {
		case <-time.After(slowPoll):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if last == nil {
		return nil, fmt.Errorf("could not fetch crns.json in gzip and zstd")
	}
	return last, nil
}

// loadPhase runs wrk against crns.json and against the physical-limit
// server holding the same bytes, plain and gzip, at each connection count.
func loadPhase(ctx context.Context, o options, res *fleetResult, base, dir, self string, bodies map[string][]byte) error {
	plainFile, gzipFile := filepath.Join(dir, "crns.json"), filepath.Join(dir, "crns.json.gz")
	if err := os.WriteFile(plainFile, bodies["identity"], 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(gzipFile, bodies["gzip"], 0o644); err != nil {
		return err
	}
	lim, limURL, err := startChild(ctx, "limit-server", filepath.Join(dir, "limit.log"), "http://", nil, self,
		"limit-server", "-plain", plainFile, "-gzip", gzipFile)
	if err != nil {
		return err
	}
	defer lim.stop()
	limURL = "http://" + limURL
	for run := 1; run <= o.loadRuns; run++ {
		for _, c := range o.conns {
			for _, enc := range []string{"identity", "gzip"} {
				accept, path := "", "/plain"
				if enc == "gzip" {
					accept, path = "gzip", "/gzip"
				}
				log.Printf("%d nodes, %s: wrk -c%d %s, run %d", res.Nodes, res.Label, c, enc, run)
				svc, err := runWrk(ctx, o.wrk, base+"/crns.json", o.threads, c, o.duration, accept)
				if err != nil {
					return err
				}
				limit, err := runWrk(ctx, o.wrk, limURL+path, o.threads, c, o.duration, accept)
				if err != nil {
					return err
				}
				res.Loads = append(res.Loads, loadRow{Encoding: enc, Conns: c, Run: run, Bytes: len(bodies[enc]), Service: svc, Limit: limit})
			}
		}
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-time.After(time.Until(t)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// slowPoll is how often /debug/task is read while CPU is measured. The
// rounds start on the service's own timer, so a late poll only shifts the
// window's edges within the idle time between rounds.
const slowPoll = 200 * time.Millisecond

// restDelay is how long after a round's end memory at rest is read, at
// most: the round's goroutine still hands its report to the history store
// and may return memory after its status says finished. It is cut to half
// the idle time when that is shorter (rounds held by hung nodes leave
// 2.5 s of a 15 s interval).
const restDelay = 2 * time.Second

// readAtRest reads VmRSS and its parts into res between rounds: restDelay
// (or half the idle time) after round target ends, counted from the end
// the service reports, not from when the bench saw it. A reading a round
// has started into is not at rest: it is taken again after that round,
// up to three times. It returns the round the reading followed.
func readAtRest(ctx context.Context, base string, pid int, target uint64, interval, limit time.Duration, res *fleetResult, logf func(string, ...any)) (uint64, error) {
	for try := 1; ; try++ {
		t, err := waitIdle(ctx, base, target, slowPoll, 20*limit)
		if err != nil {
			return 0, err
		}
		if t.Running {
			// A later round runs by now: its end opens the idle time.
			if t, err = waitIdle(ctx, base, t.Round, slowPoll, limit); err != nil {
				return 0, err
			}
		}
		target = t.Round
		took := seconds(t.Duration)
		delay := min(restDelay, (interval-took)/2)
		if err := sleepUntil(ctx, t.startedAt().Add(took+delay)); err != nil {
			return 0, err
		}
		if res.RSSNow, err = currentRSS(pid); err != nil {
			return 0, err
		}
		if res.RSSParts, err = readRSSParts(pid); err != nil {
			return 0, err
		}
		after, err := getTask(ctx, base)
		if err != nil {
			return 0, err
		}
		if after.Round == target && !after.Running {
			return target, nil
		}
		if try == 3 {
			return 0, fmt.Errorf("memory at rest: round %d started before the reading, three times", after.Round)
		}
		logf("memory at rest: round %d started before the reading; again after it", after.Round)
		target = after.Round
	}
}

func seconds(f *float64) time.Duration {
	if f == nil {
		return 0
	}
	return time.Duration(*f * float64(time.Second))
}
