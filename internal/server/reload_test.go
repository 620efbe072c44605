package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"nodelist/internal/config"
)

// reloads is a fake reload that counts its calls and fails while fail is
// set.
type reloads struct {
	calls int
	fail  error
}

func (r *reloads) reload() (config.Report, error) {
	r.calls++
	if r.fail != nil {
		return config.Report{}, r.fail
	}
	return config.Report{
		Applied:      []config.Change{{Flag: "allow-cidr", Old: "10.20.0.0/16", New: "10.30.0.0/16"}},
		NeedsRestart: []config.Change{{Flag: "tls-cert", Old: "/etc/nodelist/old.pem", New: "/etc/nodelist/new.pem"}},
	}, nil
}

// errRefusal is what a configuration that fails to load says.
var errRefusal = errors.New("config file /etc/nodelist/x.yaml:2: unknown key \"refresh-intervall\"\n--allow-cidr \"10.99.0.0/99\": bad range")

// Without an admin token, anyone may reload, so the answer names what
// changed without its values, a refusal comes without its reasons, and
// reloads are admitted at most once per ReloadEvery.
func TestReloadEndpointWithoutToken(t *testing.T) {
	_, f := newTestServer(t)
	r := &reloads{}
	s, err := New(Options{Refresher: f, Reload: r.reload, ReloadEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	resp, body := get(t, "POST", srv.URL+"/-/reload", nil)
	if resp.StatusCode != http.StatusOK || body != `{"applied":[{"flag":"allow-cidr"}],"needs_restart":[{"flag":"tls-cert"}]}` {
		t.Errorf("good reload: %d %s", resp.StatusCode, body)
	}

	s.reloadGate.reset()
	r.fail = errRefusal
	resp, body = get(t, "POST", srv.URL+"/-/reload", nil)
	var refused struct {
		Error   string
		Reasons []string
	}
	if err := json.Unmarshal([]byte(body), &refused); err != nil || resp.StatusCode != http.StatusBadRequest ||
		len(refused.Reasons) != 0 || !strings.Contains(refused.Error, "in the service's log") {
		t.Errorf("refused reload: %d %s", resp.StatusCode, body)
	}
	for _, secret := range []string{"10.", "/etc/nodelist", "refresh-intervall"} {
		if strings.Contains(body, secret) {
			t.Errorf("the answer to a caller without the token shows %q: %s", secret, body)
		}
	}

	s.reloadGate.reset()
	before := r.calls
	if resp, _ := get(t, "POST", srv.URL+"/-/reload", map[string]string{"Origin": "https://evil.example"}); resp.StatusCode != http.StatusForbidden || r.calls != before {
		t.Errorf("a reload from a web page: %d, %d calls", resp.StatusCode, r.calls-before)
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

// A client in a loop (300 reloads, as a review sent in 2.3 s) makes one
// reload per ReloadEvery; the others are answered 429 with Retry-After
// and reread nothing.
func TestReloadRateLimitedWithoutToken(t *testing.T) {
	_, f := newTestServer(t)
	r := &reloads{}
	s, err := New(Options{Refresher: f, Reload: r.reload, ReloadEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[int]int{}
	retryAfter := ""
	for range 300 {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/-/reload", nil))
		codes[rec.Code]++
		if rec.Code == http.StatusTooManyRequests {
			retryAfter = rec.Header().Get("Retry-After")
		}
	}
	t.Logf("300 reloads without the token: %d made, answers %v, Retry-After %s", r.calls, codes, retryAfter)
	if r.calls != 1 || codes[http.StatusOK] != 1 || codes[http.StatusTooManyRequests] != 299 || retryAfter != "3600" {
		t.Errorf("300 reloads in a loop: %d made, answers %v, Retry-After %q; want 1 made and 299 × 429", r.calls, codes, retryAfter)
	}
}

// budgetOf is the class the limiter gives a request.
func (s *Server) budgetOf(t *testing.T, method, path string) class {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	_, pattern := s.mux.Handler(r)
	rt, _ := s.mux.routeOf(pattern)
	return rt.class
}

// A reload under way answers the next at once with 429: a client in a
// loop holds one slot of the costly budget.
func TestReloadOneAtATime(t *testing.T) {
	_, f := newTestServer(t)
	entered, release := make(chan struct{}), make(chan struct{})
	s, err := New(Options{Refresher: f, Reload: func() (config.Report, error) {
		entered <- struct{}{}
		<-release
		return config.Report{}, nil
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

// reset forgets the last admission.
func (g *roundGate) reset() {
	g.mu.Lock()
	g.last = time.Time{}
	g.mu.Unlock()
}
