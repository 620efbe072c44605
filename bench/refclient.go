package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"nodelist/internal/simfleet"
)

// refResult is what the reference client reports of itself.
type refResult struct {
	CPUPerRound       time.Duration `json:"cpu_per_round"`
	RequestsPerRound  int64         `json:"requests_per_round"` // node requests, as the fleet's node_requests counts them
	Nodes             int           `json:"nodes"`
	PeakRSS, RSSAfter int64         // VmHWM, and VmRSS after the rounds
}

// refPaths are the three GETs a round asks of every node.
var refPaths = []string{"/status/config", "/about/usage/system", "/status/check/ipv6"}

// refClient is the reference a round's CPU is set beside: the least a Go
// program can do to ask a round's questions, run as its own process
// (bench ref-client) on the same fleet as the service. Each round it
// fetches and decodes the registry, then GETs each node's config, usage
// and IPv6 check with net/http's client (as many nodes at once as the
// service asks, one connection per node, h2 where the node offers it, as
// the service's transport) and decodes each answer into an any. It keeps
// no state, builds no list and stores nothing. After a cold round, it
// times rounds back to back and prints one JSON line: its CPU per round
// (getrusage, user + system), its requests per round and its RSS.
func refClient(args []string) error {
	fs := flag.NewFlagSet("ref-client", flag.ContinueOnError)
	api := fs.String("api", "", "the fleet's API host")
	rounds := fs.Int("rounds", 3, "rounds measured after the cold one")
	timeout := fs.Duration("timeout", 10*time.Second, "one request, body included")
	conc := fs.Int("concurrency", 256, "nodes asked at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *api == "" || *rounds < 1 || *rounds > 100 || *conc < 1 {
		return fmt.Errorf("ref-client: want -api, 1 ≤ -rounds ≤ 100, -concurrency ≥ 1")
	}
	// The fleet is on loopback; a registered address elsewhere (the
	// fleet registers a few, as real registries hold them) is never
	// dialed.
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: loopbackOnly}
	tr := &http.Transport{DialContext: dialer.DialContext, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 3, MaxConnsPerHost: 1,
		IdleConnTimeout: 10 * time.Minute, ResponseHeaderTimeout: *timeout}
	c := &http.Client{Transport: tr, Timeout: *timeout}
	var requests atomic.Int64
	round := func() (int, error) {
		nodes, err := refRegistry(c, *api)
		if err != nil {
			return 0, err
		}
		work := make(chan string)
		var wg sync.WaitGroup
		for range min(*conc, max(1, len(nodes))) {
			wg.Go(func() {
				for base := range work {
					for _, p := range refPaths {
						var v any
						if b, err := refGet(c, base+p); err == nil {
							_ = json.Unmarshal(b, &v)
						}
						requests.Add(1)
					}
				}
			})
		}
		for _, n := range nodes {
			work <- n
		}
		close(work)
		wg.Wait()
		return len(nodes), nil
	}
	if _, err := round(); err != nil {
		return err
	}
	cpu0, req0 := selfCPU(), requests.Load()
	var nodes int
	for range *rounds {
		var err error
		if nodes, err = round(); err != nil {
			return err
		}
	}
	res := refResult{CPUPerRound: (selfCPU() - cpu0) / time.Duration(*rounds),
		RequestsPerRound: (requests.Load() - req0) / int64(*rounds), Nodes: nodes}
	pid := os.Getpid()
	var err error
	if res.PeakRSS, err = peakRSS(pid); err != nil {
		return err
	}
	if res.RSSAfter, err = currentRSS(pid); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func loopbackOnly(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("reference client: %s is not on loopback", address)
	}
	return nil
}

// refRegistry returns the base URL of every node of the registry with a
// usable address on loopback.
func refRegistry(c *http.Client, api string) ([]string, error) {
	b, err := refGetN(c, api+"/api/v0/aggregates/"+simfleet.RegistryAddress+".json?keys=corechannel", 64<<20)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var reg struct {
		Data struct {
			Corechannel struct {
				ResourceNodes []struct {
					Address string `json:"address"`
				} `json:"resource_nodes"`
			} `json:"corechannel"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &reg); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var out []string
	for _, n := range reg.Data.Corechannel.ResourceNodes {
		u, err := url.Parse(strings.TrimSpace(n.Address))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err != nil || !ip.IsLoopback() {
			continue
		}
		out = append(out, strings.TrimRight(u.String(), "/"))
	}
	return out, nil
}

// refGet reads a node's answer, up to 1 MiB; refGetN up to n bytes (the
// registry of 10 000 nodes is several MiB).
func refGet(c *http.Client, u string) ([]byte, error) { return refGetN(c, u, 1<<20) }

func refGetN(c *http.Client, u string, n int64) ([]byte, error) {
	resp, err := c.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, n))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return b, err
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runRef runs the reference client on the fleet at api for rounds
// rounds after a cold one, with env added (SSL_CERT_FILE for a TLS
// fleet); limit bounds the whole run.
func runRef(ctx context.Context, self, api string, env []string, rounds, concurrency int, timeout, limit time.Duration) (refResult, error) {
	var res refResult
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "ref-client", "-api", api, "-rounds", strconv.Itoa(rounds),
		"-concurrency", strconv.Itoa(concurrency), "-timeout", timeout.String())
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("reference client: %w", err)
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return res, fmt.Errorf("reference client said %q: %w", out, err)
	}
	return res, nil
}

// roundConcurrency is the service's requests in flight for a fleet of n
// (an eighth of it, at least 256, at most 1250 at 20 000 open files).
func roundConcurrency(n int) int { return min(1250, max(256, n/8)) }
