package replica

import (
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/simfleet"
	"nodelist/internal/store/mysql"
	"nodelist/internal/store/mysql/mysqltest"
)

// proxy stands between a replica and the database, and can cut it off:
// a network partition of that replica alone.
type proxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() { ln.Close(); p.cut(); p.wg.Wait() })
	return p
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

// cut drops every connection and refuses new ones until restore.
func (p *proxy) cut() {
	p.down.Store(true)
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
	p.mu.Unlock()
}

func (p *proxy) restore() { p.down.Store(false) }

// node is one replica of an in-process test: its refresher, its proxy to
// the database, and its run.
type node struct {
	rep   *Replica
	ref   *refresh.Refresher
	proxy *proxy
	stop  func()
}

// startNode runs a replica named id; its prober has 8 requests in flight
// (more with conc).
func startNode(t testing.TB, dsn string, fleet *simfleet.Fleet, id string, tweak func(*Options), conc ...int) *node {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, cfg.Addr)
	rs, err := mysql.ConnectReplicas(context.Background(), strings.Replace(dsn, "@"+cfg.Addr+"/", "@"+px.ln.Addr().String()+"/", 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := Options{Store: rs, ID: id, TTL: 3 * time.Second, Interval: time.Hour, Logger: log}
	if tweak != nil {
		tweak(&opts)
	}
	rep := New(opts)
	client := probe.NewClient(probe.Options{APIURL: fleet.APIURL(), Timeout: 2 * time.Second, Concurrency: max(8, slices.Max(append(conc, 0)))})
	t.Cleanup(client.CloseIdleConnections)
	ref := refresh.New(refresh.Options{Client: client, Mode: opts.Mode, Interval: opts.Interval, StaleAfter: opts.StaleAfter,
		WaitAfter: opts.WaitAfter, Logger: log, Sink: rep, Hooks: rep.Hooks()})
	rep.Attach(context.Background(), ref)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = rep.Run(ctx) }()
	n := &node{rep: rep, ref: ref, proxy: px, stop: func() { cancel(); <-done }}
	t.Cleanup(n.stop)
	return n
}

// waitFor polls cond until it holds, or fails the test after within.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
}

func migrated(t testing.TB) string {
	t.Helper()
	dsn, _ := mysqltest.DSN(t)
	st, err := mysql.Open(context.Background(), dsn, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return dsn
}

func registryFetches(reqs *atomic.Int64) simfleet.RequestHook {
	return func(node int, path string) {
		if node < 0 && strings.Contains(path, simfleet.RegistryAddress) {
			reqs.Add(1)
		}
	}
}

// A leader cut off from the database stops leading before its lease can
// expire and keeps serving its last publication, saying the database is
// out of reach; another replica leads; once the partition heals the old
// leader follows, serving the new leader's bytes.
func TestPartitionedLeader(t *testing.T) {
	dsn := migrated(t)
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 6, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	every := func(o *Options) { o.Interval = time.Second }
	a := startNode(t, dsn, fleet, "a", every)
	waitFor(t, 10*time.Second, "a leads and publishes", func() bool { return a.rep.Leading() && a.rep.Holder().Load().Count == 6 })
	b := startNode(t, dsn, fleet, "b", every)
	waitFor(t, 5*time.Second, "b follows a", func() bool { return b.rep.State().Leader == "a" && b.rep.Holder().Load().Count == 6 })
	epoch := gauge(t, b.rep, "nodelist_replica_epoch")
	if gauge(t, a.rep, "nodelist_replica_leader") != 1 || gauge(t, b.rep, "nodelist_replica_leader") != 0 ||
		epoch < 1 || gauge(t, a.rep, "nodelist_replica_epoch") != epoch || gauge(t, b.rep, "nodelist_replica_database_up") != 1 {
		t.Errorf("metrics before the cut: a leads %v, b leads %v, epochs %v/%v", gauge(t, a.rep, "nodelist_replica_leader"),
			gauge(t, b.rep, "nodelist_replica_leader"), gauge(t, a.rep, "nodelist_replica_epoch"), epoch)
	}

	a.proxy.cut()
	cut := time.Now()
	waitFor(t, a.rep.opts.TTL, "a stops leading within its lease", func() bool { return !a.rep.Leading() })
	stopped := time.Since(cut)
	served := a.rep.Holder().Load()
	waitFor(t, 10*time.Second, "b leads", func() bool { return b.rep.Leading() })
	t.Logf("a stopped leading %s after the cut; b leads %s after it", stopped.Round(time.Millisecond), time.Since(cut).Round(time.Millisecond))
	waitFor(t, 5*time.Second, "a says the database is out of reach", func() bool {
		p := a.rep.Problems()
		return len(p) == 1 && strings.Contains(p[0], "database unreachable")
	})
	if a.rep.Holder().Load() != served || served.Count != 6 {
		t.Error("a stopped serving its last publication")
	}
	if gauge(t, a.rep, "nodelist_replica_database_up") != 0 || gauge(t, a.rep, "nodelist_replica_leader") != 0 ||
		gauge(t, b.rep, "nodelist_replica_leader") != 1 || gauge(t, b.rep, "nodelist_replica_epoch") <= epoch {
		t.Errorf("metrics after the cut: a's database up %v, a leads %v, b leads %v at epoch %v (was %v)",
			gauge(t, a.rep, "nodelist_replica_database_up"), gauge(t, a.rep, "nodelist_replica_leader"),
			gauge(t, b.rep, "nodelist_replica_leader"), gauge(t, b.rep, "nodelist_replica_epoch"), epoch)
	}

	a.proxy.restore()
	waitFor(t, 5*time.Second, "a follows b", func() bool {
		s := a.rep.State()
		return s.Role == Follower && s.Leader == "b" && s.Database == "ok"
	})
	waitFor(t, 5*time.Second, "a serves b's publication", func() bool {
		return a.rep.Holder().Load().All.ETag == b.rep.Holder().Load().All.ETag
	})
	if a.rep.Holder().Load().All.ETag == served.All.ETag {
		t.Error("a still serves what it published before the cut")
	}
}

// /debug/node on a follower asks the leader for a round through the
// database, waits for it, and is answered by one round; a second request
// within ForceEvery joins the first.
func TestFollowerForcesARound(t *testing.T) {
	dsn := migrated(t)
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 5, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	var rounds atomic.Int64
	fleet.SetRequestHook(registryFetches(&rounds))
	a := startNode(t, dsn, fleet, "a", nil)
	waitFor(t, 10*time.Second, "a leads and publishes", func() bool { return a.rep.Leading() && a.rep.Holder().Load().Count == 5 })
	b := startNode(t, dsn, fleet, "b", nil)
	waitFor(t, 5*time.Second, "b serves a's publication", func() bool { return b.rep.Holder().Load() != nil && b.rep.Holder().Load().Count == 5 })
	before, asked := rounds.Load(), time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.rep.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rounds.Load() - before; n != 1 {
		t.Errorf("a follower's forced round ran %d rounds, want 1", n)
	}
	if lr := b.rep.Holder().Load().LastRefresh; !lr.After(asked) {
		t.Errorf("after a forced round the follower serves last_refresh %s, from before the request", lr)
	}
	if err := b.rep.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rounds.Load() - before; n != 1 {
		t.Errorf("a second request within ForceEvery ran %d rounds in all, want it to join the first", n)
	}
	if st := b.rep.Status(); st.Round != a.ref.Status().Round || st.Running {
		t.Errorf("the follower shows round %d (running %v), the leader %d", st.Round, st.Running, a.ref.Status().Round)
	}
}

// In on-demand mode, a follower finding the data stale has the leader run
// a round, and a request finding it very stale waits for it.
func TestFollowerOnDemand(t *testing.T) {
	dsn := migrated(t)
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 4, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	var rounds atomic.Int64
	fleet.SetRequestHook(registryFetches(&rounds))
	onDemand := func(o *Options) {
		o.Mode, o.StaleAfter, o.WaitAfter, o.MaxWait = refresh.OnDemand, 500*time.Millisecond, time.Second, 10*time.Second
	}
	a := startNode(t, dsn, fleet, "a", onDemand)
	waitFor(t, 10*time.Second, "a leads", func() bool { return a.rep.Leading() })
	a.rep.Fresh(context.Background()) // no data yet: the leader runs a round and waits for it
	b := startNode(t, dsn, fleet, "b", onDemand)
	waitFor(t, 5*time.Second, "b serves a's publication", func() bool { return b.rep.Holder().Load().Count == 4 })
	first := b.rep.Holder().Load().LastRefresh
	waitFor(t, 5*time.Second, "the data grows very stale", func() bool { return time.Since(first) > time.Second })
	before := rounds.Load()
	b.rep.Fresh(context.Background())
	if lr := b.rep.Holder().Load().LastRefresh; !lr.After(first) {
		t.Errorf("a follower's request on very stale data was served last_refresh %s, the stale one", lr)
	}
	if n := rounds.Load() - before; n != 1 {
		t.Errorf("%d rounds for one stale request, want 1", n)
	}
}

// The database away for every replica longer than the lease (a restart):
// each keeps serving its last publication and says why; none leads. Once
// it is back, one replica leads again and every one serves its
// publications.
func TestDatabaseAwayForAll(t *testing.T) {
	dsn := migrated(t)
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 5, Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	every := func(o *Options) { o.Interval = time.Second }
	var nodes []*node
	for _, id := range []string{"a", "b", "c"} {
		nodes = append(nodes, startNode(t, dsn, fleet, id, every))
	}
	leaders := func() (n int) {
		for _, x := range nodes {
			if x.rep.Leading() {
				n++
			}
		}
		return n
	}
	same := func() bool {
		e := nodes[0].rep.Holder().Load().All.ETag
		for _, x := range nodes {
			if s := x.rep.Holder().Load(); s.Count != 5 || s.All.ETag != e {
				return false
			}
		}
		return true
	}
	waitFor(t, 10*time.Second, "one leader, one publication everywhere", func() bool { return leaders() == 1 && same() })
	for _, x := range nodes {
		x.proxy.cut()
	}
	down := time.Now()
	waitFor(t, 5*time.Second, "no leader while the database is away", func() bool { return leaders() == 0 })
	for _, x := range nodes {
		if s := x.rep.Holder().Load(); s.Count != 5 {
			t.Errorf("%s serves %d CRNs while the database is away", x.rep.ID(), s.Count)
		}
	}
	waitFor(t, 5*time.Second, "every replica says the database is away", func() bool {
		for _, x := range nodes {
			if p := x.rep.Problems(); len(p) == 0 || !strings.Contains(p[0], "database unreachable") {
				return false
			}
		}
		return true
	})
	last := nodes[0].rep.Holder().Load().LastRefresh
	waitFor(t, 10*time.Second, "the outage outlasts the lease", func() bool { return time.Since(down) > nodes[0].rep.opts.TTL })
	for _, x := range nodes {
		x.proxy.restore()
	}
	back := time.Now()
	waitFor(t, 10*time.Second, "a leader again", func() bool { return leaders() == 1 })
	t.Logf("a leader %s after the database came back", time.Since(back).Round(time.Millisecond))
	waitFor(t, 10*time.Second, "a new publication everywhere", func() bool {
		return same() && nodes[0].rep.Holder().Load().LastRefresh.After(last)
	})
	for _, x := range nodes {
		if s := x.rep.State(); s.Database != "ok" {
			t.Errorf("%s still says the database is %q", x.rep.ID(), s.Database)
		}
	}
}

// A replica starting with a warm restart's snapshot (the history's copy
// of the last round) serves the publication itself: the copy, rebuilt
// now, would answer the same ETag with another Last-Modified.
func TestAttachServesThePublicationNotTheSeed(t *testing.T) {
	dsn := migrated(t)
	fleet, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	a := startNode(t, dsn, fleet, "a", nil)
	waitFor(t, 10*time.Second, "a publishes a round", func() bool { return a.rep.Holder().Load().Count == 4 && a.rep.State().Version > 0 })
	pub := a.rep.Holder().Load()

	client := probe.NewClient(probe.Options{APIURL: fleet.APIURL()})
	defer client.CloseIdleConnections()
	ref := refresh.New(refresh.Options{Client: client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := ref.Seed(pub.LastRefresh, pub.All.Identity); err != nil {
		t.Fatal(err)
	}
	if seed := ref.Holder().Load(); seed.All.ETag != pub.All.ETag || seed.Built.Equal(pub.Built) {
		t.Fatal("the seed should be the publication's bytes, built later")
	}
	b := New(Options{Store: a.rep.rs, ID: "b", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.Attach(context.Background(), ref)
	if got := b.Holder().Load(); got.All.ETag != pub.All.ETag || !got.Built.Equal(pub.Built.Truncate(time.Microsecond)) {
		t.Errorf("b serves %s built %s, want the publication %s built %s", got.All.ETag, got.Built, pub.All.ETag, pub.Built)
	}
}

// gauge reads one of the replica's metrics as a scrape would.
func gauge(t testing.TB, r *Replica, name string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	r.RegisterMetrics(reg)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) > 0 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
