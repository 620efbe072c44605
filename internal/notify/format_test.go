package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

const (
	hashA  = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	hashB  = "0000000000000000000000000000000000000000000000000000000000000bbb"
	ownerA = "0xAbC0000000000000000000000000000000000001"
	ownerB = "0x0000000000000000000000000000000000000002"
)

// roundEvents are a round's events of every kind, two nodes and the
// service.
func roundEvents() []Event {
	at := t0.Add(time.Hour)
	a := Event{Hash: hashA, Name: "crn-a", Owner: ownerA, Address: "https://crn-a.example.org", At: at}
	b := Event{Hash: hashB, Name: "crn-b", Owner: ownerB, Address: "https://crn-b.example.org", At: at}
	var out []Event
	add := func(e Event, k Kind, since time.Time, err string) {
		e.Kind, e.Since, e.Error, e.ID = k, since, err, fmt.Sprintf("ev-%d", len(out)+1)
		out = append(out, e)
	}
	add(a, Down, at.Add(-time.Minute), "timeout: no answer in 10s")
	add(b, Recovered, at, "")
	add(a, Behind, at, "")
	add(b, Inactive, at, "")
	add(b, Active, at, "")
	add(Event{At: at}, ProbeOutage, at, "probe: 9 of 10 nodes failed")
	add(Event{At: at}, ProbeRestored, at, "")
	return out
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/notify -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}

func ids() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("msg-%d", n) }
}

// The bodies of each format, for a round of every kind, and for a round
// with more events than a chat message lists.
func TestFormatGolden(t *testing.T) {
	many := slices.Clone(roundEvents()[:1])
	for i := range 30 {
		e := many[0]
		e.Name, e.ID = fmt.Sprintf("crn-%02d", i), fmt.Sprintf("ev-%d", i)
		many = append(many, e)
	}
	for _, f := range []Format{JSON, Slack, Discord, Telegram} {
		s := Subscription{URL: "https://hooks.example.org/x", Format: f, ChatID: "-100123"}
		var buf bytes.Buffer
		for _, m := range s.Messages(roundEvents(), ids()) {
			fmt.Fprintf(&buf, "%s %s\n", m.ID, m.Body)
		}
		golden(t, string(f)+".golden", buf.Bytes())
		if f == JSON {
			continue
		}
		msgs := s.Messages(many, ids())
		if len(msgs) != 1 {
			t.Fatalf("%s: %d messages for one round, want 1", f, len(msgs))
		}
		var body map[string]string
		if err := json.Unmarshal(msgs[0].Body, &body); err != nil {
			t.Fatal(err)
		}
		text := body["text"] + body["content"]
		if lines := strings.Split(text, "\n"); len(lines) != MaxLines || lines[MaxLines-1] != "… and 12 more" {
			t.Fatalf("%s: %d lines, the last %q; want %d, the last saying 12 more", f, len(lines), lines[len(lines)-1], MaxLines)
		}
		golden(t, string(f)+"-many.golden", append(msgs[0].Body, '\n'))
	}
}

func TestFilters(t *testing.T) {
	evs := roundEvents()
	kinds := func(s Subscription) []string {
		var out []string
		for _, m := range s.Messages(evs, ids()) {
			var b struct {
				Event, Hash string
			}
			if err := json.Unmarshal(m.Body, &b); err != nil {
				t.Fatal(err)
			}
			out = append(out, b.Event+"/"+b.Hash[:min(len(b.Hash), 3)])
		}
		return out
	}
	for _, tc := range []struct {
		name string
		sub  Subscription
		want []string
	}{
		{"all", Subscription{}, []string{"down/a1b", "recovered/000", "behind/a1b", "inactive/000", "active/000", "probe_outage/", "probe_restored/"}},
		{"owner, any case", Subscription{Owners: []string{strings.ToLower(ownerA)}}, []string{"down/a1b", "behind/a1b", "probe_outage/", "probe_restored/"}},
		{"hash", Subscription{Hashes: []string{hashB}}, []string{"recovered/000", "inactive/000", "active/000", "probe_outage/", "probe_restored/"}},
		{"events", Subscription{Events: []Kind{Down, Recovered}}, []string{"down/a1b", "recovered/000"}},
		{"owner and events", Subscription{Owners: []string{ownerB}, Events: []Kind{Down, Inactive}}, []string{"inactive/000"}},
		{"nothing", Subscription{Hashes: []string{"f00"}, Events: []Kind{Down}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := kinds(tc.sub); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		sub Subscription
		ok  bool
	}{
		{Subscription{URL: "https://h.example.org/x"}, true},
		{Subscription{URL: "http://127.0.0.1:9/x", Format: Slack, Events: []Kind{Down}}, true},
		{Subscription{URL: "ftp://h/x"}, false},
		{Subscription{URL: "https://h/x", Format: "teams"}, false},
		{Subscription{URL: "https://h/x", Format: Telegram}, false},
		{Subscription{URL: "https://h/x", Format: Telegram, ChatID: "1"}, true},
		{Subscription{URL: "https://h/x", Events: []Kind{"exploded"}}, false},
	} {
		if err := tc.sub.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v, want ok %v", tc.sub, err, tc.ok)
		}
	}
}
