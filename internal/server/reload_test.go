package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestReloadEndpoint(t *testing.T) {
	_, f := newTestServer(t)
	var fail error
	calls := 0
	s, err := New(Options{Refresher: f, Reload: func() (any, error) {
		calls++
		if fail != nil {
			return nil, fail
		}
		return map[string]any{"applied": []map[string]string{{"flag": "log-level", "old": "info", "new": "debug"}}}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	resp, body := get(t, "POST", srv.URL+"/-/reload", nil)
	if resp.StatusCode != http.StatusOK || body != `{"applied":[{"flag":"log-level","new":"debug","old":"info"}]}` {
		t.Errorf("good reload: %d %s", resp.StatusCode, body)
	}

	fail = errors.New("config file x.yaml:2: unknown key \"refresh-intervall\"\n--mode \"x\": want background or on-demand")
	resp, body = get(t, "POST", srv.URL+"/-/reload", nil)
	var refused struct {
		Error   string
		Reasons []string
	}
	if err := json.Unmarshal([]byte(body), &refused); err != nil || resp.StatusCode != http.StatusBadRequest || len(refused.Reasons) != 2 {
		t.Errorf("refused reload: %d %s", resp.StatusCode, body)
	}

	before := calls
	if resp, _ := get(t, "POST", srv.URL+"/-/reload", map[string]string{"Origin": "https://evil.example"}); resp.StatusCode != http.StatusForbidden || calls != before {
		t.Errorf("a reload from a web page: %d, %d calls", resp.StatusCode, calls-before)
	}
	if resp, _ := get(t, "GET", srv.URL+"/-/reload", nil); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if s.budgetOf(t, "POST", "/-/reload") != classCostly {
		t.Error("a reload does not draw on the costly budget")
	}

	// Without the flag, there is no such endpoint.
	plain, _ := newTestServer(t)
	if resp, _ := get(t, "POST", plain.URL+"/-/reload", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("without --reload-endpoint: %d", resp.StatusCode)
	}
}

// budgetOf is the class the limiter gives a request.
func (s *Server) budgetOf(t *testing.T, method, path string) class {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	_, pattern := s.mux.Handler(r)
	return routeClasses[pattern]
}

// A reload under way answers the next at once with 429: a client in a
// loop holds one slot of the costly budget.
func TestReloadOneAtATime(t *testing.T) {
	_, f := newTestServer(t)
	entered, release := make(chan struct{}), make(chan struct{})
	s, err := New(Options{Refresher: f, Reload: func() (any, error) {
		entered <- struct{}{}
		<-release
		return map[string]any{}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	first := make(chan int)
	go func() {
		resp, err := http.Post(srv.URL+"/-/reload", "", nil)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-entered
	if resp, _ := get(t, "POST", srv.URL+"/-/reload", nil); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a reload during another: %d", resp.StatusCode)
	}
	close(release)
	if code := <-first; code != http.StatusOK {
		t.Errorf("the first reload: %d", code)
	}
}
