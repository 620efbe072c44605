package config

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	c := Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.RegisterServe(fs)
	c.RegisterUpstream(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := ApplyEnv(fs); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func TestEnvironmentAndFlags(t *testing.T) {
	c, err := parse(t, []string{"--timeout", "3s"}, map[string]string{
		"NODELIST_REFRESH_INTERVAL": "1m", "NODELIST_TIMEOUT": "7s", "NODELIST_ALLOW_PRIVATE_TARGETS": "true",
		"NODELIST_FORBIDDEN_HOSTS": "a.example, b.example",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.RefreshInterval != time.Minute || !c.AllowPrivateTargets {
		t.Errorf("environment not applied: %+v", c)
	}
	if c.Timeout != 3*time.Second {
		t.Errorf("the flag should win over the environment: timeout %s", c.Timeout)
	}
	if strings.Join(c.ForbiddenHosts, "|") != "a.example|b.example" {
		t.Errorf("forbidden hosts %v", c.ForbiddenHosts)
	}
}

func TestValidateSaysEverythingWrong(t *testing.T) {
	_, err := parse(t, []string{"--mode", "sometimes", "--api-url", "ftp://x", "--refresh-interval", "10ms", "--allow-cidr", "10.0.0.0/99"}, nil)
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"--mode", "--api-url", "--refresh-interval", "--allow-cidr"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if _, err := parse(t, nil, map[string]string{"NODELIST_CONCURRENCY": "many"}); err == nil || !strings.Contains(err.Error(), "NODELIST_CONCURRENCY") {
		t.Errorf("bad environment value: %v", err)
	}
}

func TestProbeOptionsGuard(t *testing.T) {
	c := Default()
	c.APIURL = "http://127.0.0.1:9000"
	o := c.ProbeOptions()
	if o.Guard == nil || o.Guard.AllowPrivate {
		t.Error("the guard is off by default")
	}
	if len(o.Trusted) != 1 || o.Trusted[0] != "127.0.0.1:9000" {
		t.Errorf("trusted %v", o.Trusted)
	}
	if o.IdleConnTimeout <= 2*c.RefreshInterval {
		t.Errorf("idle timeout %s is not above two refresh intervals", o.IdleConnTimeout)
	}
	c.AllowPrivateTargets = true
	if o := c.ProbeOptions(); o.Guard != nil && !o.Guard.AllowPrivate {
		t.Error("--allow-private-targets left the guard on")
	}
}

// TestConnBudget: the derived bound leaves the prober's share and the
// reserve out of the open-file limit; --max-conns overrides it.
func TestConnBudget(t *testing.T) {
	c := Default()
	p := c.ProbeOptions()
	want := min(16384, max(64, OpenFileLimit()-p.MaxIdleConns-p.Concurrency-reservedFiles))
	if got := c.ConnBudget(); got != want {
		t.Errorf("derived bound %d with %d files, prober %d+%d; want %d", got, OpenFileLimit(), p.MaxIdleConns, p.Concurrency, want)
	}
	c.MaxConns = 500
	if got := c.ConnBudget(); got != 500 {
		t.Errorf("--max-conns 500: bound %d", got)
	}
	_, err := parse(t, []string{"--max-conns", "-1", "--max-conns-per-client", "-2", "--min-read-rate", "-3"}, nil)
	for _, want := range []string{"--max-conns ", "--max-conns-per-client", "--min-read-rate"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}
