package refresh

import (
	"slices"

	"context"
	"fmt"
	"io"
	"log/slog"
	"nodelist/internal/aleph"
	"strings"
	"sync"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
	"nodelist/internal/snapshot"
)

// pileAPI serves the fleet's registry with piles entries beside it, all on
// the origin of the fleet's node 0: at that address followed by prefix and
// p1 … pN. Their hashes are "pile-1" … "pile-N".
func pileAPI(t *testing.T, f *simfleet.Fleet, piles int, prefix string) string {
	t.Helper()
	base := strings.TrimRight(f.Nodes()[0].Address, "/")
	entries := make([]string, piles)
	for i := range entries {
		entries[i] = fmt.Sprintf(`{"hash":"pile-%d","name":"pile %d","address":"%s%sp%d"}`, i+1, i+1, base, prefix, i+1)
	}
	return hostileAPI(t, f, entries...)
}

// pileCounts are what the fleet heard in one round at the piled origin.
type pileCounts struct {
	mu    sync.Mutex
	lead  int            // requests for node 0's own config
	piles map[string]int // requests per pile path
}

func (c *pileCounts) hook(node int, path string) {
	if node != 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if path == probe.ConfigPath {
		c.lead++
		return
	}
	if rest, ok := strings.CutSuffix(path, probe.ConfigPath); ok {
		c.piles[rest]++
	}
}

func (c *pileCounts) take() (lead int, piles map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lead, piles = c.lead, c.piles
	c.lead, c.piles = 0, map[string]int{}
	return lead, piles
}

// TestPiledOriginKeepsItsHonestNode piles entries on the origin of an
// honest node (50 ms answers), each with its own path: the transport keeps
// one connection per origin, and probed like separate nodes they waited
// in turn on it, held every request slot until the round's deadline, and
// the honest node timed out in every round. Now every round ends with
// every honest node fresh, the honest node there included, asks at most
// maxPathsPerOrigin-1 piled paths, each once and in turn, lists the piles
// never asked with class deferred, and opens one connection to the origin
// in all.
func TestPiledOriginKeepsItsHonestNode(t *testing.T) {
	for _, piles := range []int{1000, 3000, 50000} {
		t.Run(fmt.Sprint(piles), func(t *testing.T) {
			if piles > 3000 && testing.Short() {
				t.Skip("50 000 entries")
			}
			if piles > 3000 && raceDetector {
				t.Skip("50 000 entries take minutes under the race detector: make test runs them without it")
			}
			piledOrigin(t, piles)
		})
	}
}

func piledOrigin(t *testing.T, piles int) {
	const nodes, rounds, perRound = 20, 3, maxPathsPerOrigin - 1
	f := startFleet(t, simfleet.Options{Nodes: nodes, Seed: 41, Latency: 50 * time.Millisecond})
	counts := &pileCounts{piles: map[string]int{}}
	f.SetRequestHook(counts.hook)
	api := pileAPI(t, f, piles, "/")
	// A pile costs three 404s of 50 ms: the seven asked a round take about
	// a second, well within the origin's budget of 3 s.
	c := probe.NewClient(probe.Options{APIURL: api, Timeout: 3 * time.Second, Concurrency: 32})
	t.Cleanup(c.CloseIdleConnections)
	var reports []*Round
	r := New(Options{Client: c, RoundTimeout: 8 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sink: SinkFunc(func(rd *Round) { reports = append(reports, rd) })})
	asked := map[string]int{}
	for k := range rounds {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		rd := reports[k]
		lead, heard := counts.take()
		fresh, pileReports := 0, 0
		for _, n := range rd.Nodes {
			if strings.HasPrefix(n.Hash, "pile-") {
				pileReports++
			} else if n.Of(probe.Config).OK {
				fresh++
			}
		}
		snap := rd.Snapshot
		served := byHash(decode(t, snap.All.Identity))
		honest := served[f.Nodes()[0].Hash]
		deferred := 0
		for i := 1; i <= piles; i++ {
			if strings.HasPrefix(served[fmt.Sprintf("pile-%d", i)].ConfigErr, "deferred: ") {
				deferred++
			}
		}
		t.Logf("round %d: %d of %d honest nodes answered; honest node on the piled origin: error %q, config at %v; "+
			"%d piles reported, %d asked; %d listed as deferred; %d connections to the origin so far; %d of %d nodes probed (status); round took %v",
			k+1, fresh, nodes, honest.ConfigErr, at(honest.ConfigAt), pileReports, len(heard), deferred, f.NodeConnections(0),
			r.Status().Probed, len(rd.Nodes), rd.Finished.Sub(rd.Started).Round(time.Millisecond))
		if fresh != nodes {
			t.Errorf("round %d: %d of %d honest nodes answered", k+1, fresh, nodes)
		}
		if honest.ConfigErr != "None" || honest.ConfigAt == nil || at(honest.ConfigAt).Before(rd.Started.Truncate(time.Millisecond)) {
			t.Errorf("round %d: the honest node on the piled origin: error %q, config at %v, round started %v",
				k+1, honest.ConfigErr, at(honest.ConfigAt), rd.Started)
		}
		if lead < 1 || lead > 2 {
			t.Errorf("round %d: the honest node was asked its config %d times", k+1, lead)
		}
		// Seven fit the origin's budget with room to spare; fewer only
		// when the machine is too loaded for three 50 ms answers to take
		// less than 0.4 s each.
		if len(heard) < 1 || len(heard) > perRound || pileReports != len(heard) {
			t.Errorf("round %d: %d piles asked, %d reported; want 1 to %d", k+1, len(heard), pileReports, perRound)
		}
		for p, n := range heard {
			asked[p] += n
			if asked[p] > 1 {
				t.Errorf("round %d: pile %s asked again before its turn", k+1, p)
			}
		}
		if want := piles - len(asked); deferred != want {
			t.Errorf("round %d: %d piles listed as deferred, want %d", k+1, deferred, want)
		}
		if st := r.Status(); st.Targets != nodes+perRound || st.Probed != nodes+len(heard) || st.Nodes != nodes+piles {
			t.Errorf("round %d: status %d nodes, %d targets, %d probed", k+1, st.Nodes, st.Targets, st.Probed)
		}
		validateVariants(t, snap)
	}
	if n := f.NodeConnections(0); n != 1 {
		t.Errorf("%d connections to the piled origin in %d rounds, want 1", n, rounds)
	}
	// For the record: the same rounds over the fleet alone.
	bc := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 3 * time.Second, Concurrency: 32})
	t.Cleanup(bc.CloseIdleConnections)
	alone := New(Options{Client: bc, RoundTimeout: 8 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for k := range rounds {
		if err := alone.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d without the piles took %v", k+1, alone.Status().LastDuration.Round(time.Millisecond))
	}
}

// at parses a served time; zero when absent or unreadable.
func at(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, _ := time.Parse(snapshot.TimeLayout, *s)
	return t
}

// TestHungPilesCostTheirOrigin piles hung entries on an honest node's
// origin: each asked one holds the origin's worker for the short timeout,
// so a round asks no more of them than the origin's budget (one probe
// timeout) holds, every honest node answers in every round, and the
// origin sees a new connection only after each hung request.
func TestHungPilesCostTheirOrigin(t *testing.T) {
	const nodes, piles, rounds = 20, 1000, 3
	f := startFleet(t, simfleet.Options{Nodes: nodes, Seed: 43, Latency: 50 * time.Millisecond})
	counts := &pileCounts{piles: map[string]int{}}
	f.SetRequestHook(counts.hook)
	api := pileAPI(t, f, piles, simfleet.HungPrefix)
	const timeout, short = time.Second, 200 * time.Millisecond
	c := probe.NewClient(probe.Options{APIURL: api, Timeout: timeout, Concurrency: 32})
	t.Cleanup(c.CloseIdleConnections)
	var reports []*Round
	r := New(Options{Client: c, RoundTimeout: 4 * time.Second, ShortTimeout: short,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sink:   SinkFunc(func(rd *Round) { reports = append(reports, rd) })})
	hung := 0
	for k := range rounds {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		rd := reports[k]
		_, heard := counts.take()
		fresh, timedOut := 0, 0
		for _, n := range rd.Nodes {
			switch {
			case !strings.HasPrefix(n.Hash, "pile-"):
				if n.Of(probe.Config).OK {
					fresh++
				}
			case n.Of(probe.Config).Class == probe.ClassTimeout:
				timedOut++
			default:
				t.Errorf("round %d: %s: %+v", k+1, n.Hash, n.Of(probe.Config))
			}
		}
		hung += len(heard)
		honest := byHash(decode(t, rd.Snapshot.All.Identity))[f.Nodes()[0].Hash]
		t.Logf("round %d: %d of %d honest nodes answered; honest node on the piled origin: error %q, config at %v; "+
			"%d hung piles asked, %d timed out; %d connections to the origin so far; round took %v",
			k+1, fresh, nodes, honest.ConfigErr, at(honest.ConfigAt), len(heard), timedOut, f.NodeConnections(0),
			rd.Finished.Sub(rd.Started).Round(time.Millisecond))
		if fresh != nodes || honest.ConfigErr != "None" || at(honest.ConfigAt).Before(rd.Started.Truncate(time.Millisecond)) {
			t.Errorf("round %d: %d of %d honest nodes answered; the one on the piled origin: %q at %v",
				k+1, fresh, nodes, honest.ConfigErr, at(honest.ConfigAt))
		}
		if len(heard) < 1 || len(heard) > int(timeout/short) || timedOut != len(heard) {
			t.Errorf("round %d: %d hung piles asked, %d reported timed out; want 1 to %d", k+1, len(heard), timedOut, timeout/short)
		}
	}
	if n := f.NodeConnections(0); n < 2 || n > int64(1+hung) {
		t.Errorf("%d connections to the piled origin, %d hung requests: want at most one more", n, hung)
	}
}

// TestEntriesSharingAnAddressAreAskedOnce registers one node under several
// spellings of its address: it is asked once a round, and every entry is
// listed with its answer.
func TestEntriesSharingAnAddressAreAskedOnce(t *testing.T) {
	const nodes, twins, rounds = 3, 50, 2
	f := startFleet(t, simfleet.Options{Nodes: nodes, Seed: 44})
	node := f.Nodes()[1]
	base := strings.TrimRight(node.Address, "/")
	_, port, _ := strings.Cut(strings.TrimPrefix(base, "http://"), ":")
	spellings := []string{base, base + "/", base + "///", "HTTP://127.0.0.1:" + port, "http://127.0.0.1:" + port + "//"}
	entries := make([]string, twins)
	for i := range entries {
		entries[i] = fmt.Sprintf(`{"hash":"twin-%d","name":"twin %d","address":"%s"}`, i, i, spellings[i%len(spellings)])
	}
	var mu sync.Mutex
	asked := 0
	f.SetRequestHook(func(n int, path string) {
		if n == 1 && path == probe.ConfigPath {
			mu.Lock()
			asked++
			mu.Unlock()
		}
	})
	c := probe.NewClient(probe.Options{APIURL: hostileAPI(t, f, entries...), Timeout: 2 * time.Second})
	t.Cleanup(c.CloseIdleConnections)
	var reports []*Round
	r := New(Options{Client: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sink: SinkFunc(func(rd *Round) { reports = append(reports, rd) })})
	for k := range rounds {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		rd := reports[k]
		mu.Lock()
		n := asked
		asked = 0
		mu.Unlock()
		if n != 1 {
			t.Errorf("round %d: node asked its config %d times for %d entries", k+1, n, twins+1)
		}
		if len(rd.Nodes) != nodes+twins {
			t.Errorf("round %d: %d reports, want %d", k+1, len(rd.Nodes), nodes+twins)
		}
		served := byHash(decode(t, rd.Snapshot.All.Identity))
		for i := range twins {
			c := served[fmt.Sprintf("twin-%d", i)]
			if c.ConfigErr != "None" || c.Version == nil || *c.Version != node.Version || c.Address != spellings[i%len(spellings)] ||
				at(c.ConfigAt).Before(rd.Started.Truncate(time.Millisecond)) {
				t.Errorf("round %d: twin %d: address %q, error %q, config at %v", k+1, i, c.Address, c.ConfigErr, at(c.ConfigAt))
			}
		}
		validateVariants(t, rd.Snapshot)
	}
}

// TestGroupTargets: one group per origin, led by the bare origin when it is
// registered, else by the address that answered in the longest run, else
// by the next in turn; at most maxPathsPerOrigin-1 others follow, in turn
// from the last asked, and the rest wait, listed as deferred until first
// asked.
func TestGroupTargets(t *testing.T) {
	state := func(addr string) *nodeState {
		st := newNodeState()
		st.node = aleph.Node{Hash: addr, Address: addr}
		st.judge(nil)
		return st
	}
	answered := func(st *nodeState, rounds int) *nodeState {
		st.probes[probe.Config.Index] = probeState{values: [][]byte{[]byte(`"1.0"`)}, at: time.Now()}
		for range rounds {
			st.pace.record(false)
		}
		return st
	}
	paths := func(targets []*nodeState, us []unit) []string {
		var out []string
		for _, u := range us {
			out = append(out, targets[u[0]].path)
		}
		return out
	}
	const h = "http://node.example.org:4020"
	var targets []*nodeState
	for i := range 12 {
		targets = append(targets, state(fmt.Sprintf("%s/p%02d", h, i)))
	}
	targets = append(targets, state(h+"/"), state("HTTP://Node.example.org:4020"), state("http://other.example.org"),
		state("ftp://bad"))
	r := &Refresher{}
	groups, deferred := r.groupTargets(targets, time.Now())
	if len(groups) != 3 {
		t.Fatalf("%d groups, want 3 (the piled origin, the other, the bad address)", len(groups))
	}
	g := groups[0]
	if len(g.lead) != 2 || targets[g.lead[0]].path != "" || g.origin != "http://node.example.org:4020" {
		t.Errorf("lead %v (paths %q), origin %q; want both spellings of the bare origin", g.lead, targets[g.lead[0]].path, g.origin)
	}
	if got := paths(targets, g.extras); !slices.Equal(got, []string{"/p00", "/p01", "/p02", "/p03", "/p04", "/p05", "/p06"}) {
		t.Errorf("extras %q", got)
	}
	if deferred != 12-7 {
		t.Errorf("%d deferred, want 5", deferred)
	}
	for i, st := range targets[:12] {
		if e := st.probes[probe.Config.Index].err; e == nil || e.Class != probe.ClassDeferred {
			t.Errorf("%s: error %v, want deferred", targets[i].path, e)
		}
	}
	if e := targets[12].probes[probe.Config.Index].err; e != nil {
		t.Errorf("the bare origin: error %v", e)
	}
	if len(groups[1].lead) != 1 || groups[1].extras != nil || len(groups[2].lead) != 1 || targets[groups[2].lead[0]].addrErr == nil {
		t.Errorf("groups %+v %+v", groups[1], groups[2])
	}

	// The next round goes on after the last asked, and a node asked once
	// keeps its own error.
	r.turns["http://node.example.org:4020"] = "/p06"
	targets[0].probes[probe.Config.Index].err = probe.Errorf(probe.ClassHTTPStatus, "HTTP 404")
	groups, _ = r.groupTargets(targets, time.Now())
	if got := paths(targets, groups[0].extras); !slices.Equal(got, []string{"/p07", "/p08", "/p09", "/p10", "/p11", "/p00", "/p01"}) {
		t.Errorf("next round's extras %q", got)
	}
	if e := targets[0].probes[probe.Config.Index].err; e.Class != probe.ClassHTTPStatus {
		t.Errorf("a node asked once: error %v", e)
	}

	// Without the bare origin, the address answering in the longest run
	// leads; with none answering, the next in turn.
	targets = targets[:12]
	answered(targets[5], 3)
	answered(targets[9], 6)
	groups, _ = r.groupTargets(targets, time.Now())
	if got := targets[groups[0].lead[0]].path; got != "/p09" {
		t.Errorf("lead %q, want /p09, the longest run", got)
	}
	if got := paths(targets, groups[0].extras); slices.Contains(got, "/p09") || len(got) != 7 {
		t.Errorf("extras %q", got)
	}
	for _, st := range targets {
		st.probes[probe.Config.Index] = probeState{}
		st.pace = pace{}
	}
	r.turns["http://node.example.org:4020"] = "/p03"
	groups, _ = r.groupTargets(targets, time.Now())
	if got := targets[groups[0].lead[0]].path; got != "/p04" {
		t.Errorf("lead %q, want /p04, the next in turn", got)
	}
	if got := r.turns["http://node.example.org:4020"]; got != "/p04" {
		t.Errorf("turn after a lead in turn: %q", got)
	}
}

// TestPiledOriginWithoutAShortTimeout: when the short timeout is no
// shorter than the full one, an attempt may take the origin's whole
// budget, so a round asks one other address of the origin, and still one.
func TestPiledOriginWithoutAShortTimeout(t *testing.T) {
	const piles, rounds = 10, 3
	f := startFleet(t, simfleet.Options{Nodes: 1, Seed: 45})
	counts := &pileCounts{piles: map[string]int{}}
	f.SetRequestHook(counts.hook)
	c := probe.NewClient(probe.Options{APIURL: pileAPI(t, f, piles, "/"), Timeout: 2 * time.Second})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c, ShortTimeout: 2 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for k := range rounds {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if lead, heard := counts.take(); lead != 1 || len(heard) != 1 {
			t.Errorf("round %d: the bare origin asked %d times, %d piles asked; want 1 and 1", k+1, lead, len(heard))
		}
	}
}
