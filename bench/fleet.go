package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"time"
)

// fleetParams shape the simulated fleet: the reference fleet by
// default (30 ms + up to 20 ms per request, 1% hung, 5% HTTP 500, 2%
// invalid JSON).
type fleetParams struct {
	Seed        int64
	Latency     time.Duration
	Jitter      time.Duration
	Failing     float64
	Hung        float64
	InvalidJSON float64
	// SharedFrom: fleets of at least this many nodes put every node on
	// its own loopback address behind one listener.
	SharedFrom int
}

func defaultFleet() fleetParams {
	return fleetParams{Seed: 1, Latency: 30 * time.Millisecond, Jitter: 20 * time.Millisecond,
		Failing: 0.05, Hung: 0.01, InvalidJSON: 0.02, SharedFrom: 2000}
}

func (p *fleetParams) register(fs *flag.FlagSet) {
	fs.Int64Var(&p.Seed, "seed", p.Seed, "fleet seed")
	fs.DurationVar(&p.Latency, "latency", p.Latency, "fleet: base latency of a node request")
	fs.DurationVar(&p.Jitter, "jitter", p.Jitter, "fleet: added random latency, up to")
	fs.Float64Var(&p.Failing, "failing", p.Failing, "fleet: fraction of nodes answering HTTP 500")
	fs.Float64Var(&p.Hung, "hung", p.Hung, "fleet: fraction of nodes that never answer")
	fs.Float64Var(&p.InvalidJSON, "invalid-json", p.InvalidJSON, "fleet: fraction of nodes answering invalid JSON")
	fs.IntVar(&p.SharedFrom, "shared-from", p.SharedFrom, "fleet: from this many nodes, one listener with a loopback address per node")
}

func (p fleetParams) describe() string {
	return fmt.Sprintf("latency %s + up to %s, %.0f%% hung, %.0f%% HTTP 500, %.0f%% invalid JSON, seed %d",
		p.Latency, p.Jitter, p.Hung*100, p.Failing*100, p.InvalidJSON*100, p.Seed)
}

// args is the command line of nodelist simfleet for n nodes.
func (p fleetParams) args(n int) []string {
	return []string{"simfleet", "--nodes", strconv.Itoa(n), "--seed", strconv.FormatInt(p.Seed, 10),
		"--latency", p.Latency.String(), "--jitter", p.Jitter.String(),
		"--failing", fmt.Sprint(p.Failing), "--hung", fmt.Sprint(p.Hung), "--invalid-json", fmt.Sprint(p.InvalidJSON),
		"--shared-listener=" + strconv.FormatBool(n >= p.SharedFrom)}
}

// fleetStats are the fleet's counters the bench reads from /stats.
type fleetStats struct {
	NodeConnections int64 `json:"node_connections"`
	NodeRequests    int64 `json:"node_requests"`
}

func getStats(ctx context.Context, url string) (fleetStats, error) {
	var s fleetStats
	b, _, err := fetch(ctx, url, "")
	if err != nil {
		return s, fmt.Errorf("fleet stats: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("fleet stats: %w", err)
	}
	return s, nil
}
