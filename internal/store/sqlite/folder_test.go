package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A database whose folder is missing, is no folder, or cannot be written
// is refused naming the folder to fix, not the lock file SQLite's first
// step happens to create, and nothing is created.
func TestFolderProblemsNameTheFolder(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(base, "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// Root writes any folder's entries; sysfs refuses it new files.
		readOnly = "/sys"
		if _, err := os.Stat(readOnly); err != nil {
			t.Skip("no folder this root process cannot write:", err)
		}
	}
	for _, tc := range []struct{ name, path, want string }{
		{"missing", filepath.Join(base, "no", "such", "h.db"), "the folder " + filepath.Join(base, "no", "such") + " does not exist: create it"},
		{"a file", filepath.Join(file, "h.db"), "the folder " + file + " is not a folder"},
		{"read-only", filepath.Join(readOnly, "h.db"), "the folder " + readOnly + " is not writable by this process"},
	} {
		st, err := Open(context.Background(), tc.path)
		if err == nil {
			st.Close()
			t.Errorf("%s: opened", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "lock file") {
			t.Errorf("%s: %v\nwant %q", tc.name, err, tc.want)
		}
		if _, serr := os.Lstat(tc.path + ".lock"); serr == nil {
			t.Errorf("%s: %s.lock was created", tc.name, tc.path)
		}
	}
}
