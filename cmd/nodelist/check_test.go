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
	for _, want := range []string{"--mode", "--allow-cidr", "--api-url"} {
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
