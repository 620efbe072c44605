package config

import (
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// reloader reads serve's flags with args and the file at path, as the
// service does at start and on each reload.
func reloader(t *testing.T, path string, applied *[]*Config) (*Reloader[*Config], *Config) {
	t.Helper()
	load := func() (*Config, *flag.FlagSet, error) {
		c, _, fs := serveFlags()
		_, err := Parse(fs, []string{"--config", path, "--concurrency", "7"})
		if err == nil {
			err = c.Validate()
		}
		return c, fs, err
	}
	first, fs, err := load()
	if err != nil {
		t.Fatal(err)
	}
	apply := func(c *Config) { *applied = append(*applied, c) }
	return NewReloader(fs, load, apply, slog.New(slog.NewTextHandler(io.Discard, nil))), first
}

func rewrite(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReloadAppliesWhatItCanAndKeepsTheRest(t *testing.T) {
	path := writeFile(t, "log-level: info\nlisten: 127.0.0.1:8080\nforbidden-hosts: [a.example]\n")
	var applied []*Config
	r, first := reloader(t, path, &applied)
	if first.LogLevel != "info" {
		t.Fatalf("log level %s", first.LogLevel)
	}

	rep, err := r.Reload()
	if err != nil || len(rep.Applied)+len(rep.NeedsRestart) != 0 || len(applied) != 0 {
		t.Fatalf("an unchanged file: %+v, %v, %d applied", rep, err, len(applied))
	}

	rewrite(t, path, "log-level: debug\nlisten: 127.0.0.1:9090\nforbidden-hosts: [a.example, b.example]\nconcurrency: 99\n")
	rep, err = r.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if got := flagNames(rep.Applied); strings.Join(got, ",") != "forbidden-hosts,log-level" {
		t.Errorf("applied %v", got)
	}
	if len(rep.NeedsRestart) != 1 || rep.NeedsRestart[0] != (Change{"listen", "127.0.0.1:8080", "127.0.0.1:9090"}) {
		t.Errorf("needs restart %+v", rep.NeedsRestart)
	}
	if len(applied) != 1 {
		t.Fatalf("applied %d times", len(applied))
	}
	c := applied[0]
	if c.LogLevel != "debug" || len(c.ForbiddenHosts) != 2 {
		t.Errorf("applied %s, %v", c.LogLevel, c.ForbiddenHosts)
	}
	if c.Listen != "127.0.0.1:8080" {
		t.Errorf("the listen address in force became %s before a restart", c.Listen)
	}
	if c.Concurrency != 7 {
		t.Errorf("concurrency %d: the command line still wins over the file", c.Concurrency)
	}

	// Still different from what runs: said again, nothing applied again.
	rep, err = r.Reload()
	if err != nil || len(rep.Applied) != 0 || len(rep.NeedsRestart) != 1 || len(applied) != 1 {
		t.Errorf("second reload: %+v, %v, %d applied", rep, err, len(applied))
	}
}

func TestReloadRefusesABadFileWhole(t *testing.T) {
	path := writeFile(t, "log-level: info\n")
	var applied []*Config
	r, _ := reloader(t, path, &applied)
	for _, body := range []string{
		"log-level: debug\nrefresh-interval: 30\n",      // one bad value among good ones
		"log-level: debug\nrefresh-intervall: 30s\n",    // an unknown key
		"log-level: loud\n",                             // fails validation
		"log-level: debug\nforbidden-hosts: {a: b}\n\n", // a mapping
	} {
		rewrite(t, path, body)
		if _, err := r.Reload(); err == nil {
			t.Errorf("%q was accepted", body)
		}
	}
	if len(applied) != 0 {
		t.Errorf("a refused file was applied %d times", len(applied))
	}
	rewrite(t, path, "log-level: warn\n")
	if rep, err := r.Reload(); err != nil || len(rep.Applied) != 1 || rep.Applied[0].Old != "info" {
		t.Errorf("after refusals: %+v, %v", rep, err)
	}
}

func TestReloadHidesTheDatabasePassword(t *testing.T) {
	if got := shown("db", "mysql://u:secret@h:3306/d"); strings.Contains(got, "secret") {
		t.Errorf("shown %s", got)
	}
}
