package notify

import (
	"slices"
	"testing"

	"nodelist/internal/config"
)

// The configuration checks a file's events and formats at their lines
// against its own lists; they must name what the notifier knows, no more
// and no less.
func TestConfigNamesTheNotifiersEventsAndFormats(t *testing.T) {
	var kinds []string
	for _, k := range Kinds {
		kinds = append(kinds, string(k))
	}
	if !slices.Equal(kinds, config.NotifyEvents) {
		t.Errorf("config.NotifyEvents %v, the notifier's kinds %v", config.NotifyEvents, kinds)
	}
	formats := []string{string(JSON), string(Slack), string(Discord), string(Telegram)}
	if !slices.Equal(formats, config.NotifyFormats) {
		t.Errorf("config.NotifyFormats %v, the notifier's formats %v", config.NotifyFormats, formats)
	}
	for _, f := range config.NotifyFormats {
		s := Subscription{URL: "https://a.example.org/", Format: Format(f), ChatID: "1"}
		if err := s.Validate(); err != nil {
			t.Errorf("format %s: %v", f, err)
		}
	}
}
