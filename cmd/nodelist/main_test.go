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
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--help"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "NODELIST_") {
		t.Errorf("--help: exit %d, %q", code, errOut.String())
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
