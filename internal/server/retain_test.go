package server

import (
	"io/fs"
	"net/http"
	"runtime"
	"testing"
	"time"

	"nodelist/internal/snapshot"
	"nodelist/web"
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

// The Swagger UI bundle is not copied into the heap: it is served from
// the embedded data, whole, at each request, with its length announced.
func TestLargePageServedFromEmbeddedData(t *testing.T) {
	pages, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	const at = "/vendor/swagger-ui/swagger-ui-bundle.js"
	p, ok := pages[at]
	if !ok || p.body != nil || p.size <= pageInMemory {
		t.Fatalf("%s: listed %v, held %d bytes in memory of %d", at, ok, len(p.body), p.size)
	}
	want, err := fs.ReadFile(web.Files, "vendor/swagger-ui/swagger-ui-bundle.js")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := newTestServer(t)
	resp, body := get(t, "GET", srv.URL+at, nil)
	if resp.StatusCode != http.StatusOK || body != string(want) || resp.ContentLength != int64(len(want)) {
		t.Errorf("GET %s: %d, %d bytes (Content-Length %d), want the %d embedded", at, resp.StatusCode, len(body), resp.ContentLength, len(want))
	}
	if idx := pages["/index.html"]; len(idx.body) == 0 {
		t.Error("index.html is not held in memory")
	}
}
