package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"nodelist/internal/aleph"
	"nodelist/internal/refresh"
	"nodelist/internal/snapshot"
)

// fakeRefresher serves a fixed snapshot and counts forced rounds.
type fakeRefresher struct {
	holder   snapshot.Holder
	refreshs int
}

func (f *fakeRefresher) Holder() *snapshot.Holder { return &f.holder }
func (f *fakeRefresher) Status() refresh.Status {
	return refresh.Status{Mode: "background", Round: 3, LastCRNVersion: "1.11.0",
		IdentityMismatches: 2, IdentityMismatchHashes: []string{"b", "c"}}
}
func (f *fakeRefresher) Refresh(ctx context.Context) error { f.refreshs++; return nil }
func (f *fakeRefresher) Fresh(ctx context.Context)         {}
func (f *fakeRefresher) Registry() []byte                  { return []byte(`{"data":{}}`) }
func (f *fakeRefresher) Nodes() []aleph.Node {
	return []aleph.Node{{Hash: "a", Fields: []aleph.Field{{Key: "hash", Value: json.RawMessage(`"a"`)}}}}
}

func newTestServer(t *testing.T) (*httptest.Server, *fakeRefresher) {
	t.Helper()
	f := &fakeRefresher{}
	nodes, _, err := aleph.ParseRegistry([]byte(`{"data":{"corechannel":{"resource_nodes":[
		{"hash":"act","name":"a","address":"https://a","score":0.2,"inactive_since":null},
		{"hash":"ina","name":"b","address":"https://b","score":0.9,"inactive_since":1}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var crns []snapshot.CRN
	for i := range nodes {
		n := &nodes[i]
		crns = append(crns, snapshot.CRN{Hash: n.Hash, Score: n.Score, Inactive: n.Inactive, JSON: snapshot.Render(nil, &snapshot.Entry{Node: n})})
	}
	f.holder.Store(snapshot.Build(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), crns))
	s, err := New(Options{Refresher: f, DebugEndpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, f
}

func get(t *testing.T, method, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestCRNsFilterInactive(t *testing.T) {
	srv, _ := newTestServer(t)
	tests := []struct {
		query  string
		status int
		hashes []string
	}{
		{"", 200, []string{"ina", "act"}},
		{"?filter_inactive=false", 200, []string{"ina", "act"}},
		{"?filter_inactive=true", 200, []string{"act"}},
		{"?filter_inactive=TRUE", 200, []string{"act"}},
		{"?filter_inactive=1", 200, []string{"act"}},
		{"?filter_inactive=Yes", 200, []string{"act"}},
		{"?filter_inactive=on", 200, []string{"act"}},
		{"?filter_inactive=off", 200, []string{"ina", "act"}},
		{"?filter_inactive=T", 200, []string{"act"}}, // pydantic 2's short spellings
		{"?filter_inactive=n", 200, []string{"ina", "act"}},
		{"?filter_inactive=maybe", 422, nil},
		{"?filter_inactive=", 422, nil},
	}
	for _, tt := range tests {
		resp, body := get(t, "GET", srv.URL+"/crns.json"+tt.query, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.query, resp.StatusCode, tt.status, body)
			continue
		}
		if tt.status != 200 {
			var e struct{ Error string }
			if json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, "filter_inactive") {
				t.Errorf("%s: error body %s", tt.query, body)
			}
			continue
		}
		var doc struct{ CRNs []struct{ Hash string } }
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range doc.CRNs {
			got = append(got, c.Hash)
		}
		if strings.Join(got, ",") != strings.Join(tt.hashes, ",") {
			t.Errorf("%s: crns %v, want %v", tt.query, got, tt.hashes)
		}
	}
}

func TestCORSAndPreflight(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, path := range []string{"/crns.json", "/", "/debug.html", "/debug/task", "/healthz", "/nope", "/crns.json?filter_inactive=x"} {
		resp, _ := get(t, "GET", srv.URL+path, nil)
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("GET %s: no Access-Control-Allow-Origin: *", path)
		}
	}
	resp, body := get(t, "OPTIONS", srv.URL+"/crns.json", map[string]string{
		"Origin": "https://app.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-requested-with"})
	if resp.StatusCode != http.StatusNoContent || body != "" {
		t.Errorf("preflight: %d %q", resp.StatusCode, body)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "GET") ||
		resp.Header.Get("Access-Control-Allow-Headers") != "x-requested-with" {
		t.Errorf("preflight headers: %v", resp.Header)
	}
}

func TestConditionalAndHead(t *testing.T) {
	srv, _ := newTestServer(t)
	resp, body := get(t, "GET", srv.URL+"/crns.json", nil)
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Last-Modified") == "" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers: %v", resp.Header)
	}
	resp, b304 := get(t, "GET", srv.URL+"/crns.json", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || b304 != "" {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
	resp, _ = get(t, "GET", srv.URL+"/crns.json?filter_inactive=true", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the other variant's ETag matched: %d", resp.StatusCode)
	}
	resp, hb := get(t, "HEAD", srv.URL+"/crns.json", nil)
	if resp.StatusCode != 200 || hb != "" || resp.ContentLength != int64(len(body)) {
		t.Errorf("HEAD: %d, %d bytes, length %d (GET %d)", resp.StatusCode, len(hb), resp.ContentLength, len(body))
	}
}

func TestPagesAndDebug(t *testing.T) {
	srv, f := newTestServer(t)
	for path, want := range map[string]string{"/": "crns.json", "/debug.html": "debug.js", "/index.html": "crns.json"} {
		resp, body := get(t, "GET", srv.URL+path, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, want) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	resp, body := get(t, "GET", srv.URL+"/debug/node", nil)
	if resp.StatusCode != 200 || f.refreshs != 1 || !strings.Contains(body, `"resource_nodes":[{"hash":"a"}]`) {
		t.Errorf("/debug/node: %d %s (refreshes %d)", resp.StatusCode, body, f.refreshs)
	}
	resp, body = get(t, "GET", srv.URL+"/debug/task", nil)
	var task map[string]any
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &task) != nil || task["round"] != float64(3) ||
		task["last_crn_version"] != "1.11.0" || task["identity_mismatch"] != float64(2) ||
		fmt.Sprint(task["identity_mismatch_nodes"]) != "[b c]" {
		t.Errorf("/debug/task: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, "GET", srv.URL+"/debug/nodes_aggregate", nil)
	if resp.StatusCode != 200 || body != `{"data":{}}` {
		t.Errorf("/debug/nodes_aggregate: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, "GET", srv.URL+"/no/such/thing", nil)
	if resp.StatusCode != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("404: %d %s", resp.StatusCode, body)
	}
}

// TestDocsPage checks that the API docs page is served at /docs only, and
// the vendored renderer and its licences beside it, from the binary.
func TestDocsPage(t *testing.T) {
	srv, _ := newTestServer(t)
	for path, want := range map[string]struct {
		status      int
		ctype, body string
	}{
		"/docs":      {200, "text/html", "swagger-ui-bundle.js"},
		"/docs.html": {404, "application/json", "no such endpoint"},
		"/docs.js":   {200, "text/javascript", "openapi.json"},
		"/vendor/swagger-ui/swagger-ui-bundle.js":             {200, "text/javascript", "SwaggerUIBundle"},
		"/vendor/swagger-ui/swagger-ui.css":                   {200, "text/css", ".swagger-ui"},
		"/vendor/swagger-ui/LICENSE":                          {200, "text/plain", "Apache License"},
		"/vendor/swagger-ui/NOTICE":                           {200, "text/plain", "SmartBear"},
		"/vendor/swagger-ui/swagger-ui-bundle.js.LICENSE.txt": {200, "text/plain", "MIT"},
		"/vendor/swagger-ui/README.md":                        {404, "application/json", "no such endpoint"},
	} {
		resp, body := get(t, "GET", srv.URL+path, nil)
		if resp.StatusCode != want.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), want.ctype) || !strings.Contains(body, want.body) {
			t.Errorf("%s: %d %s %.80q", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	_, body := get(t, "GET", srv.URL+"/", nil)
	if !strings.Contains(body, `href="docs"`) || !strings.Contains(body, `href="openapi.json"`) {
		t.Error("the dashboard's footer does not link the API docs")
	}
}

// Each kind of web file is served under its type, whatever the host's
// type files say.
func TestPagesContentTypes(t *testing.T) {
	srv, _ := newTestServer(t)
	for path, want := range map[string]string{
		"/dash.js":                   "text/javascript; charset=utf-8",
		"/style.css":                 "text/css; charset=utf-8",
		"/docs":                      "text/html; charset=utf-8",
		"/vendor/swagger-ui/LICENSE": "text/plain; charset=utf-8",
		"/vendor/swagger-ui/swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
		"/vendor/swagger-ui/swagger-ui-bundle.js":             "text/javascript; charset=utf-8",
	} {
		resp, _ := get(t, "GET", srv.URL+path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want {
			t.Errorf("%s: %d %q, want %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
}
