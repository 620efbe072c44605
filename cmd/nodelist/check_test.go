package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nodelist.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckConfigGood(t *testing.T) {
	path := writeConfig(t, "refresh-interval: 1m\nforbidden-hosts: [a.example]\nlog-level: debug\n")
	t.Setenv("NODELIST_LOG_LEVEL", "warn")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"serve", "--config", path, "--check-config", "--mode", "on-demand"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"configuration OK", "mode: on-demand # from flag", "log-level: warn # from env NODELIST_LOG_LEVEL",
		"refresh-interval: 1m0s # from file " + path, "forbidden-hosts: a.example # from file",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
}

// --check-config asks every part, and says every reason at once.
func TestCheckConfigBad(t *testing.T) {
	path := writeConfig(t, "refresh-interval: 1m\nmode: sometimes\nallow-cidr: [10.0.0.0/99]\napi-url: ftp://x\n")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"serve", "--config", path, "--check-config", "--db", "mysql://nohost"}, &out, &errOut)
	if code != 2 || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q", code, out.String())
	}
	// The file's values are named as the file writes them, at their place.
	for _, want := range []string{`:2:7: mode "sometimes"`, ":3:13: allow-cidr:", ":4:10: api-url", "--db: mysql"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr does not name %s: %s", want, errOut.String())
		}
	}
	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"serve", "--check-config", "--db", "mysql://nohost", "--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "--db") {
		t.Errorf("malformed --db: exit %d, %s", code, errOut.String())
	}
	errOut.Reset()
	code = run(context.Background(), []string{"serve", "--check-config", "--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "c.pem") {
		t.Errorf("missing TLS files: exit %d, %s", code, errOut.String())
	}
}

// The README's promise: a malformed --db is a usage error (2), a database
// that cannot be reached at start a plain error (1), each on one line.
func TestDBExitCodes(t *testing.T) {
	for _, tc := range []struct {
		db   string
		code int
	}{
		{"postgres://x/y", 2},
		{"sqlite:", 2},
		{"mysql://nohost", 2},
		{"mysql://u:p@127.0.0.1:1", 2}, // no database name
		{"mysql://u:p@127.0.0.1:1/nodelist?timeout=2s", 1},
		{"sqlite:" + filepath.Join(t.TempDir(), "missing", "dir", "h.db"), 1},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var out, errOut bytes.Buffer
		code := run(ctx, []string{"serve", "--db", tc.db, "--listen", "127.0.0.1:0", "--log-level", "error"}, &out, &errOut)
		cancel()
		lines := strings.Count(strings.TrimSpace(errOut.String()), "\n") + 1
		if code != tc.code || lines > 2 || strings.Contains(errOut.String(), "p@") {
			t.Errorf("--db %s: exit %d (want %d), stderr %q", tc.db, code, tc.code, errOut.String())
		}
	}
}

// A file with four mistakes, one of each kind, is refused with one report
// naming all four at their lines, with the parts' findings beside them:
// not the first mistake, then the next on the next start.
func TestCheckConfigNamesEveryMistakeAtOnce(t *testing.T) {
	path := writeConfig(t, `refresh-intervall: 1m
--listen: 0.0.0.0:8080
mode: [on-demand
timeout: 30
retention-raw: 10m
`)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"serve", "--config", path, "--check-config", "--db", "none", "--lease-ttl", "1h"}, &out, &errOut)
	if code != 2 || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q", code, out.String())
	}
	want := []string{
		"nodelist serve: config file " + path + `:1:1: unknown key "refresh-intervall"; did you mean refresh-interval?`,
		"config file " + path + `:2:1: unknown key "--listen"; did you mean listen? (keys are flag names without the dashes in front)`,
		"config file " + path + `:3: YAML syntax: did not find expected ',' or ']'`,
		"config file " + path + `:4:10: timeout: "30" has no unit: use 30s`,
		"config file " + path + `:5:16: retention-raw 10m0s: want at least 1h`,
		`--lease-ttl 1h0m0s: want 1s to 5m, or 0 (no lease)`,
		"(nodelist serve --help lists the flags)",
	}
	got := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut.String(), strings.Join(want, "\n"))
	}
}

// An unknown flag is refused with the flag probably meant.
func TestUnknownFlagSuggestsOne(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"serve", "--lsten", "127.0.0.1:0"}, &out, &errOut)
	if code != 2 || !strings.HasPrefix(errOut.String(), "nodelist serve: unknown flag --lsten; did you mean --listen?\n") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}
