package server

import (
	"net/http"
	"runtime"
	"testing"
	"time"

	"nodelist/internal/snapshot"
)

// A replaced snapshot is not kept alive by what the handlers cache of
// it (Last-Modified, badges): with no request after the publication, its
// bodies and encodings would otherwise stay beside the new ones.
func TestReplacedSnapshotIsFreed(t *testing.T) {
	srv, f := newTestServer(t)
	for _, h := range []map[string]string{nil, {"Accept-Encoding": "gzip"}} {
		if resp, _ := get(t, "GET", srv.URL+"/crns.json", h); resp.StatusCode != http.StatusOK {
			t.Fatalf("crns.json: %d", resp.StatusCode)
		}
	}
	if resp, _ := get(t, "GET", srv.URL+"/crns/act/badge.svg", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("badge: %d", resp.StatusCode)
	}
	freed := make(chan struct{})
	func() { // the test's own reference ends with this call
		old := f.holder.Load()
		runtime.AddCleanup(old, func(ch chan struct{}) { close(ch) }, freed)
		f.holder.Store(snapshot.Build(old.LastRefresh.Add(time.Minute), nil))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		select {
		case <-freed:
			return
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the replaced snapshot is still reachable after 10 s of collections")
		}
	}
}
