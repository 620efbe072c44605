package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestEveryErrorCarriesCORS checks that browsers may read every error the
// service gives, as they may read its answers.
func TestEveryErrorCarriesCORS(t *testing.T) {
	ref := newCountingRefresher()
	s, err := New(Options{Refresher: ref, DebugEndpoints: true, Limits: Limits{Costly: 1}, DebugRoundEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s.mux.handle(route{method: "GET", path: "/test/panic"}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	do := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}
	// One forced round holds the only slot of the costly budget until
	// released.
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- do(http.MethodGet, "/debug/node") }()
	deadline := time.Now().Add(10 * time.Second)
	for ref.rounds.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // poll until the round holds the slot
	}
	got := map[int]*httptest.ResponseRecorder{http.StatusServiceUnavailable: do(http.MethodGet, "/debug/node")}
	close(ref.release)
	if rec := <-done; rec.Code != http.StatusOK {
		t.Fatalf("forced round: %d", rec.Code)
	}
	got[http.StatusTooManyRequests] = do(http.MethodGet, "/debug/node")
	got[http.StatusNotFound] = do(http.MethodGet, "/nope")
	got[http.StatusMethodNotAllowed] = do(http.MethodPost, "/crns.json")
	got[http.StatusUnprocessableEntity] = do(http.MethodGet, "/crns.json?filter_inactive=maybe")
	got[http.StatusInternalServerError] = do(http.MethodGet, "/test/panic")
	for want, rec := range got {
		var body struct{ Error string }
		if rec.Code != want || rec.Header().Get("Access-Control-Allow-Origin") != "*" ||
			json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error == "" ||
			rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("want %d with CORS and a JSON error: got %d, headers %v, body %s", want, rec.Code, rec.Header(), rec.Body)
		}
	}
}

func TestWrongMethodIs405(t *testing.T) {
	srv, _ := newTestServer(t)
	tests := []struct {
		method, path string
		status       int
	}{
		{"POST", "/crns.json", 405},
		{"PUT", "/crns.json?filter_inactive=true", 405},
		{"DELETE", "/", 405},
		{"POST", "/debug/node", 405},
		{"PATCH", "/crns/act.json", 405},
		{"POST", "/nope", 404},
		{"HEAD", "/crns.json", 200},
	}
	for _, tt := range tests {
		resp, body := get(t, tt.method, srv.URL+tt.path, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: %d, want %d (%s)", tt.method, tt.path, resp.StatusCode, tt.status, body)
			continue
		}
		if tt.status == 200 {
			continue
		}
		var e struct{ Error, Detail string }
		if json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
			t.Errorf("%s %s: body %s", tt.method, tt.path, body)
		}
		want := map[int]string{404: "Not Found", 405: "Method Not Allowed"}[tt.status]
		if e.Detail != want {
			t.Errorf("%s %s: detail %q, want FastAPI's %q", tt.method, tt.path, e.Detail, want)
		}
		if allow := resp.Header.Get("Allow"); (tt.status == 405) != strings.Contains(allow, "GET") {
			t.Errorf("%s %s: %d with Allow %q", tt.method, tt.path, tt.status, allow)
		}
	}
}

// TestBadFilterHasFastAPIDetail checks the 422 body: this service's
// "error" and FastAPI's "detail" list, which clients of the Python
// service read.
func TestBadFilterHasFastAPIDetail(t *testing.T) {
	srv, _ := newTestServer(t)
	resp, body := get(t, "GET", srv.URL+"/crns.json?filter_inactive=maybe", nil)
	var e struct {
		Error  string
		Detail []struct {
			Loc   []string `json:"loc"`
			Msg   string   `json:"msg"`
			Type  string   `json:"type"`
			Input string   `json:"input"`
		}
	}
	if resp.StatusCode != 422 || json.Unmarshal([]byte(body), &e) != nil || len(e.Detail) != 1 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	d := e.Detail[0]
	if strings.Join(d.Loc, ".") != "query.filter_inactive" || d.Type != "bool_parsing" || d.Msg == "" || d.Input != "maybe" ||
		!strings.Contains(e.Error, "filter_inactive") {
		t.Errorf("422 body %s", body)
	}
}
