package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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

// structured are the keys whose value is a list of mappings (notify:),
// handed to their flag as JSON (see readFile).
var structured = map[string]bool{"notify": true}

// asJSON is a YAML value as JSON, every scalar a string: an owner such
// as 0xAbC is text, not the number YAML would read.
func asJSON(v *yaml.Node) (string, error) {
	x, err := plain(v, 0)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(x)
	return string(b), err
}

func plain(v *yaml.Node, depth int) (any, error) {
	if depth > 8 {
		return nil, errors.New("nested too deep")
	}
	switch v.Kind {
	case yaml.ScalarNode:
		return v.Value, nil
	case yaml.AliasNode:
		return plain(v.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(v.Content))
		for _, item := range v.Content {
			x, err := plain(item, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(v.Content)/2)
		for i := 0; i+1 < len(v.Content); i += 2 {
			x, err := plain(v.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[v.Content[i].Value] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML", v.Line)
}
