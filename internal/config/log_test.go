package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestDurationsInLogs(t *testing.T) {
	for d, want := range map[string]string{
		"1.234567891s": "1.23s", "12.3456s": "12.3s", "123.4567ms": "123ms", "2m3.7s": "2m4s",
		"999.95ms": "1s", "15µs": "15µs", "0s": "0s",
	} {
		if got := HumanDuration(mustDuration(d)); got != want {
			t.Errorf("%s: %s, want %s", d, got, want)
		}
	}
	var text, js bytes.Buffer
	c := Default()
	log, _ := c.NewLogger(&text)
	log.Info("round finished", "duration", 1234567891)
	log.Info("round finished", "duration", mustDuration("1.234567891s"))
	c.LogFormat = "json"
	log, _ = c.NewLogger(&js)
	log.Info("round finished", "duration", mustDuration("1.5s"))
	if !strings.Contains(text.String(), "duration=1.23s") {
		t.Errorf("text: %s", text.String())
	}
	if !strings.Contains(js.String(), `"duration":1.5`) {
		t.Errorf("json: %s", js.String())
	}
}

func TestLogLevelIsSetAtOnce(t *testing.T) {
	var b bytes.Buffer
	c := Default()
	log, level := c.NewLogger(&b)
	log.Debug("hidden")
	level.Set(slog.LevelDebug)
	log.Debug("shown")
	if strings.Contains(b.String(), "hidden") || !strings.Contains(b.String(), "shown") {
		t.Errorf("log: %s", b.String())
	}
}

func mustDuration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}
