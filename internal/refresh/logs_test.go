package refresh

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/probe"
	"nodelist/internal/simfleet"
)

// logBuffer collects JSON log lines from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the records whose message starts with prefix.
func (l *logBuffer) lines(t *testing.T, prefix string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if msg, _ := rec["msg"].(string); strings.HasPrefix(msg, prefix) {
			out = append(out, rec)
		}
	}
	return out
}

func jsonLogger(w *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// A round cancelled while a node hangs says so, with how far it got; and
// every line about the round carries the number /debug/task shows.
func TestCancelledRoundIsLoggedWithItsNumber(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 20, Seed: 5, Hung: 0.05})
	var logs logBuffer
	c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: time.Minute, Concurrency: 32, Logger: jsonLogger(&logs)})
	t.Cleanup(c.CloseIdleConnections)
	r := New(Options{Client: c, Forbidden: config.DefaultForbiddenHosts, Logger: jsonLogger(&logs)})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = r.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for st := r.Status(); st.Probed < 19 || !st.Running; st = r.Status() {
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			t.Fatalf("the 19 answering nodes were not probed within 20 s: %+v", st)
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	round := r.Status().Round
	cancel()
	wg.Wait() // Run waits for the round it owns

	stopped := logs.lines(t, "round stopped before every node was probed")
	if len(stopped) != 1 {
		t.Fatalf("%d lines saying the round stopped, want 1", len(stopped))
	}
	s := stopped[0]
	if s["reason"] != "canceled" || s["probed"] != float64(19) || s["targets"] != float64(20) {
		t.Errorf("stopped: %v", s)
	}
	if _, ok := s["after"].(float64); !ok {
		t.Errorf("a duration in JSON is not in seconds: %v", s["after"])
	}
	for _, msg := range []string{"round started", "round stopped", "round finished"} {
		recs := logs.lines(t, msg)
		if len(recs) != 1 || recs[0]["round"] != float64(round) {
			t.Errorf("%q: %v, want one line of round %d", msg, recs, round)
		}
	}
	// The prober's own lines of the round's requests too: the hung
	// node's, cancelled.
	failed := logs.lines(t, "probe request failed")
	if len(failed) == 0 {
		t.Error("no line of the cancelled request")
	}
	for _, rec := range failed {
		if rec["round"] != float64(round) {
			t.Errorf("a request's line without its round: %v", rec)
		}
	}
}

// A fleet on private addresses probed with the guard on is a mistake of
// configuration, not a fleet that is down: the log says what to do.
func TestEveryNodeRefusedByTheGuardGetsAHint(t *testing.T) {
	f := startFleet(t, simfleet.Options{Nodes: 5, Seed: 2})
	c := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 5 * time.Second, Guard: &probe.Guard{}})
	t.Cleanup(c.CloseIdleConnections)
	var logs logBuffer
	r := New(Options{Client: c, Logger: jsonLogger(&logs)})
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	hints := logs.lines(t, "every node was refused by the SSRF guard: for a private test fleet use --allow-private-targets")
	if len(hints) != 1 || hints[0]["nodes"] != float64(5) || hints[0]["round"] != float64(1) {
		t.Errorf("hint: %v", hints)
	}

	// With the fleet allowed, no hint.
	var quiet logBuffer
	open := probe.NewClient(probe.Options{APIURL: f.APIURL(), Timeout: 5 * time.Second})
	t.Cleanup(open.CloseIdleConnections)
	r = New(Options{Client: open, Logger: jsonLogger(&quiet)})
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hints := quiet.lines(t, "every node was refused"); len(hints) != 0 {
		t.Errorf("hint although every node answered: %v", hints)
	}
}
