package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/history"
	"nodelist/internal/snapshot"
	"nodelist/internal/store"
)

// uptimeStore answers Uptime from a fixed table and counts the calls; the
// badge needs nothing else of a store.
type uptimeStore struct {
	store.Store
	up    map[string]store.Uptime
	calls atomic.Int64
}

func (u *uptimeStore) Uptime(context.Context, time.Time) (map[string]store.Uptime, error) {
	u.calls.Add(1)
	return u.up, nil
}

// noConfig is a config probe's answer with every field null.
var noConfig = [][]byte{[]byte("null"), []byte("null"), []byte("null"), []byte("null"), []byte("null")}

// badgeFleet has one CRN up, one down and one never probed.
func badgeFleet(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	nodes, _, err := aleph.ParseRegistry([]byte(`{"data":{"corechannel":{"resource_nodes":[
		{"hash":"up","name":"u","address":"https://u","score":0.3,"inactive_since":null},
		{"hash":"down","name":"d","address":"https://d","score":0.2,"inactive_since":null},
		{"hash":"new","name":"n","address":"https://n","score":0.1,"inactive_since":null}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	entries := []snapshot.Entry{
		{Node: &nodes[0], Probes: []snapshot.ProbeData{{At: at, Values: noConfig}}},
		{Node: &nodes[1], Probes: []snapshot.ProbeData{{At: at, Values: noConfig, Err: "timeout: no answer in 10s"}}},
		{Node: &nodes[2]},
	}
	var crns []snapshot.CRN
	for i := range entries {
		crns = append(crns, snapshot.CRN{Hash: nodes[i].Hash, Score: nodes[i].Score, Up: i == 0, JSON: snapshot.Render(nil, &entries[i])})
	}
	return snapshot.Build(at, crns)
}

func TestBadges(t *testing.T) {
	f := &fakeRefresher{}
	f.holder.Store(badgeFleet(t))
	week, month := 0.956, 0.5
	st := &uptimeStore{up: map[string]store.Uptime{"up": {Week: &week, Month: &month}}}
	s, err := New(Options{Refresher: f, History: st, Writer: history.NewWriter(st, 10, nil)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	noStore, err := New(Options{Refresher: f})
	if err != nil {
		t.Fatal(err)
	}
	srvNoStore := httptest.NewServer(noStore)
	defer srvNoStore.Close()

	for _, tc := range []struct {
		base, path string
		status     int
		text       string // in the SVG, or the JSON error
	}{
		{srv.URL, "/crns/up/badge.svg", 200, ">up<"},
		{srv.URL, "/crns/down/badge.svg", 200, ">down<"},
		{srv.URL, "/crns/new/badge.svg", 200, ">unknown<"},
		{srv.URL, "/crns/gone/badge.svg", 404, ">not listed<"},
		{srv.URL, "/crns/up/badge.svg?metric=status", 200, ">up<"},
		{srv.URL, "/crns/up/badge.svg?metric=uptime7d", 200, ">95.6%<"},
		{srv.URL, "/crns/down/badge.svg?metric=uptime7d", 200, ">no data<"},
		{srv.URL, "/crns/up/badge.svg?metric=bogus", 400, "not one of"},
		{srvNoStore.URL, "/crns/up/badge.svg?metric=uptime7d", 200, ">no data<"}, // an empty store in memory
		{srvNoStore.URL, "/crns/up/badge.svg", 200, ">up<"},
	} {
		resp, body := get(t, "GET", tc.base+tc.path, nil)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.text) {
			t.Errorf("%s: %d %q, want %d with %q", tc.path, resp.StatusCode, body, tc.status, tc.text)
			continue
		}
		if strings.HasPrefix(body, "<svg") {
			if ct := resp.Header.Get("Content-Type"); ct != "image/svg+xml; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", tc.path, ct)
			}
			if resp.Header.Get("ETag") == "" {
				t.Errorf("%s: no ETag", tc.path)
			}
		} else if !json.Valid([]byte(body)) {
			t.Errorf("%s: error body is not JSON: %s", tc.path, body)
		}
	}

	resp, _ := get(t, "GET", srv.URL+"/crns/up/badge.svg", nil)
	etag := resp.Header.Get("ETag")
	resp, body := get(t, "GET", srv.URL+"/crns/up/badge.svg", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("If-None-Match: %d %q, want 304", resp.StatusCode, body)
	}
	resp, _ = get(t, "GET", srv.URL+"/crns/down/badge.svg", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != 200 {
		t.Errorf("another badge with up's ETag: %d, want 200", resp.StatusCode)
	}
	// The store is read once however many uptime badges are served: the
	// table is cached until a round is written or the hour turns (which
	// may happen once during the test).
	before := st.calls.Load()
	for range 5 {
		get(t, "GET", srv.URL+"/crns/up/badge.svg?metric=uptime7d", nil)
	}
	if n := st.calls.Load() - before; n > 1 {
		t.Errorf("5 uptime badges read the store %d times, want at most 1", n)
	}
}

// A badge is drawn once per publication, however often it is asked for.
func TestBadgeCachePerPublication(t *testing.T) {
	var c badgeCache
	builds := 0
	build := func() builtBadge { builds++; return drawBadge("crn", "up", colorGood) }
	a, b := badgeFleet(t), badgeFleet(t)
	k := badgeKey{hash: "up", metric: "status"}
	for range 3 {
		c.get(a, k, build)
	}
	if builds != 1 {
		t.Errorf("%d builds for one publication, want 1", builds)
	}
	c.get(a, badgeKey{hash: "down", metric: "status"}, build)
	c.get(b, k, build)
	c.get(b, k, build)
	if builds != 3 {
		t.Errorf("%d builds, want 3 (a second CRN, then a new publication)", builds)
	}
	if len(c.m) != 1 {
		t.Errorf("cache holds %d badges after a new publication, want 1", len(c.m))
	}
	// Uptime badges of an older uptime table are dropped, not kept.
	for gen := uint64(1); gen <= 10; gen++ {
		c.get(b, badgeKey{hash: "up", metric: "uptime7d", gen: gen}, build)
	}
	if len(c.m) != 2 {
		t.Errorf("cache holds %d badges after 10 uptime rebuilds, want 2", len(c.m))
	}
}

// Names never reach a badge, but its texts are escaped all the same.
func TestBadgeEscapes(t *testing.T) {
	b := drawBadge(`<a&"b">`, "x", colorNone)
	if strings.Contains(string(b.body), `<a&`) || !strings.Contains(string(b.body), "&lt;a&amp;") {
		t.Errorf("label not escaped: %s", b.body)
	}
}
