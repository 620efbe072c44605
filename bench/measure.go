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

// fleetResult is everything measured at one fleet size.
type fleetResult struct {
	Nodes, Responsive  int
	ColdRound          time.Duration // duration of the first round, as the service reports it
	SteadyRound        time.Duration
	Visible            time.Duration // round start until every responsive node is fresh in crns.json
	CPUPerRound        time.Duration // service CPU from one steady round's start to the next's
	ColdConns          int64         // new TCP connections to nodes in the first round
	SteadyConns        int64         // in one steady round
	SteadyRequests     int64         // node requests in that round, for scale
	RSSRounds, RSSLoad int64         // VmHWM after the rounds, and after the load
	Bytes              map[string]int
	Loads              []loadRow
}

type loadRow struct {
	Encoding string // "identity" or "gzip"
	Conns    int
	Bytes    int
	Service  load
	Limit    load
}

func measureFleet(ctx context.Context, o options, n int, nodelist, self string) (*fleetResult, error) {
	res := &fleetResult{Nodes: n, Bytes: map[string]int{}}
	dir := filepath.Join(o.workdir, strconv.Itoa(n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	log.Printf("%d nodes: starting the fleet", n)
	fleet, api, err := startChild(ctx, "fleet", filepath.Join(dir, "fleet.log"), "api: ", nodelist, o.fleet.args(n)...)
	if err != nil {
		return nil, err
	}
	defer fleet.stop()
	stats := api + "/stats"
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	base := "http://" + addr
	interval := o.timeout + 5*time.Second
	svc, _, err := startChild(ctx, "service", filepath.Join(dir, "service.log"), "", nodelist, "serve",
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
	log.Printf("%d nodes: round 1 (cold)", n)
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

	// Round 2: CPU and connections, with nothing else asked of the service
	// than /debug/task polls, rare enough (slowPoll) to cost little; the
	// window runs from round 2's start to round 3's, so it holds all of
	// round 2 and the idle time after it.
	log.Printf("%d nodes: round 2 (CPU, connections)", n)
	// Rounds start on the service's timer: poll slowly until shortly
	// before round 2 is due, then often, so that the window opens at its
	// start and holds all of it.
	if err := sleepUntil(ctx, t1.startedAt().Add(interval-300*time.Millisecond)); err != nil {
		return nil, err
	}
	if _, err := waitRound(ctx, base, 2, 10*time.Millisecond, limit); err != nil {
		return nil, err
	}
	cpu0, err := cpuTime(svc.pid())
	if err != nil {
		return nil, err
	}
	st2, err := getStats(ctx, stats)
	if err != nil {
		return nil, err
	}
	t2, err := waitIdle(ctx, base, 2, slowPoll, limit)
	if err != nil {
		return nil, err
	}
	res.SteadyRound, res.Responsive = seconds(t2.Duration), t2.Responsive
	// Likewise before round 3, whose start closes the window.
	if err := sleepUntil(ctx, t2.startedAt().Add(interval-300*time.Millisecond)); err != nil {
		return nil, err
	}

	// Round 3: its start closes round 2's CPU window.
	t3, err := waitRound(ctx, base, 3, 10*time.Millisecond, limit)
	if err != nil {
		return nil, err
	}
	cpu1, err := cpuTime(svc.pid())
	if err != nil {
		return nil, err
	}
	st3, err := getStats(ctx, stats)
	if err != nil {
		return nil, err
	}
	res.CPUPerRound = cpu1 - cpu0
	res.SteadyConns = st3.NodeConnections - st2.NodeConnections
	res.SteadyRequests = st3.NodeRequests - st2.NodeRequests

	// Visibility is measured on the next round, whose start is caught by
	// polling often from now on (the CPU window is closed): when rounds
	// run back to back, the one seen above may have started long ago.
	next := t3.Round + 1
	log.Printf("%d nodes: round %d (visibility)", n, next)
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
	if n != o.loadAt {
		return res, nil
	}
	if err := loadPhase(ctx, o, res, base, dir, self, bodies); err != nil {
		return nil, err
	}
	if res.RSSLoad, err = peakRSS(svc.pid()); err != nil {
		return nil, err
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
	lim, limURL, err := startChild(ctx, "limit-server", filepath.Join(dir, "limit.log"), "http://", self,
		"limit-server", "-plain", plainFile, "-gzip", gzipFile)
	if err != nil {
		return err
	}
	defer lim.stop()
	limURL = "http://" + limURL
	for _, c := range o.conns {
		for _, enc := range []string{"identity", "gzip"} {
			accept, path := "", "/plain"
			if enc == "gzip" {
				accept, path = "gzip", "/gzip"
			}
			log.Printf("%d nodes: wrk -c%d %s", res.Nodes, c, enc)
			svc, err := runWrk(ctx, o.wrk, base+"/crns.json", o.threads, c, o.duration, accept)
			if err != nil {
				return err
			}
			limit, err := runWrk(ctx, o.wrk, limURL+path, o.threads, c, o.duration, accept)
			if err != nil {
				return err
			}
			res.Loads = append(res.Loads, loadRow{Encoding: enc, Conns: c, Bytes: len(bodies[enc]), Service: svc, Limit: limit})
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

func seconds(f *float64) time.Duration {
	if f == nil {
		return 0
	}
	return time.Duration(*f * float64(time.Second))
}
