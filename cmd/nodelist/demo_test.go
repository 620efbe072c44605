package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// The demo's two ports are the caller's to choose: the service's
// (--listen) and the simulated fleet's API host (--fleet-listen).
func TestDemoListensWhereTold(t *testing.T) {
	listen, fleet := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"demo", "--listen", listen, "--fleet-listen", fleet, "--nodes", "5", "--db", "none",
			"--hung", "0", "--failing", "0", "--invalid-json", "0", "--invalid-address", "0"}, io.Discard, &logs)
	}()
	defer func() {
		cancel()
		if code := <-exited; code != 0 {
			t.Errorf("demo exited with %d:\n%s", code, logs.String())
		}
	}()
	waitFor(t, "the demo serves its fleet", 20*time.Second, func() bool {
		return all(configErrors("http://"+listen), 5, func(e string) bool { return e == "None" })
	})
	var stats struct {
		APIRequests int64 `json:"api_requests"`
	}
	if err := getJSON("http://"+fleet+"/stats", &stats); err != nil || stats.APIRequests == 0 {
		t.Errorf("the fleet's API host on %s: %v, %+v", fleet, err, stats)
	}
	if !strings.Contains(logs.String(), "api=http://"+fleet) {
		t.Errorf("the log does not name the fleet's address:\n%s", logs.String())
	}
}
