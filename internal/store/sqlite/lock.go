package sqlite

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// SQLite serves one replica: a second process writing the same file would
// probe the fleet a second time and interleave its history with the
// first's. Each store holds an exclusive lock on PATH.lock while open; the
// kernel drops it with the process, however that ends, so a crash never
// leaves a stale lock behind. Several replicas share a MySQL database
// instead.

// lockFile takes the lock of the database at path, or says who holds it.
func lockFile(path string) (release func() error, err error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if ferr := folderNotWritable(path, name, err); ferr != nil {
			return nil, ferr
		}
		return nil, fmt.Errorf("open sqlite %s: lock file: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(name)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who == "" {
				who = "another process"
			}
			return nil, fmt.Errorf("sqlite %s is in use by %s (it holds %s): SQLite serves a single replica; "+
				"to run several, give them one MySQL or MariaDB database (--db mysql://…)", path, who, name)
		}
		return nil, fmt.Errorf("open sqlite %s: lock %s: %w", path, name, err)
	}
	host, _ := os.Hostname()
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("nodelist pid %d on %s\n", os.Getpid(), host)), 0)
	}
	return f.Close, nil // closing the file releases the lock
}
