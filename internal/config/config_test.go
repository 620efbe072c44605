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

func TestBadEnvironmentValueIsNamed(t *testing.T) {
	if _, err := parse(t, nil, map[string]string{"NODELIST_CONCURRENCY": "many"}); err == nil || !strings.Contains(err.Error(), "NODELIST_CONCURRENCY") {
		t.Errorf("bad environment value: %v", err)
	}
}

// The connection bounds are checked with the rest of the configuration;
// the derived bound itself is the server's (listen.ConnBudget).
func TestConnFlagsValidated(t *testing.T) {
	_, err := parse(t, []string{"--max-conns", "-1", "--max-conns-per-client", "-2", "--min-read-rate", "-3"}, nil)
	for _, want := range []string{"--max-conns ", "--max-conns-per-client", "--min-read-rate"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}
