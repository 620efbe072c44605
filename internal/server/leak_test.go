package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"nodelist/internal/history"
	"nodelist/internal/probe"
	"nodelist/internal/refresh"
	"nodelist/internal/replica"
	"nodelist/internal/simfleet"
	"nodelist/internal/store"
	"nodelist/internal/store/mysql"
	"nodelist/internal/store/mysql/mysqltest"
)

// addressesIn returns every IPv4 or IPv6 literal, with or without a port,
// found in the strings of a JSON body, and whether "tcp" appears in one.
// Each string is cut at whatever cannot be part of an address and every
// piece is parsed, so that no spelling escapes: bracketed, zoned,
// IPv4-mapped, "a->b".
func addressesIn(t *testing.T, body []byte) (found []string, tcp bool) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body is not JSON: %v: %.200s", err, body)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			tcp = tcp || strings.Contains(strings.ToLower(x), "tcp")
			for _, tok := range strings.FieldsFunc(x, func(r rune) bool {
				return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
					r == '.' || r == ':' || r == '[' || r == ']' || r == '%')
			}) {
				tok = strings.TrimRight(tok, ".:")
				if _, err := netip.ParseAddr(strings.Trim(tok, "[]")); err == nil {
					found = append(found, tok)
				} else if _, err := netip.ParseAddrPort(tok); err == nil {
					found = append(found, tok)
				}
			}
		}
	}
	walk(v)
	return found, tcp
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestAddressesIn(t *testing.T) {
	body := `{"a":"write tcp 127.0.0.1:44048->127.0.0.1:3306: broken pipe","b":["[fd00::5]:3306 (::ffff:10.0.0.1)"],` +
		`"c":"at 2026-11-22T14:38:25.496288+00:00, fe80::1%eth0.","d":"refused: connection refused"}`
	found, tcp := addressesIn(t, []byte(body))
	want := []string{"127.0.0.1:44048", "127.0.0.1:3306", "[fd00::5]:3306", "::ffff:10.0.0.1", "fe80::1%eth0"}
	if !tcp || !slices.Equal(sorted(found), sorted(want)) {
		t.Errorf("found %q (tcp %v), want %q and tcp", found, tcp, want)
	}
}

// scanBodies fetches the health and debug bodies and fails the test for
// every address or "tcp" in them. It returns the bodies for other checks.
func scanBodies(t *testing.T, base string) map[string]string {
	t.Helper()
	bodies := map[string]string{}
	for _, path := range []string{"/healthz", "/readyz", "/debug/task"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bodies[path] = string(b)
		found, tcp := addressesIn(t, b)
		t.Logf("%s: %d address literals, tcp %v", path, len(found), tcp)
		if len(found) > 0 || tcp {
			t.Errorf("%s names %q (tcp: %v): %s", path, found, tcp, b)
		}
	}
	return bodies
}

// dialingStore fails every write with the error of a real dial to a
// closed loopback port, wrapped as a store wraps its driver's.
type dialingStore struct {
	store.Store
	addr string
}

func (d dialingStore) WriteRound(ctx context.Context, r *store.Round) error {
	c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}).DialContext(ctx, "tcp", d.addr)
	if err == nil {
		c.Close()
		return nil
	}
	return fmt.Errorf("write round %d: begin: %w", r.ID, err)
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A history store out of reach shows on /healthz and /readyz as a class
// and a reason, without the database's address or this side's.
func TestHealthBodiesNameNoDatabaseAddress(t *testing.T) {
	srv, f := newTestServer(t)
	srv.Close()
	w := history.NewWriter(dialingStore{addr: closedPort(t)}, 2, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	s, err := New(Options{Refresher: f, Writer: w, DebugEndpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	for i := range 3 {
		w.Enqueue(&store.Round{ID: int64(i)})
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.Status().LastError == "" || w.Status().Backlog < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no failed write within 5 s")
		}
		time.Sleep(5 * time.Millisecond) // polling the writer, with a deadline
	}
	bodies := scanBodies(t, hs.URL)
	for _, path := range []string{"/healthz", "/readyz"} {
		if !strings.Contains(bodies[path], "refused: connection refused") {
			t.Errorf("%s does not say why the store is away: %s", path, bodies[path])
		}
	}
}

// cutProxy forwards connections to target until closed: then its port is
// closed, and every connection through it cut.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); up.Close() }()
			go func() { defer p.wg.Done(); _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(func() { p.cut(); p.wg.Wait() })
	return p
}

func (p *cutProxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// With MariaDB: a replica and its history store lose their database (its
// connections cut, its port closed); /healthz, /readyz and /debug/task
// say so by class and reason, naming no address.
func TestHealthBodiesNameNoAddressWhenTheDatabaseGoes(t *testing.T) {
	dsn, _ := mysqltest.DSN(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	px := newCutProxy(t, cfg.Addr)
	via := strings.Replace(dsn, "@"+cfg.Addr+"/", "@"+px.ln.Addr().String()+"/", 1)
	ctx := context.Background()
	st, err := mysql.Open(ctx, via, probe.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reps, err := mysql.ConnectReplicas(ctx, via)
	if err != nil {
		t.Fatal(err)
	}
	defer reps.Close()
	fleet, err := simfleet.Start(ctx, simfleet.Options{Nodes: 3, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := history.NewWriter(st, 2, log)
	wctx, wcancel := context.WithCancel(ctx)
	wdone := make(chan struct{})
	go func() { defer close(wdone); w.Run(wctx) }()
	defer func() { wcancel(); <-wdone }()
	rep := replica.New(replica.Options{Store: reps, ID: "a", TTL: 3 * time.Second, Interval: time.Hour, Logger: log})
	client := probe.NewClient(probe.Options{APIURL: fleet.APIURL(), Timeout: 2 * time.Second, Concurrency: 8})
	defer client.CloseIdleConnections()
	ref := refresh.New(refresh.Options{Client: client, Interval: time.Hour, Logger: log, Sink: rep, Hooks: rep.Hooks()})
	rep.Attach(ctx, ref)
	rctx, rcancel := context.WithCancel(ctx)
	rdone := make(chan struct{})
	go func() { defer close(rdone); _ = rep.Run(rctx) }()
	defer func() { rcancel(); <-rdone }()

	s, err := New(Options{Refresher: rep, Writer: w, DebugEndpoints: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hs := httptest.NewServer(s)
	defer hs.Close()
	waitUntil(t, 15*time.Second, "a publication served", func() bool {
		snap := rep.Holder().Load()
		return snap != nil && snap.Count == 3
	})

	px.cut()
	for i := range 3 {
		w.Enqueue(&store.Round{ID: int64(100 + i)})
	}
	waitUntil(t, 15*time.Second, "the writer and the replica see the database away", func() bool {
		return w.Status().LastError != "" && w.Status().Backlog >= 2 && rep.State().Database != "ok"
	})
	t.Logf("published: writer %q, replica %q", w.Status().LastError, rep.State().Database)
	bodies := scanBodies(t, hs.URL)
	if !strings.Contains(bodies["/debug/task"], `"database":"`) || strings.Contains(bodies["/debug/task"], `"database":"ok"`) {
		t.Errorf("/debug/task does not say the database is away: %s", bodies["/debug/task"])
	}
}

// waitUntil polls cond until it holds, or fails the test after within.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
}
