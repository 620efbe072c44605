package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nodelist/internal/simfleet"
)

// An address in use is the first and only error of a start: the
// listener is bound before the store is opened and before any round asks
// the fleet anything.
func TestAddressInUseComesFirst(t *testing.T) {
	f, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 3, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	db := filepath.Join(t.TempDir(), "h.db")
	code, out, errOut := runWithin(t, []string{"serve", "--listen", taken.Addr().String(), "--api-url", f.APIURL(),
		"--allow-private-targets", "--db", "sqlite:" + db})
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 1 || out != "" || len(lines) != 1 || !strings.Contains(errOut, "listen on "+taken.Addr().String()+": the address is in use") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and one line saying the address is in use", code, out, errOut)
	}
	if s := f.Stats(); s.APIRequests != 0 || s.NodeRequests != 0 {
		t.Errorf("the fleet was asked %d API and %d node requests before the bind failed; want none", s.APIRequests, s.NodeRequests)
	}
	for _, p := range []string{db, db + ".lock"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created before the bind failed", p)
		}
	}
}

// A history database in a folder that does not exist is refused naming
// the folder to create.
func TestSQLiteFolderMissingNamesIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "lib", "nodelist")
	code, _, errOut := runWithin(t, []string{"serve", "--listen", "127.0.0.1:0", "--db", "sqlite:" + filepath.Join(dir, "h.db")})
	if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "the folder "+dir+" does not exist") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
