package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nodelist/internal/contract"
	"nodelist/internal/simfleet"
)

func TestBadFlagsExitTwoWithAMessage(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--mode", "never"},
		{"serve", "--no-such-flag"},
		{"snapshot", "extra-argument"},
		{"nosuchcommand"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		if code != 2 || errOut.Len() == 0 || strings.Contains(errOut.String(), "goroutine") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}

// Help asked for is an answer: on stdout, exit status 0. A mistake is
// said on stderr, with exit status 2.
func TestHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"serve", "--help"}, {"snapshot", "-h"}, {"demo", "--help"}, {"simfleet", "--help"}, {"probe", "--help"}} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		if code != 0 || errOut.Len() != 0 || !strings.Contains(out.String(), "Usage") || !strings.Contains(out.String(), "nodelist") {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q", args, code, out.Len(), errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	run(context.Background(), []string{"serve", "--help"}, &out, &errOut)
	for _, want := range []string{"--refresh-interval duration", "(default 30s) [NODELIST_REFRESH_INTERVAL]", "--config string", "--check-config"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
	out.Reset()
	if code := run(context.Background(), nil, &out, &errOut); code != 2 || out.Len() != 0 || errOut.Len() == 0 {
		t.Errorf("no command: exit %d, stdout %q", code, out.String())
	}
}

func TestDurationWithoutUnitHint(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"serve", "--refresh-interval", "30"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "use 30s") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

// Each part checks its share of the configuration, and a bad command line
// hears of every mistake at once.
func TestValidateSaysEverythingWrong(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"serve", "--mode", "sometimes", "--api-url", "ftp://x",
		"--refresh-interval", "10ms", "--allow-cidr", "10.0.0.0/99"}, &out, &errOut)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"--mode", "--api-url", "--refresh-interval", "--allow-cidr"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("error does not name %s: %s", want, errOut.String())
		}
	}
}

func TestSnapshotCommand(t *testing.T) {
	f, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 12, Seed: 3, Failing: 0.2, Inactive: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file := filepath.Join(t.TempDir(), "crns.json")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"snapshot", "--api-url", f.APIURL(), "--allow-private-targets",
		"--validate", "--filter-inactive", "-o", file, "--log-level", "error"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := contract.Validate(body); err != nil {
		t.Fatal(err)
	}
	var doc struct{ CRNs []json.RawMessage }
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.CRNs) != 9 {
		t.Errorf("%d CRNs written, want the 9 active ones (%v)", len(doc.CRNs), err)
	}
}
