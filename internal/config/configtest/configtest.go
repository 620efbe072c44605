// Package configtest makes the files a configured path must not lead the
// service to read without bound: a device, a named pipe, a directory, a
// socket, a file over the bound, and a symbolic link to each. Tests of
// every reader of configured files (the configuration file, the TLS pair,
// the admin token) run over the same list.
//
// It is for tests only; it must not be imported by the service.
package configtest

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// BadFile is a path the bounded read refuses, and the words its refusal
// must contain.
type BadFile struct {
	Name, Path, Reason string
}

// BadFiles makes, in a temporary folder of t, every kind of file the
// bounded read refuses, each also behind a symbolic link.
func BadFiles(t *testing.T) []BadFile {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	files := []BadFile{
		{"dev-zero", "/dev/zero", "a character device, not a regular file"},
		{"fifo", fifo, "a named pipe, not a regular file"},
		{"directory", dir, "a directory, not a regular file"},
		{"socket", sock, "a socket, not a regular file"},
		{"2MiB", big, "2097152 bytes, larger than 1048576"},
	}
	for _, f := range files[:len(files):len(files)] {
		link := filepath.Join(dir, "link-to-"+f.Name)
		if err := os.Symlink(f.Path, link); err != nil {
			t.Fatal(err)
		}
		files = append(files, BadFile{"link-to-" + f.Name, link, f.Reason})
	}
	return files
}
