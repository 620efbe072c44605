package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
)

// TestVersionCommand: `nodelist version` and `nodelist --version` print
// the version, the revision and the Go release on stdout, the link-time
// values first.
func TestVersionCommand(t *testing.T) {
	version, revision = "v1.2.3", "abc123"
	defer func() { version, revision = "", "" }()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		want := "version: v1.2.3\nrevision: abc123\ngo: " + runtime.Version() + "\n"
		if code != 0 || out.String() != want || errOut.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", args, code, out.String(), errOut.String(), want)
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version", "extra"}, &out, &errOut); code != 2 {
		t.Errorf("version extra: exit %d, want 2", code)
	}
}

// TestVersionUnset: without link-time values the build's own record
// names it; a test binary records no revision.
func TestVersionUnset(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 || lines[0] == "version: " || lines[1] != "revision: unknown" || lines[2] != "go: "+runtime.Version() {
		t.Errorf("stdout %q", out.String())
	}
}
