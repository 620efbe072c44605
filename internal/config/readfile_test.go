package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nodelist/internal/config"
	"nodelist/internal/config/configtest"
)

// Every file that is not a regular one within the bound is refused,
// before a byte is read, with its name and why; a named pipe without a
// writer does not hold the open. A symbolic link to a regular file is
// read as the file.
func TestReadFileRefusesWhatIsNoSmallRegularFile(t *testing.T) {
	for _, f := range configtest.BadFiles(t) {
		t.Run(f.Name, func(t *testing.T) {
			type result struct {
				b   []byte
				err error
			}
			done := make(chan result, 1)
			go func() {
				b, err := config.ReadFile(f.Path)
				done <- result{b, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(20 * time.Second): // a hang, not a speed bound
				t.Fatalf("ReadFile(%s) has not returned", f.Path)
			}
			if r.err == nil || len(r.b) != 0 {
				t.Fatalf("ReadFile(%s): %d bytes, err %v", f.Path, len(r.b), r.err)
			}
			if msg := r.err.Error(); !strings.Contains(msg, f.Path) || !strings.Contains(msg, f.Reason) {
				t.Errorf("ReadFile(%s): %q, want the path and %q", f.Path, msg, f.Reason)
			}
		})
	}
}

func TestReadFileReadsRegularFilesAndLinksToThem(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	want := strings.Repeat("x", config.MaxFileBytes) // at the bound: accepted
	if err := os.WriteFile(path, []byte(want), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, link} {
		if b, err := config.ReadFile(p); err != nil || string(b) != want {
			t.Errorf("ReadFile(%s): %d bytes, %v", p, len(b), err)
		}
	}
	if _, err := config.ReadFile(filepath.Join(dir, "missing")); err == nil || !os.IsNotExist(err) {
		t.Errorf("a missing file: %v", err)
	}
}

// A regular file may hold more than its size says (the kernel's files
// under /proc say 0): the read itself stops past the bound.
func TestReadFileBoundsTheReadNotOnlyTheSize(t *testing.T) {
	fi, err := os.Stat("/proc/self/maps")
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
		t.Skip("no /proc/self/maps of size 0 here")
	}
	b, err := config.ReadBounded("/proc/self/maps", 64)
	if err == nil || len(b) != 0 || !strings.Contains(err.Error(), "larger than 64 bytes") {
		t.Errorf("a file larger than its size: %d bytes, %v", len(b), err)
	}
}
