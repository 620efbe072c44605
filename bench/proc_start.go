package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is a process the bench started; stop ends it.
type child struct {
	cmd  *exec.Cmd
	name string
	done chan struct{}
}

// startChild runs name with args; when prefix is set it waits for the
// first stdout line starting with prefix and returns the rest of it.
// Stderr goes to logFile; env is added to the bench's environment.
func startChild(ctx context.Context, name string, logFile string, prefix string, env []string, bin string, args ...string) (*child, string, error) {
	firstLine := prefix != ""
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.Create(logFile)
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = logf
	var stdout io.ReadCloser
	if firstLine {
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, "", err
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{cmd: cmd, name: name, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(c.done) }()
	if !firstLine {
		return c, "", nil
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
				lines <- strings.TrimSpace(rest)
				break
			}
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l, ok := <-lines:
		if !ok {
			c.stop()
			return nil, "", fmt.Errorf("%s exited before printing its address; see %s", name, logFile)
		}
		return c, l, nil
	case <-time.After(2 * time.Minute):
	case <-ctx.Done():
	}
	c.stop()
	return nil, "", fmt.Errorf("%s did not start; see %s", name, logFile)
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the process to end, and kills it after a grace period.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}
