package config

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxFileBytes bounds every file the service reads at start and on a
// reload: the configuration file, the TLS certificate and key, the admin
// token. A configuration of a few dozen keys takes a few KiB, a
// certificate chain a few, a token less than one; 1 MiB leaves them all
// ample room while a mistaken path (/dev/zero, a log file) costs at most
// that much memory.
const MaxFileBytes = 1 << 20

// ReadFile reads the file at path, which must be a regular file (or a
// symbolic link to one) of at most MaxFileBytes. Anything else is refused
// before a byte is read, with an error naming the file and why: a
// directory, a device such as /dev/zero, a named pipe, a socket. Opening
// never blocks (a named pipe without a writer would hold an ordinary
// open forever), and the read stops past the bound whatever the file
// claims, so a file that grows while read costs at most MaxFileBytes+1.
func ReadFile(path string) ([]byte, error) {
	return ReadBounded(path, MaxFileBytes)
}

// ReadBounded is ReadFile with another bound, in bytes.
func ReadBounded(path string, limit int64) ([]byte, error) {
	// Stat first, so that a socket is named as such (opening one fails
	// with ENXIO) and nothing but a regular file is opened at all.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := wantRegular(path, fi, limit); err != nil {
		return nil, err
	}
	// The file may be swapped between the stat and the open: open
	// without blocking, and judge what was opened.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := wantRegular(path, fi, limit); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &FileError{Path: path, Reason: fmt.Sprintf("larger than %d bytes", limit)}
	}
	return b, nil
}

// FileError is a file ReadFile refuses to read: not a regular file, or
// larger than the bound.
type FileError struct {
	Path   string
	Reason string
}

func (e *FileError) Error() string { return e.Path + ": " + e.Reason }

func wantRegular(path string, fi fs.FileInfo, limit int64) error {
	if !fi.Mode().IsRegular() {
		return &FileError{Path: path, Reason: kind(fi.Mode()) + ", not a regular file"}
	}
	if fi.Size() > limit {
		return &FileError{Path: path, Reason: fmt.Sprintf("%d bytes, larger than %d", fi.Size(), limit)}
	}
	return nil
}

// kind names a file type for an error message.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a plain file"
}
