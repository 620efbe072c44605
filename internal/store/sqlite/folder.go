package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// SQLite keeps three files beside the database (the lock, the WAL and
// its index) and creates them as it goes: the folder, not only the
// database file, must exist and be writable by the service's user. A
// folder that is missing or read-only is named as what to fix, rather
// than the first file that happened not to open.

// checkFolder says what is wrong with the folder of the database at path
// before anything is created in it: missing, or not a folder.
func checkFolder(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("open sqlite %s: the folder %s does not exist: create it, writable by the service's user (mkdir -p %s)", path, dir, dir)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("open sqlite %s: the folder %s is not a folder: a part of its path is a file", path, dir)
	case err != nil:
		return fmt.Errorf("open sqlite %s: the folder %s: %w", path, dir, err)
	case !fi.IsDir():
		return fmt.Errorf("open sqlite %s: the folder %s is not a folder", path, dir)
	}
	return nil
}

// folderNotWritable turns the refusal to create a file beside the
// database at path into the folder to fix, when the folder is why: the
// file did not exist, and creating it was denied.
func folderNotWritable(path, created string, err error) error {
	if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
		return nil
	}
	if _, serr := os.Lstat(created); !errors.Is(serr, fs.ErrNotExist) {
		return nil // the file exists: it is the one to fix
	}
	dir := filepath.Dir(path)
	return fmt.Errorf("open sqlite %s: the folder %s is not writable by this process (uid %d): SQLite creates its lock and WAL files beside the database; make the folder writable by the service's user (chown or chmod %s): %w",
		path, dir, os.Geteuid(), dir, err)
}
