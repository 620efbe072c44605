package config

import (
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func notifyFlags() (*Notify, *flag.FlagSet) {
	n := DefaultNotify()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c Config
	c.RegisterFile(fs)
	n.RegisterNotify(fs)
	return &n, fs
}

// The file's notify: list of mappings becomes subscriptions; notify-url
// is repeatable on the command line and comma-separated elsewhere.
func TestNotifyFromFile(t *testing.T) {
	path := writeFile(t, `
notify-url: [https://a.example.org/hook, https://b.example.org/hook]
notify-after: 3
notify:
  - url: https://hooks.slack.com/services/T/B/X
    format: slack
    owners: [0xAbC]
    events: [down, recovered]
  - url: https://api.telegram.org/botTOKEN/sendMessage
    format: telegram
    chat_id: "-100123"
    hashes: [abc]
`)
	n, fs := notifyFlags()
	if _, err := Parse(fs, []string{"--config", path}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.URLs, " "); got != "https://a.example.org/hook https://b.example.org/hook" {
		t.Fatalf("urls %q", got)
	}
	if n.After != 3 || len(n.Subscriptions) != 2 {
		t.Fatalf("after %d, %d subscriptions", n.After, len(n.Subscriptions))
	}
	s0, s1 := n.Subscriptions[0], n.Subscriptions[1]
	if s0.Format != "slack" || s0.Owners[0] != "0xAbC" || strings.Join(s0.Events, ",") != "down,recovered" ||
		s1.ChatID != "-100123" || s1.Hashes[0] != "abc" || s1.URL != "https://api.telegram.org/botTOKEN/sendMessage" {
		t.Fatalf("subscriptions %+v", n.Subscriptions)
	}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestNotifyFlags(t *testing.T) {
	t.Setenv("NODELIST_NOTIFY_URL", "http://127.0.0.1:1/x,http://127.0.0.1:2/y")
	n, fs := notifyFlags()
	if _, err := Parse(fs, []string{"--notify-url", "http://127.0.0.1:3/z", "--notify-url", "http://127.0.0.1:4/w", "--node-metrics"}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.URLs, " "); got != "http://127.0.0.1:3/z http://127.0.0.1:4/w" || !n.NodeMetrics {
		t.Fatalf("flags: urls %q, node metrics %v; want the flags' (they win over the environment)", got, n.NodeMetrics)
	}
	n, fs = notifyFlags()
	if _, err := Parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.URLs, " "); got != "http://127.0.0.1:1/x http://127.0.0.1:2/y" {
		t.Fatalf("environment: urls %q", got)
	}
}

func TestNotifyRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--notify-retry-for", "5m"}, "at least 10m"},
		{[]string{"--notify-after", "0"}, "want 1 to 1000"},
		{[]string{"--notify", `[{"url":"http://x","colour":"red"}]`}, "unknown field"},
		{[]string{"--notify", `[{"format":"slack"}]`}, "has no url"},
	} {
		n, fs := notifyFlags()
		_, err := Parse(fs, tc.args)
		if err == nil {
			err = n.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	n, _ := notifyFlags()
	if n.RetryFor != time.Hour || n.After != 2 || n.Enabled() {
		t.Fatalf("defaults %+v", n)
	}
}

// A changed notify-url needs a restart: the reload keeps the URLs in
// force as they were (not appended to), and shows none of them.
func TestNotifyReloadNeedsRestart(t *testing.T) {
	path := writeFile(t, "notify-url: [https://a.example.org/secret-a]\n")
	load := func() (*Notify, *flag.FlagSet, error) {
		n, fs := notifyFlags()
		_, err := Parse(fs, []string{"--config", path})
		return n, fs, err
	}
	_, fs, err := load()
	if err != nil {
		t.Fatal(err)
	}
	var kept *flag.FlagSet
	r := NewReloader(fs, func() (*Notify, *flag.FlagSet, error) {
		n, fs, err := load()
		kept = fs
		return n, fs, err
	}, func(*Notify) {}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	rewrite(t, path, "notify-url: [https://b.example.org/secret-b]\n")
	for range 2 {
		rep, err := r.Reload()
		if err != nil || len(rep.NeedsRestart) != 1 || rep.NeedsRestart[0].Flag != "notify-url" {
			t.Fatalf("report %+v, %v", rep, err)
		}
		if c := rep.NeedsRestart[0]; strings.Contains(c.Old+c.New, "example.org") {
			t.Fatalf("the report shows a webhook URL: %+v", c)
		}
		if got := kept.Lookup("notify-url").Value.String(); got != "https://a.example.org/secret-a" {
			t.Fatalf("in force after the reload: %q", got)
		}
	}
}

// Every mistake of a notify: list is named at its own line and column,
// with the key or value it probably meant, beside the file's other
// mistakes; the list in force stays as it was.
func TestNotifyFileMistakesHaveTheirLines(t *testing.T) {
	path := writeFile(t, `notify:
  - url: https://a.example.org/hook
    ownrs: [0xAbC]
    events: [down, sideways, recoverd]
    format: teams
  - format: telegram
  - url: https://b.example.org/hook
    url: https://c.example.org/hook
    owners: {a: b}
  - just a string
notify-aftr: 3
`)
	n, fs := notifyFlags()
	before := n.Subscriptions
	_, err := Parse(fs, []string{"--config", path})
	want := []string{
		`:3:5: notify: unknown key "ownrs" in a subscription (want url, owners, hashes, events, format, chat_id); did you mean owners?`,
		`:4:20: notify: event "sideways": want one of down, recovered, behind, inactive, active, probe_outage, probe_restored`,
		`:4:30: notify: event "recoverd": want one of down, recovered, behind, inactive, active, probe_outage, probe_restored; did you mean recovered?`,
		`:5:13: notify: format "teams": want one of json, slack, discord, telegram`,
		`:6:5: notify: this subscription has no url`,
		`:6:5: notify: format telegram needs chat_id`,
		`:8:5: notify: key "url" is set twice in one subscription`,
		`:9:13: notify: owners: want a list of values`,
		`:10:5: notify: want a subscription, a mapping with url (and owners, hashes, events, format, chat_id)`,
		`:11:1: unknown key "notify-aftr"; did you mean notify-after?`,
	}
	if err == nil {
		t.Fatal("no mistake named")
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d mistakes named, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		if got[i] != "config file "+path+w {
			t.Errorf("mistake %d:\n got %s\nwant config file %s%s", i+1, got[i], path, w)
		}
	}
	if len(n.Subscriptions) != len(before) {
		t.Errorf("a refused list was applied: %+v", n.Subscriptions)
	}

	// One value where a list is expected is a list of one; owners stay
	// as written (0x12 is no number).
	n, fs = notifyFlags()
	if _, err := Parse(fs, []string{"--config", writeFile(t, "notify:\n  - url: https://a.example.org/\n    owners: 0x12\n    events: down\n")}); err != nil {
		t.Fatal(err)
	}
	if s := n.Subscriptions; len(s) != 1 || len(s[0].Owners) != 1 || s[0].Owners[0] != "0x12" || len(s[0].Events) != 1 || s[0].Events[0] != "down" {
		t.Fatalf("subscriptions %+v", n.Subscriptions)
	}
}
