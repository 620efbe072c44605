package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/internal/server/listen/listentest"
	"nodelist/internal/snapshot"
)

// bigRefresher serves a snapshot of about size bytes; every CRN is
// inactive, so the active variant stays small.
func bigRefresher(size int) *countingRefresher {
	ref := newCountingRefresher()
	close(ref.release)
	pad := strings.Repeat("x", 4000)
	var crns []snapshot.CRN
	for i := range size / 4032 {
		h := "h" + strconv.Itoa(i)
		crns = append(crns, snapshot.CRN{Hash: h, Inactive: true, JSON: []byte(`{"hash":"` + h + `","pad":"` + pad + `"}`)})
	}
	ref.holder.Store(snapshot.Build(time.Now(), crns))
	return ref
}

// statusOf reads the status code of the answer on c, within 10 s; 0 when
// none came.
func statusOf(c net.Conn) int {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReaderSize(c, 64).ReadString('\n')
	var code int
	if err != nil || func() error { _, err := fmt.Sscanf(line, "HTTP/1.1 %d", &code); return err }() != nil {
		return 0
	}
	return code
}

// TestSlowReadersLeaveHealthAlone fills the snapshot budget, and 20 more,
// with clients that never read an 8 MB crns.json; /healthz and the other
// cheap routes must still answer 200, and a normal crns.json client get
// 200 or 503 without hanging.
func TestSlowReadersLeaveHealthAlone(t *testing.T) {
	const budget, extra = 20, 20
	ref := bigRefresher(8 << 20)
	s, err := New(Options{Refresher: ref, Limits: Limits{Snapshot: budget}})
	if err != nil {
		t.Fatal(err)
	}
	addr, _, _ := listentest.Serve(t, s, nil)

	slow := make([]net.Conn, budget+extra)
	for i := range slow {
		slow[i] = listentest.DialTiny(t, addr, "")
		if _, err := io.WriteString(slow[i], "GET /crns.json HTTP/1.1\r\nHost: t\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	// Each answer's status line arrives (the 200s stall right after it).
	slowCodes := map[int]int{}
	for _, c := range slow {
		slowCodes[statusOf(c)]++
	}
	t.Logf("never-reading crns.json clients: %v", slowCodes)
	if slowCodes[200] != budget || slowCodes[503] != extra {
		t.Fatalf("never-reading clients got %v, want %d×200 (stalled) and %d×503", slowCodes, budget, extra)
	}
	if n := s.budgets.inFlight(classSnapshot); n != budget {
		t.Fatalf("snapshot requests in flight: %d, want %d (the stalled writers)", n, budget)
	}

	client := &http.Client{Timeout: 30 * time.Second}
	codes := func(path string, n int) map[int]int {
		got := map[int]int{}
		for range n {
			resp, err := client.Get("http://" + addr + path)
			if err != nil {
				got[0]++ // no answer
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			got[resp.StatusCode]++
		}
		return got
	}
	for _, p := range []string{"/healthz", "/crns/h1.json", "/debug.html"} {
		if got := codes(p, 20); got[200] != 20 {
			t.Errorf("%s ×20 while crns.json writers stall: %v, want 20×200", p, got)
		} else {
			t.Logf("%s ×20 while crns.json writers stall: %v", p, got)
		}
	}
	got := codes("/crns.json", 5)
	t.Logf("normal crns.json clients while saturated: %v", got)
	if got[200]+got[503] != 5 {
		t.Errorf("normal crns.json clients: %v, want each 200 or 503", got)
	}

	// Slow readers that leave free their slots.
	for _, c := range slow {
		c.Close()
	}
	deadline := time.Now().Add(30 * time.Second)
	for s.budgets.inFlight(classSnapshot) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.budgets.inFlight(classSnapshot); n != 0 {
		t.Errorf("snapshot requests in flight after the readers left: %d, want 0", n)
	}
}

// TestSlowReaderCutAtFloorRate: clients that never read an 8 MB answer
// are cut once grace plus the body at the floor rate has passed (here
// 1 s + 1 s), long before the 60 s write timeout, and free their slots;
// a client reading at loopback speed gets the whole body.
func TestSlowReaderCutAtFloorRate(t *testing.T) {
	const slowN = 10
	ref := bigRefresher(8 << 20)
	s, err := New(Options{Refresher: ref, Limits: Limits{MinReadRate: 8 << 20, WriteGrace: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	var finished atomic.Int64
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer finished.Add(1)
		s.ServeHTTP(w, r)
	})
	addr, _, _ := listentest.Serve(t, counted, nil)
	size := len(ref.holder.Load().All.Identity)

	slow := make([]net.Conn, slowN)
	for i := range slow {
		slow[i] = listentest.DialTiny(t, addr, "")
		if _, err := io.WriteString(slow[i], "GET /crns.json HTTP/1.1\r\nHost: t\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second) // half the write timeout
	for finished.Load() < slowN && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := finished.Load(); n != slowN {
		t.Fatalf("after 30 s, %d of %d stalled writes ended, want all (cut at the floor rate)", n, slowN)
	}
	var wg sync.WaitGroup
	var cut atomic.Int64
	for _, c := range slow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			n, _ := io.Copy(io.Discard, c)
			if int(n) < size {
				cut.Add(1)
			}
		}()
	}
	wg.Wait()
	t.Logf("never-reading clients cut short of the %d-byte body: %d of %d", size, cut.Load(), slowN)
	if cut.Load() != slowN {
		t.Errorf("%d of %d never-reading clients were cut, want all", cut.Load(), slowN)
	}
	if n := s.budgets.inFlight(classSnapshot); n != 0 {
		t.Errorf("snapshot requests in flight: %d, want 0", n)
	}

	resp, err := http.Get("http://" + addr + "/crns.json")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || int(n) != size {
		t.Errorf("reading client: %d, %d of %d bytes, %v; want the whole body", resp.StatusCode, n, size, err)
	}
}
