package main

import (
	"cmp"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
	"nodelist/internal/store/mysql"
	"nodelist/internal/store/mysql/mysqltest"
)

const (
	replicaInterval = 3 * time.Second
	replicaTTL      = 6 * time.Second // the default --lease-ttl
	followWithin    = time.Second
	takeoverWithin  = 10 * time.Second
)

// observe lets the replicas run while the watcher records what they serve.
func observe(d time.Duration) { time.Sleep(d) } // a period of observation, not a wait for an event

// fleetRequest is one request the fleet heard.
type fleetRequest struct {
	at   time.Time
	node int
	path string
}

// TestReplicas runs three replicas as processes on one new MariaDB
// database and one simulated fleet, and breaks them: the leader killed
// (kill -9), the next one paused past its lease (SIGSTOP) and resumed,
// every database connection killed (what a database restart does to its
// clients; the shared server itself is never restarted). Throughout,
// exactly one probes, and every replica serves the same bytes and ETags
// within a second of each publication.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three replicas for about a minute and a half")
	}
	dsn, dbName := mysqltest.DSN(t)
	bin := buildBinary(t)
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 24, Seed: 7, Latency: 60 * time.Millisecond,
		Jitter: 40 * time.Millisecond, Failing: 0.08, Hung: 0.08, Inactive: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	var reqMu sync.Mutex
	var reqs []fleetRequest
	fleet.SetRequestHook(func(node int, path string) {
		reqMu.Lock()
		reqs = append(reqs, fleetRequest{time.Now(), node, path})
		reqMu.Unlock()
	})
	args := func(id string) []string {
		return []string{"--api-url", fleet.APIURL(), "--allow-private-targets", "--refresh-interval", replicaInterval.String(),
			"--timeout", "1s", "--concurrency", "4", "--db", dsn, "--replica-id", id, "--log-level", "info"}
	}
	w := newWatcher()
	var procs []*proc
	start := func(id string) int {
		p := startProc(t, bin, id, args(id)...)
		procs = append(procs, p)
		return w.add(p)
	}
	// Started together on a new database: the migrations run once.
	for _, id := range []string{"r1", "r2", "r3"} {
		start(id)
	}
	var windows []window
	alive := map[int]bool{0: true, 1: true, 2: true}

	// 1. One leader; every replica serves its publications.
	first, _ := waitLeader(t, procs, alive, -1, 30*time.Second)
	waitServing(t, procs, alive, 20*time.Second)
	t.Logf("%s leads", procs[first].name)
	observe(7 * time.Second)

	// 2. kill -9 the leader: another leads within 10 s; a replica started
	// in its place serves at once.
	oldEpoch := mustTask(t, procs[first]).Replica.Epoch
	// A request the watcher sent just before the kill may meet a closed
	// listener: the killed replica is left out from a second before.
	windows = append(windows, window{from: time.Now().Add(-time.Second), to: time.Now().Add(time.Hour), procs: map[int]bool{first: true}})
	procs[first].signal(syscall.SIGKILL)
	<-procs[first].done
	delete(alive, first)
	second, took := waitLeader(t, procs, alive, oldEpoch, takeoverWithin)
	t.Logf("kill -9 of %s: %s leads after %s", procs[first].name, procs[second].name, took.Round(time.Millisecond))
	alive[start("r4")] = true
	waitServing(t, procs, alive, 10*time.Second)
	observe(5 * time.Second)

	// 3. SIGSTOP the leader past its lease, then SIGCONT: another leads
	// meanwhile, the old one's writes are refused and it follows.
	oldEpoch = mustTask(t, procs[second]).Replica.Epoch
	w.pause(second, true)
	stopped := time.Now()
	procs[second].signal(syscall.SIGSTOP)
	delete(alive, second)
	third, took := waitLeader(t, procs, alive, oldEpoch, takeoverWithin)
	t.Logf("SIGSTOP of %s: %s leads after %s", procs[second].name, procs[third].name, took.Round(time.Millisecond))
	observe(max(time.Until(stopped.Add(replicaTTL+2*time.Second)), 0))
	procs[second].signal(syscall.SIGCONT)
	resumed := time.Now()
	alive[second] = true
	deadline := time.Now().Add(5 * time.Second)
	for {
		tk, err := procs[second].task()
		if err == nil && tk.Replica.Role == "follower" && tk.Replica.Epoch > oldEpoch {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s resumed did not follow within 5 s: %+v %v", procs[second].name, tk.Replica, err)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	w.pause(second, false)
	windows = append(windows, window{from: stopped, to: resumed.Add(2 * time.Second), procs: map[int]bool{second: true}})
	observe(4 * time.Second)

	// 4. Every connection of the replicas killed, three times over a
	// second: they keep serving, and a leader goes on publishing.
	admin := mysqltest.Admin(t)
	defer admin.Close()
	cut := time.Now()
	killedConns := 0
	for range 3 {
		n, err := mysqltest.KillConnections(admin, dbName)
		if err != nil {
			t.Fatal(err)
		}
		killedConns += n
		observe(500 * time.Millisecond)
	}
	if killedConns == 0 {
		t.Fatal("no database connection was killed: the test proved nothing")
	}
	windows = append(windows, window{from: cut, to: time.Now().Add(2 * time.Second)})
	waitLeader(t, procs, alive, 0, takeoverWithin)
	observe(6 * time.Second)

	// Figures, then a graceful stop: the leader releases its lease.
	for i := range alive {
		if tk, err := procs[i].task(); err == nil && tk.Replica.Lag.P50 != nil {
			t.Logf("%s (%s): follower lag p50 %.1f ms, p99 %.1f ms over %d publications", procs[i].name, tk.Replica.Role,
				*tk.Replica.Lag.P50, *tk.Replica.Lag.P99, tk.Replica.Lag.Samples)
		}
	}
	fetches := w.close()
	for i := range alive {
		procs[i].signal(syscall.SIGTERM)
	}
	for i := range alive {
		<-procs[i].done
		if procs[i].exit != nil {
			t.Errorf("%s exited with %v after SIGTERM", procs[i].name, procs[i].exit)
		}
	}
	fleet.SetRequestHook(nil)

	checkServed(t, fetches, windows)
	reqMu.Lock()
	rounds := checkProbedOnce(t, fleet, reqs)
	reqMu.Unlock()
	checkStoredHistory(t, dsn, rounds)
}

// waitLeader waits until one of the live replicas leads with an epoch
// past after, and returns it and the time it took.
func waitLeader(t *testing.T, procs []*proc, alive map[int]bool, after int64, within time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		for i := range alive {
			if tk, err := procs[i].task(); err == nil && tk.Replica.Role == "leader" && tk.Replica.Epoch > after {
				return i, time.Since(start)
			}
		}
		if time.Since(start) > within {
			t.Fatalf("no replica led within %s", within)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

// waitServing waits until every live replica serves the same publication
// of a finished round.
func waitServing(t *testing.T, procs []*proc, alive map[int]bool, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		pubs := map[int64]bool{}
		ok := true
		for i := range alive {
			tk, err := procs[i].task()
			ok = ok && err == nil && tk.LastRefresh != nil
			pubs[tk.Replica.Publication] = true
		}
		if ok && len(pubs) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas did not serve one publication within %s", within)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

func mustTask(t *testing.T, p *proc) task {
	t.Helper()
	tk, err := p.task()
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// checkServed checks what the watcher saw: every answer a 200, the same
// bytes for one ETag on every replica, and every replica serving each
// publication (or a later one) within a second of its first appearance.
func checkServed(t *testing.T, fetches []fetch, windows []window) {
	t.Helper()
	excluded := func(f fetch) bool {
		for _, w := range windows {
			if w.covers(f.proc, f.at) {
				return true
			}
		}
		return false
	}
	sums := map[string][32]byte{}
	modified := map[string]string{}
	firstSeen := map[string]time.Time{}
	from, to := map[int]time.Time{}, map[int]time.Time{}
	failed := 0
	for _, f := range fetches {
		if f.err != nil || f.status != 200 {
			// A replica is asked from its start; it answers once listening.
			if _, up := from[f.proc]; up && !excluded(f) {
				failed++
				if failed < 5 {
					t.Errorf("replica %d at %s: %v, status %d", f.proc, f.at.Format("15:04:05.000"), f.err, f.status)
				}
			}
			continue
		}
		key := f.enc + " " + f.etag
		if s, ok := sums[key]; ok && s != f.sum {
			t.Errorf("two bodies for %s: replica %d at %s", key, f.proc, describe(f))
		}
		if m, ok := modified[key]; ok && m != f.lastMod {
			t.Errorf("two Last-Modified for %s: %s and %s (replica %d)", key, m, f.lastMod, f.proc)
		}
		sums[key], modified[key] = f.sum, f.lastMod
		if at, ok := firstSeen[f.pub]; !ok || f.at.Before(at) {
			firstSeen[f.pub] = f.at
		}
		if _, ok := from[f.proc]; !ok {
			from[f.proc] = f.at
		}
		to[f.proc] = f.at
	}
	if failed > 0 {
		t.Errorf("%d of %d answers failed outside the pauses", failed, len(fetches))
	}
	encs := map[string]int{}
	for k := range sums {
		enc, _, _ := strings.Cut(k, " ")
		encs[cmp.Or(enc, "identity")]++
	}
	t.Logf("%d answers, %d publications, variants per encoding %v: one body and Last-Modified per ETag on every replica", len(fetches), len(firstSeen), encs)

	// Lags, at the watcher's resolution (every 25 ms per replica).
	byProc := map[int][]fetch{}
	for _, f := range fetches {
		if f.err == nil && f.status == 200 {
			byProc[f.proc] = append(byProc[f.proc], f)
		}
	}
	var lags []time.Duration
	late := 0
	for pub, at := range firstSeen {
		for i, fs := range byProc {
			if at.Before(from[i]) || at.After(to[i].Add(-followWithin-200*time.Millisecond)) {
				continue
			}
			j, _ := slices.BinarySearchFunc(fs, at, func(f fetch, at time.Time) int { return f.at.Compare(at) })
			for ; j < len(fs) && firstSeen[fs[j].pub].Before(at); j++ {
			}
			if j == len(fs) || excluded(fs[j]) {
				continue
			}
			lag := fs[j].at.Sub(at)
			lags = append(lags, lag)
			if lag > followWithin+50*time.Millisecond {
				late++
				if late < 5 {
					t.Errorf("publication %s (first served at %s) reached replica %d after %s", pub, at.Format("15:04:05.000"), i, lag)
				}
			}
		}
	}
	slices.Sort(lags)
	if len(lags) > 0 {
		t.Logf("replicas serving a publication after its first appearance: p50 %s, p99 %s, max %s (%d cases)",
			lags[len(lags)/2], lags[len(lags)*99/100], lags[len(lags)-1], len(lags))
	}
}

// checkProbedOnce checks the fleet's side: rounds (registry fetches) an
// interval apart, and no healthy node asked for its config by two
// probers in one round. It returns the number of rounds.
func checkProbedOnce(t *testing.T, fleet *simfleet.Fleet, reqs []fleetRequest) int {
	t.Helper()
	var starts []time.Time
	for _, r := range reqs {
		if r.node < 0 && strings.Contains(r.path, simfleet.RegistryAddress) {
			starts = append(starts, r.at)
		}
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < replicaInterval-300*time.Millisecond {
			t.Errorf("rounds %d and %d started %s apart, within one interval", i-1, i, gap.Round(time.Millisecond))
		}
	}
	healthy := map[int]bool{}
	for _, n := range fleet.Nodes() {
		healthy[n.Index] = n.Kind == simfleet.KindOK
	}
	// A node the leader has not seen yet (every node, in a new leader's
	// first round) or that timed out last round is asked first with the
	// short timeout (a fifth of --timeout) and, when that runs out while
	// the round goes on, once more with the whole timeout: on a loaded
	// machine a healthy node may be asked twice so, the second time at
	// least the short timeout after the first was sent (half of it after
	// the first arrived, leaving room for a slow arrival). Anything else
	// (a second ask sooner, a third) is two probers at once.
	const shortTimeout = 200 * time.Millisecond // --timeout 1s / 5
	type key struct{ round, node int }
	first := map[key]time.Time{}
	asked := map[key]int{}
	retried := 0
	for _, r := range reqs {
		if r.node < 0 || !healthy[r.node] || r.path != "/status/config" {
			continue
		}
		round, _ := slices.BinarySearchFunc(starts, r.at, func(s, at time.Time) int {
			if s.After(at) {
				return 1
			}
			return -1
		})
		k := key{round - 1, r.node}
		asked[k]++
		switch asked[k] {
		case 1:
			first[k] = r.at
		case 2:
			if gap := r.at.Sub(first[k]); gap < shortTimeout/2 {
				t.Errorf("node %d asked twice for its config in round %d, %s apart: sooner than a short attempt's timeout", r.node, round-1, gap.Round(time.Millisecond))
			}
			retried++
		default:
			t.Errorf("node %d asked %d times for its config in round %d", r.node, asked[k], round-1)
		}
	}
	t.Logf("%d rounds over %s, an interval apart; %d config probes of healthy nodes, %d asked again after a short attempt timed out",
		len(starts), starts[len(starts)-1].Sub(starts[0]).Round(time.Second), len(asked), retried)
	return len(starts)
}

// checkStoredHistory checks the database's side: rounds an interval apart,
// each complete, and no sample written twice.
func checkStoredHistory(t *testing.T, dsn string, fleetRounds int) {
	t.Helper()
	st, err := mysql.Open(context.Background(), dsn, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.DB().Query("SELECT id, results FROM rounds ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var sum int64
	for rows.Next() {
		var id, results int64
		if err := rows.Scan(&id, &results); err != nil {
			t.Fatal(err)
		}
		// The three probes asked every round of each of the 24 nodes,
		// and the capability of those it was due for, once at most (all
		// the responsive ones in a new leader's first round: when it
		// is due is kept in memory).
		if results < 24*3 || results > 24*4 {
			t.Errorf("round %d has %d results, want 72 to 96", id, results)
		}
		ids = append(ids, id)
		sum += results
	}
	rows.Close()
	for i := 1; i < len(ids); i++ {
		if gap := time.Duration(ids[i]-ids[i-1]) * time.Millisecond; gap < replicaInterval-300*time.Millisecond {
			t.Errorf("history rounds %d and %d started %s apart", ids[i-1], ids[i], gap)
		}
	}
	samples, err := st.SampleCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if samples != sum {
		t.Errorf("%d samples stored for rounds of %d results: some were written twice or lost", samples, sum)
	}
	// The rounds a leader did not finish (killed, paused, stopped) are not
	// written; every other one is.
	if len(ids) > fleetRounds || len(ids) < fleetRounds-4 {
		t.Errorf("%d rounds in the history, %d probed", len(ids), fleetRounds)
	}
	var epochs []int64
	prows, err := st.DB().Query("SELECT epoch FROM publications ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	for prows.Next() {
		var e int64
		_ = prows.Scan(&e)
		epochs = append(epochs, e)
	}
	prows.Close()
	if !slices.IsSorted(epochs) {
		t.Errorf("publications of epochs %v: an old leader wrote after a new one", epochs)
	}
	t.Logf("history: %d rounds (%d probed), %d samples, each once", len(ids), fleetRounds, samples)
}

// SQLite serves a single replica: a second one on the same file is
// refused at start with a message saying why and what to use instead.
func TestSecondReplicaOnSQLiteRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	db := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	args := []string{"--api-url", fleet.APIURL(), "--allow-private-targets", "--db", db}
	first := startProc(t, bin, "first", args...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if tk, err := first.task(); err == nil && tk.LastRefresh != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first replica did not serve within 20 s")
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	second := exec.Command(bin, append([]string{"serve", "--listen", freeAddr(t)}, args...)...)
	out, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the second replica: %v, want exit status 1\n%s", err, out)
	}
	for _, want := range []string{"in use by nodelist pid", "single replica", "mysql://"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the refusal does not say %q:\n%s", want, out)
		}
	}
	if tk, err := first.task(); err != nil || tk.LastRefresh == nil {
		t.Errorf("the first replica stopped serving: %v", err)
	}
}
