package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/snapshot"
)

// fleetSnap builds a snapshot of CRNs given as hash → "up" or "down", each
// rendered with tag so that changing tag changes its bytes.
func fleetSnap(t *testing.T, crns map[string]string, tag string) *snapshot.Snapshot {
	t.Helper()
	var list []snapshot.CRN
	for hash, state := range crns {
		nodes, _, err := aleph.ParseRegistry([]byte(`{"data":{"corechannel":{"resource_nodes":[{"hash":"` + hash +
			`","name":"` + tag + `","address":"https://` + hash + `","score":0.5,"inactive_since":null}]}}}`))
		if err != nil || len(nodes) != 1 {
			t.Fatalf("parse: %v", err)
		}
		list = append(list, snapshot.CRN{Hash: hash, Score: 0.5, Up: state == "up", JSON: snapshot.Render(nil, &snapshot.Entry{Node: &nodes[0]})})
	}
	return snapshot.Build(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), list)
}

type streamEnv struct {
	s    *Server
	srv  *httptest.Server
	ref  *fakeRefresher
	pubs int64
}

func newStreamEnv(t *testing.T, opts Options) *streamEnv {
	t.Helper()
	f := &fakeRefresher{}
	f.holder.Store(fleetSnap(t, map[string]string{"a": "up", "b": "up"}, "v0"))
	opts.Refresher = f
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return &streamEnv{s: s, srv: srv, ref: f}
}

// publish stores snap and waits until the feed has turned it into an
// event, so that each publication is one event.
func (e *streamEnv) publish(t *testing.T, snap *snapshot.Snapshot) {
	t.Helper()
	e.ref.holder.Store(snap)
	e.pubs++
	deadline := time.Now().Add(5 * time.Second)
	for e.s.feed.built.Load() < e.pubs {
		if time.Now().After(deadline) {
			t.Fatalf("publication %d not turned into an event", e.pubs)
		}
		time.Sleep(time.Millisecond) // polling a counter, with a deadline
	}
}

type sseEv struct {
	id, event, data string
	comment         bool
}

type sseStream struct {
	resp *http.Response
	r    *bufio.Reader
}

func subscribe(t *testing.T, url, lastID string) *sseStream {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/crns/changes", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next reads one event or comment, skipping the retry field.
func (s *sseStream) next(t *testing.T) sseEv {
	t.Helper()
	var ev sseEv
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("read stream: %v (partial event %+v)", err, ev)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.event != "" || ev.comment {
				return ev
			}
		case strings.HasPrefix(line, ":"):
			ev.comment = true
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
}

// nextEvent skips heartbeats.
func (s *sseStream) nextEvent(t *testing.T) sseEv {
	t.Helper()
	for range 1000 {
		if ev := s.next(t); !ev.comment {
			return ev
		}
	}
	t.Fatal("only heartbeats")
	return sseEv{}
}

func TestChangesAnnouncesPublications(t *testing.T) {
	e := newStreamEnv(t, Options{})
	st := subscribe(t, e.srv.URL, "")
	cur := st.nextEvent(t)
	if cur.event != "current" {
		t.Fatalf("first event %+v, want current", cur)
	}
	var state struct {
		ETag        string  `json:"etag"`
		LastRefresh *string `json:"last_refresh"`
	}
	if err := json.Unmarshal([]byte(cur.data), &state); err != nil || state.ETag != e.ref.holder.Load().All.ETag {
		t.Fatalf("current data %s (%v), want etag %s", cur.data, err, e.ref.holder.Load().All.ETag)
	}
	first, _ := strconv.ParseUint(cur.id, 10, 64)

	// a goes down, b changes, c is added; then a comes back and b leaves.
	next := fleetSnap(t, map[string]string{"a": "down", "b": "up", "c": "down"}, "v1")
	e.publish(t, next)
	e.publish(t, fleetSnap(t, map[string]string{"a": "up", "c": "down"}, "v1"))
	for i, want := range []string{
		`{"etag":` + strconv.Quote(next.All.ETag) + `,"last_refresh":"2026-11-22T00:00:00.000000+00:00","changes":[{"hash":"a","change":"down"},{"hash":"b","change":"changed"},{"hash":"c","change":"added"}]}`,
		`"changes":[{"hash":"a","change":"up"},{"hash":"b","change":"removed"}]}`,
	} {
		ev := st.nextEvent(t)
		if ev.event != "publication" || ev.id != strconv.FormatUint(first+uint64(i)+1, 10) || !strings.HasSuffix(ev.data, want) {
			t.Errorf("event %d = %+v, want id %d and data ending %s", i, ev, first+uint64(i)+1, want)
		}
	}
}

func TestChangesResume(t *testing.T) {
	e := newStreamEnv(t, Options{})
	st := subscribe(t, e.srv.URL, "")
	first, _ := strconv.ParseUint(st.nextEvent(t).id, 10, 64)
	for i := range 3 {
		e.publish(t, fleetSnap(t, map[string]string{"a": "up", "b": "up"}, fmt.Sprint("r", i)))
	}
	id := func(n uint64) string { return strconv.FormatUint(first+n, 10) }

	// From the first publication: the two after it, in order.
	st = subscribe(t, e.srv.URL, id(1))
	for _, want := range []string{id(2), id(3)} {
		if ev := st.nextEvent(t); ev.event != "publication" || ev.id != want {
			t.Fatalf("resumed event %+v, want publication %s", ev, want)
		}
	}
	// Up to date: nothing until the next publication.
	up := subscribe(t, e.srv.URL, id(3))
	e.publish(t, fleetSnap(t, map[string]string{"a": "down", "b": "up"}, "r3"))
	if ev := up.nextEvent(t); ev.event != "publication" || ev.id != id(4) {
		t.Fatalf("up-to-date subscriber got %+v, want publication %s", ev, id(4))
	}
	// An id from the future, or before the ring: reset to the latest.
	for _, last := range []string{id(99), "1", "junk"} {
		st = subscribe(t, e.srv.URL, last)
		want := "reset"
		if last == "junk" {
			want = "current" // not an id at all: a new subscriber
		}
		if ev := st.nextEvent(t); ev.event != want || ev.id != id(4) {
			t.Errorf("Last-Event-ID %s: got %+v, want %s with id %s", last, ev, want, id(4))
		}
	}
	// Past the ring's length, the oldest ids are forgotten.
	for i := range ringEvents {
		e.publish(t, fleetSnap(t, map[string]string{"a": "up"}, fmt.Sprint("x", i%2)))
	}
	st = subscribe(t, e.srv.URL, id(1))
	if ev := st.nextEvent(t); ev.event != "reset" {
		t.Errorf("resume from a dropped id: %+v, want reset", ev)
	}
	st = subscribe(t, e.srv.URL, id(4+1))
	if ev := st.nextEvent(t); ev.event != "publication" || ev.id != id(4+2) {
		t.Errorf("resume from the oldest kept id: %+v, want publication %s", ev, id(4+2))
	}
}

// At the total bound, a new subscriber ends the stream open the longest;
// its client resumes from its last id and misses nothing.
func TestChangesRotateTheOldestAtTheBound(t *testing.T) {
	e := newStreamEnv(t, Options{MaxSubscribers: 2})
	a := subscribe(t, e.srv.URL, "")
	first := a.nextEvent(t)
	b := subscribe(t, e.srv.URL, "")
	b.nextEvent(t)
	c := subscribe(t, e.srv.URL, "")
	c.nextEvent(t)
	if _, err := a.r.ReadString('\n'); err == nil {
		t.Fatal("the oldest stream still open after a third subscriber came at a bound of 2")
	}
	if n := e.s.feed.subs.count(); n != 2 {
		t.Errorf("%d subscribers, want 2", n)
	}
	e.publish(t, fleetSnap(t, map[string]string{"a": "up", "b": "down"}, "v1"))
	resumed := subscribe(t, e.srv.URL, first.id) // rotates b out in turn
	if ev := resumed.nextEvent(t); ev.event != "publication" || !strings.Contains(ev.data, `"down"`) {
		t.Errorf("the rotated-out client resuming got %+v, want the publication it missed", ev)
	}
	if resp, _ := get(t, "HEAD", e.srv.URL+"/crns/changes", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD at the bound: %d", resp.StatusCode)
	}
	if st := e.s.feed.subs.stats(); st.Rotated != 2 || st.Subscribers != 2 {
		t.Errorf("stats %+v, want 2 rotated (a HEAD rotates no one) and 2 subscribers", st)
	}
}

func TestChangesHeartbeat(t *testing.T) {
	e := newStreamEnv(t, Options{Heartbeat: 10 * time.Millisecond})
	st := subscribe(t, e.srv.URL, "")
	st.nextEvent(t)
	beats := 0
	for beats < 3 {
		if ev := st.next(t); !ev.comment {
			t.Fatalf("an idle stream sent %+v", ev)
		}
		beats++
	}
}

// However many subscribers, each publication's event is built once and
// every subscriber gets the same bytes.
func TestChangesEventsBuiltOnce(t *testing.T) {
	e := newStreamEnv(t, Options{})
	const subs, pubs = 8, 5
	streams := make([]*sseStream, subs)
	for i := range streams {
		streams[i] = subscribe(t, e.srv.URL, "")
		streams[i].nextEvent(t)
	}
	for i := range pubs {
		e.publish(t, fleetSnap(t, map[string]string{"a": "up", "b": "down"}, fmt.Sprint("p", i)))
	}
	var first []sseEv
	for i, st := range streams {
		var got []sseEv
		for range pubs {
			got = append(got, st.nextEvent(t))
		}
		if i == 0 {
			first = got
		} else if fmt.Sprint(got) != fmt.Sprint(first) {
			t.Errorf("subscriber %d got %v, subscriber 0 %v", i, got, first)
		}
	}
	if n := e.s.feed.built.Load(); n != pubs {
		t.Errorf("%d events built for %d publications and %d subscribers, want %d", n, pubs, subs, pubs)
	}
}

// A stream outlives the server's write timeout, and Shutdown ends it.
func TestChangesOutlivesWriteTimeoutAndEndsAtShutdown(t *testing.T) {
	f := &fakeRefresher{}
	f.holder.Store(fleetSnap(t, map[string]string{"a": "up"}, "v0"))
	s, err := New(Options{Refresher: f, Heartbeat: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s, ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond}
	srv.RegisterOnShutdown(s.Close)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); wg.Wait() })

	st := subscribe(t, "http://"+ln.Addr().String(), "")
	st.nextEvent(t)
	start := time.Now()
	for beats := 0; time.Since(start) < 500*time.Millisecond; beats++ {
		if beats > 10_000 {
			t.Fatal("heartbeats without end")
		}
		st.next(t) // fails the test if the stream was cut
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with an open stream: %v", err)
	}
	if _, err := st.r.ReadString('\n'); err == nil {
		for range 100 { // what was in flight, then the end
			if _, err = st.r.ReadString('\n'); err != nil {
				break
			}
		}
		if err == nil {
			t.Error("stream still open after Shutdown")
		}
	}
}

// Streams have their own bound: following /crns/changes takes no slot of
// the request budgets (they last for hours) and is not cut by the write
// pacing, so a cheap route still answers while every cheap slot could be
// held by a listener.
func TestChangesTakeNoBudgetSlot(t *testing.T) {
	e := newStreamEnv(t, Options{Limits: Limits{Cheap: 1}, MaxSubscribers: 4})
	a, b := subscribe(t, e.srv.URL, ""), subscribe(t, e.srv.URL, "")
	a.nextEvent(t)
	b.nextEvent(t)
	if resp, body := get(t, "GET", e.srv.URL+"/healthz", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz with two streams open and one cheap slot: %d %s", resp.StatusCode, body)
	}
}
