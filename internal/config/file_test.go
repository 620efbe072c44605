package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveFlags is serve's flag set over a fresh configuration.
func serveFlags() (*Config, *History, *flag.FlagSet) {
	c, h := Default(), DefaultHistory()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.RegisterServe(fs)
	c.RegisterUpstream(fs)
	c.RegisterReload(fs)
	h.RegisterHistory(fs)
	fs.Bool(CheckFlag, false, "check and exit")
	return &c, &h, fs
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nodelist.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A flag wins over the environment, which wins over the file, which wins
// over the default; and each value says where it came from.
func TestPrecedenceFlagEnvFileDefault(t *testing.T) {
	path := writeFile(t, `
timeout: 4s
refresh-interval: 2m
mode: on-demand
forbidden-hosts: [a.example, b.example]
retention-raw: 72h
`)
	t.Setenv("NODELIST_TIMEOUT", "5s")
	t.Setenv("NODELIST_REFRESH_INTERVAL", "45s")
	t.Setenv("NODELIST_CONFIG", path)
	c, h, fs := serveFlags()
	src, err := Parse(fs, []string{"--timeout", "6s"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flag, got, want, src string
	}{
		{"timeout", c.Timeout.String(), "6s", "flag"},
		{"refresh-interval", c.RefreshInterval.String(), "45s", "env NODELIST_REFRESH_INTERVAL"},
		{"mode", c.Mode, "on-demand", "file " + path + ":4:7"},
		{"forbidden-hosts", strings.Join(c.ForbiddenHosts, "|"), "a.example|b.example", "file " + path + ":5:18"},
		{"retention-raw", h.RetentionRaw.String(), "72h0m0s", "file " + path + ":6:16"},
		{"max-body", "", "", ""},
		{"config", c.File, path, "env NODELIST_CONFIG"},
	} {
		if tc.got != tc.want || src[tc.flag] != tc.src {
			t.Errorf("%s = %q from %q, want %q from %q", tc.flag, tc.got, src[tc.flag], tc.want, tc.src)
		}
	}
	if c.MaxBody != Default().MaxBody {
		t.Errorf("max-body %d, want the default", c.MaxBody)
	}
}

func TestFileMistakesAreNamedWithTheirLine(t *testing.T) {
	path := writeFile(t, `refresh-intervall: 30s
refresh_interval: 30s
timeout:
forbidden-hosts: {a: b}
mode: background
mode: on-demand
config: other.yaml
check-config: true
`)
	_, _, fs := serveFlags()
	_, err := Parse(fs, []string{"--config", path})
	if err == nil {
		t.Fatal("a file full of mistakes was accepted")
	}
	for _, want := range []string{
		`:1:1: unknown key "refresh-intervall"; did you mean refresh-interval?`,
		`:2:1: unknown key "refresh_interval"; did you mean refresh-interval? (keys are flag names, words joined by dashes)`,
		`:3:9: timeout: no value`,
		`:4:18: forbidden-hosts: want a value or a list of values, not a mapping`,
		`:6:1: key "mode" is set twice`,
		`:7:1: "config" is set on the command line only`,
		`:8:1: "check-config" is set on the command line only`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestFileThatIsNoMappingOrMissing(t *testing.T) {
	for body, want := range map[string]string{
		"- a\n- b\n":           "want a mapping of flag names",
		"timeout: [1s\n":       "config file",
		"timeout: 1s\n\t- x\n": "config file",
	} {
		_, _, fs := serveFlags()
		if _, err := Parse(fs, []string{"--config", writeFile(t, body)}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
	_, _, fs := serveFlags()
	if _, err := Parse(fs, []string{"--config", filepath.Join(t.TempDir(), "missing.yaml")}); err == nil {
		t.Error("a missing file was accepted")
	}
	c, _, fs := serveFlags()
	if _, err := Parse(fs, []string{"--config", writeFile(t, "# nothing set\n")}); err != nil || c.Timeout != 10*time.Second {
		t.Errorf("an empty file: %v, timeout %s", err, c.Timeout)
	}
}

// A number without a unit is the commonest mistake in a duration: the
// refusal says what to write, wherever the value came from.
func TestDurationWithoutUnitGetsAHint(t *testing.T) {
	_, _, fs := serveFlags()
	if _, err := Parse(fs, []string{"--refresh-interval", "30"}); err == nil || !strings.Contains(err.Error(), `"30" has no unit: use 30s`) {
		t.Errorf("flag: %v", err)
	}
	t.Setenv("NODELIST_TIMEOUT", "2.5")
	_, _, fs = serveFlags()
	if _, err := Parse(fs, nil); err == nil || !strings.Contains(err.Error(), `NODELIST_TIMEOUT="2.5": "2.5" has no unit: use 2.5s`) {
		t.Errorf("env: %v", err)
	}
	os.Unsetenv("NODELIST_TIMEOUT")
	_, _, fs = serveFlags()
	_, err := Parse(fs, []string{"--config", writeFile(t, "retention-raw: 48\n")})
	if err == nil || !strings.Contains(err.Error(), `retention-raw: "48" has no unit: use 48s`) {
		t.Errorf("file: %v", err)
	}
	_, _, fs = serveFlags()
	if _, err := Parse(fs, []string{"--timeout", "soon"}); err == nil || !strings.Contains(err.Error(), "like 30s, 1m or 1h30m") {
		t.Errorf("not a number: %v", err)
	}
}

// --check-config says what to do once; neither the environment nor a file
// can turn every start into a check.
func TestCheckConfigOnlyOnTheCommandLine(t *testing.T) {
	t.Setenv("NODELIST_CHECK_CONFIG", "true")
	_, _, fs := serveFlags()
	if _, err := Parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	if v := fs.Lookup(CheckFlag).Value.String(); v != "false" {
		t.Errorf("check-config %s from the environment", v)
	}
}

func TestPrintFlagsNamesTypesDefaultsAndEnv(t *testing.T) {
	_, _, fs := serveFlags()
	var b strings.Builder
	PrintFlags(&b, fs)
	for _, want := range []string{
		"--refresh-interval duration\n", "(default 30s) [NODELIST_REFRESH_INTERVAL]",
		"--forbidden-hosts list\n", "--allow-private-targets\n", "--check-config\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "NODELIST_CHECK_CONFIG") {
		t.Error("help offers NODELIST_CHECK_CONFIG, which is not read")
	}
}

// What --check-config prints is a file the service reads back to the
// same settings.
func TestDescribeReadsBack(t *testing.T) {
	t.Setenv("NODELIST_MODE", "on-demand")
	c, _, fs := serveFlags()
	src, err := Parse(fs, []string{"--forbidden-hosts", "a.example,b.example", "--api-url", "http://x.example:8000/#frag", "--timeout", "3s"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Describe(&b, fs, src); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "mode: on-demand # from env NODELIST_MODE") {
		t.Errorf("sources not shown:\n%s", b.String())
	}
	back, _, fs := serveFlags()
	if _, err := Parse(fs, []string{"--config", writeFile(t, b.String())}); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if back.Mode != c.Mode || back.APIURL != c.APIURL || back.Timeout != c.Timeout || strings.Join(back.ForbiddenHosts, ",") != "a.example,b.example" {
		t.Errorf("read back %+v\nfrom\n%s", back, b.String())
	}
}

func TestParseArgsAroundFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		rest string
	}{
		{[]string{"http://a", "--timeout", "3s"}, "http://a"},
		{[]string{"--timeout", "3s", "http://a"}, "http://a"},
		{[]string{"http://a", "--timeout", "3s", "http://b"}, "http://a|http://b"},
		{[]string{"--timeout", "3s", "--", "--not-a-flag"}, "--not-a-flag"},
	} {
		c, _, fs := serveFlags()
		_, rest, err := ParseArgs(fs, tc.args)
		if err != nil || strings.Join(rest, "|") != tc.rest || c.Timeout != 3*time.Second {
			t.Errorf("%v: %v %v, timeout %s", tc.args, rest, err, c.Timeout)
		}
	}
	_, _, fs := serveFlags()
	if _, err := Parse(fs, []string{"--timeout", "3s", "extra"}); err == nil || !strings.Contains(err.Error(), `unexpected argument "extra"`) {
		t.Errorf("Parse took an argument: %v", err)
	}
}

// --check-config lists what differs from the defaults: a setting given
// its default value, wherever from, is not one of them.
func TestDescribeListsOnlyWhatDiffers(t *testing.T) {
	t.Setenv("NODELIST_LOG_LEVEL", "info")
	_, _, fs := serveFlags()
	path := writeFile(t, "refresh-interval: 30s\nforbidden-hosts: [amazon.com, apple.com, facebook.com, google.com, google.es, microsoft.com, openai.com, twitter.com, x.com, youtube.com]\ntimeout: 3s\n")
	src, err := Parse(fs, []string{"--config", path, "--mode", "background", "--max-body", "2048"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Describe(&b, fs, src); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{"timeout: 3s # from file " + path, "max-body: 2048 # from flag"} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	if lines := strings.Count(got, "\n"); lines != 2 {
		t.Errorf("%d lines, want the 2 settings that differ:\n%s", lines, got)
	}
	_, _, fs = serveFlags()
	src, err = Parse(fs, []string{"--mode", "background"})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := Describe(&b, fs, src); err != nil || b.String() != "# every setting at its default\n" {
		t.Errorf("%v %q", err, b.String())
	}
}
