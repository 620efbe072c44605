package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"nodelist/internal/simfleet"
)

// syncBuffer is a log sink written by the service and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveInBackground runs the service with args (after "serve") until the
// returned stop is called, which then checks it exited with 0, its logs
// in the error otherwise.
func serveInBackground(t *testing.T, args ...string) (logs *syncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = new(syncBuffer)
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, append([]string{"serve"}, args...), io.Discard, logs) }()
	return logs, func() {
		cancel()
		if code := <-exited; code != 0 {
			t.Errorf("serve exited with %d:\n%s", code, logs.String())
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
}

// configErrors returns the config error of every CRN served.
func configErrors(url string) []string {
	var doc struct {
		CRNs []struct {
			Err string `json:"debug_config_from_crn_error"`
		} `json:"crns"`
	}
	if getJSON(url+"/crns.json", &doc) != nil {
		return nil
	}
	out := make([]string, len(doc.CRNs))
	for i, c := range doc.CRNs {
		out[i] = c.Err
	}
	return out
}

func all(errs []string, n int, pred func(string) bool) bool {
	if len(errs) != n {
		return false
	}
	for _, e := range errs {
		if !pred(e) {
			return false
		}
	}
	return true
}

// post posts to url, with the admin token when one is given.
func post(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A running service reloads its file: a good one is applied (a forbidden
// host refuses every node from the next round; the log level changes at
// once), a bad one is refused whole and the old values stay, a setting
// that needs a restart is reported and kept; and no request fails while
// reloads come one after another.
func TestReloadRunningService(t *testing.T) {
	f, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 6, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	addr := freeAddr(t)
	base := "http://" + addr
	file := writeConfig(t, "")
	// The operator's token: its reloads show values and reasons, and are
	// not rate-limited.
	const token = "reload-test-token-0123456789"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const open = "allow-private-targets: true\nrefresh-interval: 1s\nlog-level: info\n"
	const closed = "allow-private-targets: true\nrefresh-interval: 1s\nlog-level: debug\nforbidden-hosts: [127.0.0.1]\n"
	write(open)

	logs, stopServe := serveInBackground(t, "--config", file, "--listen", addr, "--api-url", f.APIURL(),
		"--db", "none", "--reload-endpoint", "--admin-token-file", tokenFile, "--log-format", "json")
	defer stopServe()
	answered := func(e string) bool { return e == "None" }
	forbidden := func(e string) bool { return strings.HasPrefix(e, "invalid_address: host 127.0.0.1 is forbidden") }
	waitFor(t, "every node answered", 20*time.Second, func() bool { return all(configErrors(base), 6, answered) })

	// Clients keep asking throughout; none may fail.
	var requests, failures atomic.Int64
	stop := make(chan struct{})
	var load sync.WaitGroup
	loadEnd := time.Now().Add(time.Minute)
	for _, path := range []string{"/crns.json", "/healthz", "/debug/task"} {
		load.Add(1)
		go func() {
			defer load.Done()
			for i := 0; i < 100_000 && time.Now().Before(loadEnd); i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Get(base + path)
				requests.Add(1)
				if err != nil {
					failures.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failures.Add(1)
				}
			}
		}()
	}

	// A good file: applied.
	write(closed)
	code, body := post(t, base+"/-/reload", token)
	var rep struct {
		Applied      []struct{ Flag, Old, New string }
		NeedsRestart []struct{ Flag, Old, New string } `json:"needs_restart"`
	}
	_ = json.Unmarshal([]byte(body), &rep)
	if code != http.StatusOK || len(rep.Applied) != 2 || rep.Applied[0].Flag != "forbidden-hosts" || rep.Applied[1].Flag != "log-level" {
		t.Fatalf("good reload: %d %s", code, body)
	}
	waitFor(t, "the forbidden host refuses every node", 20*time.Second, func() bool { return all(configErrors(base), 6, forbidden) })
	waitFor(t, "a debug line", 10*time.Second, func() bool { return strings.Contains(logs.String(), `"level":"DEBUG"`) })

	// Bad files, by the endpoint and by SIGHUP: refused, the old values stay.
	write("forbidden-hosts: []\nrefresh-interval: 30\n")
	if code, body := post(t, base+"/-/reload", token); code != http.StatusBadRequest || !strings.Contains(body, "use 30s") {
		t.Errorf("bad reload: %d %s", code, body)
	}
	write("forbidden-hosts: []\nrefresh-intervall: 1s\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the SIGHUP refusal logged", 10*time.Second, func() bool {
		return strings.Contains(logs.String(), `unknown key \"refresh-intervall\"`)
	})
	round := func() uint64 {
		var task struct{ Round uint64 }
		_ = getJSON(base+"/debug/task", &task)
		return task.Round
	}
	after := round() + 1
	waitFor(t, "a round after the refusals", 20*time.Second, func() bool { return round() > after })
	if errs := configErrors(base); !all(errs, 6, forbidden) {
		t.Errorf("the refused file was applied: %v", errs)
	}

	// A setting that needs a restart: reported, and the service stays where it is.
	write(closed + "max-body: 2048\n")
	code, body = post(t, base+"/-/reload", token)
	rep.Applied, rep.NeedsRestart = nil, nil
	_ = json.Unmarshal([]byte(body), &rep)
	if code != http.StatusOK || len(rep.Applied) != 0 || len(rep.NeedsRestart) != 1 || rep.NeedsRestart[0].Flag != "max-body" {
		t.Errorf("needs restart: %d %s", code, body)
	}

	// Reloads one after another, by both ways, under load.
	for i := range 20 {
		write([]string{open, closed}[i%2])
		if i%4 == 3 {
			_ = syscall.Kill(os.Getpid(), syscall.SIGHUP)
			continue
		}
		if code, body := post(t, base+"/-/reload", token); code != http.StatusOK {
			t.Errorf("reload %d: %d %s", i, code, body)
		}
	}
	write(open)
	if code, _ := post(t, base+"/-/reload", token); code != http.StatusOK {
		t.Errorf("last reload: %d", code)
	}
	waitFor(t, "the nodes answer again", 20*time.Second, func() bool { return all(configErrors(base), 6, answered) })
	close(stop)
	load.Wait()
	t.Logf("%d requests during the reloads, %d failed", requests.Load(), failures.Load())
	if failures.Load() != 0 || requests.Load() < 100 {
		t.Errorf("%d of %d requests failed during the reloads", failures.Load(), requests.Load())
	}
}
