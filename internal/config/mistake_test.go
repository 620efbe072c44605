package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// A file with several mistakes of every kind gets one report naming each
// at its line (and column where YAML gives one), keys as the file
// writes them, in the file's order.
func TestFileMistakesAllInOneReport(t *testing.T) {
	path := writeFile(t, `# four mistakes and a fifth the validation finds
--listen: 0.0.0.0:8080
refresh-intervall: 1m
mode: background: x
timeout: 30
log-level: loud
max-body: 4096
`)
	c, _, fs := serveFlags()
	src, err := Parse(fs, []string{"--config", path})
	if err == nil || src == nil {
		t.Fatalf("Parse: %v, sources %v; want the mistakes and the sources read", err, src)
	}
	if c.MaxBody != 4096 || c.LogLevel != "loud" {
		t.Errorf("the good keys were not read past the mistakes: max-body %d, log-level %q", c.MaxBody, c.LogLevel)
	}
	report := Collect(src, err, c.Validate())
	want := []string{
		path + `:2:1: unknown key "--listen"; did you mean listen? (keys are flag names without the dashes in front)`,
		path + `:3:1: unknown key "refresh-intervall"; did you mean refresh-interval?`,
		path + `:4: YAML syntax: mapping values are not allowed in this context`,
		path + `:5:10: timeout: "30" has no unit: use 30s`,
		path + `:6:12: log-level "loud": want debug, info, warn or error`,
	}
	lines := strings.Split(report.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d mistakes named, want %d:\n%v", len(lines), len(want), report)
	}
	for i, w := range want {
		if lines[i] != "config file "+w {
			t.Errorf("mistake %d:\n got %s\nwant config file %s", i+1, lines[i], w)
		}
	}
}

// The YAML parser stops at a syntax error; the reader names it and reads
// on past it, a bounded number of times.
func TestSyntaxErrorsDoNotHideTheRest(t *testing.T) {
	var b strings.Builder
	for i := range maxSyntaxErrors + 5 {
		fmt.Fprintf(&b, "timeout: 1s: %d\n", i)
	}
	b.WriteString("nosuch: 1\n")
	_, _, fs := serveFlags()
	_, err := Parse(fs, []string{"--config", writeFile(t, b.String())})
	if got := strings.Count(err.Error(), "YAML syntax"); got != maxSyntaxErrors {
		t.Errorf("%d syntax errors named, want the bound %d:\n%v", got, maxSyntaxErrors, err)
	}
	if !strings.HasSuffix(err.Error(), "only the first 10 are named") {
		t.Errorf("the bound is not said: %v", err)
	}
	_, _, fs = serveFlags()
	_, err = Parse(fs, []string{"--config", writeFile(t, "timeout: 1s: x\nnosuch: 1\nmode: on-demand\n")})
	if err == nil || !strings.Contains(err.Error(), ":1: YAML syntax") || !strings.Contains(err.Error(), `:2:1: unknown key "nosuch"`) {
		t.Errorf("want the syntax error and the unknown key: %v", err)
	}
}

func TestSuggestions(t *testing.T) {
	_, _, fs := serveFlags()
	for _, tc := range []struct{ key, want string }{
		{"refresh-intervall", "; did you mean refresh-interval?"},
		{"refersh-interval", "; did you mean refresh-interval?"}, // a transposition is one edit
		{"--listen", "; did you mean listen? (keys are flag names without the dashes in front)"},
		{"NODELIST_LOG_LEVEL", "; did you mean log-level? (keys are flag names, words joined by dashes)"},
		{"lsten", "; did you mean listen?"},
		{"colour", ""},
		{"config-file", ""},
		{"check_config", ""}, // not for the file
	} {
		if got := suggestKey(fs, tc.key); got != tc.want {
			t.Errorf("key %q: %q, want %q", tc.key, got, tc.want)
		}
	}
	for _, tc := range []struct{ args, want string }{
		{"--lsten x", "unknown flag --lsten; did you mean --listen?"},
		{"-refresh_interval 1m", "unknown flag --refresh_interval; did you mean --refresh-interval?"},
		{"--tiemout 1s", "unknown flag --tiemout; did you mean --timeout?"},
		{"--frobnicate", "unknown flag --frobnicate"},
	} {
		_, _, fs := serveFlags()
		_, err := Parse(fs, strings.Fields(tc.args))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %s", tc.args, err, tc.want)
		}
	}
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "abc", 3}, {"abc", "abc", 0}, {"ab", "ba", 1}, {"kitten", "sitting", 3}, {"ca", "abc", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}

// subscriptions is a list-valued key as a FileValue: each item a mapping
// with a url and events.
type subscriptions struct{ urls []string }

func (s *subscriptions) String() string { return strings.Join(s.urls, ",") }
func (s *subscriptions) MarshalYAML() (any, error) {
	out := make([]map[string]any, len(s.urls))
	for i, u := range s.urls {
		out[i] = map[string]any{"url": u, "events": []string{"down"}}
	}
	return out, nil
}
func (s *subscriptions) Set(v string) error { s.urls = strings.Split(v, ","); return nil }
func (s *subscriptions) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return errors.New("want a list of subscriptions")
	}
	var errs []error
	var urls []string
	for _, item := range n.Content {
		var sub struct {
			URL    string   `yaml:"url"`
			Events []string `yaml:"events"`
		}
		if err := item.Decode(&sub); err != nil {
			errs = append(errs, NodeError(item, "%v", err))
			continue
		}
		if sub.URL == "" {
			errs = append(errs, NodeError(item, "a subscription without a url"))
		}
		for i, e := range sub.Events {
			if e != "down" && e != "up" {
				errs = append(errs, NodeError(item.Content[3].Content[i], "event %q: want down or up", e))
			}
		}
		urls = append(urls, sub.URL)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.urls = urls
	return nil
}

// A key whose value implements FileValue gets its node, and its mistakes
// are named at their own lines among the file's other mistakes.
func TestFileValueMistakesHaveTheirLines(t *testing.T) {
	_, _, fs := serveFlags()
	subs := &subscriptions{}
	fs.Var(subs, "notify", "subscriptions")
	path := writeFile(t, `notify:
  - url: https://a.example/hook
    events: [down]
  - events: [up]
  - url: https://b.example/hook
    events: [down, sideways]
nosuch: 1
`)
	_, err := Parse(fs, []string{"--config", path})
	want := []string{
		path + `:4:5: notify: a subscription without a url`,
		path + `:6:20: notify: event "sideways": want down or up`,
		path + `:7:1: unknown key "nosuch"`,
	}
	if err == nil || err.Error() != "config file "+strings.Join(want, "\nconfig file ") {
		t.Fatalf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	_, _, fs = serveFlags()
	subs = &subscriptions{}
	fs.Var(subs, "notify", "subscriptions")
	src, err := Parse(fs, []string{"--config", writeFile(t, "notify: [{url: https://a.example/, events: [up]}]\n")})
	if err != nil || subs.String() != "https://a.example/" || !strings.HasSuffix(src["notify"], ":1:9") {
		t.Errorf("good list: %v, %q from %q", err, subs, src["notify"])
	}
	_, _, fs = serveFlags()
	fs.Var(&subscriptions{}, "notify", "subscriptions")
	if _, err = Parse(fs, []string{"--config", writeFile(t, "notify: nope\n")}); err == nil || !strings.Contains(err.Error(), ":1:9: notify: want a list of subscriptions") {
		t.Errorf("a mistake without a place is at the value: %v", err)
	}
}

// A part's error about a flag is placed at the file's value only when the
// file set it.
func TestCollectPlacesOnlyFileValues(t *testing.T) {
	src := Sources{"mode": "file /etc/n.yaml:3:7", "timeout": "flag"}
	err := Collect(src, errors.Join(errors.New("--timeout 1h: want 10ms to 5m"), errors.New(`--mode "x": want background or on-demand`)), nil)
	want := "config file /etc/n.yaml:3:7: mode \"x\": want background or on-demand\n--timeout 1h: want 10ms to 5m"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	if Collect(src, nil, nil) != nil {
		t.Error("no mistakes made a report")
	}
}

// A syntax error is named at its own line, whichever part of the YAML
// parser finds it and however it counts.
func TestSyntaxErrorLines(t *testing.T) {
	for body, line := range map[string]int{
		"timeout: 1: x\nmode: on-demand\n":               1, // no line in the parser's message
		"timeout: 1s\nmode: a: b\n":                      2, // the scanner counts from 1
		"timeout: 1s\n- b\nmode: on-demand\n":            2, // the parser from 0
		"timeout: 1s\nallow-cidr: [1\nmode: on-demand\n": 2,
		"timeout: 1s\nmode: &x a\nlisten: *y\n":          3, // no line at all
		"timeout: 1s\nmode: \"on-demand\nlisten: x\n":    2,
	} {
		_, _, fs := serveFlags()
		_, err := Parse(fs, []string{"--config", writeFile(t, body)})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf(".yaml:%d: YAML syntax", line)) {
			t.Errorf("%q: %v, want line %d", body, err, line)
		}
	}
}

// --check-config writes a FileValue that marshals itself in the form the
// file takes back.
func TestDescribeFileValueReadsBack(t *testing.T) {
	_, _, fs := serveFlags()
	subs := &subscriptions{}
	fs.Var(subs, "notify", "subscriptions")
	src, err := Parse(fs, []string{"--config", writeFile(t, "notify:\n  - {url: https://a.example/, events: [down]}\n  - {url: https://b.example/, events: [down]}\n")})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Describe(&b, fs, src); err != nil {
		t.Fatal(err)
	}
	_, _, fs = serveFlags()
	back := &subscriptions{}
	fs.Var(back, "notify", "subscriptions")
	if _, err := Parse(fs, []string{"--config", writeFile(t, b.String())}); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if back.String() != "https://a.example/,https://b.example/" {
		t.Errorf("read back %q from\n%s", back, b.String())
	}
}
