package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"nodelist/internal/server/listen/listentest"
	"nodelist/internal/snapshot"
)

// streamClient is an HTTP client whose connections come from one
// loopback address: one client, as the server counts them.
func streamClient(t *testing.T, from string, tlsConf *tls.Config) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, TLSClientConfig: tlsConf, ForceAttemptHTTP2: tlsConf != nil,
		MaxIdleConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 0}
}

// openStreams asks for n change streams and keeps those granted open (each
// read up to its first event); it returns how many were granted and the
// statuses of the refusals.
func openStreams(t *testing.T, c *http.Client, url string, n int, wantProto int) (granted int, refused map[int]int) {
	t.Helper()
	refused = map[int]int{}
	for range n {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", url+"/crns/changes", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("stream %d: %v", granted+len(refused), err)
		}
		if resp.ProtoMajor != wantProto {
			t.Fatalf("stream over HTTP/%d, want HTTP/%d", resp.ProtoMajor, wantProto)
		}
		if resp.StatusCode != http.StatusOK {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			refused[resp.StatusCode]++
			continue
		}
		t.Cleanup(func() { resp.Body.Close() })
		st := &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}
		if ev := st.nextEvent(t); ev.event != "current" {
			t.Fatalf("first event %+v", ev)
		}
		granted++
	}
	return granted, refused
}

// One client asking for 256 streams, over HTTP/1.1 (one connection each)
// or HTTP/2 (many streams on a connection), gets its bound of them; a
// second client still gets a stream.
func TestChangesBoundPerClient(t *testing.T) {
	for _, proto := range []int{1, 2} {
		t.Run("HTTP/"+string(rune('0'+proto)), func(t *testing.T) {
			f := &fakeRefresher{}
			f.holder.Store(fleetSnap(t, map[string]string{"a": "up"}, "v0"))
			s, err := New(Options{Refresher: f, Registerer: prometheus.NewRegistry()})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewUnstartedServer(s)
			var tlsConf *tls.Config
			if proto == 2 {
				srv.EnableHTTP2 = true
				srv.StartTLS()
				tlsConf = srv.Client().Transport.(*http.Transport).TLSClientConfig
			} else {
				srv.Start()
			}
			t.Cleanup(func() { s.Close(); srv.Close() })

			const asked, total = 256, 256
			granted, refused := openStreams(t, streamClient(t, "127.0.0.1", tlsConf), srv.URL, asked, proto)
			left := total - granted
			_, other := openStreams(t, streamClient(t, "127.0.0.2", tlsConf), srv.URL, 1, proto)
			t.Logf("HTTP/%d: one client asked %d streams, got %d (refused: %v); slots left for others: %d; a second client's stream refused: %v",
				proto, asked, granted, refused, left, other)
			if granted != 8 || refused[http.StatusTooManyRequests] != asked-8 {
				t.Errorf("one client got %d of %d streams (refused %v), want 8 and %d answered 429", granted, asked, refused, asked-8)
			}
			if len(other) != 0 {
				t.Errorf("a second client was refused a stream: %v", other)
			}
			if st := s.feed.subs.stats(); st.Subscribers != 9 || st.RefusedPerClient != asked-8 {
				t.Errorf("stats %+v, want 9 subscribers and %d refused per client", st, asked-8)
			}
			if n := testutil.ToFloat64(s.metrics.streamRefused); n != asked-8 {
				t.Errorf("nodelist_change_stream_refused_total %v, want %d", n, asked-8)
			}
		})
	}
}

// A client's streams are counted until they end: one closed makes room
// for another of the same client.
func TestChangesPerClientSlotFreedOnClose(t *testing.T) {
	e := newStreamEnv(t, Options{MaxStreamsPerClient: 2})
	a := subscribe(t, e.srv.URL, "")
	a.nextEvent(t)
	subscribe(t, e.srv.URL, "").nextEvent(t)
	resp, body := get(t, "GET", e.srv.URL+"/crns/changes", nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "If-None-Match") {
		t.Fatalf("third stream of a client at a bound of 2: %d %s", resp.StatusCode, body)
	}
	a.resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for e.s.feed.subs.count() > 1 {
		if time.Now().After(deadline) {
			t.Fatal("a closed stream still counts against its client")
		}
		time.Sleep(time.Millisecond) // polling a count, with a deadline
	}
	subscribe(t, e.srv.URL, "").nextEvent(t)
}

// Without a per-client bound (behind a reverse proxy), one address holds
// up to the total bound.
func TestChangesNoPerClientBound(t *testing.T) {
	e := newStreamEnv(t, Options{MaxStreamsPerClient: -1, MaxSubscribers: 12})
	for range 12 {
		subscribe(t, e.srv.URL, "").nextEvent(t)
	}
	if st := e.s.feed.subs.stats(); st.Subscribers != 12 || st.RefusedPerClient != 0 || st.MaxPerClient != 0 {
		t.Errorf("stats %+v, want 12 subscribers and none refused", st)
	}
}

func TestRemoteClient(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"192.0.2.1:1000", "192.0.2.1:2000"},
		{"[2001:db8::1]:1", "[2001:db8::ffff:2]:2"},
		{"[::ffff:192.0.2.7]:1", "192.0.2.7:9"},
		{"[fe80::1%eth0]:1", "[fe80::2]:1"},
	} {
		if x, y := remoteClient(c.a), remoteClient(c.b); !x.IsValid() || x != y {
			t.Errorf("%s is %v, %s is %v: want one client", c.a, x, c.b, y)
		}
	}
	for _, c := range []struct{ a, b string }{
		{"192.0.2.1:1", "192.0.2.2:1"},
		{"[2001:db8::1]:1", "[2001:db8:0:1::1]:1"},
	} {
		if remoteClient(c.a) == remoteClient(c.b) {
			t.Errorf("%s and %s counted as one client", c.a, c.b)
		}
	}
	for _, bad := range []string{"", "pipe", "192.0.2.1", "[::1]"} {
		if remoteClient(bad).IsValid() {
			t.Errorf("%q gave a client", bad)
		}
	}
}

// wideSnap is a snapshot of n CRNs whose every byte changes with tag, so
// that each publication's event names all n.
func wideSnap(n int, tag string) *snapshot.Snapshot {
	crns := make([]snapshot.CRN, n)
	for i := range crns {
		h := fmt.Sprintf("%064x", i)
		crns[i] = snapshot.CRN{Hash: h, Up: true, JSON: []byte(`{"hash":"` + h + `","tag":"` + tag + `"}`)}
	}
	return snapshot.Build(time.Now(), crns)
}

// A subscriber that stops reading is dropped once what it left unread
// fills the buffers and a write waits longer than the write wait; a
// subscriber that reads keeps its stream and every event.
func TestChangesDropASubscriberThatDoesNotRead(t *testing.T) {
	f := &fakeRefresher{}
	f.holder.Store(wideSnap(2000, "v0"))
	s, err := New(Options{Refresher: f})
	if err != nil {
		t.Fatal(err)
	}
	s.feed.writeWait = time.Second
	addr, _, _ := listentest.Serve(t, s, nil)
	t.Cleanup(s.Close)
	silent := listentest.DialTiny(t, addr, "")
	if _, err := fmt.Fprintf(silent, "GET /crns/changes HTTP/1.1\r\nHost: nodelist\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the silent client subscribed", func() bool { return s.feed.subs.count() == 1 })
	reader := subscribe(t, "http://"+addr, "")
	reader.nextEvent(t)

	// 100 events of some 190 KB fill any socket buffers; then the silent
	// subscriber's write blocks, and ends after the write wait.
	sent, bytes := 0, 0
	for s.feed.subs.count() > 1 && sent < 100 {
		sent++
		f.holder.Store(wideSnap(2000, fmt.Sprint("v", sent)))
		ev := reader.nextEvent(t)
		if ev.event != "publication" || strings.Count(ev.data, `"changed"`) != 2000 {
			t.Fatalf("event %d: %s with %d changes", sent, ev.event, strings.Count(ev.data, `"changed"`))
		}
		bytes += len(ev.data)
	}
	waitUntil(t, 10*time.Second, "the silent subscriber dropped", func() bool { return s.feed.subs.count() == 1 })
	t.Logf("%d events published (%d bytes); the silent subscriber was dropped, the reading one kept", sent, bytes)
	f.holder.Store(wideSnap(2000, "last"))
	if ev := reader.nextEvent(t); ev.event != "publication" {
		t.Errorf("the reading subscriber got %+v after the drop", ev)
	}
}
