package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"nodelist/internal/config/configtest"
	"nodelist/internal/simfleet"
)

// runWithin runs the command line in this process; a run that has not
// returned within the bound is a hang (a read without end), not slowness.
func runWithin(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), args, &out, &errOut) }()
	select {
	case code := <-done:
		return code, out.String(), errOut.String()
	case <-time.After(30 * time.Second):
		t.Fatalf("%v has not returned", args)
		return 0, "", ""
	}
}

// serve --check-config refuses, with exit status 2 and a message naming
// the file and why, every configured file that is no small regular file:
// the configuration file, the TLS certificate and key, the admin token.
// Refusing costs no read: the whole table allocates a few MiB at most.
func TestCheckConfigRefusesUnreadableFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pem")
	if err := os.WriteFile(good, []byte("not read past the other file"), 0o600); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	runs := 0
	for _, f := range configtest.BadFiles(t) {
		for _, args := range [][]string{
			{"--config", f.Path},
			{"--tls-cert", f.Path, "--tls-key", good},
			{"--tls-cert", good, "--tls-key", f.Path},
			{"--admin-token-file", f.Path},
		} {
			runs++
			code, out, errOut := runWithin(t, append([]string{"serve", "--check-config", "--db", "none"}, args...))
			if code != 2 || out != "" || !strings.Contains(errOut, f.Path+": "+f.Reason) {
				t.Errorf("%s %v: exit %d, stdout %q, stderr %q; want 2 and %q", f.Name, args[0], code, out, errOut, f.Reason)
			}
		}
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d refusals allocated %d bytes in all", runs, alloc)
	if alloc > 64<<20 {
		t.Errorf("%d refusals allocated %d bytes: a file was read", runs, alloc)
	}
}

// The admin token file holds a usable token or start is refused, naming
// the file but never its content.
func TestCheckConfigAdminToken(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
		code                int
	}{
		{"good", "0123456789abcdef0123\n", "admin-token-file: " + filepath.Join(dir, "good") + " # from flag", 0},
		{"short", "short-secret\n", "the token has 12 characters, want at least 16", 2},
		{"empty", "\n\n", "the token has 0 characters", 2},
		{"space", "0123456789 abcdef0123", "a space, a control or a non-ASCII character", 2},
		{"utf8", "0123456789abcdéf0123", "a space, a control or a non-ASCII character", 2},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runWithin(t, []string{"serve", "--check-config", "--db", "none", "--admin-token-file", path})
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%s: exit %d, %q %q; want %d and %q", tc.name, code, out, errOut, tc.code, tc.want)
		}
		if secret := strings.TrimSpace(tc.content); secret != "" && strings.Contains(out+errOut, secret) {
			t.Errorf("%s: the token is shown: %q %q", tc.name, out, errOut)
		}
	}
}

// SIGTERM and SIGINT stop a start that waits: here on a database server
// that accepts the connection and never answers. The process exits with
// status 0 and says it was stopped, as a stop of the running service
// does; the test waits for the exit, not for a time.
func TestSignalDuringStartStopsTheProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, exited, errOut := startWaitingOnDatabase(t, bin)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil || !strings.Contains(errOut.String(), "stopped by a signal during start") {
					t.Errorf("after %s: %v, stderr %q; want exit 0 and the stop said", sig, err, errOut.String())
				}
			case <-time.After(30 * time.Second): // a hang, not a speed bound
				cmd.Process.Kill()
				<-exited
				t.Fatalf("%s during start: the process did not exit; stderr %q", sig, errOut.String())
			}
		})
	}
}

// A reload of a configuration file that became a device, a named pipe, a
// directory, a socket or a file over the bound (or a link to one) is
// refused whole with the file named and why; the service keeps its
// configuration and keeps serving.
func TestReloadRefusesUnreadableConfigFile(t *testing.T) {
	f, err := simfleet.Start(context.Background(), simfleet.Options{Nodes: 3, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	addr := freeAddr(t)
	base := "http://" + addr
	file := writeConfig(t, "allow-private-targets: true\nrefresh-interval: 1s\n")
	const token = "startup-test-token-0123456789"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stop := serveInBackground(t, "--config", file, "--listen", addr, "--api-url", f.APIURL(),
		"--db", "none", "--reload-endpoint", "--admin-token-file", tokenFile)
	defer stop()
	waitFor(t, "every node answered", 20*time.Second, func() bool {
		return all(configErrors(base), 3, func(e string) bool { return e == "None" })
	})
	for _, bad := range configtest.BadFiles(t) {
		// The configuration file's path now leads to the bad file.
		link := file + ".new"
		if err := os.Symlink(bad.Path, link); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(link, file); err != nil {
			t.Fatal(err)
		}
		code, body := post(t, base+"/-/reload", token)
		if code != http.StatusBadRequest || !strings.Contains(body, bad.Reason) || !strings.Contains(body, "config file") {
			t.Errorf("%s: reload answered %d %s", bad.Name, code, body)
		}
		if errs := configErrors(base); !all(errs, 3, func(e string) bool { return e == "None" }) {
			t.Errorf("%s: the service stopped serving its nodes: %v", bad.Name, errs)
		}
	}
}

// SIGHUP during the start (systemctl reload right after a start, while
// the store opens) neither ends the process nor is lost: the process
// lives on to stop cleanly on the SIGTERM that follows. Without a handler
// this early, SIGHUP's default action would end it.
func TestReloadSignalDuringStartIsKept(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	cmd, exited, errOut := startWaitingOnDatabase(t, bin)
	// Both pending at once are delivered lowest first: SIGHUP, then SIGTERM.
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil || !strings.Contains(errOut.String(), "stopped by a signal during start") {
			t.Errorf("after SIGHUP and SIGTERM: %v, stderr %q; want exit 0 and the stop said", err, errOut.String())
		}
	case <-time.After(30 * time.Second): // a hang, not a speed bound
		cmd.Process.Kill()
		<-exited
		t.Fatalf("the process did not exit; stderr %q", errOut.String())
	}
}

// startWaitingOnDatabase starts the service on a MySQL "server" that
// accepts its connection and never answers, and returns once it is
// connected: the start is then waiting. exited receives the process's
// end; errOut is its standard error.
func startWaitingOnDatabase(t *testing.T, bin string) (cmd *exec.Cmd, exited chan error, errOut *bytes.Buffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c // held open, never answered
		}
	}()
	errOut = &bytes.Buffer{}
	cmd = exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--log-level", "error",
		"--db", "mysql://u:p@"+ln.Addr().String()+"/nodelist")
	cmd.Stderr = errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited = make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case c := <-accepted:
		t.Cleanup(func() { c.Close() })
	case err := <-exited:
		t.Fatalf("exited before connecting to the database: %v %s", err, errOut.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the service never connected to the database")
	}
	return cmd, exited, errOut
}
