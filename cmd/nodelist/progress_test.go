package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"nodelist/internal/config"
	"nodelist/internal/refresh"
	"nodelist/internal/simfleet"
)

// visibleLines is what a terminal shows of out: each line as left after
// its last "erase the line".
func visibleLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if i := strings.LastIndex(l, eraseLine); i >= 0 {
			l = l[i+len(eraseLine):]
		}
		lines = append(lines, l)
	}
	return lines
}

// Log lines written during a round never share the progress line, and the
// progress ends with its own complete line.
func TestSnapshotProgressOnItsOwnLine(t *testing.T) {
	f, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 6, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := config.Default()
	cfg.APIURL = f.APIURL() // the guard stays on: every node is refused, and the round logs a hint
	var term bytes.Buffer
	sl := &statusLine{w: &term}
	log, _ := cfg.NewLogger(sl)
	ref, client, err := newRefresher(&cfg, nil, nil, refresh.Hooks{}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	stop := progress(ref, sl)
	sl.show("probed 0/6 nodes", false) // as a tick would, before the logs
	if err := ref.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	stop()
	stop() // a second call (the deferred one) is harmless

	out := term.String()
	if !strings.HasSuffix(out, "probed 6/6 nodes, 0 responsive\n") {
		t.Errorf("the last line is not the final count, ended: %q", out)
	}
	logs := 0
	for _, l := range visibleLines(out) {
		if strings.Contains(l, "level=") {
			logs++
			if strings.Contains(l, "probed") {
				t.Errorf("a log line shares the progress line: %q", l)
			}
		}
	}
	if logs == 0 {
		t.Errorf("no log line written during the round:\n%q", out)
	}
	if !strings.Contains(out, "every node was refused by the SSRF guard: for a private test fleet use --allow-private-targets") {
		t.Errorf("no hint:\n%s", out)
	}
}

// Off a terminal there is no progress line; the hint is on stderr, and
// stdout holds crns.json alone.
func TestSnapshotHintWhenEveryNodeRefused(t *testing.T) {
	f, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"snapshot", "--api-url", f.APIURL()}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "every node was refused by the SSRF guard: for a private test fleet use --allow-private-targets") {
		t.Errorf("no hint on stderr: %s", errOut.String())
	}
	if strings.Contains(errOut.String(), "probed") || !strings.HasPrefix(out.String(), `{"last_refresh":`) || !strings.HasSuffix(out.String(), "}\n") {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}
