package main

import (
	"context"
	"io"
	"testing"
	"time"
)

// With --db none the history is kept in memory: the history endpoints
// answer from the rounds the process ran, where they answered 404.
func TestNoDBKeepsHistoryInMemory(t *testing.T) {
	listen := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"demo", "--listen", listen, "--fleet-listen", freeAddr(t), "--nodes", "3", "--db", "none",
			"--hung", "0", "--failing", "0", "--invalid-json", "0", "--invalid-address", "0", "--inactive", "0"}, io.Discard, &logs)
	}()
	defer func() {
		cancel()
		if code := <-exited; code != 0 {
			t.Errorf("demo exited with %d:\n%s", code, logs.String())
		}
	}()
	base := "http://" + listen
	var uptime map[string]struct {
		Day *float64 `json:"24h"`
	}
	waitFor(t, "uptime.json lists the fleet", 20*time.Second, func() bool {
		uptime = nil
		return getJSON(base+"/uptime.json", &uptime) == nil && len(uptime) == 3
	})
	var hash string
	for h, u := range uptime {
		if u.Day == nil || *u.Day != 1 {
			t.Errorf("%s: 24h uptime %v, want 1", h, u.Day)
		}
		hash = h
	}
	var hist struct {
		Probes map[string][]struct {
			Samples int `json:"samples"`
		} `json:"probes"`
	}
	// The history's default range ends now, to the second: a round of
	// this very second shows from the next.
	waitFor(t, "the history of "+hash+" has samples", 5*time.Second, func() bool {
		hist.Probes = nil
		return getJSON(base+"/crns/"+hash+"/history", &hist) == nil && len(hist.Probes["config"]) > 0 && hist.Probes["config"][0].Samples >= 1
	})
	var ev struct {
		Events []struct{ Probe string } `json:"events"`
	}
	if err := getJSON(base+"/crns/"+hash+"/events", &ev); err != nil || len(ev.Events) < 3 {
		t.Errorf("events of %s: %+v, %v (want a first-seen event per probe)", hash, ev, err)
	}
}
