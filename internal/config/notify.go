package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Notify is the configuration of notifications to node operators
// (internal/notify): where to POST, and when.
type Notify struct {
	URLs          AppendList    // --notify-url: JSON bodies, every event
	Subscriptions Subscriptions // notify: in the file, with filters and formats
	After         int           // failed rounds before down
	RetryFor      time.Duration // how long a message is retried
	NodeMetrics   bool          // per-node Prometheus series
}

// Subscription is one receiver of notifications and what it wants, as
// the file's notify: list writes it.
type Subscription struct {
	URL    string   `json:"url" yaml:"url"`
	Owners []string `json:"owners,omitempty" yaml:"owners"`
	Hashes []string `json:"hashes,omitempty" yaml:"hashes"`
	Events []string `json:"events,omitempty" yaml:"events"`
	Format string   `json:"format,omitempty" yaml:"format"`
	ChatID string   `json:"chat_id,omitempty" yaml:"chat_id"`
}

// MinNotifyRetry is the shortest retry window: a receiver restarting or
// briefly down must not lose a message.
const MinNotifyRetry = 10 * time.Minute

// DefaultNotify is the notification configuration used when nothing is
// set: none.
func DefaultNotify() Notify { return Notify{After: 2, RetryFor: time.Hour} }

// RegisterNotify adds the notification flags.
func (n *Notify) RegisterNotify(fs *flag.FlagSet) {
	fs.Var(&n.URLs, "notify-url", "URL to POST a JSON body to for each node state change (down, recovered, behind, inactive, active); repeatable, or comma-separated")
	fs.Var(&n.Subscriptions, "notify", "notification subscriptions with filters and chat formats: a JSON list on the command line, a YAML list in the file (see README, Notifications)")
	fs.IntVar(&n.After, "notify-after", n.After, "consecutive failed rounds before a node is reported down")
	DurationVar(fs, &n.RetryFor, "notify-retry-for", n.RetryFor, "how long a notification is retried while its receiver fails (at least 10m)")
	fs.BoolVar(&n.NodeMetrics, "node-metrics", n.NodeMetrics, "serve per-node series at /metrics (nodelist_node_up{hash,name,owner} and friends): a few series per node")
}

// Enabled reports whether any notification is configured.
func (n *Notify) Enabled() bool { return len(n.URLs) > 0 || len(n.Subscriptions) > 0 }

// Validate checks the notification configuration; the subscriptions'
// own rules (formats, events) are the notifier's to check.
func (n *Notify) Validate() error {
	var errs []error
	if n.After < 1 || n.After > 1000 {
		errs = append(errs, fmt.Errorf("--notify-after %d: want 1 to 1000", n.After))
	}
	if n.RetryFor < MinNotifyRetry {
		errs = append(errs, fmt.Errorf("--notify-retry-for %s: want at least %s", n.RetryFor, MinNotifyRetry))
	}
	for i, s := range n.Subscriptions {
		if s.URL == "" {
			errs = append(errs, fmt.Errorf("notify: subscription %d has no url", i+1))
		}
	}
	return errors.Join(errs...)
}

// AppendList is a flag value that each setting adds to: a repeated flag
// (--notify-url A --notify-url B), or one comma-separated value.
type AppendList []string

func (l *AppendList) String() string { return strings.Join(*l, ",") }

// Reset empties the list.
func (l *AppendList) Reset() { *l = nil }

// Set adds the comma-separated items of s.
func (l *AppendList) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// Subscriptions is the notify flag's value: a JSON list of subscriptions.
type Subscriptions []Subscription

func (s *Subscriptions) String() string {
	if s == nil || len(*s) == 0 {
		return ""
	}
	b, _ := json.Marshal(*s) // strings only: cannot fail
	return string(b)
}

// Set replaces the list with the JSON list s, refusing unknown keys.
func (s *Subscriptions) Set(v string) error {
	var out Subscriptions
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return fmt.Errorf("want a list of subscriptions ({url, owners, hashes, events, format, chat_id}): %w", err)
	}
	*s = out
	return nil
}

// NotifyEvents are the events a subscription may ask for, as the
// notifier names them (internal/notify checks it names the same).
var NotifyEvents = []string{"down", "recovered", "behind", "inactive", "active", "probe_outage", "probe_restored"}

// NotifyFormats are the bodies a subscription may ask for.
var NotifyFormats = []string{"json", "slack", "discord", "telegram"}

// subscriptionKeys are the keys of one subscription in the file.
var subscriptionKeys = []string{"url", "owners", "hashes", "events", "format", "chat_id"}

// UnmarshalYAML reads the file's notify: list, naming every mistake at
// its line: a key that is not a subscription's (with the one it probably
// meant), a value of the wrong shape, an unknown event or format, a
// missing url or chat_id. It is all or nothing: with a mistake, s stays
// as it was.
func (s *Subscriptions) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return NodeError(n, "want a list of subscriptions, each a mapping with url (and owners, hashes, events, format, chat_id)")
	}
	var out Subscriptions
	var errs []error
	for _, item := range n.Content {
		sub, err := readSubscription(item)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, sub)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	*s = out
	return nil
}

func readSubscription(n *yaml.Node) (Subscription, error) {
	var sub Subscription
	if n.Kind != yaml.MappingNode {
		return sub, NodeError(n, "want a subscription, a mapping with url (and owners, hashes, events, format, chat_id)")
	}
	var errs []error
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			errs = append(errs, NodeError(k, "key %q is set twice in one subscription", k.Value))
			continue
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "url":
			sub.URL, err = subscriptionText(v, "url")
		case "format":
			sub.Format, err = subscriptionText(v, "format")
			if err == nil && !slices.Contains(NotifyFormats, sub.Format) {
				err = NodeError(v, "format %q: want one of %s%s", sub.Format, strings.Join(NotifyFormats, ", "), nearestWord(sub.Format, NotifyFormats))
			}
		case "chat_id":
			sub.ChatID, err = subscriptionText(v, "chat_id")
		case "owners":
			sub.Owners, err = subscriptionList(v, "owners")
		case "hashes":
			sub.Hashes, err = subscriptionList(v, "hashes")
		case "events":
			sub.Events, err = subscriptionList(v, "events")
			if err == nil {
				var bad []error
				for j, e := range sub.Events {
					if !slices.Contains(NotifyEvents, e) {
						at := v
						if v.Kind == yaml.SequenceNode {
							at = v.Content[j]
						}
						bad = append(bad, NodeError(at, "event %q: want one of %s%s", e, strings.Join(NotifyEvents, ", "), nearestWord(e, NotifyEvents)))
					}
				}
				err = errors.Join(bad...)
			}
		default:
			err = NodeError(k, "unknown key %q in a subscription (want %s)%s", k.Value, strings.Join(subscriptionKeys, ", "), nearestWord(k.Value, subscriptionKeys))
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if !seen["url"] {
		errs = append(errs, NodeError(n, "this subscription has no url"))
	}
	if sub.Format == "telegram" && sub.ChatID == "" && !seen["chat_id"] {
		errs = append(errs, NodeError(n, "format telegram needs chat_id"))
	}
	return sub, errors.Join(errs...)
}

// subscriptionText is a scalar value of a subscription's key.
func subscriptionText(v *yaml.Node, key string) (string, error) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", NodeError(v, "%s: want a value", key)
	}
	return v.Value, nil
}

// subscriptionList is a list value (or one value) of a subscription's
// key, every item text: an owner such as 0xAbC stays as written.
func subscriptionList(v *yaml.Node, key string) ([]string, error) {
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		return []string{v.Value}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, NodeError(v, "%s: want a list of values", key)
	}
	out := make([]string, 0, len(v.Content))
	var errs []error
	for _, item := range v.Content {
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
			errs = append(errs, NodeError(item, "%s: want a value", key))
			continue
		}
		out = append(out, item.Value)
	}
	return out, errors.Join(errs...)
}

// nearestWord is "; did you mean X?" for the word among words within a
// small edit distance of w, or "".
func nearestWord(w string, words []string) string {
	limit := 1
	if len(w) > 4 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, c := range words {
		if d := editDistance(strings.ToLower(w), c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}
