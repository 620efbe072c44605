package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Format is how a subscription's messages are written.
type Format string

// The formats: JSON, one body per event (the default); or a chat's
// incoming webhook, one message per round.
const (
	JSON     Format = "json"
	Slack    Format = "slack"
	Discord  Format = "discord"
	Telegram Format = "telegram"
)

// MaxLines is the most lines of one chat message: past it, the last line
// says how many more events the round had.
const MaxLines = 20

// Subscription is one receiver and what it wants.
type Subscription struct {
	URL string `json:"url" yaml:"url"`
	// Owners and Hashes, when set, keep the events of those nodes only
	// (owners compared without case); the service's own events pass.
	Owners []string `json:"owners,omitempty" yaml:"owners"`
	Hashes []string `json:"hashes,omitempty" yaml:"hashes"`
	Events []Kind   `json:"events,omitempty" yaml:"events"` // when set, these kinds only
	Format Format   `json:"format,omitempty" yaml:"format"`
	ChatID string   `json:"chat_id,omitempty" yaml:"chat_id"` // telegram's
}

// Validate checks a subscription.
func (s Subscription) Validate() error {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("notify url %q: want an http(s) URL", s.URL)
	}
	switch s.Format {
	case "", JSON, Slack, Discord:
	case Telegram:
		if s.ChatID == "" {
			return fmt.Errorf("notify url %s: format telegram needs chat_id", s.URL)
		}
	default:
		return fmt.Errorf("notify url %s: format %q: want json, slack, discord or telegram", s.URL, s.Format)
	}
	var errs []error
	for _, k := range s.Events {
		if !slices.Contains(Kinds, k) {
			errs = append(errs, fmt.Errorf("notify url %s: event %q: want one of %v", s.URL, k, Kinds))
		}
	}
	return errors.Join(errs...)
}

// Match reports whether s wants e.
func (s Subscription) Match(e *Event) bool {
	if len(s.Events) > 0 && !slices.Contains(s.Events, e.Kind) {
		return false
	}
	if e.Hash == "" {
		return true // the service's own: it explains the silence
	}
	if len(s.Hashes) > 0 && !slices.Contains(s.Hashes, e.Hash) {
		return false
	}
	if len(s.Owners) > 0 && !slices.ContainsFunc(s.Owners, func(o string) bool { return strings.EqualFold(o, e.Owner) }) {
		return false
	}
	return true
}

// Message is one body to POST to a subscription's URL.
type Message struct {
	ID   string
	Body []byte
}

// Messages writes a round's events for s: in JSON one message per event
// (its id the event's), in a chat format one message for them all (its
// id from newID). Events s does not want are left out.
func (s Subscription) Messages(events []Event, newID func() string) []Message {
	var mine []Event
	for i := range events {
		if s.Match(&events[i]) {
			mine = append(mine, events[i])
		}
	}
	if len(mine) == 0 {
		return nil
	}
	if s.Format == "" || s.Format == JSON {
		out := make([]Message, 0, len(mine))
		for i := range mine {
			out = append(out, Message{ID: mine[i].ID, Body: BodyJSON(&mine[i])})
		}
		return out
	}
	text := ChatText(mine)
	var body any
	switch s.Format {
	case Slack:
		body = struct {
			Text string `json:"text"`
		}{text}
	case Discord:
		body = struct {
			Content string `json:"content"`
		}{clip(text, 2000)}
	case Telegram:
		body = struct {
			ChatID string `json:"chat_id"`
			Text   string `json:"text"`
		}{s.ChatID, clip(text, 4096)}
	}
	b, _ := json.Marshal(body) // strings only: cannot fail
	return []Message{{ID: newID(), Body: b}}
}

// nodeBody is the JSON of a node's event; serviceBody the service's.
type nodeBody struct {
	Event   Kind   `json:"event"`
	Hash    string `json:"hash"`
	Name    string `json:"name"`
	Owner   string `json:"owner"`
	Address string `json:"address"`
	At      string `json:"at"`
	Since   string `json:"since"`
	Error   string `json:"error,omitempty"`
	ID      string `json:"id"`
}

type serviceBody struct {
	Event Kind   `json:"event"`
	At    string `json:"at"`
	Since string `json:"since"`
	Error string `json:"error,omitempty"`
	ID    string `json:"id"`
}

// BodyJSON is the JSON body of one event.
func BodyJSON(e *Event) []byte {
	var v any
	if e.Hash == "" {
		v = serviceBody{e.Kind, rfc3339(e.At), rfc3339(e.Since), e.Error, e.ID}
	} else {
		v = nodeBody{e.Kind, e.Hash, e.Name, e.Owner, e.Address, rfc3339(e.At), rfc3339(e.Since), e.Error, e.ID}
	}
	b, _ := json.Marshal(v) // strings only: cannot fail
	return b
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ChatText is one round's events as lines of text, at most MaxLines.
func ChatText(events []Event) string {
	var lines []string
	for i := range events {
		if len(lines) == MaxLines-1 && len(events) > MaxLines {
			lines = append(lines, fmt.Sprintf("… and %d more", len(events)-i))
			break
		}
		lines = append(lines, clip(chatLine(&events[i]), 300))
	}
	return strings.Join(lines, "\n")
}

var chatVerb = map[Kind]string{
	Down:          "is down",
	Recovered:     "recovered",
	Behind:        "runs a version behind the network's",
	Inactive:      "was made inactive in the registry",
	Active:        "is active again in the registry",
	ProbeOutage:   "nodelist cannot probe the fleet; node alarms are held back",
	ProbeRestored: "nodelist probes the fleet again",
}

func chatLine(e *Event) string {
	if e.Hash == "" {
		line := chatVerb[e.Kind]
		if e.Error != "" {
			line += " (" + e.Error + ")"
		}
		return line
	}
	name := e.Name
	if name == "" {
		name = "node"
	}
	short := e.Hash
	if len(short) > 12 {
		short = short[:12]
	}
	line := fmt.Sprintf("%s (%s) %s", name, short, chatVerb[e.Kind])
	if e.Kind == Down {
		line += " since " + rfc3339(e.Since)
		if e.Error != "" {
			line += ": " + e.Error
		}
	}
	return line
}

// clip cuts s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
