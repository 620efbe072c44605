package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"nodelist/internal/simfleet"
)

// TestCrashRestartServesPersistedSnapshot kills the service with SIGKILL
// while rounds run (hung nodes keep each round open for the 1 s probe
// timeout, so the kill lands mid-round), takes the registry away, restarts the service on the
// same database and expects the persisted list within a second.
func TestCrashRestartServesPersistedSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "nodelist")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	f, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 30, Seed: 5, Failing: 0.1, Hung: 0.1, Latency: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	db := "sqlite:" + filepath.Join(dir, "h.db")
	addr := freeAddr(t)
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--listen", addr, "--api-url", f.APIURL(), "--allow-private-targets",
			"--refresh-interval", "1s", "--timeout", "1s", "--db", db, "--log-level", "error")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	type health struct {
		History struct{ Written int } `json:"history"`
	}
	cmd := start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var h health
		if getJSON("http://"+addr+"/healthz", &h) == nil && h.History.Written >= 2 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no round was persisted within 30 s")
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()

	f.SetRegistryDown(true) // a fresh round cannot list the nodes now
	restarted := time.Now()
	cmd = start()
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var doc struct {
		LastRefresh *string           `json:"last_refresh"`
		CRNs        []json.RawMessage `json:"crns"`
	}
	for {
		if getJSON("http://"+addr+"/crns.json", &doc) == nil && len(doc.CRNs) == 30 {
			break
		}
		if time.Since(restarted) > 10*time.Second {
			t.Fatalf("the persisted list was not served after restart: %d CRNs", len(doc.CRNs))
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	if took := time.Since(restarted); took > time.Second {
		t.Errorf("the persisted list took %s to be served after restart, want under 1 s", took)
	}
	if doc.LastRefresh == nil {
		t.Error("last_refresh is null after a warm restart")
	}
	// Restored data is data to serve: ready at once, registry or not.
	var ready struct {
		Ready   bool     `json:"ready"`
		Reasons []string `json:"reasons"`
	}
	if err := getJSON("http://"+addr+"/readyz", &ready); err != nil || !ready.Ready {
		t.Errorf("/readyz after a warm restart: %+v (%v)", ready, err)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"nodelist_build_info{", "nodelist_last_refresh_timestamp_seconds ", "nodelist_store_queue_rounds ",
		"nodelist_upstream_connections_total{", "nodelist_http_requests_total{", "go_goroutines ", "process_open_fds "} {
		if !strings.Contains(string(metrics), "\n"+want) {
			t.Errorf("/metrics of the service lacks %q", want)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
