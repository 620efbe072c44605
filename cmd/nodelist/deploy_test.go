package main

import (
	"os"
	"strings"
	"testing"
)

// deploy/config.yaml, the file the systemd unit reads, passes
// --check-config as shipped, and every setting it writes that is not a
// default shows in the check's listing.
func TestDeployConfigChecks(t *testing.T) {
	const path = "../../deploy/config.yaml"
	code, out, errOut := runWithin(t, []string{"serve", "--config", path, "--check-config"})
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"max-conns-per-client: 0 # from file " + path,
		"db: sqlite:/var/lib/nodelist/nodelist.db # from file " + path,
		"log-format: json # from file " + path,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the check does not list %q:\n%s", want, out)
		}
	}
	// The keys set to their defaults (listen, mode, ...) are not listed:
	// three settings differ, plus the heading.
	if lines := strings.Count(strings.TrimSpace(out), "\n") + 1; lines != 4 {
		t.Errorf("%d lines, want the heading and 3 settings:\n%s", lines, out)
	}
	// The commented examples are keys the file takes too.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, l := range strings.Split(string(b), "\n") {
		if k, _, ok := strings.Cut(strings.TrimPrefix(l, "# "), ": "); ok && strings.HasPrefix(l, "# ") && k != "" && strings.Trim(k, "abcdefghijklmnopqrstuvwxyz-") == "" {
			keys = append(keys, k)
		}
	}
	if len(keys) < 6 {
		t.Fatalf("found %d commented keys: %v", len(keys), keys)
	}
	help, helpOut, _ := runWithin(t, []string{"serve", "--help"})
	for _, k := range keys {
		if help != 0 || !strings.Contains(helpOut, "  --"+k+" ") && !strings.Contains(helpOut, "  --"+k+"\n") {
			t.Errorf("commented key %q is no flag of serve", k)
		}
	}
}
